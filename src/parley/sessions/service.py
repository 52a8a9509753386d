"""Writing meetings, rooms, minutes and carry-overs: one named, audited call per change.

Every function runs inside the caller's ``write_session`` (one transaction), takes the acting
user keyword-only, fetches what it touches through ``authz.scope.get_visible_in`` (hidden =
NotFound), and asks ``authz.rules.require_action`` who may take the action in the record's
state (visible but not allowed = Forbidden, 403; allowed but not now = NotInState, 409). Every
door — the forms and JSON API of :mod:`parley.sessions.views`, the scenario loader, the CLI —
calls these functions; nothing else writes these tables.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, parse_space
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import (
    actor_party_id,
    get_visible_in,
    require_writable_space,
    space_owner,
    visible_reference,
)
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL, provision_visible
from parley.db.base import utcnow
from parley.db.conflict import Conflict
from parley.errors import InputError
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
from parley.sessions.schemas import AgendaIn, MeetingUpdate, MinutesIn, ScheduleIn
from parley.textguard import require_visible_text
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Amendment, Document, Provision


class MeetingError(InputError):
    """Bad input for a meeting, its minutes or a statement; the message starts with the field."""


class StaleText(Conflict):
    """The text changed since the client read it (409); the message names the ``hash`` field."""


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


def _space(session: Session, actor: Actor, process: Process, space: str) -> str:
    return require_writable_space(session, actor, process.id, space)


def _key_taken(session: Session, model: Any, process: Process, key: str) -> bool:
    # Keys are unique per process across spaces: a clash with anything, visible or not, gets
    # the same neutral answer.
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .where(model.process_id == process.id, model.key == key)
        .execution_options(**{INTERNAL: True})
    )
    return bool(count)


def visible_provision(
    session: Session, actor: Actor, process: Process, ref: str, *, field: str
) -> tuple[uuid.UUID, uuid.UUID]:
    """(document id, provision id) of ``document/wid`` when the actor can see that provision in
    some version; a missing document, a hidden one, a missing provision and one that only a
    hidden draft holds all give the same error, which does not repeat the reference."""
    doc_key, _, wid = ref.partition("/")
    found = session.execute(
        sa.select(Document.id, Provision.id)
        .join(Provision, Provision.document_id == Document.id)
        .where(Document.process_id == process.id, Document.key == doc_key, Provision.wid == wid)
        .execution_options(**{INTERNAL: True})  # checked for visibility just below
    ).first()
    if found is None or not provision_visible(session, actor, process.id, found[1]):
        raise MeetingError("no such provision", field=field)
    visible_reference(session, actor, Document, process.id, found[0], field=field)
    return found[0], found[1]


def _visible_document(
    session: Session, actor: Actor, process: Process, key: str, *, field: str
) -> uuid.UUID:
    found = session.scalars(
        sa.select(Document.id)
        .where(Document.process_id == process.id, Document.key == key)
        .execution_options(**{INTERNAL: True})  # checked for visibility just below
    ).first()
    if found is None:
        raise MeetingError("unknown document", field=field)
    return visible_reference(session, actor, Document, process.id, found, field=field).id


def _check_times(data: Any) -> None:
    if data.timezone is not None:
        try:
            ZoneInfo(data.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise MeetingError(f"unknown time zone {data.timezone!r}", field="timezone") from None
    if data.starts_at is not None and data.starts_at.tzinfo is None:
        raise MeetingError("give a time zone offset", field="starts_at")
    if data.ends_at is not None and data.ends_at.tzinfo is None:
        raise MeetingError("give a time zone offset", field="ends_at")


# ---------------------------------------------------------------- meetings


def meeting_subject(meeting: Meeting) -> Subject:
    return Subject(meeting.process_id, state=str(meeting.status))


def get_meeting(session: Session, actor: Actor, process: Process, meeting_id: Any) -> Meeting:
    return get_visible_in(session, actor, Meeting, process.id, meeting_id)


def schedule_meeting(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    data: ScheduleIn,
    status: str | None = None,
    rooms: bool = True,
) -> Meeting:
    """Create a meeting (the mediator convenes); a proximity meeting gets a room per delegation
    and the mediator's notes (``rooms=False``: the caller opens them, as the loader does).

    ``status`` other than planned is for the system actor only: the loader and bundle import
    record meetings that were held before Parley knew of them.
    """
    require_action(actor, "meeting", "schedule", Subject(process.id, state="planned"))
    space = _space(session, actor, process, data.space)
    _check_times(data)
    if data.ends_at is not None and data.ends_at < data.starts_at:
        raise MeetingError("must not come before starts_at", field="ends_at")
    if _key_taken(session, Meeting, process, data.key):
        raise MeetingError("not available; choose another key", field="key")
    if status not in (None, "planned") and not actor.is_system:
        raise MeetingError("a meeting starts planned; hold and close it", field="status")
    parties = {p.key: p for p in parties_of(session, process.id).values()}
    unknown = [k for k in data.parties if k not in parties]
    if unknown:
        raise MeetingError(f"unknown party {unknown[0]!r}", field="parties")
    meeting = Meeting(
        process_id=process.id,
        key=data.key,
        title=data.title,
        format=MeetingFormat(data.format),
        status=MeetingStatus(status or "planned"),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        timezone=data.timezone,
        place=data.place,
        outcome=data.outcome,
        space=space,
    )
    audited_add(session, meeting, actor=actor, action="session:schedule")
    for key in data.parties:
        audited_add(
            session,
            MeetingParticipant(
                process_id=process.id, session_id=meeting.id, party_id=parties[key].id
            ),
            actor=actor,
            action="session:participant:add",
            space=meeting.space,
        )
    for person_key in data.people:
        person_id = session.scalars(
            sa.select(Person.id)
            .where(Person.process_id == process.id, Person.key == person_key)
            .execution_options(**{INTERNAL: True})  # checked for visibility just below
        ).first()
        if person_id is None:
            raise MeetingError("unknown person", field="people")
        visible_reference(session, actor, Person, process.id, person_id, field="people")
        audited_add(
            session,
            MeetingParticipant(process_id=process.id, session_id=meeting.id, person_id=person_id),
            actor=actor,
            action="session:participant:add",
            space=meeting.space,
        )
    for ordinal, item in enumerate(data.agenda):
        add_agenda_item(
            session, actor=actor, process=process, meeting=meeting, item=item, ordinal=ordinal
        )
    if rooms and meeting.format == MeetingFormat.PROXIMITY:
        _proximity_rooms(
            session, actor=actor, meeting=meeting, parties=[parties[k] for k in data.parties]
        )
    return meeting


def add_agenda_item(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    meeting: Meeting,
    item: AgendaIn,
    ordinal: int,
) -> AgendaItem:
    """One agenda item; a document or provision it names must be visible to the actor."""
    require_action(actor, "meeting", "update", meeting_subject(meeting))
    field = f"agenda[{ordinal}]"
    document_id = provision_id = None
    if item.provision:
        document_id, provision_id = visible_provision(
            session, actor, process, item.provision, field=f"{field}.provision"
        )
    elif item.document:
        document_id = _visible_document(
            session, actor, process, item.document, field=f"{field}.document"
        )
    return audited_add(
        session,
        AgendaItem(
            process_id=process.id,
            session_id=meeting.id,
            ordinal=ordinal,
            title=item.title,
            document_id=document_id,
            provision_id=provision_id,
        ),
        actor=actor,
        action="session:agenda:add",
        space=meeting.space,
    )


def open_room(
    session: Session,
    *,
    actor: Actor,
    meeting: Meeting,
    party: Party | None,
    name: str | None = None,
) -> Room:
    """A delegation's room (``party:P+mediator``) or the mediator's notes (``mediator``); the
    mediator opens rooms, and only in its own spaces."""
    require_action(actor, "room", "open", meeting_subject(meeting))
    if party is not None and party.kind == PartyKind.MEDIATOR:
        party = None
    space = f"party:{party.key}+mediator" if party is not None else "mediator"
    room = Room(
        process_id=meeting.process_id,
        session_id=meeting.id,
        party_id=party.id if party is not None else None,
        name=name or (f"{party.name} room" if party is not None else "Mediator's notes"),
        space=space,
    )
    return audited_add(session, room, actor=actor, action="session:room:create")


def _proximity_rooms(
    session: Session, *, actor: Actor, meeting: Meeting, parties: Iterable[Party]
) -> None:
    delegated = delegated_party_ids(session, meeting.process_id)
    for party in parties:
        if party.kind == PartyKind.MEDIATOR or party.id not in delegated:
            continue
        open_room(session, actor=actor, meeting=meeting, party=party)
    open_room(session, actor=actor, meeting=meeting, party=None)


def update_meeting(
    session: Session, *, actor: Actor, process: Process, meeting_id: Any, data: MeetingUpdate
) -> Meeting:
    """Move or describe a planned or held meeting (its convener, the mediator)."""
    meeting = get_meeting(session, actor, process, meeting_id)
    require_action(actor, "meeting", "update", meeting_subject(meeting))
    values = data.model_dump(exclude_unset=True)
    if any(v is None for k, v in values.items() if k not in ("ends_at",)):
        field = next(k for k, v in values.items() if v is None and k != "ends_at")
        raise MeetingError("must not be empty", field=field)
    _check_times(data)
    starts = values.get("starts_at", meeting.starts_at)
    ends = values.get("ends_at", meeting.ends_at)
    if ends is not None and starts is not None and _aware(ends) < _aware(starts):
        raise MeetingError("must not come before starts_at", field="ends_at")
    audited_update(session, meeting, values, actor=actor, action="session:update")
    return meeting


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


_ACTION_FOR = {MeetingStatus.HELD: "hold", MeetingStatus.CLOSED: "close"}
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
    """planned → held → closed, one step at a time, by the convener (a closed meeting stays
    closed). ``session_id`` is the meeting's id."""
    meeting = get_meeting(session, actor, process, session_id)
    try:
        wanted = MeetingStatus(status)
    except ValueError:
        raise MeetingError(f"{status!r} is not one of held, closed", field="status") from None
    action = _ACTION_FOR.get(wanted)
    if action is None:
        raise MeetingError("a meeting is never set back to planned", field="status")
    require_action(actor, "meeting", action, meeting_subject(meeting))
    if _NEXT_STATUS.get(meeting.status) != wanted:
        raise MeetingError(f"a {meeting.status} meeting cannot become {wanted}", field="status")
    values: dict[str, Any] = {"status": wanted}
    if outcome is not None:
        values["outcome"] = outcome
    audited_update(session, meeting, values, actor=actor, action=f"session:{action}")
    return meeting


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
                sa.select(MeetingParticipant.party_id)
                .where(
                    MeetingParticipant.session_id == minutes.session_id,
                    MeetingParticipant.party_id.is_not(None),
                )
                .execution_options(**{INTERNAL: True})
            )
        )
    chosen = [parties[i] for i in ids if i in parties and i in delegated]
    chosen = [p for p in chosen if party_sees(minutes.space, p)]
    return sorted(chosen, key=lambda p: p.key)


