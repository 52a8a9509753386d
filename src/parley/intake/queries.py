"""Reads for the review queue, always scoped through ``authz.visible``.

Evidence is highlighted on the server: the text around the span is HTML-escaped and the span
itself wrapped in ``<mark>``, so a report's own markup can never reach the page as markup.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound, Permission, can, get_visible
from parley.authz.visibility import SCOPED, visible
from parley.intake import ranking
from parley.intake.gazetteer_db import party_keys, readable_by_all_of, scoped_in
from parley.intake.models import Proposal, ProposalStatus, Source
from parley.intake.review import EDITABLE_FIELDS, RECORD_MODELS, RECORD_SLUGS
from parley.intake.service import KINDS
from parley.processes.models import Party, Process
from parley.web.pagination import Page

STATUSES = tuple(s.value for s in ProposalStatus)
KIND_LABELS = {
    "warning": "Warning",
    "party": "Party",
    "person": "Person",
    "document": "Document",
    "meeting": "Meeting",
    "quote": "Quotation",
    "statement": "Statement",
    "commitment": "Pledge",
    "demand": "Demand",
}
# How a candidate record of each kind is named in the merge chooser.
LABELS = {
    "person": "name",
    "party": "name",
    "meeting": "title",
    "quote": "title",
    "statement": "title",
    "document": "title",
    "commitment": "title",
    "demand": "name",
}


# ---------------------------------------------------------------- highlighting


def paragraph_bounds(text: str, start: int, end: int, limit: int = 700) -> tuple[int, int]:
    """The paragraph(s) around [start, end), cut to about ``limit`` characters either side."""
    a = text.rfind("\n\n", 0, start)
    a = 0 if a < 0 else a + 2
    b = text.find("\n\n", end)
    b = len(text) if b < 0 else b
    a = max(a, start - limit)
    b = min(b, end + limit)
    return a, b


def highlight(text: str, start: int, end: int, *, whole: bool = False) -> Markup:
    """``text`` (or the paragraph around the span) escaped, with the span in ``<mark>``."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    a, b = (0, len(text)) if whole else paragraph_bounds(text, start, end)
    before = ("…" if a > 0 else "") + text[a:start]
    after = text[end:b] + ("…" if b < len(text) else "")
    return Markup("{}<mark>{}</mark>{}").format(
        escape(before), escape(text[start:end]), escape(after)
    )


# ---------------------------------------------------------------- summaries


def _money(amount: Any, currency: Any) -> str:
    try:
        return f"{int(amount):,} {currency or ''}".strip()
    except (TypeError, ValueError):
        return ""


def summary(kind: str, payload: dict[str, Any]) -> str:
    """One line saying what a proposal proposes."""
    p = payload
    if kind == "person":
        title = f", {p['title']}" if p.get("title") else ""
        party = f" ({p['party']})" if p.get("party") else ""
        return f"{p.get('name', '?')}{title}{party}" + ("" if p.get("known") else " · new")
    if kind == "party":
        return str(p.get("name", "?")) + ("" if p.get("known") else " · not a party of the process")
    if kind == "meeting":
        bits = [p.get("date") or "no date", p.get("place") or "no place", p.get("format") or ""]
        who = ", ".join(p.get("participants") or [])
        return " · ".join(b for b in bits if b) + (f" · with {who}" if who else "")
    if kind == "quote":
        who = ", ".join(p.get("speakers") or ([p["speaker"]] if p.get("speaker") else []))
        return f"“{p.get('text', '')}” — {who or p.get('speaker_text') or 'unnamed'}"
    if kind == "statement":
        who = ", ".join([*(p.get("people") or []), *(p.get("parties") or [])]) or "?"
        bits = [str(p.get("kind") or "statement").replace("_", " "), who]
        bits += [p.get("date") or "no date", p.get("place") or ""]
        return " · ".join(b for b in bits if b)
    if kind == "document":
        return str(p.get("name", "?")) + ("" if p.get("known") else " · not in the record")
    if kind == "commitment":
        figure = _money(p.get("amount"), p.get("currency"))
        if p.get("alt_amount"):
            figure += f" ({_money(p['alt_amount'], p.get('alt_currency'))})"
        route = f"{p.get('donor') or '?'} → {p.get('recipient') or '?'}"
        what = f" ({p['instrument']})" if p.get("instrument") else ""
        return f"{route}{what}: {figure}" + (f", {p['period']}" if p.get("period") else "")
    if kind == "demand":
        return f"{p.get('party') or '?'}: {p.get('text', '')}"
    if kind == "warning":
        return f"{p.get('text', '')}: {p.get('detail', '')}"
    return ""


