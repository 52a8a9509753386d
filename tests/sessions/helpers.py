"""Small helpers for the sessions tests: ids of Miami records, read as the system."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from parley.db.engine import read_session
from parley.processes.models import Party
from parley.sessions.models import Meeting, Minutes, Room, Statement


def meeting_id(engine: sa.Engine, key: str) -> uuid.UUID:
    with read_session(engine) as s:
        return s.scalars(sa.select(Meeting.id).where(Meeting.key == key)).one()


def statement_id(engine: sa.Engine, key: str) -> uuid.UUID:
    with read_session(engine) as s:
        return s.scalars(sa.select(Statement.id).where(Statement.key == key)).one()


def rooms(engine: sa.Engine, session_key: str) -> dict[str, Any]:
    """Rooms of a session by party key ("mediator" for the mediator's notes)."""
    with read_session(engine) as s:
        talk = s.scalars(sa.select(Meeting.id).where(Meeting.key == session_key)).one()
        parties = dict(s.execute(sa.select(Party.id, Party.key)).all())
        return {
            parties.get(r.party_id, "mediator"): r
            for r in s.scalars(sa.select(Room).where(Room.session_id == talk))
        }


def room_minutes(engine: sa.Engine, room_id: uuid.UUID) -> Minutes:
    with read_session(engine) as s:
        return s.scalars(sa.select(Minutes).where(Minutes.room_id == room_id)).one()
