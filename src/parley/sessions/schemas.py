"""What a client may send to change meetings, minutes and statements (unknown fields refused).

Lifecycle fields (a meeting's or a statement's status, approvals, signatures, hashes) are in no
update model: they change only through the actions of :mod:`parley.sessions.service` and
:mod:`parley.sessions.statements`, so ``PATCH ... {"status": ...}`` is refused naming the field.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

KEY = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AgendaIn(_In):
    title: str = Field(min_length=1, max_length=300)
    document: str | None = None  # document key
    provision: str | None = None  # "document/wid"


class ScheduleIn(_In):
    """A meeting with its participants, agenda and (for proximity talks) one room a delegation."""

    key: str = Field(pattern=KEY)
    title: str = Field(min_length=1, max_length=300)
    format: Literal["bilateral", "proximity", "plenary", "call"]
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = "UTC"
    place: str = ""
    outcome: str = ""
    space: str
    parties: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    agenda: list[AgendaIn] = Field(default_factory=list)


class MeetingUpdate(_In):
    """Move or describe a meeting; its status changes only through hold and close."""

    title: str | None = Field(None, min_length=1, max_length=300)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    timezone: str | None = None
    place: str | None = None
    outcome: str | None = None


class StatusIn(_In):
    status: str
    outcome: str | None = None


class MinutesIn(_In):
    session_id: uuid.UUID  # the meeting (the column keeps its name)
    room_id: uuid.UUID | None = None
    text: str = Field(min_length=1)
    space: str | None = None  # joint minutes only; a room's minutes live in the room's space


class MinutesUpdate(_In):
    """A new text for draft (or circulated) minutes: ``hash`` is that of the text edited."""

    text: str = Field(min_length=1)
    hash: str = Field(min_length=1)


class MinutesActionIn(_In):
    text: str | None = None  # amend
    hash: str | None = None  # amend: the hash of the text edited; approve: of the text read


class StatementIn(_In):
    """A unilateral or press statement, in the name of the author's own party."""

    key: str = Field(pattern=KEY)
    kind: Literal["unilateral", "press"]
    title: str = Field("", max_length=300)
    text: str = Field(min_length=1)
    made_on: date | None = None
    place: str = Field("", max_length=200)
    session_id: uuid.UUID | None = None  # the meeting it was made at
    parties: list[str] = Field(default_factory=list)  # speakers' parties; default: the author's
    provisions: list[str] = Field(default_factory=list)  # "document/wid"
    space: str


class StatementUpdate(_In):
    """Fields a statement shows. On a joint statement any change voids every approval."""

    title: str | None = Field(None, max_length=300)
    text: str | None = Field(None, min_length=1)
    made_on: date | None = None
    place: str | None = Field(None, max_length=200)


class JointDraftIn(_In):
    key: str = Field(pattern=KEY)
    title: str = Field("", max_length=300)
    text: str = Field(min_length=1)
    made_on: date | None = None
    place: str = Field("", max_length=200)
    session_id: uuid.UUID | None = None
    signatories: list[str] = Field(min_length=2)
    provisions: list[str] = Field(default_factory=list)  # "document/wid"
    space: str


class StatementActionIn(_In):
    hash: str | None = None  # approve: the seal of what the head read
    passphrase: str | None = None  # approve: unlocks (or creates) the delegation's key
    text: str | None = None  # revise (any field of StatementUpdate may be given too)
    title: str | None = None
    made_on: date | None = None
    place: str | None = None


class CarryIn(_In):
    target_room_id: str | None = None
    target_party: str | None = None  # or name the receiving delegation by its party key
    source_type: str = "minutes"
    source_id: str
    text: str
    attributed: bool = False
