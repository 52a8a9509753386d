"""The plan page in a real browser: the Gantt renders with its critical path, the what-if
control updates its fragment, and a contradicting constraint is explained inline, then removed
so that the plan heals. Runs on SQLite and PostgreSQL against a live server with Miami loaded.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
PLAN = f"/p/{PROCESS}/plan"


def _plan_page(sign_in: Any, watch: Any) -> Any:
    # Sign in on a light page; the plan page loads plotly (a few MB), so allow it more time
    # on a busy machine than the default 10 s.
    page = sign_in("mediator", f"/p/{PROCESS}")
    page.set_default_timeout(30_000)
    watch.attach(page)
    response = page.goto(PLAN)
    assert response is not None and response.status == 200
    return page


def test_the_plan_page_draws_the_gantt_and_answers_what_if(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    page = _plan_page(sign_in, watch)
    expect(page.locator("main h1")).to_have_text("Implementation plan")

    # Plotly draws the server-built figure: one bar per step on each bar trace.
    gantt = page.locator("#gantt")
    expect(gantt.locator(".main-svg").first).to_be_visible()
    expect(gantt.locator("g.trace.bars")).to_have_count(3)  # window, schedule, critical
    critical = gantt.locator("g.trace.bars").nth(2).locator("g.point")
    expect(critical).to_have_count(2)  # ceasefire and sanctions-1
    expect(gantt.locator("g.legend")).to_contain_text("Critical path")
    expect(page.locator("#critical-steps")).to_have_text("ceasefire, sanctions-1")

    # The what-if fragment loads with the form's defaults, then follows the controls.
    answer = page.locator("#whatif-headline")
    expect(answer).to_contain_text("slips 20 days")
    page.locator("#whatif-form select[name=subject]").select_option("sanctions-1")
    expect(answer).to_contain_text("Sanctions relief, phase 1 (start)")
    slider = page.locator("#whatif-form input[name=slip]")
    slider.focus()
    for _ in range(15):
        slider.press("ArrowRight")
    expect(answer).to_contain_text("slips 35 days")
    expect(answer).to_contain_text("the plan finishes 35 days later (2026-04-30)")
    expect(page.locator("#whatif-moved tr[data-event='sanctions-1.end']")).to_contain_text(
        "35 days"
    )
    expect(page.locator("#whatif-gantt .main-svg").first).to_be_visible()
    watch.check(page, "plan page and what-if")
    page.screenshot(path=str(live_server.screenshots / "plan.png"), full_page=True)


def test_a_contradicting_constraint_is_explained_on_the_page_until_removed(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    key = f"browser-{uuid.uuid4().hex[:8]}"
    page = _plan_page(sign_in, watch)
    form = page.locator("#constraint-form")
    form.locator("input[name=key]").fill(key)
    form.locator("select[name=from_ref]").select_option("signing")
    form.locator("select[name=to_ref]").select_option("elections.start")
    form.locator("input[name=max_days]").fill("45")
    form.locator("input[name=explanation]").fill("Illustrative: elections within 45 days.")
    form.locator("select[name=space]").select_option("mediator")  # nobody else sees it
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    conflict = page.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("over-constrain the plan by 18 days")
    expect(conflict.locator(f"li[data-constraint='{key}']")).to_contain_text(
        "Illustrative: elections within 45 days."
    )
    expect(page.locator("#gantt")).to_have_count(0)
    watch.check(page, "plan page with a conflict")

    # Follow the conflict's own "change it" link and remove the constraint.
    with page.expect_navigation():
        conflict.locator(f"li[data-constraint='{key}'] a").click()
    with page.expect_navigation():
        page.locator("#delete-button").click()
    expect(page.locator("#conflict")).to_have_count(0)
    expect(page.locator("#gantt .main-svg").first).to_be_visible()
    watch.check(page, "plan page after the removal")
