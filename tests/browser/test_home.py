"""The process home in a real browser: the inbox first, each item named by its record and
opened by a click; axe-core finds no serious or critical violation. SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from browser.test_layout import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

P = "/p/miami-2025"
STATEMENT = "Joint statement of the United States and Ukraine on the Miami talks"


def test_the_home_is_an_inbox_whose_items_open_their_records(sign_in: Any, watch: Any) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    page.reload()
    inbox = page.locator("#inbox")
    expect(inbox.get_by_role("heading", name="Waiting for you")).to_be_visible()
    items = inbox.locator(".inbox-item")
    expect(items).to_have_count(5)
    expect(page.locator("#inbox-link .badge")).to_contain_text("5")
    expect(items.first).to_contain_text(STATEMENT)
    expect(items.first).to_contain_text("Sign")
    expect(inbox).not_to_contain_text("ru-no-foreign-forces")
    assert serious_violations(page) == []
    inbox.get_by_role("link", name=STATEMENT).click()
    expect(page.locator("main h1")).to_contain_text(STATEMENT)
    watch.check(page, "home → joint statement")


def test_a_viewer_is_told_nothing_waits(sign_in: Any) -> None:
    page = sign_in("observer", P)
    expect(page.locator("#inbox")).to_contain_text("nothing in it waits for your action")
    expect(page.locator("#next-meetings")).to_be_visible()
    assert serious_violations(page) == []
