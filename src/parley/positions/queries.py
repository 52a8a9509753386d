"""Reads for the convergence map, the optimizer and released packages, all scoped in SQL.

Every select of a spaced model goes through :func:`parley.authz.visible`; provisions and bracket
options (which have no space of their own) are reached only through a visible document,
version or bracket, so that nothing here names a provision the actor cannot see.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor, visible
from parley.authz.visibility import SCOPED
from parley.positions.models import (
    PackageShare,
    Position,
    ReleasedPackage,
    StickingPoint,
    StickingPointProvision,
)
from parley.processes.models import Party
from parley.texts.models import (
    Bracket,
    BracketOption,
    BracketStatus,
    Document,
    Provision,
    ProvisionText,
    Version,
    VersionKind,
)

_SCOPED = {SCOPED: True}


@dataclass(frozen=True)
class PartyRow:
    id: uuid.UUID
    key: str
    name: str
    kind: str


@dataclass(frozen=True)
class PositionRow:
    id: uuid.UUID
    party: str
    document: str
    provision_id: uuid.UUID
    wid: str
    option_id: uuid.UUID | None
    option_key: str | None
    bracket_key: str | None
    stance: str
    priority: int
    utility: int | None
    space: str

    @property
    def provision(self) -> str:
        return f"{self.document}/{self.wid}"


@dataclass(frozen=True)
class VersionRow:
    id: uuid.UUID
    document: str
    document_id: uuid.UUID
    label: str
    title: str
    kind: str
    space: str

    @property
    def ref(self) -> str:
        return f"{self.document}/{self.label}"


@dataclass(frozen=True)
class OptionRow:
    id: uuid.UUID
    key: str  # unique within its provision in the version (bracket/key if two brackets)
    text: str
    bracket_space: str


@dataclass(frozen=True)
class ContestedRow:
    provision_id: uuid.UUID
    ref: str  # doc/wid
    number: str
    heading: str
    options: tuple[OptionRow, ...]


def parties(db: Session, actor: Actor, process_id: uuid.UUID) -> list[PartyRow]:
    rows = db.scalars(
        sa.select(Party)
        .where(Party.process_id == process_id, visible(actor, Party))
        .order_by(Party.key)
        .execution_options(**_SCOPED)
    ).all()
    return [PartyRow(p.id, p.key, p.name, str(p.kind)) for p in rows]


def documents(db: Session, actor: Actor, process_id: uuid.UUID) -> list[Document]:
    return list(
        db.scalars(
            sa.select(Document)
            .where(Document.process_id == process_id, visible(actor, Document))
            .order_by(Document.key)
            .execution_options(**_SCOPED)
        )
    )


def positions(
    db: Session,
    actor: Actor,
    process_id: uuid.UUID,
    *,
    document_id: uuid.UUID | None = None,
    provision_ids: Collection[uuid.UUID] | None = None,
) -> list[PositionRow]:
    """The positions ``actor`` may see (its own party's, and what was shared with it), on
    provisions of documents and options of brackets it may see."""
    query = (
        sa.select(
            Position.id,
            Party.key,
            Document.key,
            Position.provision_id,
            Provision.wid,
            Position.option_id,
            BracketOption.key,
            Bracket.key,
            Position.stance,
            Position.priority,
            Position.utility,
            Position.space,
        )
        .join(Party, Party.id == Position.party_id)
        .join(Provision, Provision.id == Position.provision_id)
        .join(Document, Document.id == Provision.document_id)
        .outerjoin(BracketOption, BracketOption.id == Position.option_id)
        .outerjoin(Bracket, Bracket.id == BracketOption.bracket_id)
        .where(
            Position.process_id == process_id,
            visible(actor, Position),
            visible(actor, Document),
            # A position on an option of a bracket the reader cannot see means nothing to it,
            # and its label would name the hidden bracket.
            sa.or_(Position.option_id.is_(None), visible(actor, Bracket)),
        )
        .execution_options(**_SCOPED)
    )
    if document_id is not None:
        query = query.where(Provision.document_id == document_id)
    if provision_ids is not None:
        query = query.where(Position.provision_id.in_(list(provision_ids)))
    return [
        PositionRow(
            id=r[0],
            party=r[1],
            document=r[2],
            provision_id=r[3],
            wid=r[4],
            option_id=r[5],
            option_key=r[6],
            bracket_key=r[7],
            stance=str(r[8]),
            priority=r[9],
            utility=r[10],
            space=r[11],
        )
        for r in db.execute(query).all()
    ]


def headings(
    db: Session, actor: Actor, provision_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str, int]]:
    """(number, heading, ordinal) of each provision in the latest visible version holding it."""
    if not provision_ids:
        return {}
    rows = db.execute(
        sa.select(
            ProvisionText.provision_id,
            ProvisionText.number,
            ProvisionText.heading,
            ProvisionText.ordinal,
        )
        .join(Version, Version.id == ProvisionText.version_id)
        .where(ProvisionText.provision_id.in_(list(provision_ids)), visible(actor, Version))
        .order_by(Version.created_at)
        .execution_options(**_SCOPED)
    ).all()
    return {pid: (number, heading, ordinal) for pid, number, heading, ordinal in rows}


def contested_versions(db: Session, actor: Actor, process_id: uuid.UUID) -> list[VersionRow]:
    """Visible versions with at least one visible open bracket, the mediator's texts first,
    then the most recent."""
    has_brackets = (
        sa.select(Bracket.version_id)
        .where(
            Bracket.process_id == process_id,
            Bracket.status == BracketStatus.OPEN,
            visible(actor, Bracket),
        )
        .scalar_subquery()
    )
    rows = db.execute(
        sa.select(Version, Document.key)
        .join(Document, Document.id == Version.document_id)
        .where(
            Version.process_id == process_id,
            visible(actor, Version),
            visible(actor, Document),
            Version.id.in_(has_brackets),
        )
        .order_by(
            (Version.kind == VersionKind.MEDIATOR_TEXT).desc(),
            Version.dated.desc(),
            Version.created_at.desc(),
        )
        .execution_options(**_SCOPED)
    ).all()
    return [
        VersionRow(v.id, doc, v.document_id, v.label, v.title, str(v.kind), v.space)
        for v, doc in rows
    ]


def contested(db: Session, actor: Actor, version: VersionRow) -> list[ContestedRow]:
    """The provisions of ``version`` with visible open brackets, and their options, in text
    order. Option keys are the bracket's option keys, or ``bracket/key`` where one provision
    has two brackets."""
    brackets = db.scalars(
        sa.select(Bracket)
        .where(
            Bracket.version_id == version.id,
            Bracket.status == BracketStatus.OPEN,
            visible(actor, Bracket),
        )
        .order_by(Bracket.key)
        .execution_options(**_SCOPED)
    ).all()
    if not brackets:
        return []
    options = db.scalars(
        sa.select(BracketOption)
        .where(BracketOption.bracket_id.in_([b.id for b in brackets]))
        .order_by(BracketOption.key)
    ).all()
    texts = {
        t.provision_id: t
        for t in db.scalars(
            sa.select(ProvisionText).where(ProvisionText.version_id == version.id)
        ).all()
    }
    wids = dict(
        db.execute(
            sa.select(Provision.id, Provision.wid).where(
                Provision.id.in_([b.provision_id for b in brackets])
            )
        ).all()
    )
    by_provision: dict[uuid.UUID, list[Bracket]] = {}
    for bracket in brackets:
        by_provision.setdefault(bracket.provision_id, []).append(bracket)
    out = []
    for provision_id, mine in by_provision.items():
        several = len(mine) > 1
        row_options = tuple(
            OptionRow(
                id=o.id,
                key=f"{b.key}/{o.key}" if several else o.key,
                text=o.text,
                bracket_space=b.space,
            )
            for b in mine
            for o in options
            if o.bracket_id == b.id
        )
        text = texts.get(provision_id)
        out.append(
            ContestedRow(
                provision_id=provision_id,
                ref=f"{version.document}/{wids[provision_id]}",
                number=text.number if text else "",
                heading=text.heading if text else "",
                options=row_options,
            )
        )
    order = {pid: t.ordinal for pid, t in texts.items()}
    out.sort(key=lambda c: (order.get(c.provision_id, 1 << 30), c.ref))
    return out


def named_sticking_points(db: Session, actor: Actor, process_id: uuid.UUID) -> list[dict[str, Any]]:
    """Sticking points named in the record, with the provisions (of visible documents) they
    concern."""
    points = db.scalars(
        sa.select(StickingPoint)
        .where(StickingPoint.process_id == process_id, visible(actor, StickingPoint))
        .order_by(StickingPoint.key)
        .execution_options(**_SCOPED)
    ).all()
    if not points:
        return []
    links = db.execute(
        sa.select(StickingPointProvision.sticking_point_id, Document.key, Provision.wid)
        .join(Provision, Provision.id == StickingPointProvision.provision_id)
        .join(Document, Document.id == Provision.document_id)
        .where(
            StickingPointProvision.sticking_point_id.in_([p.id for p in points]),
            visible(actor, Document),
        )
        .order_by(Document.key, Provision.wid)
        .execution_options(**_SCOPED)
    ).all()
    provisions: dict[uuid.UUID, list[str]] = {}
    for point_id, doc, wid in links:
        provisions.setdefault(point_id, []).append(f"{doc}/{wid}")
    return [
        {
            "id": str(p.id),
            "key": p.key,
            "name": p.name,
            "description": p.description,
            "is_open": p.is_open,
            "space": p.space,
            "provisions": provisions.get(p.id, []),
        }
        for p in points
    ]


@dataclass(frozen=True)
class ReleasedRow:
    id: uuid.UUID
    title: str
    note: str
    objective: str
    package: list[Any]
    released_at: datetime
    space: str
    shares: list[dict[str, Any]]  # the actor-visible shares: party rows and the mediator's

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "title": self.title,
            "note": self.note,
            "objective": self.objective,
            "package": self.package,
            "released_at": self.released_at.isoformat(),
            "space": self.space,
            "shares": self.shares,
        }


def released(db: Session, actor: Actor, process_id: uuid.UUID) -> list[ReleasedRow]:
    """Released packages the actor may see, newest first, each with the shares it may see:
    a party its own, the mediator every party's and its own record."""
    packages = db.scalars(
        sa.select(ReleasedPackage)
        .where(ReleasedPackage.process_id == process_id, visible(actor, ReleasedPackage))
        .order_by(ReleasedPackage.released_at.desc(), ReleasedPackage.id)
        .execution_options(**_SCOPED)
    ).all()
    if not packages:
        return []
    keys = {p.id: p.key for p in parties(db, actor, process_id)}
    shares = db.scalars(
        sa.select(PackageShare)
        .where(
            PackageShare.package_id.in_([p.id for p in packages]),
            visible(actor, PackageShare),
        )
        .execution_options(**_SCOPED)
    ).all()
    by_package: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for share in shares:
        by_package.setdefault(share.package_id, []).append(
            {
                "party": keys.get(share.party_id) if share.party_id else None,
                "utility": share.utility,
                "concessions": share.concessions,
                "detail": share.detail,
                "space": share.space,
            }
        )
    for rows in by_package.values():
        rows.sort(key=lambda s: (s["party"] is None, s["party"] or ""))
    return [
        ReleasedRow(
            p.id,
            p.title,
            p.note,
            p.objective,
            p.package,
            p.released_at,
            p.space,
            by_package.get(p.id, []),
        )
        for p in packages
    ]
