"""The issue's main flow in a real browser: a red line stays inside its delegation's space.

Ukraine's head records a red line with a unique marker; Russia's head can find it nowhere (list,
search, direct URL, JSON twin); the mediator sees it only once Ukraine shares it with the
mediator, and its open positions page picks it up live. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
POSITIONS = f"/p/{PROCESS}/positions"
API = f"/api/v1/processes/{PROCESS}"


def _row(page: Any, marker: str) -> Any:
    return page.locator("#positions tbody tr", has_text=marker)


def _search_hits(page: Any, marker: str) -> Any:
    page.goto(f"/p/{PROCESS}/search?q={marker}")
    expect(page.locator("h1")).to_have_text("Search")
    return page.locator("#search-results > li")


def _assert_hidden(page: Any, marker: str, history: str, position_id: str, who: str) -> None:
    """Nothing of the position reaches ``page``'s user: list, search, page URL, API twin."""
    response = page.goto(POSITIONS)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text("Positions")
    assert marker not in page.content(), f"{who} sees the marker in the positions list"

    hits = _search_hits(page, marker)
    expect(hits).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Nothing found that you can see.")

    # The direct URL answers exactly like an id that never existed.
    response = page.goto(history)
    assert response is not None and response.status == 404, f"{who}: {history} -> {response}"
    assert marker not in page.content()
    unknown = page.goto(f"{POSITIONS}/{uuid.uuid4()}/history")
    assert unknown is not None and unknown.status == 404

    api = page.request.get(f"{API}/positions/{position_id}/history")
    missing = page.request.get(f"{API}/positions/{uuid.uuid4()}/history")
    assert api.status == 404 and missing.status == 404
    assert api.json() == missing.json() == {"detail": "Not Found"}
    listing = page.request.get(f"{API}/positions")
    assert listing.status == 200
    assert marker not in listing.text() and position_id not in listing.text()


def test_red_line_stays_in_its_space_until_shared(
    live_server: Any, new_context: Any, sign_in: Any
) -> None:
    marker = f"CANARY-{uuid.uuid4().hex[:12]}"

    # --- Ukraine's head records a red line in party:UA through the form.
    ukraine = sign_in("ukraine", POSITIONS, fresh=True)  # the login form, always
    form = ukraine.locator("#position-form")
    form.locator("select[name=provision]").select_option(label="plan20/p1")
    form.locator("select[name=option]").select_option(value="")
    form.locator("input[name=stance][value=red_line]").check()
    form.locator("input[name=priority]").fill("90")
    form.locator("input[name=utility]").fill("0")
    form.locator("select[name=space]").select_option(value="party:UA")
    form.locator("textarea[name=reason]").fill(f"Illustrative red line {marker}")
    form.locator("textarea[name=fallback_text]").fill("Illustrative fallback.")
    with ukraine.expect_navigation():
        form.locator("button[type=submit]").click()
    assert ukraine.url.endswith(POSITIONS)

    row = _row(ukraine, marker)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("plan20/p1")
    expect(row).to_contain_text("red line")
    expect(row.locator(".space-badge")).to_have_text("Ukraine only")
    history = row.get_by_role("link", name="History").get_attribute("href")
    assert history is not None and history.startswith(f"{POSITIONS}/")
    position_id = history.split("/")[-2]
    uuid.UUID(position_id)

    # Ukraine finds it by search and at its URL (so the negative checks below mean something).
    expect(_search_hits(ukraine, marker)).to_have_count(1)
    response = ukraine.goto(history)
    assert response is not None and response.status == 200
    expect(ukraine.locator("main table")).to_contain_text(marker)

    # --- Russia's head: nowhere.
    russia = sign_in("russia", POSITIONS)
    _assert_hidden(russia, marker, history, position_id, "russia")

    # --- The mediator: nowhere either, while it is in party:UA.
    mediator = sign_in("mediator", POSITIONS)
    _assert_hidden(mediator, marker, history, position_id, "mediator")

    # The mediator keeps its positions page open while Ukraine shares.
    mediator.goto(POSITIONS)
    expect(_row(mediator, marker)).to_have_count(0)

    # --- Ukraine shares it with the mediator ("Share with mediator" in its row).
    ukraine.goto(POSITIONS)
    row = _row(ukraine, marker)
    with ukraine.expect_navigation():
        row.get_by_role("button", name="Share with mediator").click()
    row = _row(ukraine, marker)
    expect(row.locator(".space-badge")).to_have_text("Ukraine + mediator")
    expect(row.get_by_role("button", name="Share with mediator")).to_have_count(0)

    # Live update: the mediator's open page refreshes its fragment without a reload (SSE).
    expect(_row(mediator, marker)).to_have_count(1, timeout=15_000)

    # And after a reload, in search, at its URL and through the API.
    mediator.goto(POSITIONS)
    row = _row(mediator, marker)
    expect(row).to_contain_text("UA")
    expect(row).to_contain_text("red line")
    expect(row.locator(".space-badge")).to_have_text("Ukraine + mediator")
    expect(row.get_by_role("button")).to_have_count(0)  # seen, not re-shared by the mediator
    expect(_search_hits(mediator, marker)).to_have_count(1)
    response = mediator.goto(history)
    assert response is not None and response.status == 200
    api = mediator.request.get(f"{API}/positions")
    assert any(item["id"] == position_id for item in api.json()["items"])

    # --- Russia still sees nothing after the share.
    _assert_hidden(russia, marker, history, position_id, "russia (after the share)")
    audit = russia.request.get(f"{API}/audit")
    assert audit.status == 200 and marker not in audit.text() and position_id not in audit.text()


SCREENSHOT_PAGES = {
    "dashboard": f"/p/{PROCESS}",
    "positions": f"/p/{PROCESS}/positions",
    "documents": f"/p/{PROCESS}/documents",
    "sessions": f"/p/{PROCESS}/sessions",
    "timeline": f"/p/{PROCESS}/history",
    "audit-log": f"/p/{PROCESS}/audit",
}


def test_screenshots_of_main_pages(live_server: Any, new_context: Any, sign_in: Any) -> None:
    out = live_server.screenshots

    anonymous = new_context().new_page()
    anonymous.goto("/login")
    expect(anonymous.locator("h1")).to_have_text("Sign in")
    anonymous.screenshot(path=str(out / "login.png"), full_page=True)

    page = sign_in("ukraine", f"/p/{PROCESS}")
    for name, path in SCREENSHOT_PAGES.items():
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response}"
        expect(page.locator("main h1")).to_be_visible()
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)

    page.goto(f"/p/{PROCESS}/versions")
    version = page.locator("main tbody tr a", has_text="Open").first.get_attribute("href")
    assert version is not None
    response = page.goto(version)
    assert response is not None and response.status == 200
    expect(page.locator("main h2", has_text="Provisions")).to_be_visible()
    page.screenshot(path=str(out / "version.png"), full_page=True)

    for name in ["login", "version", *SCREENSHOT_PAGES]:
        shot = out / f"{name}.png"
        assert shot.stat().st_size > 5_000, f"{shot} looks empty"
