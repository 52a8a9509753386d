"""Reads for sequencing: the plan an actor may see, checked; the status board; deadlines.

Every read of a spaced record goes through :func:`parley.authz.visible`, so the plan built here
holds only what the acting user may see: another party's private step, milestone or constraint
never enters the analysis, and so can never move a date or cause a conflict on this user's page.

How a process becomes a :class:`~parley.sequencing.plan.Plan`:

* every visible milestone is an event and every visible step makes ``S.start`` / ``S.end``;
* the **origin** (day 0) is the earliest dated visible milestone, so its date anchors the
  calendar and every other dated milestone is pinned to its offset (``E.date``); with no dated
  milestone the origin is a neutral "plan start" and times read as day numbers;
* nothing happens before the origin (``after_origin``), so every step has an earliest day;
* a constraint that refers to an event the user cannot see (or that is malformed) is left out
  and listed under ``skipped`` with the reason, never guessed at.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.authz.owners import columns_in, select_in
from parley.authz.visibility import visible_provision_ids
from parley.processes.models import Party, Process
from parley.sequencing.check import CheckResult, check_plan
from parley.sequencing.incremental import IncrementalSTN
from parley.sequencing.models import (
    Milestone,
    StatusClaim,
    Step,
    StepParty,
    StepProvision,
    TemporalConstraint,
)
from parley.sequencing.plan import ConstraintSpec, EventSpec, Plan, StepSpec
from parley.texts.models import Document, Provision

#: The origin used when no visible milestone has a date. Keys cannot contain parentheses or
#: spaces, so it never collides with a user's milestone.
PLAN_START = "(plan start)"


def scoped(actor: Actor, model: Any, process_id: uuid.UUID) -> sa.Select[Any]:
    """Rows of ``model`` in the process that ``actor`` may read."""
    return select_in(actor, model, process_id)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class StepInfo:
    id: uuid.UUID
    key: str
    title: str
    kind: str
    min_days: int | None
    max_days: int | None
    description: str
    space: str
    parties: tuple[str, ...] = ()
    provisions: tuple[str, ...] = ()  # "document/wid"


@dataclass(frozen=True)
class MilestoneInfo:
    id: uuid.UUID
    key: str
    title: str
    on_date: date | None
    space: str


@dataclass(frozen=True)
class ConstraintInfo:
    id: uuid.UUID
    key: str
    from_ref: str
    to_ref: str
    min_days: int | None
    max_days: int | None
    explanation: str
    space: str

    def spec(self) -> ConstraintSpec:
        return ConstraintSpec(
            self.key,
            self.from_ref,
            self.to_ref,
            self.min_days,
            self.max_days,
            self.explanation or None,
        )


@dataclass(frozen=True)
class Skipped:
    """A visible record left out of the analysis, and why (in words the user can act on)."""

    kind: str  # "constraint" | "milestone" | "step"
    key: str
    reason: str


@dataclass(frozen=True)
class ProcessPlan:
    """What one actor may see of a process's plan, ready for the engine."""

    plan: Plan
    steps: list[StepInfo]
    milestones: list[MilestoneInfo]
    constraints: list[ConstraintInfo]
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return self.plan.origin

    @property
    def origin_date(self) -> date | None:
        return self.plan.origin_date

    @property
    def is_empty(self) -> bool:
        return not self.steps and not self.milestones

    def events(self) -> list[str]:
        """Every time point of the plan, in plan order."""
        return self.plan.nodes()

    def label(self, name: str) -> str:
        """A time point in words: "Ceasefire (start)", "Signing"."""
        if name == PLAN_START:
            return "plan start"
        titles = {m.key: m.title for m in self.milestones}
        if name in titles:
            return titles[name]
        step_key, _, end = name.rpartition(".")
        for s in self.steps:
            if s.key == step_key:
                return f"{s.title} ({end})"
        return name

    def stn(self) -> IncrementalSTN:
        return IncrementalSTN.from_plan(self.plan)

    def check(self) -> CheckResult:
        return check_plan(self.plan)