def minutes_owners(session: Session, minutes: Minutes) -> frozenset[str]:
    """The delegation that keeps these minutes: the room's, or the party whose own space holds
    joint minutes (none for shared minutes: the mediator keeps those)."""
    if minutes.room_id is not None:
        party_id = session.scalar(
            sa.select(Room.party_id)
            .where(Room.id == minutes.room_id)
            .execution_options(**{INTERNAL: True})
        )
        party = parties_of(session, minutes.process_id).get(party_id) if party_id else None
        return frozenset({party.key}) if party is not None else frozenset()
    key = space_owner(session, minutes.process_id, minutes.space)
    return frozenset({key}) if key else frozenset()


def minutes_subject(session: Session, minutes: Minutes) -> Subject:
    return Subject(
        minutes.process_id,
        state=str(minutes.status),
        owners=minutes_owners(session, minutes),
        signatories=frozenset(p.key for p in required_approvers(session, minutes)),
    )


def get_minutes(session: Session, actor: Actor, process: Process, minutes_id: Any) -> Minutes:
    return get_visible_in(session, actor, Minutes, process.id, minutes_id)


def draft_minutes(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    data: MinutesIn,
    status: str | None = None,
) -> Minutes:
    """Minutes of a room (in the room's space) or joint minutes of a meeting (in ``space``).

    ``status`` other than draft is for the system actor (the loader records minutes as they
    stand; approved ones are frozen with their hash)."""
    meeting = visible_reference(
        session, actor, Meeting, process.id, data.session_id, field="session_id"
    )
    text = require_visible_text(data.text, field="text")
    if data.room_id is not None:
        room = visible_reference(session, actor, Room, process.id, data.room_id, field="room_id")
        if room.session_id != meeting.id:
            raise MeetingError("the room belongs to another meeting", field="room_id")
        space = room.space
    elif not data.space:
        raise MeetingError("required for joint minutes", field="space")
    else:
        try:
            space = str(parse_space(data.space))
        except SpaceError as exc:
            raise MeetingError(str(exc), field="space") from None
    minutes = Minutes(
        process_id=process.id,
        session_id=meeting.id,
        room_id=data.room_id,
        text=text,
        status=MinutesStatus.DRAFT,
        space=space,
    )
    require_action(actor, "minutes", "draft", minutes_subject(session, minutes))
    if data.room_id is None:
        _space(session, actor, process, space)  # who may draft may still not write there
    if status not in (None, "draft"):
        if not actor.is_system:
            raise MeetingError(
                "minutes start as a draft; circulate and approve them", field="status"
            )
        minutes.status = MinutesStatus(status)
        if minutes.status == MinutesStatus.APPROVED:
            minutes.content_hash = text_hash(text)
    audited_add(session, minutes, actor=actor, action="session:minutes:create")
    return minutes


