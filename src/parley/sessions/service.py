"""Writing sessions, minutes and carry-overs: one named, audited call per change.

Every function runs inside the caller's ``write_session`` (one transaction), takes the acting
user keyword-only, fetches what it touches through ``authz.get_visible`` (hidden = NotFound)
and checks the action with ``authz.require`` (visible but not allowed = Forbidden).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, Permission, get_visible, parse_space, require
from parley.authz.permissions import Forbidden
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL
from parley.db.base import utcnow
from parley.processes.models import Delegation, Party, PartyKind, Person, Process
from parley.sessions.models import (
    AgendaItem,
    Attribution,
    CarriedPassage,
    Carry,
    Meeting,
    MeetingFormat,
    MeetingParticipant,
    MeetingStatus,
    Minutes,
    MinutesApproval,
    MinutesStatus,
    Room,
)
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Amendment, Document, Provision


class MeetingError(ValueError):
    """Bad input or a step the life cycle does not allow; the message starts with the field."""


# ---------------------------------------------------------------- parties and spaces


def parties_of(session: Session, process_id: uuid.UUID) -> dict[uuid.UUID, Party]:
    # Parties are listed to everyone in the process (their space is participants or wider).
    rows = session.scalars(
        sa.select(Party).where(Party.process_id == process_id).execution_options(**{INTERNAL: True})
    )
    return {p.id: p for p in rows}


def delegated_party_ids(session: Session, process_id: uuid.UUID) -> set[uuid.UUID]:
    """Parties that have a delegation (only they have someone who can approve or sign)."""
    return set(
        session.scalars(sa.select(Delegation.party_id).where(Delegation.process_id == process_id))
    )


def party_sees(space: str, party: Party) -> bool:
    """Whether a party's delegation can read records of ``space`` (the rule of authz.visible)."""
    parsed = parse_space(space)
    if parsed.kind in ("public", "participants"):
        return True
    if party.kind == PartyKind.MEDIATOR:
        return parsed.kind in ("mediator", "party+mediator")
    return parsed.kind in ("party", "party+mediator") and parsed.party == party.key


def _check_space(session: Session, process_id: uuid.UUID, space: str) -> None:
    keys = {p.key for p in parties_of(session, process_id).values()}
    try:
        parse_space(space, keys)
    except SpaceError as exc:
        raise MeetingError(f"space: {exc}") from None


def _in_process(obj: Any, process: Process, kind: str) -> Any:
    if obj.process_id != process.id:
        raise NotFound(kind)
    return obj


# ---------------------------------------------------------------- sessions


class AgendaIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    title: str = Field(min_length=1, max_length=300)
    document: str | None = None  # document key
    provision: str | None = None  # "document/wid"


