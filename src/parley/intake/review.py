"""Reviewing proposals: accept, merge, edit, reject, and bulk accept or reject (all audited).

Accepting turns a proposal into a record of the process, or updates the record it matches:

| proposal   | record                                                                       |
|------------|------------------------------------------------------------------------------|
| person     | a person (and the title, when the record does not hold it yet)               |
| party      | a party (an unknown one is created as an observer)                           |
| meeting    | a session: date, place, participants, format                                 |
| quote      | a statement (unilateral for a named speaker, press otherwise) and speakers   |
| document   | a link to a document the record has (never a new document)                  |
| commitment | a pledge: donor, recipient, amount, currency, period                         |
| demand     | a sticking point                                                             |
| warning    | nothing: accepting acknowledges it, rejecting dismisses it                   |

The source is linked to the record as evidence with the proposal's exact offsets. Merging does
the same into a record the reviewer chooses, filling only its empty fields.

Spaces: a proposal in space S may only be linked to records that every reader of S can see
(:func:`parley.intake.gazetteer_db.readable_by_all_of`); new records are created in S; the
evidence always lives in S, next to its source. A record the reviewer may not change (say a
public person, for a delegation reviewing its private intake) gets the evidence link only.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, Permission, can, get_visible, require
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.commitments.models import Commitment, CommitmentKind, FulfilmentKind
from parley.db.base import utcnow
from parley.errors import InputError
from parley.intake.gazetteer import norm
from parley.intake.gazetteer_db import party_keys, readable_by_all_of, scoped_in
from parley.intake.models import Evidence, Proposal, ProposalStatus, Source
from parley.intake.service import KINDS
from parley.positions.models import StickingPoint
from parley.processes.models import Party, PartyKind, Person, PersonTitle, Process
from parley.sessions.models import (
    Meeting,
    MeetingFormat,
    MeetingParticipant,
    MeetingStatus,
    Statement,
    StatementKind,
    StatementSpeaker,
    StatementStatus,
)
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Document

RECORD_MODELS: dict[str, Any] = {
    "person": Person,
    "party": Party,
    "meeting": Meeting,
    "quote": Statement,
    "statement": Statement,
    "document": Document,
    "commitment": Commitment,
    "demand": StickingPoint,
}
# The web's URL slug of each record kind (parley.web.kinds.KINDS).
RECORD_SLUGS = {
    "people": "people",
    "parties": "parties",
    "sessions": "sessions",
    "statements": "statements",
    "documents": "documents",
    "commitments": "commitments",
    "sticking_points": "sticking-points",
}


class ReviewError(InputError):
    """A proposal cannot be reviewed this way: the message starts with the field's name."""


class AlreadyReviewed(ReviewError):
    """The proposal was accepted, merged or rejected already (answers 409)."""


@dataclass
class ReviewResult:
    proposal_id: uuid.UUID
    kind: str
    status: str
    record_type: str | None = None
    record_id: uuid.UUID | None = None
    created: bool = False
    evidence_id: uuid.UUID | None = None
    filled: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    read_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.proposal_id),
            "kind": self.kind,
            "status": self.status,
            "record_type": self.record_type,
            "record_id": str(self.record_id) if self.record_id else None,
            "record_url_slug": RECORD_SLUGS.get(self.record_type or ""),
            "created": self.created,
            "evidence_id": str(self.evidence_id) if self.evidence_id else None,
            "filled": self.filled,
            "unresolved": self.unresolved,
            "read_only": self.read_only,
        }


# ---------------------------------------------------------------- edits


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonEdit(_Edit):
    name: str | None = Field(None, min_length=1, max_length=200)
    title: str | None = Field(None, max_length=200)
    party: str | None = Field(None, max_length=200)


class PartyEdit(_Edit):
    name: str | None = Field(None, min_length=1, max_length=200)
    kind: Literal["party", "mediator", "guarantor", "observer"] | None = None


_Date = date  # the field below is called "date"


class MeetingEdit(_Edit):
    date: _Date | None = None
    place: str | None = Field(None, max_length=200)
    participants: list[str] | None = None
    format: Literal["bilateral", "proximity", "plenary", "call"] | None = None
    title: str | None = Field(None, max_length=300)


