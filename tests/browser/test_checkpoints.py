"""Checkpoints in a real browser: Ukraine's head has the server sign the heads of its chains,
sees them listed and downloads the file to keep; Russia's head sees none of Ukraine's private
chains. Runs on SQLite and PostgreSQL against a live server with the Miami scenario loaded.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
PAGE = f"/p/{PROCESS}/checkpoints"
API = f"/api/v1/processes/{PROCESS}/checkpoints"


def _spaces(page: Any) -> set[str]:
    rows = page.locator("#checkpoints tbody tr")
    return {rows.nth(i).get_attribute("data-space") for i in range(rows.count())}


def test_a_delegation_takes_and_keeps_checkpoints_of_its_own_chains(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    page = sign_in("ukraine", f"/p/{PROCESS}")
    watch.attach(page)
    response = page.goto(PAGE)
    assert response is not None and response.status == 200, (
        "no checkpoints page: is parley.operations.views included in parley.app.include_routers?"
    )
    expect(page.locator("main h1")).to_have_text("Checkpoints")

    page.locator("#take-checkpoint button[type=submit]").click()
    expect(page.locator("#taken")).to_contain_text("signed")
    expect(page.locator("#checkpoints tbody tr").first).to_be_visible()
    spaces = _spaces(page)
    assert {"party:UA", "party:UA+mediator", "participants"} <= spaces
    assert not any(s.startswith("party:RU") for s in spaces)

    # The file to keep is the page's JSON twin, fetched with the same session.
    kept = page.request.get(API).json()
    assert {c["space"] for c in kept["checkpoints"]} == spaces
    assert all(len(c["signature"]) == 88 and c["key_id"] for c in kept["checkpoints"])
    assert page.locator("#download").get_attribute("href") == API
    watch.check(page, "the checkpoints page")

    russia = sign_in("russia", f"/p/{PROCESS}")
    russia.goto(PAGE)
    assert not any(s.startswith("party:UA") for s in _spaces(russia))
    assert "party:UA" not in russia.content()
