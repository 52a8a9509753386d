"""Issue 13, meetings: who may schedule, move, hold and close a meeting, open rooms, and name
provisions, over HTTP on SQLite, PostgreSQL and PostgreSQL behind row-level security.

Each test is one attack that succeeded before the meeting service owned every write.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from parley.db.engine import read_session
from parley.sessions.models import Meeting, Room, Statement
from web.support import KEY, Canary

API = f"/api/v1/processes/{KEY}"


def _post(canary: Canary, persona: str, path: str, body: dict[str, Any]) -> Any:
    return canary.client(persona).post(API + path, json=body, headers=canary.csrf(persona))


def _patch(canary: Canary, persona: str, path: str, body: dict[str, Any]) -> Any:
    return canary.client(persona).patch(API + path, json=body, headers=canary.csrf(persona))


def _status(canary: Canary, meeting_id: str) -> str:
    with read_session(canary.engine()) as s:
        found = sa.select(Meeting.status).where(Meeting.id == uuid.UUID(meeting_id))
        return str(s.scalars(found).one())


def test_a_delegation_head_cannot_close_the_mediators_meeting(canary: Canary) -> None:
    round1 = canary.ref("sessions:round1")
    answer = _post(canary, "aaa-head", f"/meetings/{round1}/status", {"status": "closed"})
    assert answer.status_code == 403, answer.text
    form = canary.client("aaa-head").post(
        f"/p/{KEY}/meetings/{round1}/status",
        data={"status": "closed", "csrf_token": canary.csrf("aaa-head")["X-CSRF-Token"]},
    )
    assert form.status_code == 403
    assert _status(canary, round1) == "held"
    # The convener may.
    done = _post(canary, "mediator", f"/meetings/{round1}/status", {"status": "closed"})
    assert done.status_code == 200, done.text
    assert _status(canary, round1) == "closed"


def test_a_closed_meeting_cannot_be_reopened_by_an_update(canary: Canary) -> None:
    round1 = canary.ref("sessions:round1")
    assert _post(canary, "mediator", f"/meetings/{round1}/status", {"status": "closed"}).is_success
    reopen = _patch(canary, "mediator", f"/sessions/{round1}", {"status": "planned"})
    assert reopen.status_code == 422, reopen.text
    assert "status" in reopen.text
    assert _status(canary, round1) == "closed"
    # Nor is anything else of a closed meeting changed through an update.
    moved = _patch(canary, "mediator", f"/sessions/{round1}", {"place": "elsewhere"})
    assert moved.status_code == 409, moved.text
    assert "status" in moved.json()["detail"]


def test_a_delegation_cannot_schedule_a_proximity_meeting_with_rooms_in_other_spaces(
    canary: Canary,
) -> None:
    body = {
        "key": "attack-rooms",
        "title": "Rooms everywhere",
        "format": "proximity",
        "starts_at": "2026-01-05T10:00:00+00:00",
        "space": "participants",
        "parties": ["MED", "AAA", "BBB"],
    }
    answer = _post(canary, "aaa-head", "/meetings", body)
    assert answer.status_code == 403, answer.text
    generic = _post(canary, "aaa-head", "/sessions", {**body, "key": "attack-rooms-2"})
    assert generic.status_code == 403, generic.text
    with read_session(canary.engine()) as s:
        assert s.scalars(sa.select(Meeting).where(Meeting.key.like("attack-rooms%"))).all() == []
        spaces = set(s.scalars(sa.select(Room.space)))
    assert "party:BBB+mediator" in spaces  # round1's, from the scenario; nothing added
    made = _post(canary, "mediator", "/meetings", body)
    assert made.status_code == 201, made.text
    with read_session(canary.engine()) as s:
        rooms = s.scalars(
            sa.select(Room.space)
            .join(Meeting, Meeting.id == Room.session_id)
            .where(Meeting.key == "attack-rooms")
        ).all()
    assert sorted(rooms) == ["mediator", "party:AAA+mediator", "party:BBB+mediator"]


def _same_refusal(first: Any, second: Any) -> None:
    assert first.status_code == second.status_code == 422, (first.text, second.text)
    assert first.json() == second.json()


def test_a_hidden_draft_provision_in_an_agenda_answers_like_a_missing_one(canary: Canary) -> None:
    def schedule(key: str, provision: str) -> Any:
        return _post(
            canary,
            "mediator",
            "/meetings",
            {
                "key": key,
                "title": "Agenda probe",
                "format": "call",
                "starts_at": "2026-01-05T10:00:00+00:00",
                "space": "participants",
                "agenda": [{"title": "probe", "provision": provision}],
            },
        )

    # Only AAA's private draft of the shared plan holds CANARY-AAA-DRAFT-WID.
    hidden = schedule("probe-hidden", "plan/CANARY-AAA-DRAFT-WID")
    missing = schedule("probe-hidden", "plan/no-such-wid")
    _same_refusal(hidden, missing)
    assert "CANARY" not in hidden.text
    assert schedule("probe-shown", "plan/p1").status_code == 201


def test_a_hidden_draft_provision_in_a_statement_answers_like_a_missing_one(
    canary: Canary,
) -> None:
    def draft(provision: str) -> Any:
        return _post(
            canary,
            "mediator",
            "/joint-statements",
            {
                "key": "probe-joint",
                "text": "Probe.",
                "signatories": ["MED", "BBB"],
                "space": "party:BBB+mediator",
                "provisions": [provision],
            },
        )

    _same_refusal(draft("plan/CANARY-AAA-DRAFT-WID"), draft("plan/no-such-wid"))
    with read_session(canary.engine()) as s:
        assert s.scalars(sa.select(Statement).where(Statement.key == "probe-joint")).all() == []