class QuoteEdit(_Edit):
    speaker: str | None = Field(None, max_length=200)
    speakers: list[str] | None = None
    text: str | None = Field(None, min_length=1)
    kind: Literal["quote", "joint_statement", "reported"] | None = None


class StatementEdit(_Edit):
    kind: Literal["joint_statement", "communique", "readout"] | None = None
    people: list[str] | None = None
    parties: list[str] | None = None
    date: _Date | None = None
    place: str | None = Field(None, max_length=200)


class DocumentEdit(_Edit):
    name: str | None = Field(None, min_length=1, max_length=300)


class CommitmentEdit(_Edit):
    donor: str | None = Field(None, max_length=200)
    recipient: str | None = Field(None, max_length=200)
    amount: int | None = Field(None, ge=0, lt=10**18)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    period: str | None = Field(None, max_length=200)
    instrument: str | None = Field(None, max_length=40)


class DemandEdit(_Edit):
    party: str | None = Field(None, max_length=200)
    text: str | None = Field(None, min_length=1)
    kind: Literal["demand", "sticking_point"] | None = None


EDITS: dict[str, type[_Edit]] = {
    "person": PersonEdit,
    "party": PartyEdit,
    "meeting": MeetingEdit,
    "quote": QuoteEdit,
    "statement": StatementEdit,
    "document": DocumentEdit,
    "commitment": CommitmentEdit,
    "demand": DemandEdit,
}
EDITABLE_FIELDS = {kind: tuple(schema.model_fields) for kind, schema in EDITS.items()}


# ---------------------------------------------------------------- fetching


def _proposal(
    session: Session, actor: Actor, process: Process, proposal_id: Any, *, pending: bool = True
) -> Proposal:
    """The proposal (NotFound when hidden or missing), writable by the actor, still pending."""
    proposal = get_visible(session, actor, Proposal, proposal_id)
    if proposal.process_id != process.id:
        raise NotFound("proposal")
    require(actor, Permission.PROCESS_RECORD_WRITE, proposal)
    require_action(actor, "proposal", "review", Subject(process_id=process.id))
    if pending and proposal.status != ProposalStatus.PENDING:
        raise AlreadyReviewed(f"status: the proposal was {proposal.status} already")
    return proposal


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "record"


def _key(text: str, proposal: Proposal, limit: int = 64) -> str:
    """A readable key with the proposal's id in it: keys are unique per process across spaces,
    and a key chosen around a clash would hint at a record the reviewer cannot see."""
    tail = proposal.id.hex[:6]
    return f"{_slug(text)[: limit - len(tail) - 1].strip('-') or 'record'}-{tail}"


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _same_place(a: str | None, b: str | None) -> bool:
    return (a or "").split(",")[0].strip().casefold() == (b or "").split(",")[0].strip().casefold()


def _period_dates(period: str | None) -> tuple[date | None, date | None]:
    """ "2026-2027" covers both years; "2026" one year; anything else no dates."""
    match = re.fullmatch(r"\s*(\d{4})(?:\s*[-–]\s*(\d{4}))?\s*", period or "")
    if match is None:
        return None, None
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if last < first:
        return None, None
    return date(first, 1, 1), date(last, 12, 31)


def _local_date(when: datetime, zone: str) -> date:
    try:
        return when.astimezone(ZoneInfo(zone or "UTC")).date()
    except (ZoneInfoNotFoundError, ValueError):
        return when.astimezone(UTC).date()


# ---------------------------------------------------------------- applying a proposal


