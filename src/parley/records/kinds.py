"""The record kinds shown as generic lists and detail pages, each with its JSON twin.

Every kind is a spaced model; reads go through ``authz.visible``. References to other spaced
records are shown only when the reader may see the referenced record too, so that ids of hidden
objects never leak through a visible one.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.authz import Actor
from parley.authz.visibility import SCOPED, per_reader, visible, visible_provision_ids
from parley.commitments.models import Commitment, FulfilmentEvent
from parley.db.base import Spaced
from parley.intake.models import Source
from parley.notes.models import Note
from parley.positions.models import StickingPoint
from parley.processes.models import Party, Person
from parley.sequencing.models import Milestone, StatusClaim, Step, TemporalConstraint
from parley.sessions.models import Meeting, Minutes, Room, Statement
from parley.texts.models import Amendment, Bracket, Document, Version


@dataclass(frozen=True)
class Kind:
    slug: str
    model: Any
    title: str
    columns: tuple[str, ...]
    order: tuple[str, ...] = ("key",)
    label: str = "title"
    children: tuple[tuple[str, Any, str], ...] = field(default_factory=tuple)


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in (
        Kind(
            "parties", Party, "Parties", ("key", "name", "kind", "aliases", "space"), label="name"
        ),
        Kind(
            "people",
            Person,
            "People",
            ("name", "affiliation", "aliases", "space"),
            ("name",),
            "name",
        ),
        Kind("documents", Document, "Documents", ("key", "title", "kind", "space")),
        Kind(
            "versions",
            Version,
            "Versions",
            ("label", "kind", "dated", "content_hash", "space"),
            ("created_at",),
            "label",
        ),
        Kind(
            "amendments",
            Amendment,
            "Amendments",
            ("key", "kind", "status", "text", "justification", "space"),
            label="key",
        ),
        Kind("brackets", Bracket, "Brackets", ("key", "label", "status", "space"), label="key"),
        Kind(
            "sticking-points",
            StickingPoint,
            "Sticking points",
            ("key", "name", "is_open", "space"),
            label="name",
        ),
        Kind(
            "sessions",
            Meeting,
            "Sessions",
            ("title", "format", "status", "starts_at", "place", "space"),
            ("starts_at",),
        ),
        Kind("rooms", Room, "Rooms", ("name", "space"), ("name",), "name"),
        Kind("minutes", Minutes, "Minutes", ("status", "text", "space"), ("created_at",), "status"),
        Kind(
            "statements",
            Statement,
            "Statements",
            ("made_on", "kind", "title", "text", "space"),
            ("made_on", "key"),
        ),
        Kind(
            "commitments",
            Commitment,
            "Commitments",
            ("title", "kind", "amount", "currency", "period_text", "status", "space"),
        ),
        Kind(
            "fulfilment-events",
            FulfilmentEvent,
            "Fulfilment events",
            ("occurred_on", "kind", "amount", "currency", "note", "space"),
            ("occurred_on",),
            "kind",
        ),
        Kind("steps", Step, "Steps", ("key", "title", "min_days", "max_days", "space")),
        Kind("milestones", Milestone, "Milestones", ("key", "title", "on_date", "space")),
        Kind(
            "constraints",
            TemporalConstraint,
            "Constraints",
            ("key", "from_ref", "to_ref", "min_days", "max_days", "explanation", "space"),
            label="key",
        ),
        Kind(
            "status-claims",
            StatusClaim,
            "Status claims",
            ("claimed_on", "status", "level", "is_neutral", "note", "space"),
            ("claimed_on",),
            "status",
        ),
        Kind("notes", Note, "Notes", ("title", "text", "updated_at", "space"), ("title",)),
        Kind(
            "sources",
            Source,
            "Sources",
            ("published_on", "title", "outlet", "url", "space"),
            ("published_on", "key"),
        ),
    )
}


def scoped(actor: Actor, model: Any, process_id: Any) -> sa.Select[Any]:
    """The records of ``model`` in the process that the actor may read (``process_id`` may be a
    ``sa.bindparam``, for statements built once)."""
    return (
        sa.select(model)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def page_of(
    db: Session,
    actor: Actor,
    kind: Kind,
    process_id: uuid.UUID,
    page: int,
    size: int,
    filters: dict[str, Any] | None = None,
) -> tuple[list[Any], int]:
    values = {"process_id": process_id, "size": size, "skip": (page - 1) * size}
    if not filters:  # the common case: statements built once for this reader and kind
        count, rows = _pages[kind.slug](actor)
        total = db.scalar(count, values) or 0
        return list(db.scalars(rows, values).all()), total
    query = scoped(actor, kind.model, process_id)
    for name, value in filters.items():
        query = query.where(getattr(kind.model, name) == value)
    count, rows = _page_statements(kind, query)
    total = db.scalar(count) or 0
    return list(db.scalars(rows, {"size": size, "skip": values["skip"]}).all()), total


def _page_statements(kind: Kind, query: sa.Select[Any]) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The count of ``query``'s records, and one page of them (``size``, ``skip`` bound)."""
    count = sa.select(sa.func.count()).select_from(query.subquery())
    order = [getattr(kind.model, name) for name in kind.order] + [kind.model.id]
    rows = query.order_by(*order).limit(sa.bindparam("size")).offset(sa.bindparam("skip"))
    return count, rows


def _pager(kind: Kind) -> Any:
    return per_reader(
        lambda actor: _page_statements(kind, scoped(actor, kind.model, sa.bindparam("process_id")))
    )


_pages = {slug: _pager(kind) for slug, kind in KINDS.items()}


@functools.cache
def _spaced_targets(model: Any) -> dict[str, Any]:
    """Foreign-key columns of ``model`` that point at spaced models, with those models."""
    from parley.db.base import Base
    from parley.db.registry import metadata  # noqa: F401  (all models imported)

    by_table = {m.class_.__tablename__: m.class_ for m in Base.registry.mappers}
    targets = {}
    for column in model.__table__.c:
        for fk in column.foreign_keys:
            target = by_table.get(fk.column.table.name)
            if target is not None and issubclass(target, Spaced):
                targets[column.key] = target
    return targets


@functools.cache
def _provision_references(model: Any) -> list[str]:
    return [
        column.key
        for column in model.__table__.c
        if any(fk.column.table.name == "provisions" for fk in column.foreign_keys)
    ]


def serialise(db: Session, actor: Actor, model: Any, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; references to records the actor cannot see become null."""
    targets = _spaced_targets(model)
    allowed: dict[str, set[Any]] = {}
    for column, target in targets.items():
        ids = {getattr(r, column) for r in rows if getattr(r, column) is not None}
        if ids:
            allowed[column] = set(
                db.scalars(
                    sa.select(target.id)
                    .where(target.id.in_(ids), visible(actor, target))
                    .execution_options(**{SCOPED: True})
                )
            )
    # Provisions have no space of their own (see authz.visibility.visible_provision_ids).
    checked = set(targets)
    for column in _provision_references(model):
        ids = {getattr(r, column) for r in rows if getattr(r, column) is not None}
        checked.add(column)
        if ids:
            allowed[column] = set(db.scalars(visible_provision_ids(actor, among=ids)))
    out = []
    for row in rows:
        item = {}
        for attr in sa.inspect(model).column_attrs:
            value = getattr(row, attr.key)
            if (
                attr.key in checked
                and value is not None
                and value not in allowed.get(attr.key, set())
            ):
                value = None
            item[attr.key] = jsonable(value)
        out.append(item)
    return out
