"""An STN that revalidates one edit at a time without recomputing everything.

Three shortest-distance arrays are kept exact after every edit of a consistent network:

* ``g(v) = min(0, min_u d(u, v))``: distances from a virtual source joined to every node by a
  0-weight edge. It is a feasible schedule, a potential that makes reduced weights
  ``w + g(u) - g(v)`` non-negative, and the ``h`` of the critical-path rule in ``stn.Schedule``;
* ``df(v) = d(O, v)``, the latest times; ``db(v) = d(v, O)``, minus the earliest times.

Tightening an edge ``a -> b`` (a new or stricter bound) only lowers distances, and only those of
nodes reached through it: ``g`` is updated first by Dijkstra over reduced weights from ``b``
(Cotton & Maler, 2006); reaching ``a`` again means a negative cycle, which the predecessor
links give exactly. ``df`` and ``db`` then follow by the same early-exit Dijkstra from ``b``
(forward) and ``a`` (backward), touching only nodes whose value really drops.

Loosening an edge (a wider bound, a removal) leaves ``g`` feasible. A distance can only rise if
the edge was tight on it; then the nodes reachable over tight edges are re-derived from their
untouched neighbours (a bounded Ramalingam-Reps repair). An edit on an inconsistent network,
where the distances are stale, recomputes everything with the array engine in ``stn``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from parley.sequencing.check import (
    CheckResult,
    Conflict,
    ConflictLink,
    inconsistent_result,
    result_of,
)
from parley.sequencing.plan import ConstraintSpec, Plan, PlanError, StepSpec
from parley.sequencing.stn import INF, DistanceGraph, schedule, solve

Dist = list[float]  # ints, or math.inf when unbounded
Adjacency = list[dict[int, int]]
_INF = math.inf


@dataclass(frozen=True)
class WindowChange:
    """An event's window before and after an edit, in days from the origin (None: unbounded)."""

    earliest_before: int | None
    earliest_after: int | None
    latest_before: int | None
    latest_after: int | None


@dataclass(frozen=True)
class EditResult:
    consistent: bool
    conflict: Conflict | None = None
    changes: dict[str, WindowChange] = field(default_factory=dict)
    recomputed: bool = False  # True when the edit needed a full recomputation


def _finite(x: float) -> int | None:
    return None if math.isinf(x) else int(x)