class _Apply:
    """One review action: finds, creates and fills records, links the evidence."""

    def __init__(
        self, session: Session, actor: Actor, process: Process, proposal: Proposal
    ) -> None:
        self.session = session
        self.actor = actor
        self.process = process
        self.proposal = proposal
        self.payload: dict[str, Any] = dict(proposal.payload or {})
        self.spaces = readable_by_all_of(proposal.space, party_keys(session, process.id))
        self.source = get_visible(session, actor, Source, proposal.source_id)
        self.result = ReviewResult(proposal.id, proposal.kind, "pending")
        self._cache: dict[Any, list[Any]] = {}

    # -- reading the record

    def rows(self, model: Any) -> list[Any]:
        if model not in self._cache:
            self._cache[model] = list(
                self.session.scalars(
                    scoped_in(self.actor, model, self.process.id, self.spaces).order_by(model.id)
                )
            )
        return self._cache[model]

    def _named(self, model: Any, name: str | None, *fields: str) -> Any | None:
        if not name or not name.strip():
            return None
        wanted = norm(name)
        for row in self.rows(model):
            names = [getattr(row, f) for f in fields] + list(getattr(row, "aliases", None) or [])
            if any(isinstance(n, str) and norm(n) == wanted for n in names):
                return row
        return None

    def party(self, name: str | None, role: str) -> Party | None:
        found = self._named(Party, name, "name", "key")
        if name and found is None:
            self.result.unresolved.append(f"{role}: {name}")
        return found

    def person(self, name: str | None) -> Person | None:
        return self._named(Person, name, "name", "key")

    def speaker(self, name: str, role: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
        """(party id, person id) of a named participant or speaker."""
        person = self.person(name)
        if person is not None:
            return None, person.id
        party = self.party(name, role)
        return (party.id if party else None), None

    # -- writing

    def writable(self, obj: Any) -> bool:
        return can(self.actor, Permission.PROCESS_RECORD_WRITE, obj)

    def create(self, obj: Any, action: str) -> Any:
        require(self.actor, Permission.PROCESS_RECORD_WRITE, obj)
        audited_add(self.session, obj, actor=self.actor, action=action)
        self.result.created = True
        return obj

    def fill(self, obj: Any, values: dict[str, Any], action: str) -> None:
        """Set the fields of ``obj`` that are still empty (when the reviewer may change it)."""
        wanted = {k: v for k, v in values.items() if not _empty(v) and _empty(getattr(obj, k))}
        if not wanted:
            return
        if not self.writable(obj):
            self.result.read_only = True
            return
        changed = audited_update(self.session, obj, wanted, actor=self.actor, action=action)
        self.result.filled += [k for k in changed if k not in self.result.filled]

    def add_alias(self, obj: Any, name: str, action: str) -> None:
        known = [obj.name, *(obj.aliases or [])]
        if any(norm(n) == norm(name) for n in known if isinstance(n, str)):
            return
        if not self.writable(obj):
            self.result.read_only = True
            return
        audited_update(
            self.session,
            obj,
            {"aliases": [*(obj.aliases or []), name]},
            actor=self.actor,
            action=action,
        )
        self.result.filled.append("aliases")

    def link_row(self, obj: Any, owner: Any, action: str) -> bool:
        """A link row without a space of its own (a title, participant, speaker)."""
        if not self.writable(owner):
            self.result.read_only = True
            return False
        audited_add(self.session, obj, actor=self.actor, action=action, space=owner.space)
        return True

    def evidence(self, record: Any) -> None:
        link = audited_add(
            self.session,
            Evidence(
                process_id=self.process.id,
                source_id=self.source.id,
                start=self.proposal.start,
                end=self.proposal.end,
                object_type=record.__tablename__,
                object_id=record.id,
                space=self.proposal.space,
            ),
            actor=self.actor,
            action="intake:evidence:link",
        )
        self.result.record_type = record.__tablename__
        self.result.record_id = record.id
        self.result.evidence_id = link.id

    def new(self, model: Any, key_text: str, **values: Any) -> Any:
        # Party keys name spaces ("party:KEY") and are shorter than other keys.
        limit = 32 if model is Party else 64
        return model(
            process_id=self.process.id,
            key=_key(key_text, self.proposal, limit),
            space=self.proposal.space,
            **values,
        )

    def text(self, name: str) -> str:
        value = self.payload.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ReviewError(f"{name}: the proposal has none; edit it first")
        return value.strip()


def _apply_person(ap: _Apply, target: Any | None) -> Any:
    name = ap.text("name")
    party = ap.party(ap.payload.get("party"), "party")
    record = target or ap.person(name)
    if record is None:
        record = ap.create(
            ap.new(
                Person,
                name,
                name=name[:200],
                aliases=[],
                party_id=party.id if party else None,
                affiliation=(party.name if party else "")[:200],
            ),
            "process:person:create",
        )
    else:
        ap.add_alias(record, name, "process:person:update")
        values = {
            "party_id": party.id if party else None,
            "affiliation": party.name if party else "",
        }
        ap.fill(record, values, "process:person:update")
    title = (ap.payload.get("title") or "").strip()
    if title:
        held = ap.session.scalars(
            sa.select(PersonTitle.title).where(PersonTitle.person_id == record.id)
        ).all()
        if not any(h.casefold() == title.casefold() for h in held):
            row = PersonTitle(process_id=ap.process.id, person_id=record.id, title=title[:200])
            if ap.link_row(row, record, "process:person:title"):
                ap.result.filled.append("title")
    return record


def _apply_party(ap: _Apply, target: Any | None) -> Any:
    name = ap.text("name")
    record = target or ap._named(Party, name, "name", "key")
    if record is None:
        kind = ap.payload.get("kind") or "observer"
        if kind not in set(PartyKind):
            kind = "observer"
        return ap.create(
            ap.new(Party, name, name=name[:200], kind=PartyKind(kind), aliases=[]),
            "process:party:create",
        )
    ap.add_alias(record, name, "process:party:update")
    return record


def _apply_document(ap: _Apply, target: Any | None) -> Any:
    name = ap.text("name")
    record = target or ap._named(Document, name, "title", "key")
    if record is None:
        raise ReviewError(
            f"document: the record has no document called {name!r}; merge the proposal into "
            "one of its documents, or reject it"
        )
    return record


def _meeting_title(place: str, day: date) -> str:
    return f"Meeting in {place} on {day.isoformat()}" if place else f"Meeting on {day.isoformat()}"


def _apply_meeting(ap: _Apply, target: Any | None) -> Any:
    raw = ap.payload.get("date")
    try:
        day = date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        day = None
    if day is None:
        raise ReviewError("date: the meeting has no date; edit the proposal to give one")
    place = (ap.payload.get("place") or "").strip()
    names = [n for n in ap.payload.get("participants") or [] if isinstance(n, str) and n.strip()]
    fmt = ap.payload.get("format") or ("bilateral" if len(names) <= 2 else "plenary")
    record = target
    if record is None:
        record = next(
            (
                s
                for s in ap.rows(Meeting)
                if _local_date(s.starts_at, s.timezone) == day and _same_place(s.place, place)
            ),
            None,
        )
    if record is None:
        published = ap.source.published_on or utcnow().date()
        record = ap.create(
            ap.new(
                Meeting,
                f"{place or 'meeting'} {day.isoformat()}",
                title=(ap.payload.get("title") or _meeting_title(place, day))[:300],
                format=MeetingFormat(fmt),
                status=MeetingStatus.HELD if day <= published else MeetingStatus.PLANNED,
                # The report gives a day, not a time: noon UTC is that day from UTC-11 to UTC+11.
                starts_at=datetime.combine(day, time(12, 0), UTC),
                timezone="UTC",
                place=place[:200],
            ),
            "session:create",
        )
    else:
        ap.fill(record, {"place": place[:200]}, "session:update")
    present = {
        (p.party_id, p.person_id)
        for p in ap.session.scalars(
            sa.select(MeetingParticipant).where(MeetingParticipant.session_id == record.id)
        )
    }
    for name in names:
        party_id, person_id = ap.speaker(name, "participant")
        if (party_id, person_id) == (None, None) or (party_id, person_id) in present:
            continue
        present.add((party_id, person_id))
        row = MeetingParticipant(
            process_id=ap.process.id, session_id=record.id, party_id=party_id, person_id=person_id
        )
        ap.link_row(row, record, "session:participant:add")
    return record


def _apply_quote(ap: _Apply, target: Any | None) -> Any:
    text = ap.text("text")
    names = [n for n in ap.payload.get("speakers") or [] if isinstance(n, str) and n.strip()]
    if not names and ap.payload.get("speaker"):
        names = [str(ap.payload["speaker"])]
    speakers = [ap.speaker(n, "speaker") for n in names]
    speakers = [s for s in speakers if s != (None, None)]
    digest = text_hash(text)
    record = target or next((s for s in ap.rows(Statement) if s.text_hash == digest), None)
    if record is None:
        named = ap.payload.get("kind", "quote") == "quote" and speakers
        by = ", ".join(names) or (ap.payload.get("speaker_text") or "Unnamed source")
        where = ap.source.outlet or ap.source.title
        record = ap.create(
            ap.new(
                Statement,
                names[0] if names else "statement",
                kind=StatementKind.UNILATERAL if named else StatementKind.PRESS,
                status=StatementStatus.PUBLISHED,
                title=(f"{by}, as reported by {where}" if where else by)[:300],
                text=text,
                made_on=ap.source.published_on,
                place="",
                text_hash=digest,
            ),
            "statement:create",
        )
    else:
        ap.fill(record, {"made_on": ap.source.published_on}, "statement:update")
    present = {
        (s.party_id, s.person_id)
        for s in ap.session.scalars(
            sa.select(StatementSpeaker).where(StatementSpeaker.statement_id == record.id)
        )
    }
    for party_id, person_id in speakers:
        if (party_id, person_id) in present:
            continue
        present.add((party_id, person_id))
        row = StatementSpeaker(
            process_id=ap.process.id,
            statement_id=record.id,
            party_id=party_id,
            person_id=person_id,
        )
        ap.link_row(row, record, "statement:speaker:add")
    return record


_STATEMENT_KINDS = {
    "joint_statement": "joint statement",
    "communique": "communiqué",
    "readout": "readout",
}


def _apply_statement(ap: _Apply, target: Any | None) -> Any:
    """A joint statement, communiqué or readout, dated and placed as the report says, with every
    signatory person and party as a speaker."""
    kind = str(ap.payload.get("kind") or "joint_statement")
    names = [
        str(n)
        for n in [*(ap.payload.get("people") or []), *(ap.payload.get("parties") or [])]
        if isinstance(n, str) and n.strip()
    ]
    if not names:
        raise ReviewError("parties: a statement needs at least one signatory; edit the proposal")
    made_on: date | None = ap.source.published_on
    if ap.payload.get("date"):
        try:
            made_on = date.fromisoformat(str(ap.payload["date"]))
        except ValueError:
            raise ReviewError("date: expected YYYY-MM-DD; edit the proposal") from None
    place = str(ap.payload.get("place") or "")[:200]
    start, end = ap.proposal.start, ap.proposal.end
    text = ap.source.text[start:end] if ap.source.text else ""
    if not text.strip():
        raise ReviewError("text: the statement's sentence is empty")
    digest = text_hash(text)
    record = target or next((s for s in ap.rows(Statement) if s.text_hash == digest), None)
    speakers = [ap.speaker(n, "speaker") for n in names]
    if record is None:
        label = _STATEMENT_KINDS.get(kind, "statement")
        title = f"{label.capitalize()} by {', '.join(names)}"
        record = ap.create(
            ap.new(
                Statement,
                f"{label} {names[0]}",
                kind=StatementKind.PRESS if kind == "readout" else StatementKind.JOINT,
                status=StatementStatus.PUBLISHED,
                title=title[:300],
                text=text,
                made_on=made_on,
                place=place,
                text_hash=digest,
            ),
            "statement:create",
        )
    else:
        ap.fill(record, {"made_on": made_on, "place": place}, "statement:update")
    present = {
        (row.party_id, row.person_id)
        for row in ap.session.scalars(
            sa.select(StatementSpeaker).where(StatementSpeaker.statement_id == record.id)
        )
    }
    for party_id, person_id in speakers:
        if (party_id, person_id) == (None, None) or (party_id, person_id) in present:
            continue
        present.add((party_id, person_id))
        row = StatementSpeaker(
            process_id=ap.process.id,
            statement_id=record.id,
            party_id=party_id,
            person_id=person_id,
        )
        ap.link_row(row, record, "statement:speaker:add")
    return record


def _amount(value: Any) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(int(value)))
    except (TypeError, ValueError):
        raise ReviewError("amount: not a whole number; edit the proposal") from None