class ScheduleIn(BaseModel):
    """A session with its participants, agenda and (for proximity talks) one room a delegation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    title: str = Field(min_length=1, max_length=300)
    format: Literal["bilateral", "proximity", "plenary", "call"]
    starts_at: datetime
    ends_at: datetime | None = None
    timezone: str = "UTC"
    place: str = ""
    space: str
    parties: list[str] = Field(default_factory=list)
    people: list[str] = Field(default_factory=list)
    agenda: list[AgendaIn] = Field(default_factory=list)


def _resolve_provision(
    session: Session, actor: Actor, process: Process, ref: str
) -> tuple[uuid.UUID, uuid.UUID]:
    doc_key, _, wid = ref.partition("/")
    document = session.scalars(
        sa.select(Document)
        .where(Document.process_id == process.id, Document.key == doc_key)
        .execution_options(**{INTERNAL: True})  # checked for visibility just below
    ).first()
    if document is None:
        raise MeetingError(f"agenda.provision: no document {doc_key!r}")
    try:
        get_visible(session, actor, Document, document.id)
    except NotFound:
        raise MeetingError(f"agenda.provision: no document {doc_key!r}") from None
    provision = session.scalars(
        sa.select(Provision).where(Provision.document_id == document.id, Provision.wid == wid)
    ).first()
    if provision is None:
        raise MeetingError(f"agenda.provision: no provision {ref!r}")
    return document.id, provision.id


def _visible_document(session: Session, actor: Actor, process: Process, key: str) -> uuid.UUID:
    found = session.scalars(
        sa.select(Document.id)
        .where(Document.process_id == process.id, Document.key == key)
        .execution_options(**{INTERNAL: True})  # checked for visibility just below
    ).first()
    if found is None:
        raise MeetingError(f"agenda.document: no document {key!r}")
    try:
        return get_visible(session, actor, Document, found).id
    except NotFound:
        raise MeetingError(f"agenda.document: no document {key!r}") from None


def schedule_meeting(
    session: Session, *, actor: Actor, process: Process, data: ScheduleIn
) -> Meeting:
    """Create a session; a proximity session gets a room per delegation and the mediator's notes.

    Rooms of delegations live in ``party:P+mediator``; the mediator's notes in ``mediator``.
    """
    _check_space(session, process.id, data.space)
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MeetingError(f"timezone: unknown time zone {data.timezone!r}") from None
    if data.starts_at.tzinfo is None:
        raise MeetingError("starts_at: give a time zone offset")
    if data.ends_at is not None and (data.ends_at.tzinfo is None or data.ends_at < data.starts_at):
        raise MeetingError("ends_at: must have a time zone and not come before starts_at")
    taken = session.scalar(
        sa.select(sa.func.count())
        .select_from(Meeting)
        .where(Meeting.process_id == process.id, Meeting.key == data.key)
        .execution_options(**{INTERNAL: True})  # a neutral answer that reveals nothing
    )
    if taken:
        raise MeetingError("key: not available; choose another key")
    parties = {p.key: p for p in parties_of(session, process.id).values()}
    unknown = [k for k in data.parties if k not in parties]
    if unknown:
        raise MeetingError(f"parties: unknown party {unknown[0]!r}")
    talk = Meeting(
        process_id=process.id,
        key=data.key,
        title=data.title,
        format=MeetingFormat(data.format),
        status=MeetingStatus.PLANNED,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=data.timezone,
        place=data.place,
        space=data.space,
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, talk)
    audited_add(session, talk, actor=actor, action="session:schedule")
    for key in data.parties:
        audited_add(
            session,
            MeetingParticipant(process_id=process.id, session_id=talk.id, party_id=parties[key].id),
            actor=actor,
            action="session:participant:add",
            space=talk.space,
        )
    for person_key in data.people:
        person = session.scalars(
            sa.select(Person)
            .where(Person.process_id == process.id, Person.key == person_key)
            .execution_options(**{INTERNAL: True})  # checked for visibility just below
        ).first()
        try:
            get_visible(session, actor, Person, person.id if person else None)
        except NotFound:
            raise MeetingError(f"people: no person {person_key!r}") from None
        assert person is not None
        audited_add(
            session,
            MeetingParticipant(process_id=process.id, session_id=talk.id, person_id=person.id),
            actor=actor,
            action="session:participant:add",
            space=talk.space,
        )
    for ordinal, item in enumerate(data.agenda):
        document_id = provision_id = None
        if item.provision:
            document_id, provision_id = _resolve_provision(session, actor, process, item.provision)
        elif item.document:
            document_id = _visible_document(session, actor, process, item.document)
        audited_add(
            session,
            AgendaItem(
                process_id=process.id,
                session_id=talk.id,
                ordinal=ordinal,
                title=item.title,
                document_id=document_id,
                provision_id=provision_id,
            ),
            actor=actor,
            action="session:agenda:add",
            space=talk.space,
        )
    if talk.format == MeetingFormat.PROXIMITY:
        _proximity_rooms(
            session, actor=actor, talk=talk, parties=[parties[k] for k in data.parties]
        )
    return talk


def _proximity_rooms(
    session: Session, *, actor: Actor, talk: Meeting, parties: Iterable[Party]
) -> None:
    delegated = delegated_party_ids(session, talk.process_id)
    for party in parties:
        if party.kind == PartyKind.MEDIATOR or party.id not in delegated:
            continue
        audited_add(
            session,
            Room(
                process_id=talk.process_id,
                session_id=talk.id,
                party_id=party.id,
                name=f"{party.name} room",
                space=f"party:{party.key}+mediator",
            ),
            actor=actor,
            action="session:room:create",
        )
    audited_add(
        session,
        Room(
            process_id=talk.process_id,
            session_id=talk.id,
            party_id=None,
            name="Mediator's notes",
            space="mediator",
        ),
        actor=actor,
        action="session:room:create",
    )


_NEXT_STATUS = {MeetingStatus.PLANNED: MeetingStatus.HELD, MeetingStatus.HELD: MeetingStatus.CLOSED}


def set_meeting_status(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    session_id: Any,
    status: str,
    outcome: str | None = None,
) -> Meeting:
    """planned → held → closed, one step at a time (a closed session stays closed)."""
    talk = _in_process(get_visible(session, actor, Meeting, session_id), process, "session")
    require(actor, Permission.PROCESS_RECORD_WRITE, talk)
    try:
        wanted = MeetingStatus(status)
    except ValueError:
        raise MeetingError(f"status: {status!r} is not one of planned, held, closed") from None
    if _NEXT_STATUS.get(talk.status) != wanted:
        raise MeetingError(f"status: a {talk.status} session cannot become {wanted}")
    values: dict[str, Any] = {"status": wanted}
    if outcome is not None:
        values["outcome"] = outcome
    audited_update(session, talk, values, actor=actor, action="session:status")
    return talk


# ---------------------------------------------------------------- minutes


def minutes_hash(minutes: Minutes) -> str:
    """The hash approvals refer to: the frozen one, or that of the current text."""
    return minutes.content_hash or text_hash(minutes.text)


def required_approvers(session: Session, minutes: Minutes) -> list[Party]:
    """The delegations whose approval freezes these minutes.

    A room's minutes: the room's delegation and the mediator (the mediator alone for its own
    notes). Joint minutes: every participating delegation that can read the minutes' space.
    """
    parties = parties_of(session, minutes.process_id)
    delegated = delegated_party_ids(session, minutes.process_id)
    if minutes.room_id is not None:
        # The room of a visible room's minutes shares their space; only its party is used.
        room_party = session.scalar(
            sa.select(Room.party_id)
            .where(Room.id == minutes.room_id)
            .execution_options(**{INTERNAL: True})
        )
        ids = {room_party} if room_party else set()
        ids |= {p.id for p in parties.values() if p.kind == PartyKind.MEDIATOR}
    else:
        ids = set(
            session.scalars(
                sa.select(MeetingParticipant.party_id).where(
                    MeetingParticipant.session_id == minutes.session_id,
                    MeetingParticipant.party_id.is_not(None),
                )
            )
        )
    chosen = [parties[i] for i in ids if i in parties and i in delegated]
    chosen = [p for p in chosen if party_sees(minutes.space, p)]
    return sorted(chosen, key=lambda p: p.key)


def _minutes(session: Session, actor: Actor, process: Process, minutes_id: Any) -> Minutes:
    return _in_process(get_visible(session, actor, Minutes, minutes_id), process, "minutes")


def circulate_minutes(
    session: Session, *, actor: Actor, process: Process, minutes_id: Any
) -> Minutes:
    """draft → circulated: the minutes go to the session's participants for approval."""
    minutes = _minutes(session, actor, process, minutes_id)
    require(actor, Permission.PROCESS_RECORD_WRITE, minutes)
    if minutes.status != MinutesStatus.DRAFT:
        raise MeetingError(f"status: {minutes.status} minutes cannot be circulated")
    audited_update(
        session,
        minutes,
        {"status": MinutesStatus.CIRCULATED},
        actor=actor,
        action="session:minutes:circulate",
    )
    return minutes