class IncrementalSTN:
    """A plan's network that stays checked while constraints are added, changed or removed."""

    def __init__(
        self, origin: str, events: Iterable[str] = (), *, origin_date: date | None = None
    ) -> None:
        """An empty network over ``events`` (the origin is added first if not among them)."""
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.step_ids: list[str] = []
        self.origin_date = origin_date
        self.specs: dict[str, ConstraintSpec] = {}
        self._bounds: dict[tuple[int, int], dict[str, int]] = {}  # pair -> id -> weight
        self._tight: dict[tuple[int, int], str] = {}  # pair -> id of its tightest bound
        self._out: Adjacency = []
        self._in: Adjacency = []
        self._g: Dist = []
        self._df: Dist = []
        self._db: Dist = []
        self._conflict: Conflict | None = None
        self.full_recomputes = 0
        events = list(events)
        for name in events if origin in events else [origin, *events]:
            self.add_event(name)
        self.origin = self.index[origin]
        self._df[self.origin] = self._db[self.origin] = 0

    # ------------------------------------------------------------------ building

    @classmethod
    def from_plan(cls, plan: Plan) -> IncrementalSTN:
        """Load a parsed plan in one go, then check it with the array engine."""
        stn = cls(plan.origin, plan.nodes(), origin_date=plan.origin_date)
        stn.step_ids = [s.id for s in plan.steps]
        for spec in plan.all_constraints():
            stn._validate(spec)
            stn.specs[spec.id] = spec
            for pair, w in stn._sides(spec):
                stn._bounds.setdefault(pair, {})[spec.id] = w
        for pair in stn._bounds:
            stn._retighten(pair)
        stn._recompute()
        return stn

    def add_event(self, name: str) -> None:
        if name in self.index:
            raise PlanError([f"event '{name}' already exists"])
        self.index[name] = len(self.names)
        self.names.append(name)
        self._out.append({})
        self._in.append({})
        self._g.append(0)
        self._df.append(_INF)
        self._db.append(_INF)

    def add_step(self, step: StepSpec) -> EditResult:
        """Add ``S.start`` and ``S.end`` and the ``S.duration`` constraint between them."""
        self.add_event(step.start)
        self.add_event(step.end)
        self.step_ids.append(step.id)
        return self.add_constraint(step.duration_constraint())

    # ------------------------------------------------------------------ edits

    def add_constraint(self, spec: ConstraintSpec) -> EditResult:
        """Add one constraint; it is kept even when it makes the network inconsistent."""
        if spec.id in self.specs:
            raise PlanError([f"constraint id '{spec.id}' already exists"])
        self._validate(spec)
        self.specs[spec.id] = spec
        return self._edit(removed=None, added=spec)

    def remove_constraint(self, cid: str) -> EditResult:
        spec = self._spec(cid)
        del self.specs[cid]
        return self._edit(removed=spec, added=None)

    def set_bounds(self, cid: str, min_days: int | None, max_days: int | None) -> EditResult:
        """Change a constraint's bounds (tighten, loosen or both)."""
        old = self._spec(cid)
        new = replace(old, min_days=min_days, max_days=max_days)
        self._validate(new)
        self.specs[cid] = new
        return self._edit(removed=old, added=new)

    # ------------------------------------------------------------------ reading

    @property
    def consistent(self) -> bool:
        return self._conflict is None

    @property
    def conflict(self) -> Conflict | None:
        return self._conflict

    def earliest(self, name: str) -> int | None:
        self._require_consistent()
        return _finite(-self._db[self.index[name]])

    def latest(self, name: str) -> int | None:
        self._require_consistent()
        return _finite(self._df[self.index[name]])

    def windows(self) -> dict[str, tuple[int | None, int | None]]:
        """``name -> (earliest, latest)`` for every event."""
        self._require_consistent()
        return {
            name: (_finite(-db), _finite(df))
            for name, db, df in zip(self.names, self._db, self._df, strict=True)
        }

    def result(self) -> CheckResult:
        """The same verdict :func:`check_plan` gives for the current network."""
        if self._conflict is not None:
            return inconsistent_result(self.names[self.origin], self._conflict, self.origin_date)
        sched = schedule(_array(self._df), _array(self._db), _array(self._g))
        return result_of(self.names, self.step_ids, self.origin, sched, self.origin_date)

    # ------------------------------------------------------------------ internals

    def _spec(self, cid: str) -> ConstraintSpec:
        try:
            return self.specs[cid]
        except KeyError:
            raise PlanError([f"unknown constraint '{cid}'"]) from None

    def _require_consistent(self) -> None:
        if self._conflict is not None:
            raise ValueError(f"the network is inconsistent: {self._conflict.explanation}")

    def _validate(self, spec: ConstraintSpec) -> None:
        errors = [
            f"constraint {spec.id}.{key}: unknown event '{ref}'"
            for key, ref in (("from", spec.from_ref), ("to", spec.to_ref))
            if ref not in self.index
        ]
        if spec.min_days is None and spec.max_days is None:
            errors.append(f"constraint {spec.id}: give at least one of min and max")
        elif (
            spec.min_days is not None
            and spec.max_days is not None
            and spec.min_days > spec.max_days
        ):
            errors.append(f"constraint {spec.id}: min {spec.min_days} > max {spec.max_days}")
        if spec.from_ref == spec.to_ref:
            errors.append(f"constraint {spec.id}: from and to are the same event")
        if errors:
            raise PlanError(errors)

    def _sides(self, spec: ConstraintSpec) -> list[tuple[tuple[int, int], int]]:
        """The distance edges of a constraint: ``(pair, weight)`` for each bound it has."""
        a, b = self.index[spec.from_ref], self.index[spec.to_ref]
        sides = []
        if spec.max_days is not None:
            sides.append(((a, b), spec.max_days))
        if spec.min_days is not None:
            sides.append(((b, a), -spec.min_days))
        return sides

    def _weight(self, pair: tuple[int, int]) -> float:
        return self._out[pair[0]].get(pair[1], _INF)

    def _retighten(self, pair: tuple[int, int]) -> None:
        """Reset a pair's edge to its tightest bound (the first given wins a tie)."""
        a, b = pair
        bounds = self._bounds.get(pair)
        if not bounds:
            self._bounds.pop(pair, None)
            self._tight.pop(pair, None)
            self._out[a].pop(b, None)
            self._in[b].pop(a, None)
            return
        cid = min(bounds, key=bounds.__getitem__)
        self._tight[pair] = cid
        self._out[a][b] = self._in[b][a] = bounds[cid]

    def _edit(self, *, removed: ConstraintSpec | None, added: ConstraintSpec | None) -> EditResult:
        """Swap one constraint's bounds in the graph and revalidate what that touches.

        Each ordered pair the constraint touches is updated and revalidated on its own, in
        turn, so every repair sees a graph whose other edges are exactly as its distances
        assume. Loosenings go first: the potential stays feasible, so each tightening starts
        from a consistent network and a cycle it finds is entirely its own doing.
        """
        ops: dict[tuple[int, int], dict[str, int | None]] = {}
        if removed is not None:
            for pair, _ in self._sides(removed):
                ops.setdefault(pair, {})[removed.id] = None
        if added is not None:
            for pair, w in self._sides(added):
                ops.setdefault(pair, {})[added.id] = w
        plan = []
        for pair, op in ops.items():
            bounds = dict(self._bounds.get(pair, {}))
            _apply_ops(bounds, op)
            old, new = self._weight(pair), min(bounds.values(), default=_INF)
            plan.append((new < old, pair, op, old, new))
        plan.sort(key=lambda p: p[0])
        if self._conflict is not None:
            for _, pair, op, _, _ in plan:
                self._apply_pair(pair, op)
            return self._recompute()
        log: dict[tuple[int, int], float] = {}
        for i, (tighter, pair, op, old, new) in enumerate(plan):
            self._apply_pair(pair, op)
            if new == old:
                continue
            a, b = pair
            if not tighter:
                self._loosen(a, b, old, log)
                continue
            conflict = self._tighten(a, b, int(new), log)
            if conflict is not None:
                for _, later, later_op, _, _ in plan[i + 1 :]:
                    self._apply_pair(later, later_op)
                self._conflict = conflict
                return EditResult(False, conflict)
        return EditResult(True, None, self._changes(log))

    def _apply_pair(self, pair: tuple[int, int], op: dict[str, int | None]) -> None:
        _apply_ops(self._bounds.setdefault(pair, {}), op)
        self._retighten(pair)

    def _changes(self, log: dict[tuple[int, int], float]) -> dict[str, WindowChange]:
        """Windows of the nodes whose df (key 0) or db (key 1) moved, from the undo log."""
        before: dict[int, list[float]] = {}
        for (which, v), old in log.items():
            before.setdefault(v, [self._df[v], self._db[v]])[which] = old
        out = {}
        for v, (df0, db0) in sorted(before.items()):
            if df0 != self._df[v] or db0 != self._db[v]:
                out[self.names[v]] = WindowChange(
                    _finite(-db0), _finite(-self._db[v]), _finite(df0), _finite(self._df[v])
                )
        return out

    def _recompute(self) -> EditResult:
        """Check the whole network with the array engine; used at load and when inconsistent."""
        self.full_recomputes += 1
        old_df, old_db = list(self._df), list(self._db)
        was_consistent = self._conflict is None
        pairs = list(self._tight)
        n = len(self.names)
        src = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
        dst = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
        weight = np.fromiter((self._out[a][b] for a, b in pairs), dtype=np.int64, count=len(pairs))
        label = np.arange(len(pairs), dtype=np.int64)
        sol = solve(DistanceGraph.build(n, src, dst, weight, label), self.origin)
        if not sol.consistent:
            assert sol.cycle is not None
            self._conflict = self._conflict_of([pairs[i] for i in sol.cycle.labels])
            return EditResult(False, self._conflict, recomputed=True)
        assert sol.potential is not None
        assert sol.dist_from_origin is not None and sol.dist_to_origin is not None
        self._conflict = None
        self._g = sol.potential.tolist()
        self._df = _dist(sol.dist_from_origin)
        self._db = _dist(sol.dist_to_origin)
        log: dict[tuple[int, int], float] = {}
        if was_consistent:
            for v in range(min(n, len(old_df))):
                log[(0, v)], log[(1, v)] = old_df[v], old_db[v]
        return EditResult(True, None, self._changes(log), recomputed=True)

    def _conflict_of(self, cycle_pairs: list[tuple[int, int]]) -> Conflict:
        links = []
        weight = 0
        for a, b in cycle_pairs:
            spec = self.specs[self._tight[(a, b)]]
            forward = self.index[spec.from_ref] == a and self.index[spec.to_ref] == b
            links.append(ConflictLink.of(spec, "max" if forward else "min"))
            weight += self._out[a][b]
        return Conflict(tuple(links), -weight)

    def _tighten(
        self, a: int, b: int, w: int, log: dict[tuple[int, int], float]
    ) -> Conflict | None:
        """The edge ``a -> b`` now weighs ``w`` (less than before): lower what it lowers."""
        g = self._g
        if g[a] + w < g[b]:
            # Cotton-Maler: lower g from b by Dijkstra on reduced weights, staged until the end.
            gamma = {b: g[a] + w - g[b]}
            pred = {b: a}
            heap = [(gamma[b], b)]
            done: dict[int, float] = {}
            while heap:
                gm, x = heapq.heappop(heap)
                if x in done or gm != gamma[x]:
                    continue
                done[x] = gx = g[x] + gm
                for y, wy in self._out[x].items():
                    c = gx + wy - g[y]
                    if c < gamma.get(y, 0):
                        pred[y] = x
                        if y == a:  # a must move earlier, which moves b again: a cycle
                            return self._conflict_of(_cycle_pairs(pred, a))
                        gamma[y] = c
                        heapq.heappush(heap, (c, y))
            for x, gx in done.items():
                g[x] = gx
        if self._df[a] + w < self._df[b]:
            _lower(self._df, self._out, b, self._df[a] + w, lambda v: g[v], log, 0)
        if w + self._db[b] < self._db[a]:
            _lower(self._db, self._in, a, w + self._db[b], lambda v: -g[v], log, 1)
        return None

    def _loosen(self, a: int, b: int, old: float, log: dict[tuple[int, int], float]) -> None:
        """The edge ``a -> b`` weighed ``old`` and now weighs more (or is gone)."""
        g, df, db = self._g, self._df, self._db
        if g[a] + old == g[b]:
            old_g: dict[int, float] = {}
            _raise(g, self._out, self._in, b, lambda v: 0, lambda v: old_g[v], old_g)
        if df[a] != _INF and df[a] + old == df[b] and b != self.origin:
            base = self._base()
            _raise(df, self._out, self._in, b, base, lambda v: g[v], _Logged(log, 0))
        if db[b] != _INF and old + db[b] == db[a] and a != self.origin:
            base = self._base()
            _raise(db, self._in, self._out, a, base, lambda v: -g[v], _Logged(log, 1))

    def _base(self) -> Callable[[int], float]:
        origin = self.origin
        return lambda v: 0 if v == origin else _INF