def _apply_commitment(ap: _Apply, target: Any | None) -> Any:
    amount = _amount(ap.payload.get("amount"))
    currency = ap.payload.get("currency") or None
    if amount is not None and not currency:
        raise ReviewError("currency: required with an amount; edit the proposal")
    donor = ap.party(ap.payload.get("donor"), "donor")
    recipient = ap.party(ap.payload.get("recipient"), "recipient")
    period = (ap.payload.get("period") or "").strip()
    start, end = _period_dates(period)
    record = target
    if record is None and donor is not None:
        record = next(
            (
                c
                for c in ap.rows(Commitment)
                if c.donor_party_id == donor.id and c.currency == currency and c.amount == amount
            ),
            None,
        )
    values = {
        "donor_party_id": donor.id if donor else None,
        "recipient_party_id": recipient.id if recipient else None,
        "amount": amount,
        "currency": currency,
        "period_start": start,
        "period_end": end,
        "period_text": period[:200],
    }
    if record is not None:
        ap.fill(record, values, "commitment:update")
        return record
    who = donor.name if donor else (ap.payload.get("donor") or "Unnamed donor")
    to = f" to {recipient.name}" if recipient else ""
    instrument = str(ap.payload.get("instrument") or "pledge").strip()[:40] or "pledge"
    figure = f"{int(amount):,} {currency}" if amount is not None else ""
    alt = ap.payload.get("alt_amount")
    if alt and ap.payload.get("alt_currency"):
        figure += f" ({int(alt):,} {ap.payload['alt_currency']})"
    title = (
        f"{who} {instrument}{to}"
        + (f": {figure}" if figure else "")
        + (f", {period}" if period else "")
    )
    return ap.create(
        ap.new(
            Commitment,
            f"{who} pledge",
            kind=CommitmentKind.PLEDGE,
            title=title[:300],
            status=FulfilmentKind.PLEDGED,
            **values,
        ),
        "commitment:create",
    )


