"""The crawl: every page a demo persona reaches by links from its home page, checked.

For each persona of the illustrative Miami scenario the test signs in and follows every
same-site link from ``/`` and the process home, breadth first. Links are deduplicated by their
path pattern (ids become ``{id}``, and the query keys count, not their values), so the crawl
stays bounded. It fails on:

* a link answering 4xx or 5xx to the persona who is shown it;
* a UUID, an ISO timestamp, a Python repr (``{'``, ``<parley.``, a lone ``None``) or framework
  error text in the page's visible text;
* an axe-core violation of impact serious or critical;
* horizontal overflow at 390 px on the main pages (the sections of the navigation, and home).

It waits on conditions (page loads), never on fixed times, and runs on SQLite only: the
pages are the same on PostgreSQL, whose queries the other browser tests cover.
"""

from __future__ import annotations

import os
import re
import time
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from browser.conftest import PASSWORDS
from browser.test_layout import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
P = f"/p/{PROCESS}"
PERSONAS = (
    "mediator",
    "ukraine",
    "russia",
    "europe",
    "ukraine-viewer",
    "russia-viewer",
    "europe-viewer",
    "observer",
)
PHONE = {"width": 390, "height": 844}
PHONE_PERSONAS = ("mediator", "ukraine", "observer")  # one of each kind of navigation
LINK = re.compile(r"<a\b([^>]*?)\bhref=\"([^\"]*)\"([^>]*)>", re.IGNORECASE)
DOWNLOAD = re.compile(r"\sdownload(=|\s|$)")
MAX_PAGES = 150  # per persona: a bound, far above what the demo has
# Never followed: the event stream never ends; assets hold no page.
SKIP_PREFIXES = ("/static", f"{P}/events", "/logout")

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?|\b\d{2}:\d{2}:\d{2}\.\d{3,}")
REPR = re.compile(r"\{'|<parley\.|(?:^|[\t\n])None(?:[\t\n]|$)|\bdatetime\.\w+\(|\bUUID\('")
FRAMEWORK = re.compile(
    r"Traceback \(most recent call|Internal Server Error|errors\.pydantic\.dev|validation error for"
    r"|\{\"detail\"|jinja2\.|sqlalchemy\.|Method Not Allowed|Field required",
    re.I,
)


def pattern(href: str) -> str:
    """The page's pattern: ids replaced, query values dropped (``/p/k/meetings/{id}?tab``)."""
    parts = urlsplit(href)
    path = UUID.sub("{id}", parts.path)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - {"page"})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    persona: str
    seen: set[str] = field(default_factory=set)  # page patterns read
    checked: set[str] = field(default_factory=set)  # URLs whose answer was checked
    problems: list[str] = field(default_factory=list)
    pages: int = 0
    links: int = 0

    def problem(self, where: str, what: str) -> None:
        self.problems.append(f"{self.persona} {where}: {what}")


# Path segments that name a view, not a record: kept in a page's shape.
VIEW_WORDS = {"v", "diff", "compare", "match", "amendments", "brackets", "history", "edit",
              "new", "carry", "html", "review", "what-if"}  # fmt: skip


def shape(href: str) -> str:
    """The template a page is drawn from (``/p/*/texts/*/v/*``): axe-core runs once a shape."""
    parts = urlsplit(href).path.strip("/").split("/")
    kept = [seg if i in (0, 2) or seg in VIEW_WORDS else "*" for i, seg in enumerate(parts)]
    return "/" + "/".join(kept)