class _Logged(dict[int, float]):
    """Records a node's first old value both locally and in the edit's undo log."""

    def __init__(self, log: dict[tuple[int, int], float], which: int) -> None:
        super().__init__()
        self.log, self.which = log, which

    def __setitem__(self, v: int, old: float) -> None:
        super().__setitem__(v, old)
        self.log.setdefault((self.which, v), old)


def _apply_ops(bounds: dict[str, int], op: dict[str, int | None]) -> None:
    for cid, w in op.items():
        if w is None:
            bounds.pop(cid, None)
        else:
            bounds[cid] = w


def _array(values: Iterable[float]) -> np.ndarray:
    return np.array([INF if x == _INF else int(x) for x in values], dtype=np.int64)


def _dist(values: np.ndarray) -> Dist:
    return [_INF if x >= INF else x for x in values.tolist()]


def _cycle_pairs(pred: dict[int, int], a: int) -> list[tuple[int, int]]:
    """Follow predecessor links back from ``a`` to itself; return the cycle's edges in order."""
    nodes = [a]
    v = pred[a]
    while v != a:
        nodes.append(v)
        v = pred[v]
    nodes.reverse()  # now a -> b -> ... in edge order, starting at a
    nodes = [a] + nodes[:-1]
    start = nodes.index(min(nodes))
    nodes = nodes[start:] + nodes[:start]
    return [(nodes[i], nodes[(i + 1) % len(nodes)]) for i in range(len(nodes))]


