"""Creating and updating the simpler records (notes, sessions, minutes, statements,
commitments, steps, status claims) through one audited service, with one schema per kind.

Each kind declares what a client may send (pydantic, unknown fields refused) and how references
(party keys, session ids) become columns. Every reference must be visible to the actor, so a
record can never point at something its author cannot see.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, Permission, get_visible, parse_space, require
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL, provision_visible
from parley.commitments.models import Commitment, FulfilmentEvent
from parley.errors import InputError
from parley.notes.models import Note
from parley.processes.models import Party, Process
from parley.sequencing.models import StatusClaim, Step
from parley.sessions.models import Meeting, Minutes, Room, Statement
from parley.texts.canonical_hash import text_hash


class RecordError(InputError):
    """Bad input for a record: the message starts with the field's name."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class NoteIn(_In):
    title: str = Field(min_length=1, max_length=300)
    text: str = ""
    space: str


class NoteUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    text: str | None = None


class SessionIn(_In):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    format: Literal["bilateral", "proximity", "plenary", "call"]
    status: Literal["planned", "held", "closed"] = "planned"
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = "UTC"
    place: str = ""
    outcome: str = ""
    space: str


class SessionUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    status: Literal["planned", "held", "closed"] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    place: str | None = None
    outcome: str | None = None


class MinutesIn(_In):
    session_id: uuid.UUID
    room_id: uuid.UUID | None = None
    text: str = Field(min_length=1)
    space: str | None = None


class MinutesUpdate(_In):
    text: str | None = Field(None, min_length=1)


class StatementIn(_In):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: Literal["unilateral", "joint", "press"]
    title: str = ""
    text: str = Field(min_length=1)
    made_on: date | None = None
    place: str = ""
    session_id: uuid.UUID | None = None
    space: str


class StatementUpdate(_In):
    title: str | None = None
    text: str | None = Field(None, min_length=1)
    made_on: date | None = None
    place: str | None = None


class CommitmentIn(_In):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: Literal["pledge", "guarantee", "obligation"]
    title: str = Field(min_length=1, max_length=300)
    donor: str | None = None
    recipient: str | None = None
    amount: Decimal | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    period_start: date | None = None
    period_end: date | None = None
    period_text: str = ""
    obligation_text: str = ""
    conditions: str = ""
    space: str


class CommitmentUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    conditions: str | None = None
    period_text: str | None = None


