"""Scheduling a meeting by clicking (/p/{key}/sessions/new) and the forms of statements and
notes, over HTTP on the Miami scenario: denials first, then the wizard's rooms and agenda, then
errors shown next to their fields with every value kept."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from parley.sessions.models import AgendaItem, Meeting, Room
from sessions.conftest import MiamiWeb

P = "/p/miami-2025"

FORM = {
    "title": "Geneva round (illustrative)",
    "format": "proximity",
    "starts_at": "2026-01-15T10:00",
    "ends_at": "2026-01-15T18:00",
    "timezone": "Europe/Kyiv",
    "place": "Geneva",
    "space": "participants",
}


def _post(web: MiamiWeb, persona: str, fields: dict[str, object], client: Any = None) -> Any:
    client = client or web.client(persona)
    data = {**fields, "csrf_token": web.sessions[persona][1]} if persona in web.sessions else fields
    return client.post(f"{P}/sessions", data=data)


def test_only_the_mediator_may_open_or_send_the_new_meeting_form(
    miami_web_sqlite: MiamiWeb,
) -> None:
    web = miami_web_sqlite
    assert web.client("anonymous").get(f"{P}/sessions/new").status_code in (303, 401)
    for persona in ("ukraine", "ukraine-viewer", "observer"):
        assert web.client(persona).get(f"{P}/sessions/new").status_code == 403, persona
        assert _post(web, persona, {**FORM, "parties": ["UA"]}).status_code == 403, persona
    page = web.client("mediator").get(f"{P}/sessions/new")
    assert page.status_code == 200
    # Parties, people and provisions are picked from lists, by name.
    assert 'name="parties" id="f-parties-1"' in page.text
    assert "Ukraine" in page.text
    assert re.search(r'name="agenda"[^>]*value="plan20/p10"', page.text)
    assert "point 10" in page.text


def test_the_new_button_is_shown_only_to_those_who_may_create(miami_web_sqlite: MiamiWeb) -> None:
    web = miami_web_sqlite
    assert "Schedule a meeting" in web.client("mediator").get(f"{P}/sessions").text
    for persona in ("ukraine", "ukraine-viewer", "observer", "anonymous"):
        assert "Schedule a meeting" not in web.client(persona).get(f"{P}/sessions").text, persona
    assert "Record a statement" in web.client("ukraine").get(f"{P}/statements").text
    assert "Record a statement" not in web.client("ukraine-viewer").get(f"{P}/statements").text


def test_a_proximity_meeting_gets_a_room_per_delegation_and_its_agenda(
    miami_web: MiamiWeb,
) -> None:
    web = miami_web
    fields = {**FORM, "parties": ["UA", "RU", "EUR", "US"], "agenda": ["plan20/p10"]}
    fields["agenda_other"] = "Prisoner exchange: next steps"
    mediator = web.client("mediator")
    answer = _post(web, "mediator", fields, mediator)
    assert answer.status_code == 303, answer.text
    engine = web.miami.engine
    with engine.connect() as c:
        meeting = c.execute(sa.select(Meeting).where(Meeting.title == FORM["title"])).one()
        rooms = c.scalars(sa.select(Room.name).where(Room.session_id == meeting.id)).all()
        agenda = c.execute(
            sa.select(AgendaItem.title, AgendaItem.provision_id)
            .where(AgendaItem.session_id == meeting.id)
            .order_by(AgendaItem.ordinal)
        ).all()
    assert answer.headers["location"] == f"{P}/meetings/{meeting.id}"
    assert len(rooms) == 4  # Ukraine, Russia, Europe and the mediator's notes
    assert meeting.starts_at.hour in (8, 10)  # 10:00 in Kyiv is 08:00 UTC
    assert [t for t, _ in agenda][1] == "Prisoner exchange: next steps"
    assert agenda[0][1] is not None and "point 10" in agenda[0][0]
    shown = mediator.get(answer.headers["location"])
    assert "scheduled, with 4 rooms" in shown.text


def test_a_refused_meeting_keeps_every_value_and_names_the_field_in_words(
    miami_web_sqlite: MiamiWeb,
) -> None:
    web = miami_web_sqlite
    fields = {**FORM, "title": "", "starts_at": "", "parties": ["UA", "RU"]}
    fields["agenda"] = ["plan20/p10"]
    answer = _post(web, "mediator", fields)
    assert answer.status_code == 422
    text = answer.text
    assert 'id="f-starts_at-error"' in text and "Enter the date and time" in text
    assert 'value="Geneva"' in text
    assert re.search(r'value="UA" checked|value="UA"\s+checked', text)
    assert re.search(r'value="plan20/p10"[^>]*checked', text)
    assert "validation error" not in text and "pydantic" not in text
    with web.miami.engine.connect() as c:
        assert (
            c.scalar(
                sa.select(sa.func.count()).select_from(Meeting).where(Meeting.place == "Geneva")
            )
            == 0
        )


def test_a_meeting_key_already_taken_is_said_under_its_field(miami_web_sqlite: MiamiWeb) -> None:
    web = miami_web_sqlite
    answer = _post(web, "mediator", {**FORM, "key": "miami-round", "parties": ["UA"]})
    assert answer.status_code == 422
    assert 'id="f-key-error"' in answer.text and "Not available" in answer.text
    assert 'value="Geneva round (illustrative)"' in answer.text


def test_the_statement_form_picks_parties_and_shows_errors_by_field(
    miami_web_sqlite: MiamiWeb,
) -> None:
    web = miami_web_sqlite
    page = web.client("ukraine").get(f"{P}/statements/new")
    assert page.status_code == 200
    assert 'type="checkbox" name="parties"' in page.text
    assert "Ukraine + mediator" in page.text  # spaces in words
    assert web.client("ukraine-viewer").get(f"{P}/statements/new").status_code == 403
    data = {"csrf_token": web.sessions["ukraine"][1], "key": "bad key!", "kind": "press"}
    data |= {"text": "", "space": "party:UA", "place": "Kyiv"}
    answer = web.client("ukraine").post(f"{P}/statements", data=data)
    assert answer.status_code == 422
    assert 'id="f-text-error"' in answer.text and 'id="f-key-error"' in answer.text
    assert 'value="Kyiv"' in answer.text
    assert "String should" not in answer.text
