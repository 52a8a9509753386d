"""Checking a plan: windows, slack and critical path, or the conflict in the user's words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np

from parley.sequencing.plan import ConstraintSpec, Plan
from parley.sequencing.stn import (
    INF,
    DistanceGraph,
    IntArray,
    Schedule,
    constraint_edges,
    schedule,
    solve,
)

Bound = Literal["min", "max"]


@dataclass(frozen=True)
class CompiledPlan:
    """A plan's time points numbered ``0..n-1`` and its constraints as a distance graph."""

    names: list[str]
    index: dict[str, int]
    origin: int
    specs: list[ConstraintSpec]
    graph: DistanceGraph


def compile_plan(plan: Plan, extra: Sequence[ConstraintSpec] = ()) -> CompiledPlan:
    names = plan.nodes()
    index = {name: i for i, name in enumerate(names)}
    specs = plan.all_constraints() + list(extra)
    return CompiledPlan(names, index, index[plan.origin], specs, graph_of(len(names), index, specs))


def graph_of(n: int, index: dict[str, int], specs: Sequence[ConstraintSpec]) -> DistanceGraph:
    """The distance graph of ``specs``; edge labels are ``2k`` / ``2k + 1`` for spec ``k``."""
    k = len(specs)
    rows = [(index[c.from_ref], index[c.to_ref], c.min_days, c.max_days) for c in specs]
    source = np.fromiter((r[0] for r in rows), dtype=np.int64, count=k)
    target = np.fromiter((r[1] for r in rows), dtype=np.int64, count=k)
    lo_raw = np.array([r[2] for r in rows], dtype=object)
    hi_raw = np.array([r[3] for r in rows], dtype=object)
    has_lo = lo_raw != None  # noqa: E711 (elementwise comparison on an object array)
    has_hi = hi_raw != None  # noqa: E711
    lo = np.where(has_lo, lo_raw, 0).astype(np.int64)
    hi = np.where(has_hi, hi_raw, 0).astype(np.int64)
    src, dst, weight, label = constraint_edges(source, target, lo, hi, has_lo, has_hi)
    return DistanceGraph.build(n, src, dst, weight, label)


# --------------------------------------------------------------------------- conflicts


@dataclass(frozen=True)
class ConflictLink:
    """One constraint of a negative cycle and the bound of it that the cycle uses."""

    id: str
    from_ref: str
    to_ref: str
    bound: Bound
    days: int
    text: str  # the user's explanation, or one built from the bounds

    @property
    def inequality(self) -> str:
        """``to ≤ from + max`` or ``to ≥ from + min``: what this link contributes."""
        sign = "≤" if self.bound == "max" else "≥"
        if self.days == 0:
            offset = ""
        elif self.days > 0:
            offset = f" + {self.days} days"
        else:
            offset = f" − {-self.days} days"
        return f"{self.to_ref} {sign} {self.from_ref}{offset}"

    @classmethod
    def of(cls, spec: ConstraintSpec, bound: Bound) -> ConflictLink:
        days = spec.max_days if bound == "max" else spec.min_days
        assert days is not None, "a cycle only uses bounds that exist"
        return cls(spec.id, spec.from_ref, spec.to_ref, bound, days, spec.describe())

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": self.from_ref,
            "to": self.to_ref,
            "bound": self.bound,
            "days": self.days,
            "explanation": self.text,
            "inequality": self.inequality,
        }


@dataclass(frozen=True)
class Conflict:
    """Constraints that cannot all hold: they form a negative cycle of weight ``-excess_days``.

    Loosening any one of them by ``excess_days`` removes this cycle (another may remain).
    """

    links: tuple[ConflictLink, ...]
    excess_days: int

    @property
    def ids(self) -> list[str]:
        return list(dict.fromkeys(link.id for link in self.links))

    @property
    def explanation(self) -> str:
        parts = "; ".join(f"{x.id}: {x.text} [{x.inequality}]" for x in self.links)
        day_word = "day" if self.excess_days == 1 else "days"
        return (
            f"These constraints cannot all hold; together they over-constrain the plan by "
            f"{self.excess_days} {day_word}: {parts}. Loosening any one of them by "
            f"{self.excess_days} {day_word} removes this contradiction."
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "consistent": False,
            "conflict": self.ids,
            "excess_days": self.excess_days,
            "explanation": self.explanation,
            "conflict_detail": [link.to_json() for link in self.links],
        }


