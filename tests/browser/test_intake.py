"""Intake in a real browser: Ukraine's head submits a report into its own space, sees the
weekday warning and the highlighted evidence, accepts the pledge (linked to the record's EU
pledge) and bulk-accepts the quotations; Russia's head sees none of it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
REVIEW = f"/p/{PROCESS}/review"
API = f"/api/v1/processes/{PROCESS}"
REPORT = (Path(__file__).parents[1] / "intake" / "gold" / "01_miami_round.txt").read_text("utf-8")


def test_review_a_report_then_accept(live_server: Any, sign_in: Any, watch: Any) -> None:
    title = f"Miami round, browser test {uuid.uuid4().hex[:10]}"
    ukraine = sign_in("ukraine", f"/p/{PROCESS}/intake")
    watch.attach(ukraine)
    ukraine.goto(f"/p/{PROCESS}/intake")  # again, now watched
    form = ukraine.locator("#intake-form")
    form.locator("textarea[name=text]").fill(REPORT)
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=space]").select_option(value="party:UA")
    # The server loads the language model on the first report it reads (not at start-up).
    with ukraine.expect_navigation(timeout=60_000):
        form.locator("button[type=submit]").click(timeout=60_000)
    assert "/review?status=all&source=" in ukraine.url
    source_id = ukraine.url.rsplit("=", 1)[1]

    section = ukraine.locator(f"section[data-source='{source_id}']")
    expect(section.locator("h2")).to_contain_text(title)
    expect(section.locator("h2 .space-badge")).to_have_text("Ukraine only")
    warnings = section.locator(".intake-warnings[role=alert]")
    expect(warnings).to_contain_text("2025-12-22 was a Monday")
    pledge = section.locator("tr.proposal[data-kind=commitment]")
    expect(pledge).to_have_count(1)
    expect(pledge.locator("mark")).to_contain_text("$100 billion")
    expect(pledge.locator(".summary")).to_contain_text("European Union → Ukraine")
    meeting = section.locator("tr.proposal[data-kind=meeting]", has_text="2025-12-22")
    expect(meeting.locator(".badge-warning")).to_contain_text("weekday mismatch")
    ukraine.screenshot(path=str(live_server.screenshots / "review-queue.png"), full_page=True)

    # Accept the pledge: the record already holds the EU's pledge, so the report becomes
    # evidence for it (in Ukraine's own space).
    with ukraine.expect_navigation():
        pledge.get_by_role("button", name="Accept").click()
    pledge = ukraine.locator(
        f"section[data-source='{source_id}'] tr.proposal[data-kind=commitment]"
    )
    expect(pledge).to_contain_text("accepted")
    with ukraine.expect_navigation():
        pledge.get_by_role("link", name="the record").click()
    expect(ukraine.locator("main h1")).to_contain_text("EU funding for Ukraine")

    # Bulk: select every quotation and accept them.
    ukraine.goto(f"{REVIEW}?kind=quote&source={source_id}")
    boxes = ukraine.locator("tr.proposal[data-kind=quote] input[type=checkbox]")
    count = boxes.count()
    assert count >= 3
    for i in range(count):
        boxes.nth(i).check()
    with ukraine.expect_navigation():
        ukraine.locator("#bulk-form button[value=accept]").click()
    expect(ukraine.locator("main")).to_contain_text(f"{count} of {count} done")
    statements = ukraine.request.get(f"{API}/review?kind=quote&status=accepted&source={source_id}")
    assert len(statements.json()["items"]) == count
    watch.check(ukraine, "review queue")

    # Russia's head: the report and its proposals are nowhere.
    russia = sign_in("russia", REVIEW)
    response = russia.goto(f"{REVIEW}?status=all")
    assert response is not None and response.status == 200
    assert title not in russia.content() and source_id not in russia.content()
    hidden = russia.request.get(f"{API}/review?status=all&source={source_id}")
    assert hidden.status == 200 and hidden.json()["items"] == []
