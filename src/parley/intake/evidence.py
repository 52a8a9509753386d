"""Citing evidence: a span of a source that supports a record, from every door alike.

A record (a status claim, a fulfilment event, ...) names its evidence as a list of
``{"source": key, "quote": "..."}`` or ``{"source": key, "start": 10, "end": 42}``: the quote
must be exactly in the source's text (the first occurrence is used), and offsets must lie
inside it. The source must be one the author can read, and at least as widely readable as the
record, so that whoever reads the record can check its evidence.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add
from parley.authz import Actor, widens
from parley.authz.owners import columns_in, select_in
from parley.errors import InputError
from parley.intake.models import Evidence, Source

MAX_EVIDENCE = 20


class EvidenceIn(BaseModel):
    """One span of a source: a quote from its text, or character offsets [start, end)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    source: str = Field(min_length=1, max_length=64, description="The source's key")
    quote: str | None = Field(None, min_length=1, max_length=5000)
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=0)


def _span(item: EvidenceIn, text: str, field: str) -> tuple[int, int]:
    if item.start is not None or item.end is not None:
        if item.start is None or item.end is None:
            raise InputError("give both start and end, or a quote", field=f"{field}.start")
        if not item.start < item.end <= len(text):
            raise InputError(
                f"the span {item.start}–{item.end} is not inside the source "
                f"({len(text)} characters)",
                field=f"{field}.start",
            )
        if item.quote is not None and text[item.start : item.end] != item.quote:
            raise InputError("the quote is not the text at start–end", field=f"{field}.quote")
        return item.start, item.end
    if item.quote is None:
        raise InputError("give a quote from the source, or start and end", field=f"{field}.quote")
    at = text.find(item.quote)
    if at < 0:
        raise InputError("the quote is not in the source's text", field=f"{field}.quote")
    return at, at + len(item.quote)


def cite(
    session: Session,
    *,
    actor: Actor,
    record: Any,
    items: list[EvidenceIn],
    field: str = "evidence",
) -> list[Evidence]:
    """Link evidence spans to ``record`` (in the caller's transaction), each audited in the
    record's space. Raises InputError naming ``evidence.N`` for a bad item; writes nothing
    then, as long as the caller rolls back."""
    if len(items) > MAX_EVIDENCE:
        raise InputError(f"at most {MAX_EVIDENCE} items", field=field)
    spans = []
    for n, item in enumerate(items):
        where = f"{field}.{n}"
        source = session.scalars(
            select_in(actor, Source, record.process_id).where(Source.key == item.source)
        ).first()
        if source is None:
            raise InputError(f"unknown source {item.source!r}", field=f"{where}.source")
        if source.space != record.space and not widens(record.space, source.space):
            raise InputError(
                f"source {item.source!r} is in {source.space}, which fewer people can read "
                f"than this record ({record.space})",
                field=f"{where}.source",
            )
        spans.append((source, _span(item, source.text, where)))
    out = []
    for source, (start, end) in spans:
        out.append(
            audited_add(
                session,
                Evidence(
                    process_id=record.process_id,
                    source_id=source.id,
                    start=start,
                    end=end,
                    object_type=record.__tablename__,
                    object_id=record.id,
                    space=record.space,
                ),
                actor=actor,
                action="intake:evidence:link",
            )
        )
    return out


def evidence_for(
    session: Session,
    actor: Actor,
    process_id: uuid.UUID,
    object_type: str,
    ids: list[uuid.UUID],
) -> dict[uuid.UUID, list[dict[str, Any]]]:
    """The evidence of the records, shown only when both the span and its source are visible:
    ``{record id: [{source, source_id, title, quote, start, end}]}``."""
    if not ids:
        return {}
    spans = session.execute(
        columns_in(
            actor,
            Evidence,
            process_id,
            Evidence.object_id,
            Evidence.source_id,
            Evidence.start,
            Evidence.end,
        )
        .where(Evidence.object_type == object_type, Evidence.object_id.in_(ids))
        .order_by(Evidence.start, Evidence.id)
    ).all()
    sources = (
        {
            s.id: s
            for s in session.scalars(
                select_in(actor, Source, process_id).where(
                    Source.id.in_({row.source_id for row in spans})
                )
            )
        }
        if spans
        else {}
    )
    out: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for object_id, source_id, start, end in spans:
        source = sources.get(source_id)
        if source is None:
            continue
        out[object_id].append(
            {
                "source": source.key,
                "source_id": str(source.id),
                "title": source.title,
                "quote": source.text[start:end],
                "start": start,
                "end": end,
            }
        )
    return dict(out)


def source_choices(session: Session, actor: Actor, process_id: uuid.UUID) -> list[tuple[str, str]]:
    """(key, "key — title") of every source the actor can see, for evidence in forms."""
    rows = session.execute(
        columns_in(actor, Source, process_id, Source.key, Source.title).order_by(Source.key)
    ).all()
    return [(k, f"{k} — {t}" if t else k) for k, t in rows]


__all__ = ["EvidenceIn", "cite", "evidence_for", "source_choices"]