def amend_minutes(
    session: Session, *, actor: Actor, process: Process, minutes_id: Any, text: str
) -> Minutes:
    """Change the text. Once circulated, the minutes become ``amended`` and every earlier
    approval is void (it names the old hash); approved minutes are frozen."""
    minutes = _minutes(session, actor, process, minutes_id)
    require(actor, Permission.PROCESS_RECORD_WRITE, minutes)
    if minutes.status == MinutesStatus.APPROVED or minutes.content_hash:
        raise MeetingError("text: approved minutes are frozen")
    if not text.strip():
        raise MeetingError("text: must not be empty")
    values: dict[str, Any] = {"text": text}
    if minutes.status != MinutesStatus.DRAFT:
        values["status"] = MinutesStatus.AMENDED
    audited_update(session, minutes, values, actor=actor, action="session:minutes:amend")
    return minutes


def approve_minutes(
    session: Session, *, actor: Actor, process: Process, minutes_id: Any, expected_hash: str
) -> Minutes:
    """The head of a required delegation approves the exact text it read (``expected_hash``).

    When every required delegation has approved the current hash the minutes are approved and
    frozen: ``content_hash`` is set and nothing may change them any more.
    """
    minutes = _minutes(session, actor, process, minutes_id)
    require(actor, Permission.PROCESS_STATEMENT_APPROVE, minutes)
    if minutes.status not in (MinutesStatus.CIRCULATED, MinutesStatus.AMENDED):
        raise MeetingError(f"status: {minutes.status} minutes cannot be approved")
    membership = actor.membership(process.id)
    required = required_approvers(session, minutes)
    if membership is None or membership.party_id not in {p.id for p in required}:
        raise Forbidden("your delegation does not approve these minutes")
    current = text_hash(minutes.text)
    if expected_hash != current:
        raise MeetingError("hash: the minutes changed since you read them; read them again")
    existing = session.scalars(
        sa.select(MinutesApproval).where(
            MinutesApproval.minutes_id == minutes.id,
            MinutesApproval.party_id == membership.party_id,
        )
    ).first()
    now = utcnow()
    if existing is None:
        audited_add(
            session,
            MinutesApproval(
                process_id=process.id,
                minutes_id=minutes.id,
                party_id=membership.party_id,
                user_id=actor.user_id,
                content_hash=current,
                approved_at=now,
            ),
            actor=actor,
            action="session:minutes:approve",
            space=minutes.space,
        )
    elif existing.content_hash == current:
        raise MeetingError("hash: your delegation already approved this text")
    else:
        audited_update(
            session,
            existing,
            {"content_hash": current, "approved_at": now, "user_id": actor.user_id},
            actor=actor,
            action="session:minutes:approve",
            space=minutes.space,
        )
    approved = set(
        session.scalars(
            sa.select(MinutesApproval.party_id).where(
                MinutesApproval.minutes_id == minutes.id, MinutesApproval.content_hash == current
            )
        )
    )
    if {p.id for p in required} <= approved:
        audited_update(
            session,
            minutes,
            {"status": MinutesStatus.APPROVED, "content_hash": current},
            actor=actor,
            action="session:minutes:freeze",
        )
    return minutes