def _apply_demand(ap: _Apply, target: Any | None) -> Any:
    text = ap.text("text")
    party = (ap.payload.get("party") or "").strip()
    name = (f"{party}: {text}" if party else text)[:200]
    record = target or next(
        (s for s in ap.rows(StickingPoint) if s.name.casefold() == name.casefold()), None
    )
    said = "names as a sticking point" if ap.payload.get("kind") == "sticking_point" else "demands"
    description = f"{party or 'A party'} {said}: {text}"
    if record is None:
        return ap.create(
            ap.new(StickingPoint, text, name=name, description=description, is_open=True),
            "position:sticking-point:create",
        )
    ap.fill(record, {"description": description}, "position:sticking-point:update")
    return record


APPLY = {
    "person": _apply_person,
    "party": _apply_party,
    "document": _apply_document,
    "meeting": _apply_meeting,
    "quote": _apply_quote,
    "statement": _apply_statement,
    "commitment": _apply_commitment,
    "demand": _apply_demand,
}


def _close(
    session: Session, actor: Actor, proposal: Proposal, status: ProposalStatus, action: str
) -> None:
    audited_update(
        session,
        proposal,
        {"status": status, "reviewed_by_id": actor.user_id, "reviewed_at": utcnow()},
        actor=actor,
        action=action,
    )


