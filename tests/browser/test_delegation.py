"""A delegation's head manages its members in a real browser: the Ukraine head opens
"Delegation members" from the account menu, adds an account to the delegation by choosing it
from the list, and removes it again through the confirmation dialog. axe-core finds no serious
or critical violation on the page, nor in the open dialog. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from browser.conftest import ensure_account
from browser.test_layout import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

P = "/p/miami-2025"
RECRUIT, NAME = "ua-recruit", "Illustrative Recruit"


@pytest.fixture
def recruit(live_server: Any) -> str:
    """An account that takes no part in the process yet (illustrative)."""
    return ensure_account(live_server, RECRUIT, "ua-recruit-password-2025", NAME)


def test_the_ukraine_head_adds_and_removes_a_member(
    sign_in: Any, watch: Any, recruit: str, live_server: Any
) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    page.click("#account-menu-button")
    with page.expect_navigation():
        page.get_by_role("link", name="Delegation members").click()
    assert page.url.endswith(f"{P}/delegation")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ukraine")
    members = page.locator("#members")
    expect(members.locator('tr[data-member="ukraine"]')).to_contain_text("Head")
    expect(members.locator(f'tr[data-member="{recruit}"]')).to_have_count(0)
    assert serious_violations(page) == []

    page.select_option("#f-username", recruit)
    page.get_by_label("Viewer: reads only").check()
    password = page.locator("#add input[name=step_up_password]")
    if password.count():  # only where the server asks for step-up
        password.fill("ukraine-demo-2025")
    with page.expect_navigation():
        page.get_by_role("button", name="Add to the delegation").click()
    expect(page.locator("#messages")).to_contain_text(f"{NAME} added to the delegation as viewer")
    row = members.locator(f'tr[data-member="{recruit}"]')
    expect(row).to_contain_text(NAME)
    expect(row).to_contain_text("Viewer")
    expect(page.locator(f'#f-username option[value="{recruit}"]')).to_have_count(0)
    page.screenshot(path=str(live_server.screenshots / "delegation.png"), full_page=True)

    row.get_by_role("button", name="Remove").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Remove {NAME} from the Ukraine delegation?")
    assert serious_violations(page, ".modal.show") == []
    with page.expect_navigation():
        dialog.get_by_role("button", name="Remove from the delegation").click()
    expect(page.locator("#messages")).to_contain_text(f"{NAME} removed from the delegation")
    expect(members.locator(f'tr[data-member="{recruit}"]')).to_have_count(0)
    expect(page.locator(f'#f-username option[value="{recruit}"]')).to_have_count(1)
    watch.check(page, "delegation page")


def test_another_head_sees_its_own_and_an_observer_the_missing_page(sign_in: Any) -> None:
    page = sign_in("russia", P)  # the head of another delegation sees only its own
    page.goto(f"{P}/delegation")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Russia")
    expect(page.locator('tr[data-member="ukraine"]')).to_have_count(0)
    viewer = sign_in("observer", P)
    viewer.click("#account-menu-button")
    expect(viewer.get_by_role("link", name="Delegation members")).to_have_count(0)
    answer = viewer.goto(f"{P}/delegation")
    assert answer is not None and answer.status == 404