def _party_keys(session: Session, actor: Actor, process_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = session.execute(columns_in(actor, Party, process_id, Party.id, Party.key)).all()
    return {pid: key for pid, key in rows}


def visible_provisions(
    session: Session, actor: Actor, process_id: uuid.UUID
) -> dict[uuid.UUID, tuple[str, str, str]]:
    """``provision id -> (document key, wid, document title)`` for provisions the actor can read
    (see :func:`parley.authz.visibility.visible_provision_ids`) in documents it can see."""
    rows = session.execute(
        columns_in(actor, Document, process_id, Provision.id, Document.key, Provision.wid)
        .add_columns(Document.title)
        .join_from(Document, Provision, Document.id == Provision.document_id)
        .where(Provision.id.in_(visible_provision_ids(actor, process_id=process_id)))
    ).all()
    return {pid: (doc, wid, title) for pid, doc, wid, title in rows}


def _rows(session: Session, actor: Actor, process_id: uuid.UUID, *columns: Any) -> list[Any]:
    """Plain rows (not ORM objects: a plan may hold thousands) of one spaced model, by key."""
    model = columns[0].class_
    return list(session.execute(columns_in(actor, model, process_id, *columns).order_by(model.key)))


def _steps(session: Session, actor: Actor, process: Process) -> list[StepInfo]:
    steps = _rows(
        session,
        actor,
        process.id,
        Step.id,
        Step.key,
        Step.title,
        Step.kind,
        Step.min_days,
        Step.max_days,
        Step.description,
        Step.space,
    )
    ids = [s.id for s in steps]
    parties: dict[uuid.UUID, list[str]] = defaultdict(list)
    provisions: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        party_keys = _party_keys(session, actor, process.id)
        for step_id, party_id in session.execute(
            sa.select(StepParty.step_id, StepParty.party_id).where(
                StepParty.process_id == process.id
            )
        ):
            if party_id in party_keys:
                parties[step_id].append(party_keys[party_id])
        readable = visible_provisions(session, actor, process.id)
        for step_id, provision_id in session.execute(
            sa.select(StepProvision.step_id, StepProvision.provision_id).where(
                StepProvision.process_id == process.id
            )
        ):
            if provision_id in readable:
                doc, wid, _ = readable[provision_id]
                provisions[step_id].append(f"{doc}/{wid}")
    return [
        StepInfo(
            row.id,
            row.key,
            row.title,
            row.kind,
            row.min_days,
            row.max_days,
            row.description,
            row.space,
            tuple(sorted(parties.get(row.id, ()))),
            tuple(sorted(provisions.get(row.id, ()))),
        )
        for row in steps
    ]


def process_plan(session: Session, actor: Actor, process: Process) -> ProcessPlan:
    """The plan of ``process`` built from exactly the records ``actor`` may read."""
    steps = _steps(session, actor, process)
    milestones = [
        MilestoneInfo(*row)
        for row in _rows(
            session,
            actor,
            process.id,
            Milestone.id,
            Milestone.key,
            Milestone.title,
            Milestone.on_date,
            Milestone.space,
        )
    ]
    constraints = [
        ConstraintInfo(*row)
        for row in _rows(
            session,
            actor,
            process.id,
            TemporalConstraint.id,
            TemporalConstraint.key,
            TemporalConstraint.from_ref,
            TemporalConstraint.to_ref,
            TemporalConstraint.min_days,
            TemporalConstraint.max_days,
            TemporalConstraint.explanation,
            TemporalConstraint.space,
        )
    ]
    return build_plan(steps, milestones, constraints)


def build_plan(
    steps: list[StepInfo], milestones: list[MilestoneInfo], constraints: list[ConstraintInfo]
) -> ProcessPlan:
    """Turn visible records into a :class:`Plan`, leaving out (and listing) what cannot fit."""
    skipped: list[Skipped] = []
    taken: set[str] = {PLAN_START}
    step_specs: list[StepSpec] = []
    kept_steps: list[StepInfo] = []
    for s in steps:
        names = {s.key, f"{s.key}.start", f"{s.key}.end"}
        if names & taken:
            skipped.append(Skipped("step", s.key, "its name clashes with another event"))
            continue
        low = s.min_days or 0
        high = s.max_days
        if low < 0 or (high is not None and high < low):
            skipped.append(Skipped("step", s.key, f"duration {low}–{high} days is not a range"))
            continue
        taken |= names
        step_specs.append(StepSpec(s.key, low, high, s.title))
        kept_steps.append(s)
    kept_milestones: list[MilestoneInfo] = []
    for m in milestones:
        if m.key in taken:
            skipped.append(Skipped("milestone", m.key, "its key clashes with a step's event"))
            continue
        taken.add(m.key)
        kept_milestones.append(m)

    dated = sorted((m for m in kept_milestones if m.on_date is not None), key=_date_then_key)
    events = [EventSpec(m.key, m.title, m.on_date) for m in kept_milestones]
    if dated:
        origin, origin_date = dated[0].key, dated[0].on_date
    else:
        origin, origin_date = PLAN_START, None
        events.insert(0, EventSpec(PLAN_START, "plan start"))
    nodes = {e.id for e in events} | {n for s in step_specs for n in (s.start, s.end)}
    step_keys = {s.id for s in step_specs}

    specs: list[ConstraintSpec] = []
    kept_constraints: list[ConstraintInfo] = []
    for c in constraints:
        reason = _constraint_problem(c, nodes, step_keys)
        if reason:
            skipped.append(Skipped("constraint", c.key, reason))
            continue
        specs.append(c.spec())
        kept_constraints.append(c)
    plan = Plan(
        origin=origin,
        events=tuple(events),
        steps=tuple(step_specs),
        constraints=tuple(specs),
        origin_date=origin_date,
        after_origin=True,
    )
    return ProcessPlan(plan, kept_steps, kept_milestones, kept_constraints, skipped)


def _date_then_key(m: MilestoneInfo) -> tuple[date, str]:
    assert m.on_date is not None
    return m.on_date, m.key


def _constraint_problem(c: ConstraintInfo, nodes: set[str], step_keys: set[str]) -> str | None:
    for side, ref in (("from", c.from_ref), ("to", c.to_ref)):
        if ref in step_keys:
            return f"{side}: '{ref}' is a step; it should say '{ref}.start' or '{ref}.end'"
        if ref not in nodes:
            return f"{side}: refers to '{ref}', which is not an event of the plan you can see"
    if c.min_days is None and c.max_days is None:
        return "it has neither a minimum nor a maximum"
    if c.min_days is not None and c.max_days is not None and c.min_days > c.max_days:
        return f"its minimum {c.min_days} is greater than its maximum {c.max_days}"
    if c.from_ref == c.to_ref:
        return "it goes from an event to itself"
    if c.key.endswith((".duration", ".date", ".after_origin")):
        return "its key is reserved for a derived constraint"
    return None


def day_date(origin_date: date | None, offset: int | None) -> date | None:
    if origin_date is None or offset is None:
        return None
    return origin_date + timedelta(days=offset)


# --------------------------------------------------------------------------- deadlines


def deadlines(session: Session, actor: Actor, process: Process) -> list[dict[str, Any]]:
    """Dated deadlines of the plan ``actor`` may see, for calendars (ICS) and lists.

    One entry per dated milestone (``kind: "milestone"``), and one per step start or end that
    has a latest date (``kind: "latest"``: the plan breaks if it happens later). Dates exist
    only when some visible milestone has a date; an inconsistent plan gives only milestones.
    Each entry: ``uid``, ``key``, ``kind``, ``title``, ``date`` (a ``datetime.date``),
    ``earliest`` / ``latest`` (dates or None), ``space`` (of the record it comes from) and
    ``description``. Entries are sorted by date, then key.
    """
    pp = process_plan(session, actor, process)
    out: list[dict[str, Any]] = []
    for m in pp.milestones:
        if m.on_date is None:
            continue
        out.append(
            {
                "uid": f"{process.key}-milestone-{m.key}@parley",
                "key": m.key,
                "kind": "milestone",
                "title": m.title,
                "date": m.on_date,
                "earliest": m.on_date,
                "latest": m.on_date,
                "space": m.space,
                "description": f"Milestone {m.key} of {process.title}.",
            }
        )
    if pp.origin_date is not None and pp.steps:
        result = pp.check()
        if result.consistent:
            for s in pp.steps:
                for end in ("start", "end"):
                    name = f"{s.key}.{end}"
                    latest = day_date(pp.origin_date, result.latest.get(name))
                    if latest is None:
                        continue
                    out.append(
                        {
                            "uid": f"{process.key}-step-{s.key}-{end}@parley",
                            "key": name,
                            "kind": "latest",
                            "title": f"Latest {end}: {s.title}",
                            "date": latest,
                            "earliest": day_date(pp.origin_date, result.earliest.get(name)),
                            "latest": latest,
                            "space": s.space,
                            "description": (
                                f"The plan of {process.title} breaks if {s.title} "
                                f"{'starts' if end == 'start' else 'ends'} after this day."
                            ),
                        }
                    )
    out.sort(key=lambda d: (d["date"], d["key"]))
    return out


# --------------------------------------------------------------------------- status board


NEUTRAL = "neutral"


@dataclass(frozen=True)
class EvidenceLink:
    source_id: str
    source_title: str
    quote: str


@dataclass(frozen=True)
class ClaimCell:
    """The latest claim of one assessor (a party, or the neutral monitor) about one subject."""

    id: str
    status: str
    level: int | None
    claimed_on: date
    note: str
    space: str
    evidence: tuple[EvidenceLink, ...] = ()
    earlier: int = 0  # how many older claims of the same assessor there are

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "level": self.level,
            "claimed_on": self.claimed_on.isoformat(),
            "note": self.note,
            "space": self.space,
            "earlier_claims": self.earlier,
            "evidence": [
                {"source_id": e.source_id, "source": e.source_title, "quote": e.quote}
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class BoardRow:
    kind: str  # "step" | "provision"
    id: str
    label: str  # step key, or "document/wid"
    title: str
    document: str | None  # the document key of a provision
    cells: dict[str, ClaimCell]  # assessor (party key or NEUTRAL) -> latest claim

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "label": self.label,
            "title": self.title,
            "document": self.document,
            "claims": {who: cell.to_json() for who, cell in self.cells.items()},
        }


@dataclass(frozen=True)
class DocumentLevel:
    """Peace Accords Matrix roll-up: per assessor, the mean 0–3 level over assessed provisions."""

    document: str
    title: str
    provisions: int  # provisions of the document the actor can read
    levels: dict[str, float]  # assessor -> mean level
    assessed: dict[str, int]  # assessor -> provisions with a level

    def to_json(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "title": self.title,
            "provisions": self.provisions,
            "mean_level": {k: round(v, 3) for k, v in self.levels.items()},
            "assessed": self.assessed,
        }


@dataclass(frozen=True)
class StatusBoard:
    assessors: list[str]  # party keys in order, then NEUTRAL if any neutral claim is visible
    rows: list[BoardRow]
    documents: list[DocumentLevel]


def status_board(session: Session, actor: Actor, process: Process) -> StatusBoard:
    """Every visible step and every provision with a visible claim, one column per assessor.

    Never one "true" status: each party's latest claim and the neutral assessment stand side
    by side, each with its date and evidence. Only claims the actor can read are used, so the
    roll-up is computed over inputs the actor may see.
    """
    claims = list(
        session.scalars(
            scoped(actor, StatusClaim, process.id).order_by(
                StatusClaim.claimed_on, StatusClaim.created_at, StatusClaim.id
            )
        )
    )
    party_keys = _party_keys(session, actor, process.id)
    steps = list(session.scalars(scoped(actor, Step, process.id).order_by(Step.key)))
    step_ids = {s.id for s in steps}
    readable = visible_provisions(session, actor, process.id)
    evidence = _evidence(session, actor, process.id, [c.id for c in claims])

    by_subject: dict[tuple[str, uuid.UUID], dict[str, list[StatusClaim]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for c in claims:
        who = NEUTRAL if c.is_neutral else party_keys.get(c.party_id) if c.party_id else None
        if who is None:
            continue  # a claim by a party the actor cannot see: not attributable here
        if c.step_id is not None and c.step_id in step_ids:
            by_subject[("step", c.step_id)][who].append(c)
        elif c.provision_id is not None and c.provision_id in readable:
            by_subject[("provision", c.provision_id)][who].append(c)

    def cells(subject: tuple[str, uuid.UUID]) -> dict[str, ClaimCell]:
        out = {}
        for who, items in by_subject.get(subject, {}).items():
            last = items[-1]  # ordered by date, then creation
            out[who] = ClaimCell(
                str(last.id),
                str(last.status),
                last.level,
                last.claimed_on,
                last.note,
                last.space,
                tuple(evidence.get(last.id, ())),
                len(items) - 1,
            )
        return out

    rows = [BoardRow("step", str(s.id), s.key, s.title, None, cells(("step", s.id))) for s in steps]
    provision_rows = [
        BoardRow(
            "provision",
            str(pid),
            f"{readable[pid][0]}/{readable[pid][1]}",
            readable[pid][2],
            readable[pid][0],
            cells(("provision", pid)),
        )
        for kind, pid in by_subject
        if kind == "provision"
    ]
    provision_rows.sort(key=lambda r: _natural(r.label))
    rows += provision_rows

    who_seen = {who for subject in by_subject.values() for who in subject}
    assessors = sorted(w for w in who_seen if w != NEUTRAL)
    if NEUTRAL in who_seen:
        assessors.append(NEUTRAL)
    return StatusBoard(assessors, rows, _roll_up(readable, provision_rows))


def _roll_up(
    readable: dict[uuid.UUID, tuple[str, str, str]], rows: list[BoardRow]
) -> list[DocumentLevel]:
    counts: dict[str, int] = defaultdict(int)
    titles: dict[str, str] = {}
    for doc, _, title in readable.values():
        counts[doc] += 1
        titles[doc] = title
    levels: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        assert row.document is not None
        for who, cell in row.cells.items():
            if cell.level is not None:
                levels[row.document][who].append(cell.level)
    return [
        DocumentLevel(
            doc,
            titles[doc],
            counts[doc],
            {who: sum(v) / len(v) for who, v in sorted(levels[doc].items())},
            {who: len(v) for who, v in sorted(levels[doc].items())},
        )
        for doc in sorted(levels)
    ]


def _natural(label: str) -> list[Any]:
    """Sort "plan20/p2" before "plan20/p10"."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", label)]


def _evidence(
    session: Session, actor: Actor, process_id: uuid.UUID, claim_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[EvidenceLink]]:
    """Evidence spans of the claims, shown only when both the span and its source are visible."""
    from parley.intake.evidence import evidence_for

    found = evidence_for(session, actor, process_id, "status_claims", claim_ids)
    return {
        cid: [EvidenceLink(e["source_id"], e["title"], e["quote"]) for e in items]
        for cid, items in found.items()
    }