# ---------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = "pending"
    kind: str | None = None
    source_id: uuid.UUID | None = None


def _proposals(actor: Actor, process: Process, flt: QueueFilter) -> sa.Select[Any]:
    query = (
        sa.select(Proposal)
        .where(Proposal.process_id == process.id, visible(actor, Proposal))
        .execution_options(**{SCOPED: True})
    )
    if flt.status:
        query = query.where(Proposal.status == flt.status)
    if flt.kind:
        query = query.where(Proposal.kind == flt.kind)
    if flt.source_id:
        query = query.where(Proposal.source_id == flt.source_id)
    return query


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "id": str(source.id),
        "title": source.title,
        "outlet": source.outlet,
        "url": source.url,
        "published_on": jsonable(source.published_on),
        "space": source.space,
    }


def _overlaps(a: Proposal, b: Proposal) -> bool:
    return a.start < b.end and b.start < a.end


def item_json(
    p: Proposal, source: Source, warnings: list[Proposal], actor: Actor
) -> dict[str, Any]:
    """A proposal as the API shows it (and the page, with the highlighted snippet added)."""
    record = None
    if p.record_id is not None and p.record_type:
        record = {
            "type": p.record_type,
            "id": str(p.record_id),
            "slug": RECORD_SLUGS.get(p.record_type),
        }
    return {
        "id": str(p.id),
        "kind": p.kind,
        "status": str(p.status),
        "space": p.space,
        "confidence": p.confidence,
        "summary": summary(p.kind, p.payload or {}),
        "payload": p.payload,
        "evidence": [p.start, p.end],
        "evidence_text": source.text[p.start : p.end],
        "source": _source_json(source),
        "warnings": [
            {"id": str(w.id), **(w.payload or {})}
            for w in warnings
            if w.source_id == p.source_id and w.id != p.id and _overlaps(w, p)
        ],
        "record": record,
        "reviewed_at": jsonable(p.reviewed_at),
        "writable": can(actor, Permission.PROCESS_RECORD_WRITE, p),
    }


def _warnings_of(
    session: Session, actor: Actor, process: Process, source_ids: set[uuid.UUID]
) -> list[Proposal]:
    if not source_ids:
        return []
    return list(
        session.scalars(
            _proposals(actor, process, QueueFilter(status=None, kind="warning"))
            .where(Proposal.source_id.in_(source_ids), Proposal.status != "rejected")
            .order_by(Proposal.start)
        )
    )


def _sources(
    session: Session, actor: Actor, process: Process, ids: set[uuid.UUID]
) -> dict[uuid.UUID, Source]:
    if not ids:
        return {}
    rows = session.scalars(
        sa.select(Source)
        .where(Source.process_id == process.id, Source.id.in_(ids), visible(actor, Source))
        .execution_options(**{SCOPED: True})
    )
    return {s.id: s for s in rows}


def status_counts(
    session: Session, actor: Actor, process: Process, flt: QueueFilter
) -> dict[str, int]:
    query = _proposals(actor, process, QueueFilter(None, flt.kind, flt.source_id)).subquery()
    rows = session.execute(
        sa.select(query.c.status, sa.func.count()).group_by(query.c.status)
    ).all()
    counts = {status: 0 for status in STATUSES}
    counts.update({str(status): n for status, n in rows})
    return counts


def review_queue(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    flt: QueueFilter,
    page: int,
    size: int,
) -> tuple[list[dict[str, Any]], Page]:
    """One page of proposals, newest report first, warnings first within a report."""
    query = _proposals(actor, process, flt)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    order = sa.case({kind: i for i, kind in enumerate(KINDS)}, value=Proposal.kind, else_=99)
    rows = list(
        session.scalars(
            query.join(Source, Source.id == Proposal.source_id)
            .order_by(Source.added_at.desc(), Source.id, order, Proposal.start, Proposal.id)
            .limit(size)
            .offset((page - 1) * size)
        )
    )
    source_ids = {p.source_id for p in rows}
    sources = _sources(session, actor, process, source_ids)
    warnings = _warnings_of(session, actor, process, source_ids)
    items = [item_json(p, sources[p.source_id], warnings, actor) for p in rows]
    return items, Page(page, size, total)