# ---------------------------------------------------------------- carry-over


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def carry_passage(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    target_room_id: Any,
    source_type: Literal["minutes", "amendments"],
    source_id: Any,
    text: str,
    attributed: bool,
) -> Carry:
    """The mediator copies a passage of a room's minutes (or a party's proposal) into a room.

    Two records: the passage in the receiving room's space, carrying the text and (only when
    attributed) the source party's name, nothing else; and the provenance (source record, source
    room and party, attribution) in the mediator's space. Each is audited in its own space, so
    the receiving delegation's audit log does not name the source either.
    """
    membership = actor.membership(process.id)
    if not actor.is_system and (
        membership is None or not membership.is_mediator or not membership.can_write
    ):
        raise Forbidden("only the mediator's team carries text between rooms")
    target = _in_process(get_visible(session, actor, Room, target_room_id), process, "room")
    passage_text = _normalise(text)
    if not passage_text:
        raise MeetingError("text: the passage is empty")
    source_room_id: uuid.UUID | None = None
    source_party_id: uuid.UUID | None
    if source_type == "minutes":
        source = _minutes(session, actor, process, source_id)
        if source.room_id is None:
            raise MeetingError("source_id: carry from a room's minutes, not joint minutes")
        source_room = get_visible(session, actor, Room, source.room_id)
        source_room_id, source_party_id = source_room.id, source_room.party_id
    elif source_type == "amendments":
        source = _in_process(
            get_visible(session, actor, Amendment, source_id), process, "amendment"
        )
        source_party_id = source.party_id
    else:
        raise MeetingError("source_type: minutes or amendments")
    if source_room_id == target.id:
        raise MeetingError("target_room_id: the passage is already in that room")
    if passage_text not in _normalise(source.text):
        raise MeetingError("text: the passage is not in the source; carry its exact words")
    attribution = ""
    if attributed:
        party = parties_of(session, process.id).get(source_party_id) if source_party_id else None
        attribution = party.name if party is not None else "the mediator"
    passage = CarriedPassage(
        process_id=process.id,
        session_id=target.session_id,
        room_id=target.id,
        text=passage_text,
        attribution=attribution,
        space=target.space,
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, passage)
    audited_add(session, passage, actor=actor, action="session:carry:receive")
    carry = Carry(
        process_id=process.id,
        session_id=target.session_id,
        passage_id=passage.id,
        source_type=source_type,
        source_id=source.id,
        source_room_id=source_room_id,
        source_party_id=source_party_id,
        target_room_id=target.id,
        text=passage_text,
        attribution=Attribution.ATTRIBUTED if attributed else Attribution.UNATTRIBUTED,
        carried_by_id=actor.user_id,
        carried_at=passage.carried_at,
        space="mediator",
    )
    audited_add(session, carry, actor=actor, action="session:carry")
    return carry


__all__ = [
    "AgendaIn",
    "ScheduleIn",
    "MeetingError",
    "amend_minutes",
    "approve_minutes",
    "carry_passage",
    "circulate_minutes",
    "delegated_party_ids",
    "minutes_hash",
    "parties_of",
    "party_sees",
    "required_approvers",
    "schedule_meeting",
    "set_meeting_status",
]
