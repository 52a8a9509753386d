"""The process home: what waits for this user, the next meetings, what changed, the parts.

Every query is scoped by ``authz`` in SQL (``visible`` through ``scoped``), and whether an item
waits for the user is the rules table's answer (``permits``): a delegation never sees an item
of another delegation's space, and a viewer or an observer, who may change nothing, has an empty
inbox. Items name their record ("Approve the minutes of the Ukraine room, Miami round"), never
its kind alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.models import AuditEvent
from parley.authz import Actor, visible
from parley.authz.rules import Subject, permits
from parley.authz.scope import actor_party_id, can_write_in
from parley.db.base import utcnow
from parley.intake.models import Proposal, ProposalStatus, Source
from parley.processes.models import Party, Process
from parley.records.kinds import scoped
from parley.sessions.models import (
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Room,
    Statement,
    StatementKind,
    StatementSignatory,
    StatementStatus,
)
from parley.texts.models import Amendment, AmendmentStatus, Document, ProvisionText

# Kinds of inbox item, in the order the home lists them.
KINDS = ("statement", "minutes", "amendment", "draft", "intake")


@dataclass(frozen=True)
class Item:
    """One thing that waits for the user."""

    kind: str  # one of KINDS
    action: str  # the verb on the button: "Sign", "Approve", "Decide", "Review", "Submit"
    title: str  # the record's name
    detail: str  # one line of context: who asked, against what
    url: str
    space: str
    when: datetime | date | None = None
    when_label: str = ""  # what the date is: "Meeting", "Submitted", "Made", "Published"

    def as_json(self) -> dict[str, Any]:
        when = self.when.isoformat() if self.when is not None else None
        return {
            "kind": self.kind,
            "action": self.action,
            "title": self.title,
            "detail": self.detail,
            "url": self.url,
            "space": self.space,
            "when": when,
            "when_label": self.when_label,
        }


def _parties(db: Session, process_id: uuid.UUID) -> dict[uuid.UUID, Party]:
    from parley.sessions.service import parties_of

    return parties_of(db, process_id)


def _minutes(db: Session, actor: Actor, process: Process) -> list[Item]:
    from parley.sessions.queries import minutes_json

    rows = db.execute(
        scoped(actor, Minutes, process.id)
        .add_columns(Meeting.title, Meeting.starts_at, Meeting.id)
        .join(Meeting, Meeting.id == Minutes.session_id)
        .where(Minutes.status.in_([MinutesStatus.CIRCULATED, MinutesStatus.AMENDED]))
        .order_by(Meeting.starts_at, Minutes.id)
    ).all()
    room_names = {
        r.id: r.name
        for r in db.scalars(
            scoped(actor, Room, process.id).where(
                Room.id.in_([m.room_id for m, *_ in rows if m.room_id is not None])
            )
        )
    }
    out = []
    for minutes, title, starts_at, meeting_id in rows:
        if not minutes_json(db, actor, minutes)["can_approve"]:
            continue
        room = room_names.get(minutes.room_id) if minutes.room_id else None
        out.append(
            Item(
                "minutes",
                "Approve",
                f"Minutes: {room}" if room else "Joint minutes",
                title,
                f"/p/{process.key}/meetings/{meeting_id}#minutes-{minutes.id}",
                minutes.space,
                starts_at,
                "Meeting",
            )
        )
    return out


def _statements(db: Session, actor: Actor, process: Process) -> list[Item]:
    from parley.sessions.statements import seal_of, statement_subject

    party_id = actor_party_id(actor, process.id)
    if party_id is None:
        return []
    mine = (
        sa.select(StatementSignatory.statement_id)
        .where(StatementSignatory.party_id == party_id)
        .scalar_subquery()
    )
    statements = db.scalars(
        scoped(actor, Statement, process.id)
        .where(
            Statement.kind == StatementKind.JOINT,
            Statement.status.in_([StatementStatus.DRAFT, StatementStatus.PUBLISHED]),
            Statement.id.in_(mine),
        )
        .order_by(Statement.made_on, Statement.key)
    ).all()
    out = []
    for s in statements:
        if not permits(actor, "joint-statement", "sign", statement_subject(db, s)):
            continue
        approved = db.scalar(
            sa.select(StatementSignatory.approved_hash).where(
                StatementSignatory.statement_id == s.id, StatementSignatory.party_id == party_id
            )
        )
        if approved == seal_of(db, s):
            continue
        out.append(
            Item(
                "statement",
                "Sign",
                s.title or "Joint statement",
                "Joint statement awaiting your delegation's signature",
                f"/p/{process.key}/joint-statements/{s.id}",
                s.space,
                s.made_on,
                "Made",
            )
        )
    return out


def _amendment_rows(db: Session, actor: Actor, process: Process, *where: Any) -> list[Any]:
    return list(
        db.execute(
            scoped(actor, Amendment, process.id)
            .add_columns(Document.title, Document.key, ProvisionText.number)
            .join(Document, Document.id == Amendment.document_id)
            .outerjoin(
                ProvisionText,
                sa.and_(
                    ProvisionText.provision_id == Amendment.provision_id,
                    ProvisionText.version_id == Amendment.base_version_id,
                ),
            )
            .where(*where)
            .order_by(Amendment.submitted_at, Amendment.created_at, Amendment.key)
        ).all()
    )


def _against(doc_title: str, number: str | None) -> str:
    return f"{doc_title}, point {number}" if number else doc_title


def _amendments(db: Session, actor: Actor, process: Process) -> list[Item]:
    """Submitted amendments: the mediator decides them; every other delegation reviews those
    tabled by someone else. A delegation's own drafts wait to be submitted."""
    party_id = actor_party_id(actor, process.id)
    if party_id is None or not can_write_in(actor, process.id):
        return []
    parties = _parties(db, process.id)
    decides = permits(actor, "amendment", "accept", Subject(process.id, state="submitted"))
    out = []
    tabled = _amendment_rows(db, actor, process, Amendment.status == AmendmentStatus.SUBMITTED)
    for a, doc_title, doc_key, label in tabled:
        if not decides and a.party_id == party_id:
            continue  # one's own amendment waits for the mediator, not for oneself
        by = parties[a.party_id].name if a.party_id in parties else "another delegation"
        out.append(
            Item(
                "amendment",
                "Decide" if decides else "Review",
                f"Amendment {a.key} to {_against(doc_title, label)}",
                f"Tabled by {by}",
                f"/p/{process.key}/texts/{doc_key}/amendments#amendment-{a.key}",
                a.space,
                a.submitted_at or a.created_at,
                "Submitted",
            )
        )
    drafts = _amendment_rows(
        db,
        actor,
        process,
        Amendment.status == AmendmentStatus.DRAFT,
        Amendment.party_id == party_id,
    )
    for a, doc_title, doc_key, label in drafts:
        owners = frozenset({parties[a.party_id].key} if a.party_id in parties else ())
        owner = Subject(process.id, state="draft", owners=owners)
        if not permits(actor, "amendment", "submit", owner):
            continue
        out.append(
            Item(
                "draft",
                "Submit",
                f"Draft amendment {a.key} to {_against(doc_title, label)}",
                "Your delegation's draft, not yet tabled",
                f"/p/{process.key}/texts/{doc_key}/amendments#amendment-{a.key}",
                a.space,
                a.created_at,
                "Drafted",
            )
        )
    return out


