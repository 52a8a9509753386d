"""Storing reports and their proposals in a process's review queue (writes; all audited).

    plan = plan_intake(session, actor=..., process=..., sources=[...], space="public")
    extractions = extract_plan(plan, workers=2)          # pure: no database
    outcomes = store_intake(session, actor=..., process=..., plan=plan, extractions=extractions)

or all three at once with :func:`intake_reports`. A source is stored once per space: an exact
copy (content hash) or a near copy (MinHash, see :class:`parley.intake.sources.Deduplicator`)
of a report already in that space is not stored again, and neither are its proposals.

Reviewing (accept, merge, edit, reject) is in :mod:`parley.intake.review`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

import parley.db.registry  # noqa: F401  (every model, so foreign keys resolve in the CLI too)
from parley.audit.records import audited_add
from parley.authz import Actor, Permission, SpaceError, parse_space, require
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import actor_party, acts_as_mediator, can_write_in
from parley.errors import InputError
from parley.intake import sources as src
from parley.intake.gazetteer import Gazetteer
from parley.intake.gazetteer_db import party_keys, process_gazetteer, readable_by_all_of, scoped_in
from parley.intake.models import Proposal, Source, SourceKind
from parley.intake.records import CommitmentProposal, Extraction, SourceInfo
from parley.processes.models import Process

if TYPE_CHECKING:
    from parley.intake.runner import Progress

# Extraction (spaCy) is imported by the functions that run it: the web app imports this module
# at start-up, and loading spaCy there would cost every worker about a second.

KINDS = (
    "warning",
    "party",
    "person",
    "document",
    "meeting",
    "quote",
    "statement",
    "commitment",
    "demand",
)


class IntakeError(InputError):
    """Bad input for an intake: the message starts with the field's name."""


# ---------------------------------------------------------------- the space of an intake


def default_space(actor: Actor, process_id: uuid.UUID) -> str:
    """Public reporting goes to ``public``; a delegation takes it into its own space."""
    if actor.is_system:
        return "public"
    if not can_write_in(actor, process_id):
        raise Forbidden("only a delegation or the mediator's team takes reports in")
    return (
        "public"
        if acts_as_mediator(actor, process_id)
        else f"party:{actor_party(actor, process_id)}"
    )


def check_space(session: Session, actor: Actor, process: Process, space: str | None) -> str:
    """The space to store in (default: :func:`default_space`), checked and writable."""
    space = (space or "").strip() or default_space(actor, process.id)
    try:
        parse_space(space, set(party_keys(session, process.id)))
    except SpaceError as exc:
        raise IntakeError(f"space: {exc}") from None
    # A probe with the process and space the proposals will carry.
    require(actor, Permission.PROCESS_RECORD_WRITE, Proposal(process_id=process.id, space=space))
    return space


# ---------------------------------------------------------------- reading what was sent


def _resolve(host: str) -> list[str]:
    return src.system_resolver(host)


def http_client() -> httpx.Client | None:
    """The client the web form fetches URLs with (None: a fresh one per fetch; tests swap it)."""
    return None


def check_public_url(url: str) -> None:
    """Refuse URLs a server must not fetch for a user: other schemes, local or private hosts
    (also in their IPv6 forms: mapped, NAT64, 6to4). The fetch itself checks again, hop by hop,
    and connects only to the address it checked (:func:`parley.intake.sources.fetch_public_url`).
    """
    try:
        src.public_address(url, _resolve)
    except src.SourceError as exc:
        raise IntakeError(f"url: {str(exc).removeprefix(url + ': ')}") from None


def read_submission(
    *,
    text: str | None = None,
    html: str | None = None,
    url: str | None = None,
    upload: tuple[str, bytes] | None = None,
    title: str | None = None,
    outlet: str | None = None,
    published: date | None = None,
    max_bytes: int = src.DEFAULT_MAX_BYTES,
    timeout: float = src.DEFAULT_TIMEOUT,
) -> list[src.Source]:
    """Sources from a web or API submission: pasted text or HTML, an uploaded file, or a URL."""
    given = [x for x in (text, html, url, upload) if x]
    if len(given) != 1:
        raise IntakeError("text: give exactly one of pasted text, HTML, a file or a URL")
    try:
        if text:
            if len(text.encode()) > max_bytes:
                raise IntakeError(f"text: more than {max_bytes} bytes")
            found = [src.from_text(text, origin="pasted text", published=published)]
        elif html:
            if len(html.encode()) > max_bytes:
                raise IntakeError(f"html: more than {max_bytes} bytes")
            found = [src.from_html(html, origin="pasted HTML", published=published)]
        elif upload:
            found = _from_upload(*upload, published=published, max_bytes=max_bytes)
        else:
            assert url is not None
            # The fetch checks each hop itself, resolving each host once (no second answer).
            found = src.fetch_public_url(
                url,
                timeout=timeout,
                max_bytes=max_bytes,
                client=http_client(),
                resolver=_resolve,
                published=published,
            )
    except src.SourceError as exc:
        raise IntakeError(f"{'url' if url else 'file' if upload else 'text'}: {exc}") from None
    if not found:
        raise IntakeError("text: nothing to read")
    if len(found) == 1:
        info = found[0].info
        info.title = (title or "").strip() or info.title
        info.outlet = (outlet or "").strip() or info.outlet
    return found