def _review(
    session: Session, actor: Actor, process: Process, proposal: Proposal, target: Any | None
) -> ReviewResult:
    if proposal.kind == "warning":
        if target is not None:
            raise ReviewError("record_id: a warning is acknowledged or dismissed, not merged")
        _close(session, actor, proposal, ProposalStatus.ACCEPTED, "intake:proposal:accept")
        return ReviewResult(proposal.id, proposal.kind, str(ProposalStatus.ACCEPTED))
    if proposal.kind not in APPLY:
        raise ReviewError(f"kind: cannot accept a proposal of kind {proposal.kind!r}")
    ap = _Apply(session, actor, process, proposal)
    if target is not None and target.space not in ap.spaces:
        raise ReviewError(
            "record_id: that record is in a narrower space than the proposal; choose one that "
            "everyone who sees the proposal can see"
        )
    record = APPLY[proposal.kind](ap, target)
    ap.evidence(record)
    status = ProposalStatus.MERGED if target is not None else ProposalStatus.ACCEPTED
    audited_update(
        session,
        proposal,
        {
            "status": status,
            "record_type": record.__tablename__,
            "record_id": record.id,
            "reviewed_by_id": actor.user_id,
            "reviewed_at": utcnow(),
        },
        actor=actor,
        action=f"intake:proposal:{'merge' if target is not None else 'accept'}",
    )
    ap.result.status = str(status)
    return ap.result


