"""The Miami round as a proximity session: rooms whose minutes the other rooms never see, and
the mediator's deliberate carry-over of one passage between rooms."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from parley.audit.models import AuditEvent
from parley.authz import Actor, NotFound, get_visible, visible
from parley.authz.permissions import Forbidden
from parley.db.engine import read_session, write_session
from parley.sessions.models import CarriedPassage, Carry, Minutes, Room
from parley.sessions.queries import meeting_details
from parley.sessions.service import MeetingError, carry_passage
from sessions.conftest import Miami
from sessions.helpers import meeting_id, room_minutes, rooms

# What each room's minutes say that no other room may read (phrases of the scenario text).
ROOM_PHRASES = {
    "UA": "Ukraine repeated that it will not",
    "EUR": "The European representatives presented their",
    "RU": "The Russian delegation welcomed US engagement",
    "mediator": "Territory option c is the only one",
}
# Which rooms each persona may read.
SEES = {
    "mediator": {"UA", "EUR", "RU", "mediator"},
    "ukraine": {"UA"},
    "ukraine-viewer": {"UA"},
    "europe": {"EUR"},
    "russia": {"RU"},
    "observer": set(),
    "anonymous": set(),
}


def _page(miami: Miami, persona: str) -> str:
    with read_session(miami.engine) as db:
        data = meeting_details(
            db, miami.actor(persona), miami.process, meeting_id(miami.engine, "miami-round")
        )
    return json.dumps(data)


def test_the_miami_round_is_a_proximity_session_with_a_room_per_delegation(miami: Miami) -> None:
    with read_session(miami.engine) as db:
        page = meeting_details(
            db, miami.actor("mediator"), miami.process, meeting_id(miami.engine, "miami-round")
        )
    assert page["format"] == "proximity"
    assert page["starts_at"].startswith("2025-12-22T14:00")  # 09:00 in Miami, stored in UTC
    assert page["local_start"] == "2025-12-22 09:00 EST"
    delegation_rooms = {r["party"]: r["space"] for r in page["rooms"] if r["party"]}
    assert delegation_rooms == {
        "UA": "party:UA+mediator",
        "EUR": "party:EUR+mediator",
        "RU": "party:RU+mediator",
    }
    assert [r["space"] for r in page["rooms"] if r["party"] is None] == ["mediator"]
    assert {a["provision"]["wid"] for a in page["agenda"] if a["provision"]} == {
        "p10",
        "p5",
        "p11",
        "p15",
    }


def test_each_room_s_minutes_are_invisible_from_every_other_room(miami: Miami) -> None:
    """The canary across rooms: the page, its JSON and a direct fetch of every room's minutes."""
    for persona in sorted(SEES):
        _rooms_as_seen_by(miami, persona)


def _rooms_as_seen_by(miami: Miami, persona: str) -> None:
    actor = miami.actor(persona)
    by_party = rooms(miami.engine, "miami-round")
    if persona in ("observer", "anonymous"):
        with pytest.raises(NotFound), read_session(miami.engine) as db:
            meeting_details(db, actor, miami.process, meeting_id(miami.engine, "miami-round"))
        text = ""
    else:
        text = _page(miami, persona)
    for party, phrase in ROOM_PHRASES.items():
        room = by_party[party]
        minutes = room_minutes(miami.engine, room.id)
        assert (phrase in text) == (party in SEES[persona]), (persona, party)
        assert (str(room.id) in text) == (party in SEES[persona]), (persona, party)
        with read_session(miami.engine) as db:
            if party in SEES[persona]:
                assert get_visible(db, actor, Minutes, minutes.id).text.startswith("Illustrative")
            else:
                with pytest.raises(NotFound):
                    get_visible(db, actor, Minutes, minutes.id)
                with pytest.raises(NotFound):
                    get_visible(db, actor, Room, room.id)


def _carry(
    miami: Miami,
    persona: str = "mediator",
    attributed: bool = False,
    text: str = "wants the ceasefire and the prisoner exchange first",
) -> Carry:
    by_party = rooms(miami.engine, "miami-round")
    source = room_minutes(miami.engine, by_party["UA"].id)
    with write_session(miami.engine) as s:
        return carry_passage(
            s,
            actor=miami.actor(persona),
            process=miami.process,
            target_room_id=by_party["EUR"].id,
            source_type="minutes",
            source_id=source.id,
            text=text,
            attributed=attributed,
        )


