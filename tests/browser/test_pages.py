"""Every main page renders in a real browser without console errors or CSP violations, the
navigation works, and signing out ends the session. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
P = f"/p/{PROCESS}"

# Main pages and the <h1> each shows (None: the process title).
MAIN_PAGES: dict[str, str | None] = {
    "/": "Processes",
    P: None,
    f"{P}/documents": "Documents",
    f"{P}/versions": "Versions",
    f"{P}/positions": "Positions",
    f"{P}/sessions": "Sessions",
    f"{P}/statements": "Statements",
    f"{P}/commitments": "Commitments",
    f"{P}/steps": "Steps",
    f"{P}/history": "History",
    f"{P}/search?q=ceasefire": "Search",
    f"{P}/audit": "Audit log",
}
# One record page of each of these kinds, reached through its list's first "Open" link.
DETAIL_KINDS = ("documents", "versions", "sessions", "statements", "commitments", "steps")


def _visit(page: Any, watch: Any, path: str) -> Any:
    response = page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path} answered {response.status}"
    expect(page.locator("main h1")).to_be_visible()
    watch.check(page, path)
    return response


def test_htmx_is_vendored_and_loads(
    live_server: Any, new_context: Any, watch: Any, sign_in: Any
) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    with page.expect_response(lambda r: r.url.endswith("/static/vendor/htmx.min.js")) as info:
        page.goto(P)
    assert info.value.status == 200
    assert "javascript" in info.value.headers.get("content-type", "")
    page.wait_for_function("window.htmx !== undefined")
    assert page.evaluate("typeof window.htmx.version") == "string"
    assert live_server.base_url in info.value.url  # same origin, never a CDN
    watch.check(page, P)


def test_the_console_watch_catches_errors(live_server: Any, new_context: Any, watch: Any) -> None:
    """The checks below are only as good as the watch: it must see script errors."""
    page = new_context().new_page()
    watch.attach(page)
    _visit(page, watch, "/login")
    page.evaluate("console.error('deliberate')")
    page.evaluate("setTimeout(() => { throw new Error('uncaught'); }, 0)")
    page.wait_for_timeout(100)
    with pytest.raises(AssertionError, match="(?s)deliberate.*uncaught"):
        watch.check(page, "/login")


def test_main_pages_render_without_errors(
    live_server: Any, new_context: Any, watch: Any, sign_in: Any
) -> None:
    anonymous = new_context().new_page()
    watch.attach(anonymous)
    _visit(anonymous, watch, "/login")
    expect(anonymous.locator("main h1")).to_have_text("Sign in")

    page = sign_in("ukraine", P)
    watch.attach(page)
    title = page.locator("main h1").inner_text()
    details: list[str] = []
    dashboard_links: list[str] = []
    for path, heading in MAIN_PAGES.items():
        _visit(page, watch, path)
        expect(page.locator("main h1")).to_have_text(heading or title)
        if path == P:
            dashboard_links = page.locator("main a").evaluate_all(
                "els => els.map(e => e.getAttribute('href'))"
            )
        slug = path.rsplit("/", 1)[-1]
        if slug in DETAIL_KINDS:
            href = page.locator("main tbody tr a", has_text="Open").first.get_attribute("href")
            # Sessions open on their meeting page; every other kind on its record page.
            prefix = f"{P}/meetings/" if slug == "sessions" else f"{P}/{slug}/"
            assert href and href.startswith(prefix), f"no record to open in {slug}"
            details.append(href)
        if slug == "positions":
            href = page.get_by_role("link", name="History").first.get_attribute("href")
            assert href and href.endswith("/history")
            details.append(href)

    # A record page of each main kind, and a position's history.
    assert len(details) == len(DETAIL_KINDS) + 1
    for href in details:
        _visit(page, watch, href)

    # Every further link on the dashboard (parties, people, rooms, minutes, ...): these lists
    # share the template rendered above, so a status check through the session is enough.
    assert len(dashboard_links) >= 10
    for href in dict.fromkeys(dashboard_links):
        response = page.request.get(href)
        assert response.status == 200, f"{href} answered {response.status}"
        if response.headers.get("content-type", "").startswith("text/html"):
            assert "<h1>" in response.text()
        else:  # the calendar feed is a download
            assert response.text().startswith("BEGIN:VCALENDAR"), href


def test_pages_send_a_strict_content_security_policy(
    live_server: Any, new_context: Any, sign_in: Any
) -> None:
    page = sign_in("ukraine", P)
    for path in ("/login", P, f"{P}/positions"):
        response = page.goto(path)
        assert response is not None
        csp = response.headers.get("content-security-policy")
        assert csp, f"{path} has no Content-Security-Policy header"
        directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
        assert directives.get("script-src") == ["'self'"], csp
        assert directives.get("object-src") == ["'none'"], csp
    # With the policy in force, an inline script is refused (so none of ours may need one).
    blocked = page.evaluate(
        """() => new Promise(resolve => {
            document.addEventListener("securitypolicyviolation", () => resolve(true));
            const s = document.createElement("script");
            s.textContent = "window.__inlineRan = true";
            document.body.appendChild(s);
            setTimeout(() => resolve(false), 1000);
        })"""
    )
    assert blocked and not page.evaluate("window.__inlineRan === true")


# The sections of the layout (parley.authz.navigation) and their menus: link text -> the <h1> of
# the page it opens (None: the process title).
NAV: dict[str, dict[str, str | None]] = {
    "Home": {"Home": None},
    "Texts": {"Texts": "Negotiating texts"},
    "Positions": {
        "Positions": "Positions",
        "Convergence map": "Convergence map",
        "Package optimizer": "Package optimizer",
    },
    "Meetings": {"Meetings": "Sessions"},
    "Statements": {"Statements": "Statements", "Joint statements": "Joint statements"},
    "Plan": {"Plan": "Implementation plan", "Implementation status": "Implementation status"},
    "Ledger": {"Ledger": "Commitments ledger"},
    "Record": {
        "Timeline": "History",
        "Sources": "Sources",
        "Intake review": "Review queue",
        "Submit a report": "Submit a report",
    },
    "Audit": {"Audit log": "Audit log", "Checkpoints": "Checkpoints"},
}


def _section_hrefs(page: Any) -> list[str]:
    return page.locator("#sections a[href^='/p/']").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )


def test_navigation_links_work(
    live_server: Any, new_context: Any, watch: Any, sign_in: Any
) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    title = page.locator("main h1").inner_text()
    sections = page.locator("#sections > .navbar-nav > .nav-item > .nav-link")
    assert [t.strip() for t in sections.all_inner_texts()] == list(NAV)
    for section, links in NAV.items():
        for name, heading in links.items():
            toggle = page.locator("#sections .nav-link", has_text=section).first
            if len(links) > 1:
                toggle.click()
                target = page.locator("#sections .dropdown-menu").get_by_role(
                    "link", name=name, exact=True
                )
            else:
                target = toggle
            with page.expect_navigation() as info:
                target.click()
            response = info.value
            assert response is not None and response.status == 200, f"{name}: {response}"
            expect(page.locator("main h1")).to_have_text(heading or title)
            watch.check(page, f"ukraine -> {section} -> {name}")
    with page.expect_navigation():
        page.locator("header .process-name").click()
    expect(page.locator("main h1")).to_have_text(title)
    with page.expect_navigation():
        page.locator("header a.navbar-brand").click()
    expect(page.locator("main h1")).to_have_text("Processes")
    expect(page.locator("main").get_by_role("link", name=title)).to_be_visible()
    watch.check(page, "ukraine -> home")


@pytest.mark.parametrize("username", ["mediator", "observer"])
def test_navigation_of_other_personas(live_server: Any, sign_in: Any, username: str) -> None:
    """The mediator and an observer get their sections, and each of their links answers."""
    page = sign_in(username, P)
    hrefs = _section_hrefs(page)
    assert f"{P}/audit" in hrefs and f"{P}/positions" in hrefs
    assert (f"{P}/intake" in hrefs) == (username == "mediator")  # observers cannot write
    for href in hrefs:
        response = page.request.get(href)
        assert response.status == 200, f"{username}: {href} answered {response.status}"


def test_logout_ends_the_session(
    live_server: Any, new_context: Any, watch: Any, sign_in: Any
) -> None:
    page = sign_in("ukraine", f"{P}/positions", fresh=True)  # a session of its own to end
    context = page.context
    watch.attach(page)
    old_cookies = context.cookies()
    session = [c for c in old_cookies if c["name"].endswith("parley_session")]
    assert session and session[0]["httpOnly"] and session[0]["sameSite"] in ("Lax", "Strict")

    page.get_by_role("button", name="account menu").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    expect(page.locator("header .who").get_by_role("link", name="Sign in")).to_be_visible()
    expect(page.locator("header .who .user")).to_have_count(0)
    assert not [c for c in context.cookies() if c["name"].endswith("parley_session")]
    watch.check(page, "after sign-out")

    page.goto(f"{P}/positions")
    assert "/login" in page.url
    expect(page.locator("main h1")).to_have_text("Sign in")

    # The old cookie, replayed in a fresh browser, no longer works: the session ended server-side.
    replay = new_context()
    replay.add_cookies(session)
    again = replay.new_page()
    again.goto(f"{P}/positions")
    assert "/login" in again.url
    api = again.request.get(f"/api/v1/processes/{PROCESS}/positions")
    assert api.status == 401
