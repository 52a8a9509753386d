"""The position form: a refused position keeps every value and says what is wrong under its
field; saving over the delegation's earlier position asks first and says what it replaces."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from parley.texts.models import Provision
from positions.conftest import KEY, Miami

PAGE = f"/p/{KEY}/positions"


def _post(miami: Miami, username: str, data: dict[str, Any]) -> Any:
    return miami.client(username).post(
        PAGE, data={**data, "csrf_token": miami.sessions[username][1]}
    )


def _provision(miami: Miami, wid: str) -> str:
    with miami.engine.connect() as c:
        return str(c.scalar(sa.select(Provision.id).where(Provision.wid == wid)))


def test_the_form_is_refused_to_viewers(miami_ro: Miami) -> None:
    p1 = _provision(miami_ro, "p1")
    fields = {"provision": p1, "stance": "accept", "priority": "10"}
    assert _post(miami_ro, "ukraine-viewer", fields).status_code == 403
    assert 'id="position-form"' not in miami_ro.client("ukraine-viewer").get(PAGE).text


def test_a_refused_position_keeps_what_was_typed(miami_ro: Miami) -> None:
    p1 = _provision(miami_ro, "p1")
    answer = _post(
        miami_ro,
        "ukraine",
        {
            "provision": p1,
            "stance": "red_line",
            "priority": "250",
            "utility": "5",
            "reason": "Illustrative reason kept",
            "space": "party:UA",
        },
    )
    assert answer.status_code == 422
    text = answer.text
    assert 'id="f-priority-error"' in text and "at most 100" in text
    assert "Illustrative reason kept" in text
    assert re.search(r'value="red_line"[^>]*checked', text)
    assert re.search(rf'value="{p1}"[^>]*selected', text)
    assert "pydantic" not in text and "validation error" not in text


def test_replacing_a_position_is_confirmed_first(miami: Miami) -> None:
    p1 = _provision(miami, "p1")
    fields = {"provision": p1, "stance": "accept", "priority": "10", "space": "party:UA"}
    first = _post(miami, "ukraine", {**fields, "reason": "first"})
    assert first.status_code == 303
    second = _post(miami, "ukraine", {**fields, "stance": "reject", "reason": "second"})
    assert second.status_code == 200
    assert 'id="replace-position"' in second.text and "first" in second.text
    assert 'name="replace" value="yes"' in second.text
    confirmed = _post(
        miami, "ukraine", {**fields, "stance": "reject", "reason": "second", "replace": "yes"}
    )
    assert confirmed.status_code == 303
    shown = miami.client("ukraine").get(PAGE)
    assert "Position replaced; the earlier one is kept in its history." in shown.text
    assert "second" in shown.text
