"""The negotiating-text flow in a real browser, on SQLite and PostgreSQL.

Ukraine's head drafts an amendment privately and submits it to the mediator only; Russia never
sees it; the mediator folds it into a bracket of the consolidated text as an option. Along the
way: the document page with its bracket chart (drawn by Plotly), the redline with a moved point,
and the N-column comparison. No console error or CSP violation on any page.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
TEXTS = f"/p/{PROCESS}/texts/plan20"


def test_amendment_from_private_draft_to_bracket_option(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    marker = f"CANARY-UA-{uuid.uuid4().hex[:10]}"

    # --- The document page: versions, and the bracket chart drawn from data-plotly.
    mediator = sign_in("mediator", TEXTS)
    watch.attach(mediator)
    mediator.goto(TEXTS)
    expect(mediator.locator("#versions")).to_contain_text("ua-eu-counter")
    expect(mediator.locator("#bracket-chart .main-svg").first).to_be_visible()
    watch.check(mediator, "document page")

    # --- The redline: the ceasefire moved to the front in the counter-version.
    mediator.goto(f"{TEXTS}/diff?old=us-draft&new=ua-eu-counter")
    moved = mediator.locator('section.rl-moved[data-wid="p11"]')
    expect(moved).to_have_count(1)
    expect(moved).to_contain_text("Moved")
    expect(mediator.locator("section.rl-deleted")).to_contain_text("Economic cooperation")
    mediator.goto(f"{TEXTS}/compare?v=us-draft&v=ua-eu-counter&v=mediator-text")
    expect(mediator.locator("#comparison thead th")).to_have_count(3)
    expect(mediator.locator('#comparison tr[data-key="p12a"]')).to_have_count(1)
    watch.check(mediator, "redline and comparison")

    # --- Ukraine drafts privately and submits to the mediator only.
    ukraine = sign_in("ukraine", f"{TEXTS}/amendments")
    form = ukraine.locator("#amendment-form")
    form.locator("select[name=base]").select_option("mediator-text")
    form.locator("select[name=kind]").select_option("substitute")
    form.locator("select[name=provision]").select_option("p9")
    form.locator("textarea[name=text]").fill(f"Immobilised assets fund reconstruction ({marker}).")
    form.locator("textarea[name=justification]").fill("Illustrative justification.")
    with ukraine.expect_navigation():
        form.locator("button[type=submit]").click()
    row = ukraine.locator("tr.amendment", has_text=marker)
    expect(row).to_contain_text("draft")
    expect(row.locator(".space-badge")).to_have_text("Ukraine only")
    with ukraine.expect_navigation():
        row.get_by_role("button", name="Submit to the mediator").click()
    row = ukraine.locator("tr.amendment", has_text=marker)
    expect(row.locator(".space-badge")).to_have_text("Ukraine + mediator")
    expect(row).to_contain_text("submitted")

    russia = sign_in("russia", f"{TEXTS}/amendments")
    assert marker not in russia.content()
    api = russia.request.get(f"/api/v1/processes/{PROCESS}/texts/plan20/amendments")
    assert api.status == 200 and marker not in api.text()

    # --- The mediator sees it, checked against the current text, and brackets it.
    mediator.goto(f"{TEXTS}/amendments")
    row = mediator.locator("tr.amendment", has_text=marker)
    expect(row).to_contain_text("applies to mediator-text")
    with mediator.expect_navigation():
        row.get_by_role("button", name="Bracket as an option").click()
    expect(mediator.locator("tr.amendment", has_text=marker)).to_contain_text("bracketed")
    mediator.goto(f"{TEXTS}/v/mediator-text/brackets")
    option = mediator.locator("section.bracket tr", has_text=marker)
    expect(option).to_have_count(1)
    expect(option).to_contain_text("UA")
    watch.check(mediator, "amendments and brackets")
    mediator.screenshot(path=str(live_server.screenshots / "texts-brackets.png"), full_page=True)
