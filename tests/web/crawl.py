"""The canary crawler: what each persona can reach, and what must never be in it.

Shared by test_canary_crawl.py (and usable by other web tests): the markers of canary.yaml,
the ids of records hidden from a persona, and a breadth-first crawl of the pages and API.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
import sqlalchemy as sa

from parley.audit.models import AuditEvent
from parley.db.base import Base, Spaced
from parley.db.engine import read_session
from parley.processes.models import Process
from parley.texts.models import Bracket, BracketOption, Document, Provision, ProvisionText, Version
from web.support import (
    CANARY_SCENARIO,
    CLOSED_SCENARIO,
    KEY,
    MARKER,
    SPACE_TAGS,
    Persona,
    note_markers,
)

LINK = re.compile(r"<a\b[^>]*?\bhref=\"([^\"]*)\"", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
API = "/api/v1/processes"
# Never followed: signing out ends the session, the event stream never ends, assets hold no data.
SKIP_PREFIXES = ("/logout", f"/p/{KEY}/events", "/static", "/api/v1/docs", "/docs")


def all_markers() -> set[str]:
    text = CANARY_SCENARIO.read_text(encoding="utf-8") + CLOSED_SCENARIO.read_text(encoding="utf-8")
    return {m.group(0) for m in MARKER.finditer(text)} | note_markers()


def tag_of(marker: str) -> str:
    match = MARKER.match(marker)
    assert match is not None, marker
    return match.group(1).upper()


def hidden_ids(engine: sa.Engine, persona: Persona) -> dict[str, str]:
    """Every id (as text) of a record ``persona`` may not see, with what it is.

    Spaced records by their own space; provisions, provision texts and bracket options by the
    space of the document, version or bracket they belong to; everything of the closed process.
    """
    hidden: dict[str, str] = {}
    with read_session(engine) as s:
        canary_id = s.scalar(sa.select(Process.id).where(Process.key == KEY))

        def note(rows: Iterable[tuple[object, str, object]], what: str) -> None:
            for obj_id, space, process_id in rows:
                if str(process_id) != str(canary_id) or SPACE_TAGS.get(space) not in persona.tags:
                    hidden[str(obj_id)] = f"{what} in {space}"

        for mapper in Base.registry.mappers:
            model = mapper.class_
            if issubclass(model, Spaced) or model is AuditEvent:
                note(
                    s.execute(sa.select(model.id, model.space, model.process_id)).all(),
                    model.__tablename__,
                )
        note(
            s.execute(
                sa.select(Provision.id, Document.space, Provision.process_id).join(
                    Document, Document.id == Provision.document_id
                )
            ).all(),
            "provision",
        )
        note(
            s.execute(
                sa.select(ProvisionText.id, Version.space, ProvisionText.process_id).join(
                    Version, Version.id == ProvisionText.version_id
                )
            ).all(),
            "provision text",
        )
        note(
            s.execute(
                sa.select(BracketOption.id, Bracket.space, BracketOption.process_id).join(
                    Bracket, Bracket.id == BracketOption.bracket_id
                )
            ).all(),
            "bracket option",
        )
        for closed in s.scalars(sa.select(Process.id).where(Process.key != KEY)):
            hidden[str(closed)] = "the closed process"
    return hidden


@dataclass
class Finding:
    url: str
    what: str


@dataclass
class CrawlResult:
    seen_markers: set[str] = field(default_factory=set)
    leaks: list[Finding] = field(default_factory=list)
    fetched: dict[str, int] = field(default_factory=dict)

    def check(
        self, url: str, response: httpx.Response, persona: Persona, hidden: dict[str, str]
    ) -> None:
        """Record the markers in a response; note every marker or id the persona may not see."""
        self.fetched[url] = response.status_code
        if response.status_code >= 500:
            self.leaks.append(Finding(url, f"server error {response.status_code}"))
        text = _text_of(response)
        if "text/html" in response.headers.get("content-type", ""):
            # Every page, not only the sample in test_security_headers: no inline script.
            for attributes in INLINE_SCRIPT.findall(text):
                if "src=" not in attributes:
                    self.leaks.append(Finding(url, "an inline <script>"))
            if INLINE_HANDLER.search(text):
                self.leaks.append(Finding(url, "an inline event handler"))
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for where, blob in (("body", text), ("headers", headers)):
            for match in MARKER.finditer(blob):
                marker = match.group(0).upper()
                if match.group(1).upper() in persona.tags:
                    self.seen_markers.add(marker)
                else:
                    self.leaks.append(Finding(url, f"{where} carries {marker}"))
            for found in set(UUID.findall(blob)):
                if found in hidden:
                    self.leaks.append(
                        Finding(url, f"{where} carries the id of a hidden {hidden[found]}")
                    )


def _text_of(response: httpx.Response) -> str:
    """The body as text; for a zip (DOCX, bundles) the text of every file inside it."""
    if not response.content.startswith(b"PK\x03\x04"):
        return response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return "\n".join(
            archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
        )


def same_origin_path(base: str, href: str) -> str | None:
    if href.startswith(("mailto:", "javascript:", "#")):
        return None
    absolute = urljoin("http://testserver" + base, href)
    parts = urlsplit(absolute)
    if parts.netloc != "testserver":
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if path.startswith(SKIP_PREFIXES):
        return None
    return path


def crawl_pages(
    client: httpx.Client,
    persona: Persona,
    hidden: dict[str, str],
    starts: list[str],
    result: CrawlResult,
) -> None:
    """Follow every same-origin link breadth-first (GET only)."""
    starts = [s for s in starts if not s.startswith(SKIP_PREFIXES)]
    queue = deque(starts)
    seen = set(starts)
    while queue:
        path = queue.popleft()
        response = client.get(path)
        result.check(path, response, persona, hidden)
        if response.status_code in (301, 302, 303, 307):
            target = same_origin_path(path, response.headers["location"])
            if target and target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in LINK.findall(response.text):
            target = same_origin_path(path, href.replace("&amp;", "&"))
            if target and target not in seen:
                seen.add(target)
                queue.append(target)


def crawl_api(
    client: httpx.Client,
    persona: Persona,
    hidden: dict[str, str],
    result: CrawlResult,
    kinds: Iterable[str],
) -> list[tuple[str, str]]:
    """Every API list (every page) and every detail it links to; returns (slug, id) visited."""
    details: list[tuple[str, str]] = []
    histories: list[str] = []

    def get(path: str) -> httpx.Response:
        response = client.get(path)
        result.check(path, response, persona, hidden)
        return response

    for path in (
        "/api/v1/processes",
        f"{API}/{KEY}",
        f"{API}/{KEY}/history",
        "/api/v1/auth/tokens",
        "/api/v1/admin/users",
    ):
        get(path)
    for slug in (*kinds, "positions", "audit"):
        page = 1
        while True:
            response = get(f"{API}/{KEY}/{slug}?page={page}")
            if response.status_code != 200:
                break
            body = response.json()
            if slug not in ("audit", "positions"):
                details.extend((slug, item["id"]) for item in body["items"])
            if slug == "positions":
                histories.extend(item["id"] for item in body["items"])
            if page >= body["pages"]:
                break
            page += 1
    for position_id in histories:
        get(f"{API}/{KEY}/positions/{position_id}/history")
    for slug, object_id in details:
        get(f"{API}/{KEY}/{slug}/{object_id}")
    return details


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