def _intake(db: Session, actor: Actor, process: Process) -> list[Item]:
    if not permits(actor, "proposal", "review", Subject(process.id)):
        return []
    pending = (
        scoped(actor, Proposal, process.id)
        .where(Proposal.status == ProposalStatus.PENDING)
        .subquery()
    )
    rows = db.execute(
        scoped(actor, Source, process.id)
        .add_columns(sa.func.count(pending.c.id))
        .join(pending, pending.c.source_id == Source.id)
        .group_by(Source.id)
        .order_by(Source.title)
    ).all()
    out = []
    for source, count in rows:
        out.append(
            Item(
                "intake",
                "Review",
                source.title,
                f"{count} intake proposal{'' if count == 1 else 's'} to review",
                f"/p/{process.key}/review?source={source.id}",
                source.space,
                source.published_on,
                "Published",
            )
        )
    return out


def waiting(db: Session, actor: Actor, process: Process) -> list[Item]:
    """Everything that waits for ``actor`` in the process, in the order of :data:`KINDS`."""
    if actor.user_id is None or not can_write_in(actor, process.id):
        return []  # viewers, observers and outsiders take no action
    return [
        *_statements(db, actor, process),
        *_minutes(db, actor, process),
        *_amendments(db, actor, process),
        *_intake(db, actor, process),
    ]


def next_meetings(db: Session, actor: Actor, process: Process, limit: int = 5) -> list[Meeting]:
    """Meetings still planned, and any that start from now on, soonest first."""
    return list(
        db.scalars(
            scoped(actor, Meeting, process.id)
            .where(sa.or_(Meeting.status == MeetingStatus.PLANNED, Meeting.starts_at >= utcnow()))
            .order_by(Meeting.starts_at, Meeting.key)
            .limit(limit)
        )
    )


def recent_events(db: Session, actor: Actor, process: Process, limit: int = 8) -> list[AuditEvent]:
    """The newest audit events in the spaces ``actor`` can see."""
    return list(
        db.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.process_id == process.id, visible(actor, AuditEvent))
            .order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
            .limit(limit)
        )
    )
