"""The timeline shows the week of the Miami talks to each persona with exactly what that persona
may see: checked against a reference that reads every dated row as the system and keeps those
whose space the persona can read."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from parley.authz import spaces_of
from parley.commitments.models import Commitment, FulfilmentEvent
from parley.db.engine import read_session, write_session
from parley.intake.models import Source
from parley.processes.models import Party
from parley.sequencing.models import Milestone, StatusClaim
from parley.sessions.models import Carry, Meeting, Statement
from parley.texts.models import Signature, Version
from parley.timeline.queries import Filters, activity_figure, timeline
from sessions.conftest import Miami
from sessions.helpers import room_minutes, rooms

WEEK = (date(2025, 12, 16), date(2025, 12, 23))
DATED = (
    (Meeting, "starts_at"),
    (Statement, "made_on"),
    (Version, "dated"),
    (Signature, "signed_at"),
    (Commitment, "period_start"),
    (FulfilmentEvent, "occurred_on"),
    (Milestone, "on_date"),
    (StatusClaim, "claimed_on"),
    (Source, "published_on"),
    (Carry, "carried_at"),
)
PERSONAS = ("mediator", "ukraine", "russia", "europe", "ukraine-viewer", "observer", "anonymous")


def reference(miami: Miami, persona: str, start: date, end: date) -> set[str]:
    actor = miami.actor(persona)
    with read_session(miami.engine) as s:
        keys = list(s.scalars(sa.select(Party.key)))
        readable = spaces_of(actor, miami.process.id, keys) | {"public"}  # published
        out = set()
        for model, column in DATED:
            for row in s.scalars(sa.select(model)):
                when = getattr(row, column)
                if when is None:
                    continue
                day = when.date() if isinstance(when, datetime) else when
                if start <= day <= end and row.space in readable:
                    out.add(str(row.id))
    return out


def _ids(miami: Miami, persona: str, filters: Filters) -> list[str]:
    with read_session(miami.engine) as s:
        return [str(i.id) for i in timeline(s, miami.actor(persona), miami.process, filters)]


def test_each_persona_sees_exactly_its_week_of_talks(miami: Miami) -> None:
    for persona in PERSONAS:
        _week_as_seen_by(miami, persona)


def _week_as_seen_by(miami: Miami, persona: str) -> None:
    ids = _ids(miami, persona, Filters(start=WEEK[0], end=WEEK[1]))
    assert len(ids) == len(set(ids))
    assert set(ids) == reference(miami, persona, *WEEK)
    with read_session(miami.engine) as s:
        titles = {
            i.label
            for i in timeline(
                s, miami.actor(persona), miami.process, Filters(start=WEEK[0], end=WEEK[1])
            )
        }
    # The week's landmarks, by who may see them.
    assert ("Miami round (separate sessions with each delegation)" in titles) == (
        persona not in ("observer", "anonymous")
    )
    assert ("US envoy meets the Russian envoy" in titles) == (persona in ("mediator", "russia"))
    assert "Joint statement of the United States and Ukraine on the Miami talks" in titles


def test_a_carry_over_appears_only_on_the_mediator_s_timeline(miami_sqlite: Miami) -> None:
    from parley.sessions.service import carry_passage

    miami = miami_sqlite
    by_party = rooms(miami.engine, "miami-round")
    with write_session(miami.engine) as s:
        carry_passage(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            target_room_id=by_party["EUR"].id,
            source_type="minutes",
            source_id=room_minutes(miami.engine, by_party["UA"].id).id,
            text="guarantee approved by Congress",
            attributed=False,
        )
    today = date.today()
    for persona in PERSONAS:
        kinds = {i for i in _kinds(miami, persona, Filters(start=today, end=today))}
        assert ("carries" in kinds) == (persona == "mediator"), persona


def _kinds(miami: Miami, persona: str, filters: Filters) -> list[str]:
    with read_session(miami.engine) as s:
        return [i.kind for i in timeline(s, miami.actor(persona), miami.process, filters)]


def test_filters_by_party_kind_document_and_period(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    with read_session(miami.engine) as s:
        actor = miami.actor("mediator")
        ru = timeline(s, actor, miami.process, Filters(party="RU"))
        assert ru and all(
            "RU" in i.as_json({p.id: p.key for p in s.scalars(sa.select(Party))})["parties"]
            for i in ru
        )
        assert {i.label for i in ru} >= {
            "US envoy meets the Russian envoy",
            "Kremlin spokesperson on the European amendments",
        }
        sessions = timeline(s, actor, miami.process, Filters(kind="sessions"))
        assert {i.kind for i in sessions} == {"sessions"} and len(sessions) == 3
        econ = timeline(s, actor, miami.process, Filters(document="econ"))
        assert econ and "EU funding for Ukraine over two years" in {i.label for i in econ}
        assert "Russia's ceasefire obligation" not in {i.label for i in econ}
        december = timeline(
            s, actor, miami.process, Filters(start=date(2025, 12, 22), end=date(2025, 12, 22))
        )
        assert {i.day for i in december} == {date(2025, 12, 22)}
        assert timeline(s, actor, miami.process, Filters(kind="no-such-kind")) == []


def test_items_carry_their_evidence_and_link_to_their_record(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    with read_session(miami.engine) as s:
        items = timeline(
            s,
            miami.actor("anonymous"),
            miami.process,
            Filters(kind="statements", start=date(2025, 12, 22), end=date(2025, 12, 22)),
        )
    joint = next(i for i in items if i.label.startswith("Joint statement"))
    assert joint.url == f"/p/miami-2025/joint-statements/{joint.id}"
    [evidence] = joint.evidence
    assert evidence["quote"].startswith("In a joint statement, Witkoff and Rustem Umerov")
    assert evidence["url"].startswith("/p/miami-2025/sources/")


def test_the_activity_chart_counts_records_per_day_and_kind(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    with read_session(miami.engine) as s:
        items = timeline(
            s, miami.actor("mediator"), miami.process, Filters(start=WEEK[0], end=WEEK[1])
        )
    figure = activity_figure(items)
    total = sum(sum(trace["y"]) for trace in figure["data"])
    assert total == len(items)
    assert figure["layout"]["barmode"] == "stack"