def test_the_mediator_carries_a_passage_from_ukraine_to_europe_without_attribution(
    miami: Miami,
) -> None:
    carry = _carry(miami)
    by_party = rooms(miami.engine, "miami-round")
    ua_room, eur_room = by_party["UA"], by_party["EUR"]
    passage = "wants the ceasefire and the prisoner exchange first"

    europe = _page(miami, "europe")
    assert passage in europe
    # Europe learns what was carried, never from where: no id, name or text of the UA room.
    assert str(ua_room.id) not in europe and ua_room.name not in europe
    assert "Ukrain" not in json.dumps(json.loads(europe)["rooms"])
    assert str(carry.source_id) not in europe and str(carry.id) not in europe

    with read_session(miami.engine) as db:
        europe_actor = miami.actor("europe")
        received = db.scalars(
            sa.select(CarriedPassage).where(visible(europe_actor, CarriedPassage))
        ).one()
        assert received.attribution == "" and received.room_id == eur_room.id
        assert received.space == "party:EUR+mediator"
        assert db.scalars(sa.select(Carry).where(visible(europe_actor, Carry))).all() == []
        # Europe's audit log shows the passage arriving, with nothing about its source.
        events = db.scalars(
            sa.select(AuditEvent).where(
                visible(europe_actor, AuditEvent), AuditEvent.action.like("session:carry%")
            )
        ).all()
        assert [e.action for e in events] == ["session:carry:receive"]
        assert str(ua_room.id) not in json.dumps(events[0].changes)

    mediator = json.loads(_page(miami, "mediator"))
    [record] = mediator["carries"]
    assert record["attribution"] == "unattributed"
    assert record["source_room"] == ua_room.name and record["target_room"] == eur_room.name
    assert record["source_party"] == "UA"
    with read_session(miami.engine) as db:
        event = db.scalars(sa.select(AuditEvent).where(AuditEvent.action == "session:carry")).one()
        assert event.space == "mediator"
        assert event.changes["source_room_id"][1] == str(ua_room.id)

    for other in ("ukraine", "russia"):
        assert passage not in json.dumps(json.loads(_page(miami, other))["rooms"][0]["passages"])


def test_an_attributed_carry_names_the_source_party_only(miami_sqlite: Miami) -> None:
    _carry(miami_sqlite, attributed=True)
    europe = json.loads(_page(miami_sqlite, "europe"))
    [room] = europe["rooms"]
    assert [p["attribution"] for p in room["passages"]] == ["Ukraine"]


def test_only_the_mediator_carries_and_only_the_exact_words(miami_sqlite: Miami) -> None:
    with pytest.raises(Forbidden):
        _carry(miami_sqlite, persona="ukraine")
    with pytest.raises(MeetingError, match="^text: the passage is not in the source"):
        _carry(miami_sqlite, text="Ukraine accepts the territorial proposal")
    # Whitespace differences do not matter; the words do.
    _carry(miami_sqlite, text="wants the ceasefire   and the\nprisoner exchange first")


def test_a_delegation_cannot_be_the_source_of_its_own_room(miami_sqlite: Miami) -> None:
    by_party = rooms(miami_sqlite.engine, "miami-round")
    source = room_minutes(miami_sqlite.engine, by_party["UA"].id)
    with (
        pytest.raises(MeetingError, match="^target_room_id"),
        write_session(miami_sqlite.engine) as s,
    ):
        carry_passage(
            s,
            actor=miami_sqlite.actor("mediator"),
            process=miami_sqlite.process,
            target_room_id=by_party["UA"].id,
            source_type="minutes",
            source_id=source.id,
            text="wants the ceasefire",
            attributed=False,
        )


def test_the_system_actor_is_not_a_loophole_for_hidden_ids(miami_sqlite: Miami) -> None:
    # A made-up room id is NotFound, exactly like a hidden one.
    import uuid

    with pytest.raises(NotFound), write_session(miami_sqlite.engine) as s:
        carry_passage(
            s,
            actor=miami_sqlite.actor("mediator"),
            process=miami_sqlite.process,
            target_room_id=uuid.uuid4(),
            source_type="minutes",
            source_id=uuid.uuid4(),
            text="x",
            attributed=False,
        )
    assert Actor.system().is_system