class VisibleText(HTMLParser):
    """The text a reader sees: no script, style, template or folded ``<details>``."""

    HIDDEN = {"script", "style", "template", "details", "noscript"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.depth += 1
        elif tag in ("td", "th", "li", "p", "div", "br", "dd", "dt", "h1", "h2", "h3", "option"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def links_of(html: str, base: str) -> list[tuple[str, bool]]:
    """(href, whether the link says it downloads a file) of every same-site link."""
    out = []
    for before, href, after in LINK.findall(html):
        download = bool(DOWNLOAD.search(f" {before} {after}"))
        href = href.replace("&amp;", "&")
        if not href or href.startswith(("#", "mailto:", "javascript:")):
            continue
        if href.startswith(("http://", "https://")):
            if not href.startswith(base):
                continue  # another site
            href = href[len(base) :]
        if not href.startswith("/"):
            continue
        href = href.split("#", 1)[0]
        if href.startswith(SKIP_PREFIXES):
            continue
        out.append((href, download))
    return out


def check_text(text: str, crawl: Crawl, where: str) -> None:
    for name, regex in (
        ("an id", UUID),
        ("an ISO timestamp", ISO_TIME),
        ("a Python value", REPR),
        ("framework text", FRAMEWORK),
    ):
        found = regex.search(text)
        if found:
            start = max(found.start() - 40, 0)
            context = text[start : found.end() + 40].replace("\n", " | ")
            crawl.problem(where, f"{name} in the visible text: …{context}…")


def _get(page: Any, href: str) -> Any:
    """The answer to ``href`` in the persona's session; once more if the connection dropped
    (a loaded machine's keep-alive), never on an HTTP error."""
    from playwright.sync_api import Error

    try:
        return page.request.get(href, max_redirects=5)
    except Error:
        return page.request.get(href, max_redirects=5)


def _crawl(page: Any, base: str, persona: str, axe_done: set[str]) -> Crawl:
    """Every link's answer through the persona's session; each new page's text; axe-core in
    the browser once per page shape (across personas)."""
    crawl = Crawl(persona)
    queue: deque[tuple[str, str, bool]] = deque([("/", "start", False), (P, "start", False)])
    while queue and crawl.pages < MAX_PAGES:
        href, source, download = queue.popleft()
        if href in crawl.checked:
            continue
        crawl.checked.add(href)
        key = pattern(href)
        if key in crawl.seen:
            continue
        crawl.links += 1
        answer = _get(page, href)
        if answer.status >= 400:
            crawl.problem(href, f"answers {answer.status} (linked from {source})")
            continue
        kind = answer.headers.get("content-type", "")
        download = download or "attachment" in answer.headers.get("content-disposition", "")
        if "text/html" not in kind or download:
            if "json" in kind and not download:
                crawl.problem(href, f"a link opens raw JSON (linked from {source})")
            continue  # a download (calendar, CSV, DOCX): its status is what counts
        crawl.seen.add(key)
        crawl.pages += 1
        html = answer.text()
        check_text(visible_text(html), crawl, href)
        if shape(href) not in axe_done:
            axe_done.add(shape(href))
            page.goto(href, wait_until="load")
            for violation in serious_violations(page):
                crawl.problem(href, f"axe: {violation}")
        for link, saves in links_of(html, base):
            if link not in crawl.checked:
                queue.append((link, href, saves))
    return crawl


def _role(persona: str) -> str:
    if persona in ("mediator", "observer"):
        return persona
    return "viewer" if persona.endswith("-viewer") else "head"


def _main_pages(page: Any) -> list[str]:
    page.goto(P, wait_until="load")
    return [P] + page.eval_on_selector_all(
        "#sections a.nav-link:not(.dropdown-toggle), #sections .dropdown-item",
        "els => els.map(e => e.getAttribute('href'))",
    )


def _sign_in(new_context: Any, persona: str) -> Any:
    """Through the form, with room for argon2 on a loaded machine (the wait is a condition)."""
    page = new_context().new_page()
    page.set_default_timeout(60_000)
    page.goto(f"/login?next={P}")
    page.fill("input[name=username]", persona)
    page.fill("input[name=password]", PASSWORDS[persona])
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert urlsplit(page.url).path == P, f"{persona} did not land on {P}: {page.url}"
    return page


@pytest.mark.parametrize("live_server", ["sqlite"], indirect=True)
def test_every_page_a_persona_can_reach_is_readable_and_accessible(
    live_server: Any, new_context: Any
) -> None:
    started = time.monotonic()
    problems: list[str] = []
    pages = links = 0
    axe_done: set[str] = set()
    for persona in PERSONAS[: int(os.environ.get("PARLEY_CRAWL_PERSONAS", len(PERSONAS)))]:
        page = _sign_in(new_context, persona)
        crawl = _crawl(page, live_server.base_url, persona, axe_done)
        print(f"{persona}: {crawl.pages} pages, {time.monotonic() - started:.0f} s")
        assert crawl.pages > 10, f"{persona} reached only {crawl.pages} pages: the crawl is blind"
        problems += crawl.problems
        pages += crawl.pages
        links += crawl.links
        if persona not in PHONE_PERSONAS:
            continue
        # The main pages on a phone: nothing scrolls sideways.
        phone = page.context.new_page()
        phone.set_viewport_size(PHONE)
        for path in _main_pages(phone):
            phone.goto(path, wait_until="load")
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{persona} {path}: {overflow} px wider than a 390 px phone")
    elapsed = time.monotonic() - started
    print(
        f"\ncrawl: {len(PERSONAS)} personas, {pages} pages, {links} links checked, "
        f"{len(axe_done)} axe runs, {elapsed:.0f} s"
    )
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(sorted(set(problems)))


def test_the_text_checks_can_fail() -> None:
    """The crawl is only as good as its checks: each catches what it looks for, and folded
    details (where keys belong) are not read."""
    crawl = Crawl("check")
    html = (
        "<p>at 2025-12-22T14:00:00.123456+00:00</p><td>None</td><p>{'stance': 'accept'}</p>"
        "<p>9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d</p><p>1 validation error for PositionIn</p>"
    )
    check_text(visible_text(html), crawl, "/sample")
    found = " ".join(crawl.problems)
    for what in ("an id", "an ISO timestamp", "a Python value", "framework text"):
        assert what in found
    clean = Crawl("clean")
    check_text(
        visible_text(
            "<p>Mon 22 Dec 2025, 09:00 EST</p>"
            "<details>9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d</details>"
        ),
        clean,
        "/clean",
    )
    assert clean.problems == []
    assert links_of(
        '<a href="/a?x=1&amp;y=2" download>J</a><a href="http://other/b">b</a>', "http://h"
    ) == [("/a?x=1&y=2", True)]
