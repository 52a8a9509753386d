"""The layout every page shares, in a real browser: the skip link, the account menu, the
sections at a phone's and a laptop's width, and axe-core on the framework pages (no serious or
critical violation). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
P = f"/p/{PROCESS}"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}

SECTIONS = ["Home", "Texts", "Positions", "Meetings", "Statements", "Plan", "Ledger", "Record"]


def serious_violations(page: Any, include: str | None = None) -> list[str]:
    """axe-core's violations of impact serious or critical on the page (or within ``include``)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=include) if include else Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_main_content(
    sign_in: Any, watch: Any
) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    page.reload()
    skip = page.locator("a.skip-link")
    expect(skip).not_to_be_in_viewport()  # hidden until a keyboard reaches it
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    watch.check(page, "skip link")


def test_the_focus_ring_is_visible_on_a_blue_button(sign_in: Any) -> None:
    page = sign_in("ukraine", "/account/security-keys")
    button = page.locator("main .btn-primary").first
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard: :focus-visible applies
    style = button.evaluate(
        "b => { const s = getComputedStyle(b);"
        " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
    )
    assert style[0] == "solid" and style[1] == "3px", style
    assert "255, 191, 71" in style[2], style  # the yellow outer ring around the dark one


def test_the_account_menu_names_the_delegation_and_links_the_account_pages(
    sign_in: Any, watch: Any
) -> None:
    page = sign_in("ukraine", P)
    watch.attach(page)
    page.reload()
    page.get_by_role("button", name="account menu").click()
    menu = page.locator(".who .dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu).to_contain_text("Ukraine delegation · head")
    for name in ("Second factor", "Security keys", "API tokens", "Sign out"):
        expect(menu.get_by_text(name)).to_be_visible()
    menu.get_by_role("link", name="Security keys").click()
    expect(page.locator("main h1")).to_have_text("Security keys")
    watch.check(page, "account menu")


def test_the_sections_keep_their_order_and_show_only_what_the_user_may_use(
    sign_in: Any, new_context: Any
) -> None:
    page = sign_in("ukraine", P)
    page.set_viewport_size(LAPTOP)
    labels = page.locator("#sections > .navbar-nav > .nav-item > .nav-link").all_inner_texts()
    assert [t.strip() for t in labels] == [*SECTIONS, "Audit"]
    expect(page.locator("#sections .nav-link[aria-current=page]")).to_have_text("Home")

    anonymous = new_context().new_page()
    anonymous.set_viewport_size(LAPTOP)
    anonymous.goto(P)
    labels = anonymous.locator("#sections > .navbar-nav > .nav-item > .nav-link").all_inner_texts()
    assert [t.strip() for t in labels] == ["Home", "Texts", "Meetings", "Statements", "Record"]


def test_at_1366_px_the_sections_fit_on_one_line(sign_in: Any) -> None:
    page = sign_in("mediator", P)
    page.set_viewport_size(LAPTOP)
    tops = page.locator("#sections > .navbar-nav > .nav-item").evaluate_all(
        "items => items.map(i => Math.round(i.getBoundingClientRect().top))"
    )
    assert len(tops) == 9 and len(set(tops)) == 1, tops
    search = page.locator("#top-search").bounding_box()
    assert search is not None and abs(search["y"] - tops[0]) < 40  # beside them, not below
    assert _overflow(page) <= 0


def test_at_390_px_the_sections_fold_into_one_menu_button(sign_in: Any, watch: Any) -> None:
    page = sign_in("mediator", P)
    watch.attach(page)
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#sections")).to_be_hidden()
    header = page.locator("header").bounding_box()
    assert header is not None and header["height"] < 80, header  # not a quarter of the screen
    assert _overflow(page) <= 0
    page.get_by_role("button", name="Menu", exact=True).click()
    expect(page.locator("#sections")).to_be_visible()
    page.locator("#sections").get_by_role("link", name="Meetings").click()
    expect(page).to_have_url(f"{P}/sessions")
    assert _overflow(page) <= 0
    watch.check(page, "phone menu")


@pytest.mark.parametrize("width", [390, 1366])
def test_the_framework_pages_have_no_serious_accessibility_violation(
    sign_in: Any, new_context: Any, width: int
) -> None:
    viewport = {"width": width, "height": 900}
    problems: dict[str, list[str]] = {}

    anonymous = new_context().new_page()
    anonymous.set_viewport_size(viewport)
    for path in ("/", "/login", "/p/no-such-process"):
        anonymous.goto(path)
        problems[f"anonymous {path}"] = serious_violations(anonymous)
        assert _overflow(anonymous) <= 0, path

    page = sign_in("ukraine", "/")
    page.set_viewport_size(viewport)
    for path in ("/", "/account/security-keys", "/reauth?next=/"):
        page.goto(path)
        problems[f"ukraine {path}"] = serious_violations(page)
        assert _overflow(page) <= 0, path
    # The layout around a domain page (its content is checked by its own package's tests).
    page.goto(P)
    problems[f"ukraine {P} (layout)"] = serious_violations(page, "header")
    # No transitions: axe must read the open menu's colours, not a frame of the fade between.
    page.emulate_media(reduced_motion="reduce")
    page.get_by_role("button", name="account menu").click()
    expect(page.locator("header .dropdown-menu.show")).to_be_visible()
    problems["account menu open"] = serious_violations(page, "header")

    found = {where: v for where, v in problems.items() if v}
    assert not found, found