def circulate_minutes(
    session: Session, *, actor: Actor, process: Process, minutes_id: Any
) -> Minutes:
    """draft → circulated: the minutes go to the meeting's participants for approval."""
    minutes = get_minutes(session, actor, process, minutes_id)
    require_action(actor, "minutes", "circulate", minutes_subject(session, minutes))
    if minutes.status != MinutesStatus.DRAFT:
        raise MeetingError(f"{minutes.status} minutes cannot be circulated", field="status")
    audited_update(
        session,
        minutes,
        {"status": MinutesStatus.CIRCULATED},
        actor=actor,
        action="session:minutes:circulate",
    )
    return minutes


def amend_minutes(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    minutes_id: Any,
    text: str,
    expected_hash: str,
) -> Minutes:
    """Change the text the client edited (``expected_hash`` is that text's hash: a stale one is
    a 409, so that no edit silently erases another). Once circulated, the minutes become
    ``amended`` and every earlier approval is void (it names the old hash); approved minutes
    are frozen."""
    minutes = get_minutes(session, actor, process, minutes_id)
    require_action(actor, "minutes", "amend", minutes_subject(session, minutes))
    if minutes.status == MinutesStatus.APPROVED or minutes.content_hash:
        raise MeetingError("approved minutes are frozen", field="text")
    if not text.strip():
        raise MeetingError("must not be empty", field="text")
    require_visible_text(text, field="text")
    if not expected_hash:
        raise MeetingError("give the hash of the text you edited", field="hash")
    if expected_hash != text_hash(minutes.text):
        raise StaleText("hash: the minutes changed since you read them; read them again")
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
    minutes = get_minutes(session, actor, process, minutes_id)
    subject = minutes_subject(session, minutes)
    require_action(actor, "minutes", "approve", subject)
    party_id = actor_party_id(actor, process.id)
    required = required_approvers(session, minutes)
    if actor.is_system or party_id not in {p.id for p in required}:
        raise Forbidden("your delegation does not approve these minutes")
    current = text_hash(minutes.text)
    if expected_hash != current:
        raise MeetingError("the minutes changed since you read them; read them again", field="hash")
    existing = session.scalars(
        sa.select(MinutesApproval).where(
            MinutesApproval.minutes_id == minutes.id,
            MinutesApproval.party_id == party_id,
        )
    ).first()
    now = utcnow()
    if existing is None:
        audited_add(
            session,
            MinutesApproval(
                process_id=process.id,
                minutes_id=minutes.id,
                party_id=party_id,
                user_id=actor.user_id,
                content_hash=current,
                approved_at=now,
            ),
            actor=actor,
            action="session:minutes:approve",
            space=minutes.space,
        )
    elif existing.content_hash == current:
        raise MeetingError("your delegation already approved this text", field="hash")
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
    require_action(actor, "passage", "carry", Subject(process.id))
    target = get_visible_in(session, actor, Room, process.id, target_room_id)
    passage_text = _normalise(text)
    if not passage_text:
        raise MeetingError("the passage is empty", field="text")
    source_room_id: uuid.UUID | None = None
    source_party_id: uuid.UUID | None
    source: Minutes | Amendment
    if source_type == "minutes":
        source = get_minutes(session, actor, process, source_id)
        if source.room_id is None:
            raise MeetingError("source_id: carry from a room's minutes, not joint minutes")
        source_room = get_visible_in(session, actor, Room, process.id, source.room_id)
        source_room_id, source_party_id = source_room.id, source_room.party_id
    elif source_type == "amendments":
        amendment = get_visible_in(session, actor, Amendment, process.id, source_id)
        source, source_party_id = amendment, amendment.party_id
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
    "MeetingError",
    "StaleText",
    "add_agenda_item",
    "amend_minutes",
    "approve_minutes",
    "carry_passage",
    "circulate_minutes",
    "delegated_party_ids",
    "draft_minutes",
    "get_meeting",
    "get_minutes",
    "minutes_hash",
    "open_room",
    "parties_of",
    "party_sees",
    "required_approvers",
    "schedule_meeting",
    "set_meeting_status",
    "update_meeting",
    "visible_provision",
]
