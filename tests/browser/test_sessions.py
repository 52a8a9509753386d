"""The approval flow in a real browser: both signatory heads approve and sign the Miami joint
statement with their delegations' keys, the page shows each signature, and the downloaded
statement file verifies offline; Ukraine's head also approves the round's joint minutes.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from parley.sessions.verify import verify_statement_file

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
API = f"/api/v1/processes/{PROCESS}"


def _joint_url(page: Any) -> str:
    items = page.request.get(f"{API}/joint-statements").json()["items"]
    [joint] = [i for i in items if i["key"] == "joint-miami"]
    return f"/p/{PROCESS}/joint-statements/{joint['id']}"


def _approve(page: Any, url: str, passphrase: str, watch: Any, who: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200
    form = page.locator("#approve-form")
    expect(form).to_be_visible()
    form.locator("input[name=passphrase]").fill(passphrase)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url.endswith(url), f"{who} was not sent back to the statement: {page.url}"
    watch.check(page, f"{who} approving")


def test_both_signatories_approve_and_sign_and_the_file_verifies(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    ukraine = sign_in("ukraine", f"/p/{PROCESS}/joint-statements")
    watch.attach(ukraine)
    url = _joint_url(ukraine)
    ukraine.goto(url)
    expect(ukraine.locator("#signatories li[data-party=UA] .waiting")).to_be_visible()
    text_hash = ukraine.locator("#text-hash").inner_text()

    _approve(ukraine, url, "ukraine-browser-passphrase", watch, "ukraine")
    expect(ukraine.locator("#signatories li[data-party=UA] .approved")).to_be_visible()
    expect(ukraine.locator("#signatories li[data-party=US] .waiting")).to_be_visible()
    expect(ukraine.locator("#approve-form")).to_have_count(0)  # approved: nothing left to do

    mediator = sign_in("mediator", url)
    watch.attach(mediator)
    _approve(mediator, url, "mediator-browser-passphrase", watch, "mediator")
    expect(mediator.locator("#signatories .approved")).to_have_count(2)
    rows = mediator.locator("#signatures tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="valid")).to_have_count(2)
    mediator.screenshot(
        path=str(live_server.screenshots / "joint-statement-signed.png"), full_page=True
    )

    # Anyone (the statement is public) downloads the file and checks it offline.
    statement_file = mediator.request.get(
        mediator.locator("a", has_text="Download the statement file").get_attribute("href")
    ).json()
    [check] = verify_statement_file(statement_file)
    assert check.ok and check.text_hash == text_hash
    assert sorted(s.party for s in check.signatures) == ["UA", "US"]


def test_a_head_approves_the_round_s_joint_minutes(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    page = sign_in("ukraine", f"/p/{PROCESS}/changes")
    watch.attach(page)
    waiting = page.locator("#waiting a", has_text="Joint minutes")
    expect(waiting.first).to_be_visible()
    with page.expect_navigation():
        waiting.first.click()
    expect(page.locator("h1")).to_contain_text("Miami round")
    # Only Ukraine's own room is on the page, with the joint minutes.
    expect(page.locator("section.room h3")).to_have_count(1)
    expect(page.locator("section.room h3")).to_contain_text("Ukrainian delegation room")
    form = page.locator("form.approve-minutes").first
    with page.expect_navigation():
        form.locator("button").click()
    expect(page.locator("article.minutes", has_text="Illustrative summary")).to_contain_text(
        "UA approved"
    )
    watch.check(page, "approving minutes")