def _from_upload(
    name: str, raw: bytes, *, published: date | None, max_bytes: int
) -> list[src.Source]:
    if len(raw) > max_bytes:
        raise IntakeError(f"file: {name} is more than {max_bytes} bytes")
    if not raw.strip():
        raise IntakeError(f"file: {name} is empty")
    body = raw.decode("utf-8", errors="replace")
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if (f".{suffix}" in src.FEED_SUFFIXES and suffix != "xml") or src._looks_like_feed(body):
        return src.read_feed(raw, origin=name, published=published)
    if f".{suffix}" in src.HTML_SUFFIXES or src._looks_like_html(body):
        return [src.from_html(body, origin=name, published=published)]
    return [src.from_text(body, origin=name, published=published)]


# ---------------------------------------------------------------- plan, extract, store


@dataclass
class IntakePlan:
    process_id: uuid.UUID
    space: str
    gazetteer: Gazetteer
    kept: list[src.Source]
    # (the report, the id of the stored source it repeats or None, the origin it repeats)
    duplicates: list[tuple[src.Source, uuid.UUID | None, str]] = field(default_factory=list)


@dataclass
class IntakeOutcome:
    origin: str
    info: SourceInfo
    status: str  # stored | duplicate
    space: str
    source_id: uuid.UUID | None = None
    duplicate_of: uuid.UUID | None = None
    proposals: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    extraction: Extraction | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "source": self.info.to_dict(),
            "status": self.status,
            "space": self.space,
            "source_id": str(self.source_id) if self.source_id else None,
            "duplicate_of": str(self.duplicate_of) if self.duplicate_of else None,
            "proposals": self.proposals,
            "kinds": self.kinds,
        }


def _stored_in(session: Session, actor: Actor, process_id: uuid.UUID, space: str) -> list[Source]:
    return list(
        session.scalars(
            scoped_in(actor, Source, process_id, [space]).order_by(Source.added_at, Source.id)
        )
    )


