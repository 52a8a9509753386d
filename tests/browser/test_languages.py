"""The languages of a text in a real browser (issue 15), on SQLite and PostgreSQL.

The Miami mediator's text is authentic in English, Ukrainian and Russian; the Russian text says
48 hours where the others say 72 (point 11). From the version page a delegation clicks through
to the three columns, sees the finding on its row and why freezing is blocked; the mediator is
offered the override. axe-core finds nothing serious on the page. Nothing here writes: the
server is shared with the other browser tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from .test_layout import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PROCESS = "miami-2025"
VERSION = f"/p/{PROCESS}/texts/plan20/v/mediator-text"


def test_en_uk_ru_side_by_side_with_the_divergence_and_the_freeze_blocked(
    sign_in: Any, watch: Any
) -> None:
    ukraine = sign_in("ukraine", VERSION)
    watch.attach(ukraine)
    ukraine.goto(VERSION)
    expect(ukraine.locator("#version-languages")).to_contain_text("en | uk | ru")
    expect(ukraine.locator("#version-blockers")).to_contain_text("cannot be frozen or signed")
    with ukraine.expect_navigation():
        ukraine.locator("#languages-link").click()

    table = ukraine.locator("#languages")
    expect(table.locator("thead th")).to_have_count(3)
    expect(table.locator("thead th").nth(1)).to_contain_text("Ukrainian (uk)")
    row = table.locator('tbody tr[data-wid="p11"]').first
    expect(row.locator('td[lang="ru"]')).to_contain_text("48")
    expect(row.locator('td[lang="uk"]')).to_contain_text("72")
    finding = table.locator('tr.finding[data-wid="p11"] li[data-kind="number"]')
    expect(finding).to_have_text("number (en, ru): 72 hours in en, 48 hours in ru")
    expect(table.locator("tr.finding")).to_have_count(1)
    expect(ukraine.locator("#language-blockers")).to_contain_text("1 open finding(s)")
    # A delegation is offered neither the languages' declaration nor the override.
    expect(ukraine.locator("#declare-languages")).to_have_count(0)
    expect(ukraine.locator("#override-form")).to_have_count(0)
    assert serious_violations(ukraine) == []
    watch.check(ukraine, "languages page")

    mediator = sign_in("mediator", VERSION)
    watch.attach(mediator)
    mediator.goto(VERSION)
    expect(mediator.locator("#freeze-form button[type=submit]")).to_be_disabled()
    mediator.goto(VERSION + "/languages")
    expect(mediator.locator("#override-form")).to_contain_text("Freeze anyway")
    expect(mediator.locator("#declare-languages input[name=languages]")).to_have_value("en,uk,ru")
    assert serious_violations(mediator) == []
    # The redline per language: the Russian text against the English parent shows Russian.
    mediator.goto(f"/p/{PROCESS}/texts/plan20/diff?old=mediator-text&new=mediator-text&language=ru")
    expect(mediator.locator("#redline")).to_have_attribute("lang", "ru")
    expect(mediator.locator("#redline")).to_contain_text("48 часов")
    watch.check(mediator, "languages page (mediator)")