# ---------------------------------------------------------------- the service calls


def accept_proposal(
    session: Session, *, actor: Actor, process: Process, proposal_id: Any
) -> ReviewResult:
    """Create the record a proposal describes, or update the one it matches; link the evidence."""
    proposal = _proposal(session, actor, process, proposal_id)
    return _review(session, actor, process, proposal, None)


def merge_proposal(
    session: Session, *, actor: Actor, process: Process, proposal_id: Any, record_id: Any
) -> ReviewResult:
    """Link the evidence to a chosen record of the same kind and fill its empty fields."""
    proposal = _proposal(session, actor, process, proposal_id)
    model = RECORD_MODELS.get(proposal.kind)
    if model is None:
        raise ReviewError("record_id: a warning is acknowledged or dismissed, not merged")
    try:
        target = get_visible(session, actor, model, record_id)
    except NotFound:
        raise ReviewError("record_id: no such record") from None
    if target.process_id != process.id:
        raise ReviewError("record_id: no such record")
    return _review(session, actor, process, proposal, target)


def edit_proposal(
    session: Session, *, actor: Actor, process: Process, proposal_id: Any, changes: dict[str, Any]
) -> Proposal:
    """Change payload fields before accepting (only the fields of the proposal's kind)."""
    proposal = _proposal(session, actor, process, proposal_id)
    schema = EDITS.get(proposal.kind)
    if schema is None:
        raise ReviewError("kind: a warning cannot be edited")
    try:
        parsed = schema.model_validate(changes)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ReviewError(f"{where}: {first['msg']}") from None
    values = parsed.model_dump(mode="json", exclude_unset=True)
    payload = {**(proposal.payload or {}), **values}
    if proposal.kind == "quote" and "speaker" in values and "speakers" not in values:
        payload["speakers"] = [values["speaker"]] if values["speaker"] else []
    if proposal.kind == "commitment" and "amount" in values:
        payload["amount_text"] = f"{values['amount']:,} {payload.get('currency') or ''}".strip()
    audited_update(
        session, proposal, {"payload": payload}, actor=actor, action="intake:proposal:edit"
    )
    return proposal


def reject_proposal(
    session: Session, *, actor: Actor, process: Process, proposal_id: Any
) -> ReviewResult:
    proposal = _proposal(session, actor, process, proposal_id)
    _close(session, actor, proposal, ProposalStatus.REJECTED, "intake:proposal:reject")
    return ReviewResult(proposal.id, proposal.kind, str(ProposalStatus.REJECTED))


def bulk_review(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    proposal_ids: list[Any],
    action: Literal["accept", "reject"],
) -> list[dict[str, Any]]:
    """Accept or reject many proposals. Each is all-or-nothing on its own (a savepoint), and
    they are taken parties and people first, so that meetings and quotes find them."""
    found: list[tuple[Proposal | None, str, str]] = []
    seen: set[str] = set()
    for raw in proposal_ids:
        key = str(raw).strip()
        if not key or key in seen:
            continue
        seen.add(key)
        try:
            found.append((_proposal(session, actor, process, key, pending=False), key, ""))
        except NotFound:
            found.append((None, key, "not found"))
        except Forbidden:
            found.append((None, key, "not allowed"))
    order = {kind: i for i, kind in enumerate(KINDS)}
    found.sort(
        key=lambda item: (order.get(item[0].kind, 99), item[0].start) if item[0] else (-1, 0)
    )
    results = []
    for proposal, key, problem in found:
        if proposal is None:
            results.append({"id": key, "status": "error", "error": problem})
            continue
        try:
            with session.begin_nested():
                if proposal.status != ProposalStatus.PENDING:
                    raise AlreadyReviewed(f"status: the proposal was {proposal.status} already")
                if action == "accept":
                    result = _review(session, actor, process, proposal, None)
                else:
                    _close(
                        session, actor, proposal, ProposalStatus.REJECTED, "intake:proposal:reject"
                    )
                    result = ReviewResult(proposal.id, proposal.kind, "rejected")
            results.append(result.to_dict())
        except (ReviewError, Forbidden) as exc:
            session.expire(proposal)
            results.append({"id": key, "kind": proposal.kind, "status": "error", "error": str(exc)})
    return results
