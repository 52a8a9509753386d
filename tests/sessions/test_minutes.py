"""Minutes: draft → circulated → amended → approved; joint minutes need every participating
delegation; approved minutes are frozen with their content hash."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from parley.authz import NotFound
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState
from parley.db.engine import read_session, write_session
from parley.sessions.models import Minutes, MinutesStatus
from parley.sessions.service import (
    MeetingError,
    amend_minutes,
    approve_minutes,
    circulate_minutes,
    required_approvers,
)
from parley.texts.canonical_hash import text_hash
from sessions.conftest import Miami
from sessions.helpers import meeting_id, room_minutes, rooms


def _joint(miami: Miami) -> Minutes:
    talk = meeting_id(miami.engine, "miami-round")
    with read_session(miami.engine) as s:
        return s.scalars(
            sa.select(Minutes).where(Minutes.session_id == talk, Minutes.room_id.is_(None))
        ).one()


def _approve(miami: Miami, persona: str, minutes_id: object, text: str) -> Minutes:
    with write_session(miami.engine) as s:
        return approve_minutes(
            s,
            actor=miami.actor(persona),
            process=miami.process,
            minutes_id=minutes_id,
            expected_hash=text_hash(text),
        )


def test_joint_minutes_need_every_participating_delegation(miami: Miami) -> None:
    joint = _joint(miami)
    assert joint.status == MinutesStatus.CIRCULATED
    with read_session(miami.engine) as s:
        assert [p.key for p in required_approvers(s, joint)] == ["EUR", "RU", "UA", "US"]
    for persona in ("ukraine", "europe", "russia"):
        minutes = _approve(miami, persona, joint.id, joint.text)
        assert minutes.status == MinutesStatus.CIRCULATED and minutes.content_hash is None
    minutes = _approve(miami, "mediator", joint.id, joint.text)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.content_hash == text_hash(joint.text)
    # Frozen: the one writer of minutes changes them no more (tests/sessions/test_sealed.py
    # tries the other doors).
    with (
        pytest.raises(NotInState, match="^status: cannot amend"),
        write_session(miami.engine) as s,
    ):
        amend_minutes(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            minutes_id=joint.id,
            text="Something else.",
            expected_hash=text_hash(joint.text),
        )


def test_an_amendment_voids_earlier_approvals(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    joint = _joint(miami)
    _approve(miami, "ukraine", joint.id, joint.text)
    new_text = joint.text + " Amended by the mediator after comments."
    with write_session(miami.engine) as s:
        amended = amend_minutes(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            minutes_id=joint.id,
            text=new_text,
            expected_hash=text_hash(joint.text),
        )
        assert amended.status == MinutesStatus.AMENDED
    # Ukraine approved the old text: approving with that hash is refused as stale...
    with pytest.raises(MeetingError, match="^hash: the minutes changed"):
        _approve(miami, "ukraine", joint.id, joint.text)
    # ...and the three others approving the new text is not enough without Ukraine again.
    for persona in ("europe", "russia", "mediator"):
        assert _approve(miami, persona, joint.id, new_text).status == MinutesStatus.AMENDED
    assert _approve(miami, "ukraine", joint.id, new_text).status == MinutesStatus.APPROVED


def test_a_room_s_minutes_are_approved_by_its_delegation_and_the_mediator(
    miami_sqlite: Miami,
) -> None:
    miami = miami_sqlite
    ru = room_minutes(miami.engine, rooms(miami.engine, "miami-round")["RU"].id)
    with read_session(miami.engine) as s:
        assert [p.key for p in required_approvers(s, ru)] == ["RU", "US"]
    with pytest.raises(NotFound):
        _approve(miami, "ukraine", ru.id, ru.text)  # another room: as if it did not exist
    assert _approve(miami, "russia", ru.id, ru.text).status == MinutesStatus.CIRCULATED
    assert _approve(miami, "mediator", ru.id, ru.text).status == MinutesStatus.APPROVED


def test_the_life_cycle_runs_forward_only(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    notes = room_minutes(miami.engine, rooms(miami.engine, "miami-round")["mediator"].id)
    assert notes.status == MinutesStatus.DRAFT
    with pytest.raises(NotInState, match="^status: cannot approve"):
        _approve(miami, "mediator", notes.id, notes.text)
    with write_session(miami.engine) as s:
        draft = amend_minutes(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            minutes_id=notes.id,
            text="Illustrative notes, redrafted.",
            expected_hash=text_hash(notes.text),
        )
        assert draft.status == MinutesStatus.DRAFT  # a draft stays a draft when edited
    with write_session(miami.engine) as s:
        circulate_minutes(
            s, actor=miami.actor("mediator"), process=miami.process, minutes_id=notes.id
        )
    with (
        pytest.raises(NotInState, match="^status: cannot circulate"),
        write_session(miami.engine) as s,
    ):
        circulate_minutes(
            s, actor=miami.actor("mediator"), process=miami.process, minutes_id=notes.id
        )
    done = _approve(miami, "mediator", notes.id, "Illustrative notes, redrafted.")
    assert done.status == MinutesStatus.APPROVED


def test_a_viewer_may_not_approve(miami_sqlite: Miami) -> None:
    joint = _joint(miami_sqlite)
    with pytest.raises(Forbidden):
        _approve(miami_sqlite, "ukraine-viewer", joint.id, joint.text)
    with pytest.raises(Forbidden), write_session(miami_sqlite.engine) as s:
        amend_minutes(
            s,
            actor=miami_sqlite.actor("ukraine-viewer"),
            process=miami_sqlite.process,
            minutes_id=joint.id,
            text="x",
            expected_hash=text_hash(joint.text),
        )