def conflict_of(labels: Sequence[int], weight: int, specs: Sequence[ConstraintSpec]) -> Conflict:
    """Map a negative cycle's edge labels (``2k`` max side, ``2k + 1`` min side) to a Conflict."""
    links = [
        ConflictLink.of(specs[label // 2], "max" if label % 2 == 0 else "min") for label in labels
    ]
    return Conflict(tuple(links), -weight)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CheckResult:
    """The verdict on a plan. Windows are in days from the origin; ``None`` means unbounded."""

    consistent: bool
    origin: str
    earliest: dict[str, int | None]
    latest: dict[str, int | None]
    slack: dict[str, int | None]
    critical_path: list[str]
    critical_steps: list[str]
    finish: int | None
    conflict: Conflict | None = None
    origin_date: date | None = None

    def date_of(self, offset: int | None) -> str | None:
        if offset is None or self.origin_date is None:
            return None
        return (self.origin_date + timedelta(days=offset)).isoformat()

    def to_json(self) -> dict[str, Any]:
        if not self.consistent:
            assert self.conflict is not None
            return self.conflict.to_json()
        out: dict[str, Any] = {
            "consistent": True,
            "origin": self.origin,
            "earliest": self.earliest,
            "latest": self.latest,
            "slack": self.slack,
            "critical_path": self.critical_path,
            "critical_steps": self.critical_steps,
            "finish": self.finish,
        }
        if self.origin_date is not None:
            out["origin_date"] = self.origin_date.isoformat()
            out["earliest_date"] = {k: self.date_of(v) for k, v in self.earliest.items()}
            out["latest_date"] = {k: self.date_of(v) for k, v in self.latest.items()}
        return out


def _optional(values: IntArray) -> list[int | None]:
    return [None if v >= INF else v for v in values.tolist()]


def result_of(
    names: Sequence[str],
    step_ids: Sequence[str],
    origin: int,
    sched: Schedule,
    origin_date: date | None = None,
) -> CheckResult:
    """Name the arrays of a :class:`Schedule` for a consistent network."""
    earliest = dict(zip(names, _optional(sched.earliest), strict=True))
    latest = dict(zip(names, _optional(sched.latest), strict=True))
    slack = dict(zip(names, _optional(sched.slack), strict=True))
    crit = np.flatnonzero(sched.critical)
    # Order by earliest time, then by position in the plan, so ties read in the plan's order.
    crit = crit[np.lexsort((crit, sched.earliest[crit]))]
    critical = [names[i] for i in crit.tolist()]
    on_path = set(critical)
    steps = [s for s in step_ids if f"{s}.start" in on_path and f"{s}.end" in on_path]
    steps.sort(key=lambda s: earliest[f"{s}.start"] or 0)
    return CheckResult(
        True,
        names[origin],
        earliest,
        latest,
        slack,
        critical,
        steps,
        sched.finish,
        None,
        origin_date,
    )


def inconsistent_result(origin: str, conflict: Conflict, origin_date: date | None) -> CheckResult:
    return CheckResult(False, origin, {}, {}, {}, [], [], None, conflict, origin_date)


def check_plan(plan: Plan, *, origin_date: date | None = None) -> CheckResult:
    """Check ``plan``; ``origin_date`` (or the plan's own) adds calendar dates to the windows."""
    compiled = compile_plan(plan)
    when = origin_date or plan.origin_date
    sol = solve(compiled.graph, compiled.origin)
    if not sol.consistent:
        assert sol.cycle is not None
        conflict = conflict_of(sol.cycle.labels, sol.cycle.weight, compiled.specs)
        return inconsistent_result(plan.origin, conflict, when)
    assert sol.dist_from_origin is not None and sol.dist_to_origin is not None
    assert sol.potential is not None
    sched = schedule(sol.dist_from_origin, sol.dist_to_origin, sol.potential)
    return result_of(compiled.names, [s.id for s in plan.steps], compiled.origin, sched, when)
