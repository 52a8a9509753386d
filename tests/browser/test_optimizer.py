"""The mediator's analytics in a real browser: convergence map, optimizer, release.

The delegations share their party-only positions with the mediator (through the API, as their
"Share with mediator" buttons do); the mediator opens the convergence map, runs the optimizer
with two objectives (each result's chart is drawn by plotly), releases the max-min package, and
Ukraine then sees the package with its own concessions and nothing of Russia's. No console
errors or CSP violations on the way. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
P = f"/p/{PROCESS}"
API = f"/api/v1/processes/{PROCESS}"


def _share_with_mediator(page: Any, party: str) -> None:
    """Release every party-only position of ``page``'s delegation to party:P+mediator."""
    token = page.evaluate("document.body.dataset.csrf")
    items = page.request.get(f"{API}/positions").json()["items"]
    for item in items:
        if item["party"] == party and item["space"] == f"party:{party}":
            answer = page.request.post(
                f"{API}/positions/{item['id']}/release",
                data={"space": f"party:{party}+mediator"},
                headers={"X-CSRF-Token": token},
            )
            assert answer.status == 200, answer.text()


def _chart_drawn(page: Any, selector: str) -> None:
    expect(page.locator(f"{selector} .main-svg").first).to_be_visible(timeout=15_000)


def test_mediator_runs_the_optimizer_and_releases_a_package(
    live_server: Any, sign_in: Any, watch: Any
) -> None:
    shots = live_server.screenshots
    for username, party in (("ukraine", "UA"), ("russia", "RU"), ("europe", "EUR")):
        _share_with_mediator(sign_in(username, P), party)

    mediator = sign_in("mediator", f"{P}/convergence")
    watch.attach(mediator)
    mediator.goto(f"{P}/convergence")
    expect(mediator.locator("main h1")).to_have_text("Convergence map")
    _chart_drawn(mediator, "#convergence-chart")
    expect(mediator.locator("#named-sticking-points")).to_contain_text("Territory")
    territory = mediator.locator("#computed-sticking-points tr", has_text="plan20/p10")
    expect(territory.first).to_contain_text("RU")
    mediator.screenshot(path=str(shots / "convergence.png"), full_page=True)
    watch.check(mediator, "convergence map")

    mediator.goto(f"{P}/optimizer")
    expect(mediator.locator("main h1")).to_have_text("Package optimizer")
    form = mediator.locator("#optimizer-form")
    expect(form.locator("input[name=provision]:checked")).to_have_count(5)

    # Pareto first: the frontier as a scatter plot for two chosen parties.
    form.locator("input[name=objective][value=pareto]").check()
    form.locator("select[name=x]").select_option("UA")
    form.locator("select[name=y]").select_option("RU")
    form.locator("#run-optimizer").click()
    # The server imports the solvers on the first run (not at start-up): allow for it.
    expect(mediator.locator("#result h2")).to_have_text("Pareto frontier", timeout=60_000)
    _chart_drawn(mediator, "#frontier-chart")
    expect(mediator.locator("#proof")).to_contain_text("exact frontier")

    # Then max-min: the package, a bar chart of utilities, the concessions.
    form.locator("input[name=objective][value=maxmin]").check()
    form.locator("#run-optimizer").click()
    expect(mediator.locator("#result h2")).to_have_text("Max-min package")
    expect(mediator.locator("#result-status")).to_have_text("optimal")
    expect(mediator.locator("#proof")).to_contain_text("optimal")
    _chart_drawn(mediator, "#utilities-chart")
    expect(mediator.locator("#package tr", has_text="plan20/p10")).to_contain_text("c")
    expect(mediator.locator("#concessions tbody tr")).to_have_count(3)
    mediator.screenshot(path=str(shots / "optimizer.png"), full_page=True)
    watch.check(mediator, "optimizer runs")

    release = mediator.locator("#release-form")
    release.locator("input[name=title]").fill("Illustrative package for the January round")
    with mediator.expect_navigation():
        release.locator("#release-package").click()
    assert "/optimizer#package-" in mediator.url
    released = mediator.locator("section", has_text="Illustrative package for the January round")
    expect(released.locator(".share")).to_have_count(3)  # the mediator sees every party's
    watch.check(mediator, "release")

    ukraine = sign_in("ukraine", f"{P}/optimizer")
    watch.attach(ukraine)
    ukraine.goto(f"{P}/optimizer")
    expect(ukraine.locator("#optimizer-form")).to_have_count(0)
    seen = ukraine.locator("section", has_text="Illustrative package for the January round")
    expect(seen.locator("table.released-package tbody tr")).to_have_count(5)
    expect(seen.locator(".share[data-party=UA]")).to_contain_text("concedes")
    expect(seen.locator(".share[data-party=RU]")).to_have_count(0)
    assert "CP-SAT" not in ukraine.content()
    assert "dynamic programming" not in ukraine.content()
    ukraine.screenshot(path=str(shots / "released-package.png"), full_page=True)
    watch.check(ukraine, "released package, as Ukraine")