def plan_intake(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    sources: Sequence[src.Source],
    space: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> IntakePlan:
    """Check the space, drop reports already stored in it (or repeated in the batch), and build
    the gazetteer from the record (unless one is given)."""
    space = check_space(session, actor, process, space)
    dedup = src.Deduplicator()
    stored: dict[str, uuid.UUID] = {}
    for row in _stored_in(session, actor, process.id, space):
        origin = f"stored:{row.id}"
        stored[origin] = row.id
        dedup.check(src.Source(row.text, SourceInfo(), "stored", origin))
    plan = IntakePlan(
        process.id,
        space,
        gazetteer or process_gazetteer(session, actor=actor, process_id=process.id, space=space),
        [],
    )
    for source in sources:
        original = dedup.check(source)
        if original is None:
            plan.kept.append(source)
        else:
            plan.duplicates.append((source, stored.get(original), original))
    return plan


def extract_plan(
    plan: IntakePlan,
    *,
    workers: int = 1,
    dask: str | Any | None = None,
    progress: Progress | None = None,
) -> list[Extraction]:
    """Run extraction on the kept reports (no database; may take a while)."""
    from parley.intake.runner import run_intake

    if not plan.kept:
        return []
    return run_intake(
        plan.kept,
        gazetteer=plan.gazetteer,
        workers=workers,
        dask=dask,
        progress=progress,
        cross_source=False,  # store_intake compares with the stored pledges as well
    )


def proposal_rows(result: Extraction) -> list[tuple[str, dict[str, Any], int, int, float]]:
    """(kind, payload, start, end, confidence) of every proposal and warning of one report."""
    rows: list[tuple[str, dict[str, Any], int, int, float]] = []
    for w in result.warnings:
        rows.append(("warning", w.to_dict(), *w.evidence, 1.0))
    for p in result.parties:
        first = min(p.mentions) if p.mentions else (0, 0)
        rows.append(("party", p.to_dict(), *first, p.confidence))
    for person in result.people:
        rows.append(("person", person.to_dict(), *person.evidence, person.confidence))
    for d in result.documents:
        rows.append(("document", d.to_dict(), *d.evidence, d.confidence))
    for m in result.meetings:
        rows.append(("meeting", m.to_dict(), *m.evidence, m.confidence))
    for q in result.quotes:
        rows.append(("quote", q.to_dict(), *q.evidence, q.confidence))
    for st in result.statements:
        rows.append(("statement", st.to_dict(), *st.evidence, st.confidence))
    for c in result.commitments:
        rows.append(("commitment", c.to_dict(), *c.evidence, c.confidence))
    for demand in result.demands:
        rows.append(("demand", demand.to_dict(), *demand.evidence, demand.confidence))
    return rows


def _stored_pledges(
    session: Session, actor: Actor, process_id: uuid.UUID, space: str
) -> list[Extraction]:
    """Pledges proposed from reports already stored, as extraction results (one per source),
    from the spaces every reader of ``space`` can see (a warning must not reveal a narrower one).
    """
    spaces = readable_by_all_of(space, party_keys(session, process_id))
    rows = session.execute(
        scoped_in(actor, Proposal, process_id, spaces)
        .where(Proposal.kind == "commitment", Proposal.status != "rejected")
        .order_by(Proposal.source_id, Proposal.start)
    ).scalars()
    by_source: dict[uuid.UUID, list[Proposal]] = {}
    for proposal in rows:
        by_source.setdefault(proposal.source_id, []).append(proposal)
    if not by_source:
        return []
    titles = {
        s.id: s
        for s in session.scalars(
            scoped_in(actor, Source, process_id, spaces).where(Source.id.in_(list(by_source)))
        )
    }
    out = []
    for source_id, proposals in by_source.items():
        stored = titles.get(source_id)
        if stored is None:
            continue
        info = SourceInfo(title=stored.title or None, url=stored.url or None)
        result = Extraction(source=info, text="")
        for p in proposals:
            d = p.payload
            try:
                result.commitments.append(
                    CommitmentProposal(
                        donor=d.get("donor"),
                        recipient=d.get("recipient"),
                        amount=int(d["amount"]),
                        currency=str(d["currency"]),
                        period=d.get("period"),
                        amount_text=str(d.get("amount_text") or d["amount"]),
                        evidence=(p.start, p.end),
                        confidence=p.confidence,
                        alt_amount=d.get("alt_amount"),
                        alt_currency=d.get("alt_currency"),
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue  # an edited payload without an amount compares with nothing
        out.append(result)
    return out


def _source_key(digest: str) -> str:
    # Keys are unique per process across spaces; a random tail keeps one space's copy of a
    # report from hinting at another space's.
    return f"intake-{digest[:12]}-{uuid.uuid4().hex[:6]}"


def store_intake(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    plan: IntakePlan,
    extractions: Sequence[Extraction],
) -> list[IntakeOutcome]:
    """Store each kept report and its proposals (and report the duplicates); one transaction."""
    require_action(actor, "source", "add", Subject(process_id=process.id))
    space = check_space(session, actor, process, plan.space)
    if len(extractions) != len(plan.kept):
        raise ValueError("one extraction per kept source")
    from parley.intake.extract import cross_source_warnings

    prior = _stored_pledges(session, actor, process.id, space)
    extra: dict[int, list[Any]] = {}
    for index, warning in cross_source_warnings([*extractions, *prior]):
        if index < len(extractions):
            extra.setdefault(index, []).append(warning)
    outcomes: list[IntakeOutcome] = []
    for source, stored_id, original in plan.duplicates:
        # A repeat within the batch names the report it repeats; a stored one, its id.
        origin = source.origin if stored_id else f"{source.origin} (repeats {original})"
        outcomes.append(
            IntakeOutcome(origin, source.info, "duplicate", space, duplicate_of=stored_id)
        )
    for index, (source, result) in enumerate(zip(plan.kept, extractions, strict=True)):
        result.warnings.extend(w for w in extra.get(index, []) if w not in result.warnings)
        digest = src.content_hash(source.text)
        # Stored meanwhile by someone else (the plan was made in another transaction)?
        already = session.scalars(
            scoped_in(actor, Source, process.id, [space]).where(Source.content_hash == digest)
        ).first()
        if already is not None:
            outcomes.append(
                IntakeOutcome(
                    source.origin, source.info, "duplicate", space, duplicate_of=already.id
                )
            )
            continue
        info = source.info
        row = audited_add(
            session,
            Source(
                process_id=process.id,
                key=_source_key(digest),
                kind=SourceKind.ARTICLE,
                title=(info.title or "")[:500],
                outlet=(info.outlet or "")[:200],
                url=(info.url or "")[:2000],
                published_on=info.published,
                text=source.text,
                content_hash=digest,
                space=space,
            ),
            actor=actor,
            action="intake:source:create",
        )
        outcome = IntakeOutcome(
            source.origin, info, "stored", space, source_id=row.id, extraction=result
        )
        for kind, payload, start, end, confidence in proposal_rows(result):
            audited_add(
                session,
                Proposal(
                    process_id=process.id,
                    source_id=row.id,
                    kind=kind,
                    payload=payload,
                    start=start,
                    end=end,
                    confidence=confidence,
                    space=space,
                ),
                actor=actor,
                action="intake:proposal:create",
            )
            outcome.proposals += 1
            outcome.kinds[kind] = outcome.kinds.get(kind, 0) + 1
        outcomes.append(outcome)
    return outcomes


def intake_reports(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    sources: Sequence[src.Source],
    space: str | None = None,
    gazetteer: Gazetteer | None = None,
) -> list[IntakeOutcome]:
    """Plan, extract and store in one go (for a handful of reports, e.g. from the web form)."""
    plan = plan_intake(
        session, actor=actor, process=process, sources=sources, space=space, gazetteer=gazetteer
    )
    return store_intake(
        session, actor=actor, process=process, plan=plan, extractions=extract_plan(plan)
    )


def process_named(session: Session, key: str) -> Process | None:
    return session.scalars(sa.select(Process).where(Process.key == key)).first()