def _lower(
    dist: Dist,
    succ: Adjacency,
    start: int,
    value: float,
    pot: Callable[[int], float],
    log: dict[tuple[int, int], float],
    which: int,
) -> None:
    """Lower ``dist[start]`` to ``value`` and propagate: Dijkstra keyed by ``dist - pot``."""
    log.setdefault((which, start), dist[start])
    dist[start] = value
    heap = [(value - pot(start), start)]
    while heap:
        key, x = heapq.heappop(heap)
        dx = dist[x]
        if key != dx - pot(x):
            continue
        for y, w in succ[x].items():
            nd = dx + w
            if nd < dist[y]:
                log.setdefault((which, y), dist[y])
                dist[y] = nd
                heapq.heappush(heap, (nd - pot(y), y))


def _raise(
    dist: Dist,
    succ: Adjacency,
    pred: Adjacency,
    start: int,
    base: Callable[[int], float],
    pot: Callable[[int], float],
    old: dict[int, float],
) -> None:
    """Re-derive the distances that may rise after an edge into ``start`` got longer.

    Candidates are the nodes reachable from ``start`` over tight edges (``dist[x] + w ==
    dist[y]``); every other node keeps a shortest path that avoids the edge. A candidate that
    sits at its base value, or has a tight in-edge from outside, keeps its distance, and so does
    everything it reaches over tight edges; the rest restart from their base value and their
    settled predecessors, then a Dijkstra keyed by ``dist - pot`` settles them among themselves.
    ``old`` receives the old values of the nodes that are recomputed.
    """
    candidates = {start}
    stack = [start]
    while stack:
        x = stack.pop()
        dx = dist[x]
        for y, w in succ[x].items():
            if y not in candidates and dx + w == dist[y] and base(y) != dist[y]:
                candidates.add(y)
                stack.append(y)
    kept = [
        y
        for y in candidates
        if base(y) == dist[y]
        or any(p not in candidates and dist[p] + w == dist[y] for p, w in pred[y].items())
    ]
    settled = set(kept)
    while kept:
        x = kept.pop()
        dx = dist[x]
        for y, w in succ[x].items():
            if y in candidates and y not in settled and dx + w == dist[y]:
                settled.add(y)
                kept.append(y)
    affected = candidates - settled
    for x in affected:
        old[x] = dist[x]
    heap = []
    for x in affected:
        best = base(x)
        for p, w in pred[x].items():
            if p not in affected and dist[p] + w < best:
                best = dist[p] + w
        dist[x] = best
        if best != _INF:
            heap.append((best - pot(x), x))
    heapq.heapify(heap)
    while heap:
        key, x = heapq.heappop(heap)
        dx = dist[x]
        if key != dx - pot(x):
            continue
        for y, w in succ[x].items():
            nd = dx + w
            if y in affected and nd < dist[y]:
                dist[y] = nd
                heapq.heappush(heap, (nd - pot(y), y))
