"""The plan built from the database, its constraints written through audited services, the
status board and deadlines, on SQLite and PostgreSQL, over the illustrative Miami scenario.

Miami's plan (examples/miami/scenario.yaml): day 0 is the Miami round (2025-12-22, the earliest
dated milestone); the first sanctions relief comes at least 90 days after the ceasefire has
taken hold (3 days at the soonest), so the plan finishes on day 94 through the ceasefire and
sanctions relief; the framework deadline is pinned on 2026-01-31 (day 40).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from commitments import miami as fixtures
from commitments.miami import Miami
from parley.audit.models import AuditEvent
from parley.authz.permissions import Forbidden
from parley.db.engine import read_session, write_session
from parley.errors import InputError
from parley.sequencing.queries import PLAN_START, deadlines, process_plan, status_board
from parley.sequencing.service import (
    ConstraintIn,
    ConstraintUpdate,
    MilestoneIn,
    SequencingError,
    StatusClaimIn,
    StepIn,
    add_constraint,
    add_milestone,
    add_step,
    record_claim,
    remove_constraint,
    update_constraint,
)

# The Miami fixtures live in tests/commitments/miami.py; naming them here makes them usable.
miami = fixtures.miami
_shared_miami_db = fixtures._shared_miami_db
shared_miami = fixtures.shared_miami

ELECTIONS_EARLY = {
    "key": "elections-early",
    "from": "signing",
    "to": "elections.start",
    "max": 45,
    "explanation": "Elections start within 45 days of signing.",
    "space": "participants",
}


def _add(m: Miami, username: str, **fields: Any) -> Any:
    with write_session(m.engine) as session:
        return add_constraint(
            session,
            actor=m.actor(username),
            process=m.process(session),
            data=ConstraintIn.model_validate(fields),
        )


def _plan(m: Miami, username: str | None) -> Any:
    with read_session(m.engine) as session:
        return process_plan(session, m.actor(username), m.process(session))


def _private_step(m: Miami, username: str, key: str, space: str) -> None:
    with write_session(m.engine) as session:
        add_step(
            session,
            actor=m.actor(username),
            process=m.process(session),
            data=StepIn.model_validate(
                {"key": key, "title": f"Illustrative {key}", "min_days": 5, "space": space}
            ),
        )


def test_the_miami_plan_has_its_calendar_and_critical_path(shared_miami: Miami) -> None:
    pp = _plan(shared_miami, "ukraine")
    assert (pp.origin, pp.origin_date) == ("miami-round", date(2025, 12, 22))
    result = pp.check()
    assert result.consistent
    assert result.critical_steps == ["ceasefire", "sanctions-1"]
    assert result.finish == 94
    assert result.date_of(result.finish) == "2026-03-26"
    assert result.earliest["elections.start"] == 63  # ceasefire (3 days) + 60
    assert result.latest["signing"] == 40  # pinned framework deadline, 2026-01-31
    assert pp.skipped == []


def test_an_observer_sees_only_the_public_milestone_and_no_plan_steps(
    shared_miami: Miami,
) -> None:
    pp = _plan(shared_miami, "observer")
    assert [m.key for m in pp.milestones] == ["miami-round"]
    assert pp.steps == [] and pp.constraints == []


def test_a_contradicting_constraint_is_saved_audited_and_explained_by_name(miami: Miami) -> None:
    edit = _add(miami, "mediator", **ELECTIONS_EARLY)
    assert not edit.result.consistent
    conflict = edit.result.conflict
    # Elections come ≥ 60 days after a ceasefire of ≥ 3 days that starts ≥ 0 days after
    # signing: ≥ 63 days, against ≤ 45. Over-constrained by 18 days.
    assert conflict.excess_days == 18
    assert set(conflict.ids) == {
        "elections-early",
        "ceasefire-elections",
        "ceasefire.duration",
        "signing-ceasefire",
    }
    assert "Elections start within 45 days of signing." in conflict.explanation
    assert "Elections start no sooner than 60 days after the ceasefire" in conflict.explanation
    assert edit.to_json()["conflict"] == conflict.ids
    with read_session(miami.engine) as session:
        event = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "sequencing:constraint:create",
                AuditEvent.object_id == str(edit.record.id),
            )
        ).one()
    assert event.space == "participants" and event.changes["max_days"] == [None, 45]
    # Everyone who can see it now sees the same contradiction on their plan.
    assert not _plan(miami, "russia").check().consistent


def test_loosening_the_culprit_heals_the_plan_incrementally_and_removal_is_audited(
    miami: Miami,
) -> None:
    created = _add(miami, "mediator", **ELECTIONS_EARLY)
    with write_session(miami.engine) as session:
        edit = update_constraint(
            session,
            actor=miami.actor("mediator"),
            process=miami.process(session),
            constraint_id=created.record.id,
            data=ConstraintUpdate.model_validate({"max": 70}),
        )
    assert edit.result.consistent
    assert edit.result.latest["elections.start"] == 110  # signing ≤ day 40, + 70
    assert edit.to_json()["consistent"] is True and "conflict" not in edit.to_json()
    with write_session(miami.engine) as session:
        removed = remove_constraint(
            session,
            actor=miami.actor("mediator"),
            process=miami.process(session),
            constraint_id=created.record.id,
        )
    assert removed.result.latest["elections.start"] == 220
    # From a consistent plan, the answer names exactly the windows an edit moved.
    tighter = _add(miami, "mediator", **ELECTIONS_EARLY | {"key": "cap-150", "max": 150})
    changed = tighter.to_json()["changed"]
    assert changed["elections.start"]["latest_before"] == 220
    assert changed["elections.start"]["latest_after"] == 190
    assert "sanctions-1.start" not in changed
    with read_session(miami.engine) as session:
        actions = list(
            session.scalars(
                sa.select(AuditEvent.action)
                .where(AuditEvent.object_id == str(created.record.id))
                .order_by(AuditEvent.at, AuditEvent.seq)
            )
        )
    assert actions == [
        "sequencing:constraint:create",
        "sequencing:constraint:update",
        "sequencing:constraint:delete",
    ]


def test_party_a_analysis_ignores_party_b_private_constraint_and_step(miami: Miami) -> None:
    # Russia adds, in its own space, a step and a constraint that contradicts the plan.
    _private_step(miami, "russia", "ru-private-step", "party:RU")
    edit = _add(
        miami,
        "russia",
        key="ru-private-deadline",
        **{"from": "signing", "to": "elections.start", "max": 10},
        explanation="Illustrative private demand.",
        space="party:RU",
    )
    assert not edit.result.consistent
    assert "ru-private-deadline" in edit.result.conflict.ids
    assert "ru-private-step" in {s.key for s in _plan(miami, "russia").steps}

    for other in ("ukraine", "mediator", "europe"):
        pp = _plan(miami, other)
        result = pp.check()
        assert result.consistent, other
        assert "ru-private-deadline" not in {c.key for c in pp.constraints}
        assert "ru-private-step" not in {s.key for s in pp.steps}
        assert "ru-private-step.start" not in pp.events()
        assert result.finish == 94 and result.latest["elections.start"] == 220


def test_references_and_spaces_are_checked_against_the_visible_plan(miami: Miami) -> None:
    _private_step(miami, "russia", "ru-hidden", "party:RU")
    # Ukraine's own plan, in its own space (the shared plan is the mediator's).
    base = {"key": "k-new", "min": 0, "space": "party:UA"}
    cases = {
        "ru-hidden.start": "from: unknown event 'ru-hidden.start'",
        "never-heard-of.start": "from: unknown event 'never-heard-of.start'",
        "ceasefire": "from: 'ceasefire' is a step; choose 'ceasefire.start' or 'ceasefire.end'",
        "signin": "from: unknown event 'signin' (did you mean 'signing'?)",
        PLAN_START: "from: unknown event",
    }
    for ref, message in cases.items():
        with pytest.raises(SequencingError) as caught:
            _add(miami, "ukraine", **base, **{"from": ref, "to": "signing"})
        assert str(caught.value).startswith(message), (ref, str(caught.value))
    # A hidden event and one that never existed read exactly alike (no hint from "did you mean").
    with pytest.raises(SequencingError) as hidden:
        _add(miami, "ukraine", **base, **{"from": "ru-hidden.end", "to": "signing"})
    with pytest.raises(SequencingError) as missing:
        _add(miami, "ukraine", **base, **{"from": "zz-hidden.end", "to": "signing"})
    assert str(hidden.value).replace("ru-", "zz-") == str(missing.value)

    # A constraint may not be seen more widely than the events it names.
    _private_step(miami, "ukraine", "ua-own", "party:UA")
    ends = {"from": "signing", "to": "ua-own.start", "min": 0}
    with pytest.raises(SequencingError, match=r"^space: 'ua-own' \(to\) is in party:UA"):
        _add(miami, "ukraine", key="ua-wide", space="party:UA+mediator", **ends)
    edit = _add(miami, "ukraine", key="ua-narrow", space="party:UA", **ends)
    assert edit.result.consistent and edit.record.space == "party:UA"


def test_bounds_and_keys_are_validated(shared_miami: Miami) -> None:
    miami = shared_miami
    ends = {"from": "signing", "to": "ceasefire.start"}
    with pytest.raises(SequencingError, match=r"^min: 10 is greater than max 5"):
        _add(miami, "mediator", key="k1", min=10, max=5, space="participants", **ends)
    with pytest.raises(SequencingError, match=r"^min: give a minimum, a maximum or both"):
        _add(miami, "mediator", key="k1", space="participants", **ends)
    with pytest.raises(SequencingError, match=r"^to: the same event as from"):
        _add(
            miami,
            "mediator",
            key="k1",
            min=1,
            space="participants",
            **{"from": "signing", "to": "signing"},
        )
    with pytest.raises(SequencingError, match=r"^key: not available"):
        _add(miami, "mediator", key="signing-ceasefire", min=1, space="participants", **ends)


def test_viewers_and_observers_may_not_write(shared_miami: Miami) -> None:
    miami = shared_miami
    for who in ("ukraine-viewer", "observer"):
        with pytest.raises(Forbidden):
            _add(miami, who, **ELECTIONS_EARLY)
    with pytest.raises(InputError, match="^space: you cannot write in this space"):
        _add(miami, "ukraine", **ELECTIONS_EARLY | {"space": "party:RU"})
    with pytest.raises(Forbidden):  # the shared plan is the mediator's
        _add(miami, "ukraine", **ELECTIONS_EARLY)


def test_an_earlier_dated_milestone_becomes_day_zero(miami: Miami) -> None:
    with write_session(miami.engine) as session:
        add_milestone(
            session,
            actor=miami.actor("mediator"),
            process=miami.process(session),
            data=MilestoneIn(
                key="geneva-round",
                title="Geneva round",
                on_date=date(2025, 12, 1),
                space="participants",
            ),
        )
    pp = _plan(miami, "ukraine")
    assert (pp.origin, pp.origin_date) == ("geneva-round", date(2025, 12, 1))
    result = pp.check()
    assert result.earliest["miami-round"] == result.latest["miami-round"] == 21
    assert result.date_of(result.finish) == "2026-03-26"  # the calendar did not move
    # The observer cannot see it, so its calendar still starts at the Miami round.
    assert _plan(miami, "observer").origin == "miami-round"


def test_deadlines_for_calendars_follow_what_the_actor_sees(miami: Miami) -> None:
    with read_session(miami.engine) as session:
        items = deadlines(session, miami.actor("ukraine"), miami.process(session))
    by_key = {d["key"]: d for d in items}
    assert by_key["framework-deadline"]["date"] == date(2026, 1, 31)
    assert by_key["framework-deadline"]["kind"] == "milestone"
    assert by_key["ceasefire.start"]["kind"] == "latest"
    assert by_key["ceasefire.start"]["date"] == date(2026, 2, 3)  # signing ≤ day 40, + 3
    assert "sanctions-1.start" not in by_key  # nothing bounds it from above
    assert [d["date"] for d in items] == sorted(d["date"] for d in items)

    _add(
        miami,
        "russia",
        key="ru-private-cap",
        **{"from": "signing", "to": "sanctions-1.start", "max": 150},
        space="party:RU",
    )
    with read_session(miami.engine) as session:
        theirs = deadlines(session, miami.actor("russia"), miami.process(session))
        ours = deadlines(session, miami.actor("ukraine"), miami.process(session))
    assert "sanctions-1.start" in {d["key"] for d in theirs}
    assert "sanctions-1.start" not in {d["key"] for d in ours}
    with read_session(miami.engine) as session:
        public = deadlines(session, miami.actor(None), miami.process(session))
    assert [d["key"] for d in public] == ["miami-round"]


def test_contradictory_claims_stand_side_by_side_on_the_status_board(shared_miami: Miami) -> None:
    with read_session(shared_miami.engine) as session:
        board = status_board(session, shared_miami.actor("europe"), shared_miami.process(session))
    assert board.assessors == ["RU", "UA", "neutral"]
    rows = {row.label: row for row in board.rows}
    ceasefire = rows["ceasefire"].cells
    assert (ceasefire["UA"].status, ceasefire["RU"].status) == ("violated", "completed")
    assert ceasefire["neutral"].status == "disputed"
    assert ceasefire["UA"].claimed_on == date(2026, 2, 16)
    assert ceasefire["neutral"].claimed_on == date(2026, 2, 18)
    quotes = [e.quote for e in ceasefire["neutral"].evidence]
    assert any("three incidents of artillery fire" in q for q in quotes)
    assert set(rows["prisoners"].cells) == {"RU"}
    assert rows["plan20/p12"].cells["UA"].level == 1
    plan20 = {d.document: d for d in board.documents}["plan20"]
    assert plan20.levels == {"UA": 1.0, "neutral": 0.0}
    assert plan20.assessed == {"UA": 1, "neutral": 1}
    assert plan20.provisions >= 20

    with read_session(shared_miami.engine) as session:
        public = status_board(session, shared_miami.actor(None), shared_miami.process(session))
    # The claims on the ceasefire are public, but the step is not: a reader who cannot see
    # the step sees none of them (they would name a step it does not know).
    assert public.rows == [] and public.documents == []


def test_the_status_board_never_shows_a_claim_from_a_space_the_reader_cannot_see(
    miami: Miami,
) -> None:
    with read_session(miami.engine) as session:
        pp = process_plan(session, miami.actor("russia"), miami.process(session))
    step_id = next(s.id for s in pp.steps if s.key == "withdrawal")
    with write_session(miami.engine) as session:
        record_claim(
            session,
            actor=miami.actor("russia"),
            process=miami.process(session),
            data=StatusClaimIn.model_validate(
                {
                    "step_id": str(step_id),
                    "status": "completed",
                    "claimed_on": "2026-03-01",
                    "note": "Illustrative private claim.",
                    "space": "party:RU",
                }
            ),
        )
    with read_session(miami.engine) as session:
        theirs = status_board(session, miami.actor("russia"), miami.process(session))
        ours = status_board(session, miami.actor("ukraine"), miami.process(session))
    assert {r.label: r for r in theirs.rows}["withdrawal"].cells["RU"].status == "completed"
    assert {r.label: r for r in ours.rows}["withdrawal"].cells == {}