def grouped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items of one page grouped by their source, in order (for the page)."""
    groups: list[dict[str, Any]] = []
    for item in items:
        if not groups or groups[-1]["source"]["id"] != item["source"]["id"]:
            groups.append({"source": item["source"], "proposals": [], "warnings": []})
        (groups[-1]["warnings"] if item["kind"] == "warning" else groups[-1]["proposals"]).append(
            item
        )
    return groups


def add_snippets(session: Session, actor: Actor, items: list[dict[str, Any]]) -> None:
    """Add the highlighted paragraph to each item (HTML pages only)."""
    texts: dict[str, str] = {}
    for item in items:
        sid = item["source"]["id"]
        if sid not in texts:
            texts[sid] = get_visible(session, actor, Source, sid).text
        item["snippet"] = highlight(texts[sid], *item["evidence"])


def merge_candidates(
    session: Session, actor: Actor, process: Process, proposal: Proposal, limit: int = 500
) -> list[dict[str, str]]:
    """Records a proposal may be merged into: its kind, visible, and seen by all its readers;
    the most likely first (`parley.intake.ranking`: name similarity and context)."""
    model = RECORD_MODELS.get(proposal.kind)
    if model is None:
        return []
    spaces = readable_by_all_of(proposal.space, party_keys(session, process.id))
    label = LABELS[proposal.kind]
    rows = list(
        session.scalars(
            scoped_in(actor, model, process.id, spaces).order_by(getattr(model, label)).limit(limit)
        )
    )
    party_names: dict[Any, str] = {}
    if proposal.kind in ("person", "commitment"):
        party_names = {
            p.id: p.name for p in session.scalars(scoped_in(actor, Party, process.id, spaces))
        }
    candidates = [_candidate(proposal.kind, row, label, party_names) for row in rows]
    ranked = ranking.rank(proposal.kind, proposal.payload or {}, candidates)
    return [{"id": c.id, "label": c.label} for c in ranked]


def _candidate(kind: str, row: Any, label: str, party_names: dict[Any, str]) -> ranking.Candidate:
    text = str(getattr(row, label) or "")
    shown = text
    names: tuple[str, ...] = (text,)
    extra: dict[str, Any] = {}
    if kind in ("person", "party"):
        names = (text, *(str(a) for a in (row.aliases or []) if a))
    if kind == "meeting":
        shown = f"{text} ({row.starts_at.date().isoformat()})"
        extra = {"day": row.starts_at.date(), "place": row.place or None}
    if kind in ("quote", "statement"):
        names = (text, str(getattr(row, "text", "") or "")[:300])
    if kind == "commitment":
        donor = party_names.get(row.donor_party_id)
        names = (donor, text) if donor else (text,)
        extra = {
            "amount": int(row.amount) if row.amount is not None else None,
            "currency": row.currency,
        }
    return ranking.Candidate(
        id=str(row.id),
        label=shown[:120] or str(row.id),
        names=names,
        party=party_names.get(getattr(row, "party_id", None)) if kind == "person" else None,
        **extra,
    )


def proposal_detail(
    session: Session, *, actor: Actor, process: Process, proposal_id: Any
) -> tuple[Proposal, Source, dict[str, Any]]:
    """One proposal, with the whole source, its warnings and the records it may merge into."""
    proposal = get_visible(session, actor, Proposal, proposal_id)
    if proposal.process_id != process.id:
        raise NotFound("proposal")
    source = get_visible(session, actor, Source, proposal.source_id)
    warnings = _warnings_of(session, actor, process, {source.id})
    item = item_json(proposal, source, warnings, actor)
    item["candidates"] = (
        merge_candidates(session, actor, process, proposal) if item["writable"] else []
    )
    item["editable"] = list(EDITABLE_FIELDS.get(proposal.kind, ()))
    item["source"]["text_length"] = len(source.text)
    return proposal, source, item
