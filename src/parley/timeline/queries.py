"""The timeline: every dated record of every kind a reader may see, in one list.

Each kind says which column dates it, how it is labelled and linked, and which parties and
documents it concerns (for the filters). Every read of a spaced model is scoped through
``authz.visible``; link tables (participants, speakers, agenda items, commitment links) are read
only for records already visible. Evidence spans are listed only when the reader may see both
the evidence row and its source.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor, visible
from parley.authz.visibility import INTERNAL, SCOPED
from parley.commitments.models import Commitment, CommitmentLink, FulfilmentEvent
from parley.intake.models import Evidence, Source
from parley.processes.models import Party, Process
from parley.sequencing.models import Milestone, StatusClaim
from parley.sessions.models import (
    AgendaItem,
    Carry,
    Meeting,
    MeetingParticipant,
    Statement,
    StatementKind,
    StatementProvision,
    StatementSignatory,
    StatementSpeaker,
)
from parley.texts.models import Document, Provision, Signature, Version

KINDS = (
    "sessions",
    "statements",
    "versions",
    "signatures",
    "commitments",
    "fulfilment-events",
    "milestones",
    "status-claims",
    "sources",
    "carries",
)


@dataclass
class Item:
    day: date
    at: datetime | None
    kind: str
    id: uuid.UUID
    label: str
    space: str
    url: str
    parties: set[uuid.UUID] = field(default_factory=set)
    documents: set[uuid.UUID] = field(default_factory=set)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, party_keys: dict[uuid.UUID, str]) -> dict[str, Any]:
        return {
            "date": self.day.isoformat(),
            "at": self.at.isoformat() if self.at else None,
            "kind": self.kind,
            "id": str(self.id),
            "label": self.label,
            "space": self.space,
            "url": self.url,
            "parties": sorted(party_keys[p] for p in self.parties if p in party_keys),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Filters:
    party: str | None = None  # party key
    kind: str | None = None
    document: str | None = None  # document key
    start: date | None = None
    end: date | None = None


def _scoped(actor: Actor, model: Any, process_id: uuid.UUID) -> sa.Select[Any]:
    return (
        sa.select(model)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _pairs(db: Session, query: Any) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = {}
    for owner, target in db.execute(query).all():
        if target is not None:
            out.setdefault(owner, set()).add(target)
    return out


def _period(column: Any, filters: Filters, is_datetime: bool) -> list[sa.ColumnElement[bool]]:
    clauses = [column.is_not(None)]
    if filters.start is not None:
        start: Any = filters.start
        if is_datetime:
            start = datetime.combine(filters.start, datetime.min.time()).astimezone()
        clauses.append(column >= start)
    if filters.end is not None:
        if is_datetime:
            end = datetime.combine(filters.end, datetime.max.time()).astimezone()
            clauses.append(column <= end)
        else:
            clauses.append(column <= filters.end)
    return clauses


Collector = Callable[[Session, Actor, Process, Filters, str], list[Item]]


def _meetings(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Meeting, p.id).where(*_period(Meeting.starts_at, f, True))
    ).all()
    ids = [r.id for r in rows]
    parties = _pairs(
        db,
        sa.select(MeetingParticipant.session_id, MeetingParticipant.party_id).where(
            MeetingParticipant.session_id.in_(ids)
        ),
    )
    docs = _pairs(
        db,
        sa.select(AgendaItem.session_id, AgendaItem.document_id).where(
            AgendaItem.session_id.in_(ids)
        ),
    )
    return [
        Item(
            _day(r.starts_at),
            r.starts_at,
            "sessions",
            r.id,
            r.title,
            r.space,
            f"{base}/meetings/{r.id}",
            parties.get(r.id, set()),
            docs.get(r.id, set()),
        )
        for r in rows
    ]


def _statements(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Statement, p.id).where(*_period(Statement.made_on, f, False))
    ).all()
    ids = [r.id for r in rows]
    parties = _pairs(
        db,
        sa.select(StatementSpeaker.statement_id, StatementSpeaker.party_id).where(
            StatementSpeaker.statement_id.in_(ids)
        ),
    )
    for owner, targets in _pairs(
        db,
        sa.select(StatementSignatory.statement_id, StatementSignatory.party_id).where(
            StatementSignatory.statement_id.in_(ids)
        ),
    ).items():
        parties.setdefault(owner, set()).update(targets)
    docs = _pairs(
        db,
        sa.select(StatementProvision.statement_id, Provision.document_id)
        .join(Provision, Provision.id == StatementProvision.provision_id)
        .where(StatementProvision.statement_id.in_(ids)),
    )
    out = []
    for r in rows:
        assert r.made_on is not None
        slug = "joint-statements" if r.kind == StatementKind.JOINT else "statements"
        out.append(
            Item(
                r.made_on,
                None,
                "statements",
                r.id,
                r.title or r.key,
                r.space,
                f"{base}/{slug}/{r.id}",
                parties.get(r.id, set()),
                docs.get(r.id, set()),
            )
        )
    return out


def _versions(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(_scoped(actor, Version, p.id).where(*_period(Version.dated, f, False))).all()
    return [
        Item(
            r.dated,
            None,
            "versions",
            r.id,
            r.title or r.label,
            r.space,
            f"{base}/versions/{r.id}",
            {r.author_party_id} if r.author_party_id else set(),
            {r.document_id},
        )
        for r in rows
    ]


def _signatures(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Signature, p.id).where(*_period(Signature.signed_at, f, True))
    ).all()
    names = _party_names(db, p)
    version_docs = dict(
        db.execute(
            sa.select(Version.id, Version.document_id)
            .where(Version.id.in_([r.object_id for r in rows if r.object_type == "version"]))
            .execution_options(**{INTERNAL: True})  # only the document id of a signed version
        ).all()
    )
    out = []
    for r in rows:
        if r.object_type == "statement":
            url, docs = f"{base}/joint-statements/{r.object_id}", set()
        else:
            doc = version_docs.get(r.object_id)
            url, docs = f"{base}/versions/{r.object_id}", {doc} if doc else set()
        label = f"Signed by {names.get(r.party_id, '?')}"
        out.append(
            Item(
                _day(r.signed_at),
                r.signed_at,
                "signatures",
                r.id,
                label,
                r.space,
                url,
                {r.party_id},
                docs,
            )
        )
    return out


def _commitments(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Commitment, p.id).where(*_period(Commitment.period_start, f, False))
    ).all()
    docs = _commitment_docs(db, [r.id for r in rows])
    return [
        Item(
            r.period_start,
            None,
            "commitments",
            r.id,
            r.title,
            r.space,
            f"{base}/commitments/{r.id}",
            {x for x in (r.donor_party_id, r.recipient_party_id) if x},
            docs.get(r.id, set()),
        )
        for r in rows
    ]


def _commitment_docs(db: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
    return _pairs(
        db,
        sa.select(CommitmentLink.commitment_id, Provision.document_id)
        .join(Provision, Provision.id == CommitmentLink.provision_id)
        .where(CommitmentLink.commitment_id.in_(ids)),
    )


def _fulfilment(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, FulfilmentEvent, p.id).where(*_period(FulfilmentEvent.occurred_on, f, False))
    ).all()
    # An event lives in its commitment's space, so the commitment is visible with it.
    commitments = {
        c.id: c
        for c in db.scalars(
            _scoped(actor, Commitment, p.id).where(
                Commitment.id.in_([r.commitment_id for r in rows])
            )
        )
    }
    docs = _commitment_docs(db, list(commitments))
    out = []
    for r in rows:
        c = commitments.get(r.commitment_id)
        label = f"{r.kind}: {c.title}" if c else str(r.kind)
        parties = {x for x in (c.donor_party_id, c.recipient_party_id) if x} if c else set()
        out.append(
            Item(
                r.occurred_on,
                None,
                "fulfilment-events",
                r.id,
                label,
                r.space,
                f"{base}/fulfilment-events/{r.id}",
                parties,
                docs.get(r.commitment_id, set()),
            )
        )
    return out


def _milestones(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Milestone, p.id).where(*_period(Milestone.on_date, f, False))
    ).all()
    return [
        Item(
            r.on_date,
            None,
            "milestones",
            r.id,
            r.title,
            r.space,
            f"{base}/milestones/{r.id}",
        )
        for r in rows
    ]


def _claims(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, StatusClaim, p.id).where(*_period(StatusClaim.claimed_on, f, False))
    ).all()
    docs = dict(
        db.execute(
            sa.select(Provision.id, Provision.document_id).where(
                Provision.id.in_([r.provision_id for r in rows if r.provision_id])
            )
        ).all()
    )
    names = _party_names(db, p)
    out = []
    for r in rows:
        who = "neutral" if r.is_neutral else names.get(r.party_id, "?") if r.party_id else "?"
        out.append(
            Item(
                r.claimed_on,
                None,
                "status-claims",
                r.id,
                f"{r.status} ({who})",
                r.space,
                f"{base}/status-claims/{r.id}",
                {r.party_id} if r.party_id else set(),
                {docs[r.provision_id]} if r.provision_id in docs else set(),
            )
        )
    return out


def _sources(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    rows = db.scalars(
        _scoped(actor, Source, p.id).where(*_period(Source.published_on, f, False))
    ).all()
    return [
        Item(
            r.published_on,
            None,
            "sources",
            r.id,
            r.title or r.key,
            r.space,
            f"{base}/sources/{r.id}",
        )
        for r in rows
    ]


def _carries(db: Session, actor: Actor, p: Process, f: Filters, base: str) -> list[Item]:
    # Carry-overs live in the mediator's space: only the mediator's team ever gets any here.
    rows = db.scalars(_scoped(actor, Carry, p.id).where(*_period(Carry.carried_at, f, True))).all()
    return [
        Item(
            _day(r.carried_at),
            r.carried_at,
            "carries",
            r.id,
            f"Carried ({r.attribution}): {r.text[:60]}",
            r.space,
            f"{base}/meetings/{r.session_id}",
            {r.source_party_id} if r.source_party_id else set(),
        )
        for r in rows
    ]


COLLECTORS: dict[str, Collector] = {
    "sessions": _meetings,  # the kind keeps its public name
    "statements": _statements,
    "versions": _versions,
    "signatures": _signatures,
    "commitments": _commitments,
    "fulfilment-events": _fulfilment,
    "milestones": _milestones,
    "status-claims": _claims,
    "sources": _sources,
    "carries": _carries,
}


def _party_names(db: Session, process: Process) -> dict[uuid.UUID, str]:
    # Parties are listed to everyone in the process.
    return dict(
        db.execute(
            sa.select(Party.id, Party.key)
            .where(Party.process_id == process.id)
            .execution_options(**{INTERNAL: True})
        ).all()
    )


def _evidence(db: Session, actor: Actor, process: Process, items: list[Item], base: str) -> None:
    by_id = {i.id: i for i in items}
    rows = db.execute(
        sa.select(Evidence, Source)
        .join(Source, Source.id == Evidence.source_id)
        .where(
            Evidence.process_id == process.id,
            Evidence.object_id.in_(list(by_id)),
            visible(actor, Evidence),
            visible(actor, Source),
        )
        .execution_options(**{SCOPED: True})
    ).all()
    for evidence, source in rows:
        by_id[evidence.object_id].evidence.append(
            {
                "source": source.title or source.key,
                "quote": source.text[evidence.start : evidence.end],
                "url": f"{base}/sources/{source.id}",
            }
        )


def timeline(
    db: Session, actor: Actor, process: Process, filters: Filters, base: str | None = None
) -> list[Item]:
    """Every dated record ``actor`` may see, oldest first, filtered; links under ``base``."""
    base = base if base is not None else f"/p/{process.key}"
    kinds = [filters.kind] if filters.kind in COLLECTORS else list(COLLECTORS)
    if filters.kind and filters.kind not in COLLECTORS:
        return []
    items: list[Item] = []
    for kind in kinds:
        items.extend(COLLECTORS[kind](db, actor, process, filters, base))
    if filters.party:
        wanted = {k for k, v in _party_names(db, process).items() if v == filters.party}
        items = [i for i in items if i.parties & wanted]
    if filters.document:
        docs = set(
            db.scalars(
                _scoped(actor, Document, process.id).where(Document.key == filters.document)
            ).all()
        )
        doc_ids = {d.id for d in docs}
        items = [i for i in items if i.documents & doc_ids]
    items.sort(key=lambda i: (i.day, i.at.isoformat() if i.at else "", i.kind, i.label))
    _evidence(db, actor, process, items, base)
    return items


def party_keys(db: Session, process: Process) -> dict[uuid.UUID, str]:
    return _party_names(db, process)


def activity_figure(items: list[Item]) -> dict[str, Any]:
    """A compact stacked bar chart of records per day and kind (a plotly figure as a dict)."""
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    counts: dict[str, dict[str, int]] = {}
    for item in items:
        counts.setdefault(item.kind, {}).setdefault(item.day.isoformat(), 0)
        counts[item.kind][item.day.isoformat()] += 1
    figure = go.Figure()
    for kind in KINDS:
        if kind in counts:
            days = sorted(counts[kind])
            figure.add_trace(go.Bar(x=days, y=[counts[kind][d] for d in days], name=kind))
    figure.update_layout(
        barmode="stack",
        height=220,
        margin={"l": 30, "r": 10, "t": 10, "b": 30},
        legend={"orientation": "h", "y": -0.25},
        xaxis={"type": "date"},
        yaxis={"title": "records"},
    )
    data: dict[str, Any] = json.loads(figure.to_json())
    return data


__all__ = ["KINDS", "Filters", "Item", "activity_figure", "party_keys", "timeline"]