class FulfilmentIn(_In):
    commitment_id: uuid.UUID
    kind: Literal["pledged", "allocated", "delivered", "honoured", "breached"]
    amount: Decimal | None = Field(None, ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    occurred_on: date
    note: str = ""


class StepIn(_In):
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    kind: str = ""
    min_days: int | None = Field(None, ge=0)
    max_days: int | None = Field(None, ge=0)
    description: str = ""
    space: str


class StepUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    min_days: int | None = Field(None, ge=0)
    max_days: int | None = Field(None, ge=0)
    description: str | None = None


class StatusClaimIn(_In):
    step_id: uuid.UUID | None = None
    provision_id: uuid.UUID | None = None
    neutral: bool = False
    status: Literal["not_started", "in_progress", "completed", "disputed", "violated"]
    level: int | None = Field(None, ge=0, le=3)
    claimed_on: date
    note: str = ""
    space: str


class StatusClaimUpdate(_In):
    status: Literal["not_started", "in_progress", "completed", "disputed", "violated"] | None = None
    level: int | None = Field(None, ge=0, le=3)
    note: str | None = None


Resolver = Callable[[Session, Actor, Process, dict[str, Any]], dict[str, Any]]


def _plain(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    return data


@dataclass(frozen=True)
class Writable:
    """A kind of record written through this module.

    ``resolve`` turns a create body into columns (references checked, keys to ids);
    ``resolve_update`` does the same for an edit body, which holds only the fields sent.
    """

    slug: str
    model: Any
    create: type[_In]
    update: type[_In] | None
    resolve: Resolver
    action: str
    resolve_update: Resolver = _plain


def _party_id(session: Session, process: Process, key: str | None, field: str) -> uuid.UUID | None:
    if key is None:
        return None
    party = session.scalars(
        sa.select(Party)
        .where(Party.process_id == process.id, Party.key == key)
        .execution_options(**{INTERNAL: True})
    ).first()
    if party is None:
        raise RecordError(f"{field}: no party {key!r} in this process")
    return party.id


def _visible_ref(session: Session, actor: Actor, model: Any, ref: Any, field: str) -> Any:
    try:
        return get_visible(session, actor, model, ref)
    except NotFound:
        raise RecordError(f"{field}: no such record") from None


def _note(session: Session, actor: Actor, process: Process, data: dict[str, Any]) -> dict[str, Any]:
    data["author_id"] = actor.user_id
    return data


def _minutes(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    talk = _visible_ref(session, actor, Meeting, data["session_id"], "session_id")
    if data.get("room_id") is not None:
        room = _visible_ref(session, actor, Room, data["room_id"], "room_id")
        if room.session_id != talk.id:
            raise RecordError("room_id: the room belongs to another session")
        data["space"] = room.space  # a room's minutes live in the room's space
    elif not data.get("space"):
        raise RecordError("space: required for joint minutes")
    return data


def _statement(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    if data.get("session_id") is not None:
        _visible_ref(session, actor, Meeting, data["session_id"], "session_id")
    if "text" in data and data["text"] is not None:
        data["text_hash"] = text_hash(data["text"])
    return data


def _commitment(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    data["donor_party_id"] = _party_id(session, process, data.pop("donor", None), "donor")
    data["recipient_party_id"] = _party_id(
        session, process, data.pop("recipient", None), "recipient"
    )
    if data.get("amount") is not None and not data.get("currency"):
        raise RecordError("currency: required when an amount is given")
    return data


def _fulfilment(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    commitment = _visible_ref(session, actor, Commitment, data["commitment_id"], "commitment_id")
    if data.get("amount") is not None and not (data.get("currency") or commitment.currency):
        raise RecordError("currency: required when an amount is given")
    if data.get("amount") is not None and not data.get("currency"):
        data["currency"] = commitment.currency
    data["space"] = commitment.space
    return data


def _step(session: Session, actor: Actor, process: Process, data: dict[str, Any]) -> dict[str, Any]:
    low, high = data.get("min_days"), data.get("max_days")
    if low is not None and high is not None and low > high:
        raise RecordError(f"min_days: {low} exceeds max_days {high}")
    return data


def _claim(
    session: Session, actor: Actor, process: Process, data: dict[str, Any]
) -> dict[str, Any]:
    if (data.get("step_id") is None) == (data.get("provision_id") is None):
        raise RecordError("step_id: give exactly one of step_id or provision_id")
    if data.get("step_id") is not None:
        _visible_ref(session, actor, Step, data["step_id"], "step_id")
    provision_id = data.get("provision_id")
    if provision_id is not None and not provision_visible(session, actor, process.id, provision_id):
        raise RecordError("provision_id: no such record")  # hidden or unknown alike
    membership = actor.membership(process.id)
    neutral = data.pop("neutral", False)
    if neutral:
        if membership is None or not membership.is_mediator:
            raise RecordError("neutral: only the mediator's team records a neutral assessment")
        data["is_neutral"], data["party_id"] = True, None
    else:
        data["is_neutral"] = False
        data["party_id"] = membership.party_id if membership else None
    return data


WRITABLE: dict[str, Writable] = {
    w.slug: w
    for w in (
        Writable("notes", Note, NoteIn, NoteUpdate, _note, "note"),
        Writable("sessions", Meeting, SessionIn, SessionUpdate, _plain, "session"),
        Writable("minutes", Minutes, MinutesIn, MinutesUpdate, _minutes, "session:minutes"),
        Writable(
            "statements",
            Statement,
            StatementIn,
            StatementUpdate,
            _statement,
            "statement",
            resolve_update=_statement,  # a new text gets a new hash
        ),
        Writable(
            "commitments", Commitment, CommitmentIn, CommitmentUpdate, _commitment, "commitment"
        ),
        Writable(
            "fulfilment-events",
            FulfilmentEvent,
            FulfilmentIn,
            None,
            _fulfilment,
            "commitment:event",
        ),
        Writable("steps", Step, StepIn, StepUpdate, _step, "sequencing:step"),
        Writable(
            "status-claims",
            StatusClaim,
            StatusClaimIn,
            StatusClaimUpdate,
            _claim,
            "sequencing:status-claim",
        ),
    )
}


def _check_space(session: Session, process: Process, space: str) -> None:
    keys = set(
        session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == process.id)
            .execution_options(**{INTERNAL: True})
        )
    )
    try:
        parse_space(space, keys)
    except SpaceError as exc:
        raise RecordError(f"space: {exc}") from None


def _key_taken(session: Session, model: Any, process: Process, key: str) -> bool:
    # Keys are unique per process across spaces; the message must not reveal a hidden record,
    # so a clash with anything (visible or not) gets the same neutral answer.
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.process_id == process.id, model.key == key)
        )
        or 0
    ) > 0


def create_record(
    session: Session, *, actor: Actor, process: Process, writable: Writable, data: _In
) -> Any:
    values = writable.resolve(session, actor, process, data.model_dump())
    _check_space(session, process, values["space"])
    if "key" in values and _key_taken(session, writable.model, process, values["key"]):
        raise RecordError("key: not available; choose another key")
    obj = writable.model(process_id=process.id, **values)
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
    return audited_add(session, obj, actor=actor, action=f"{writable.action}:create")


def update_record(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    writable: Writable,
    object_id: Any,
    data: _In,
) -> Any:
    obj = get_visible(session, actor, writable.model, object_id)
    if obj.process_id != process.id:
        raise NotFound(writable.slug)
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
    if getattr(obj, "content_hash", None):
        raise RecordError("text: approved minutes are frozen")
    values = writable.resolve_update(session, actor, process, data.model_dump(exclude_unset=True))
    audited_update(session, obj, values, actor=actor, action=f"{writable.action}:update")
    return obj


__all__ = ["WRITABLE", "RecordError", "Writable", "create_record", "update_record"]
