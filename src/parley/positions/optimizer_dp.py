"""Exact dynamic programmes over provisions: the Pareto frontier and the acceptable count.

Both walk the provisions one at a time, keeping a table of partial packages. Linkages couple
provisions, so a partial package also remembers the option chosen at every *open* provision (one
already decided that is linked to one not yet decided); two partial packages can be compared or
merged only when their open choices agree. Provisions are visited in breadth-first order of the
linkage graph so that few are open at once.

* Frontier: a partial package whose utility vector is dominated by another with the same open
  choices can never complete to a frontier package (the same completion is open to the dominating
  one, and gives it at least as much everywhere, reservation levels included), so it is dropped.
* Count: only parties with a reservation level matter; their partial sums are capped at the level
  (beyond it nothing changes) and partial packages that can no longer reach it are dropped, so
  partial packages with equal capped sums and equal open choices merge, adding their counts.

Both give up (return None) beyond ``max_states`` partial packages rather than run for minutes.

* Max-min and leximin (problems without linkages): :class:`ThresholdProgramme` decides whether
  some package's sorted utilities reach a threshold vector, keeping only partial packages that
  LP-dual bounds cannot rule out; :func:`leximin_dp` searches the thresholds stage by stage.
* :func:`merge_linked` turns a problem with linkages into one without, by merging each
  connected group of linked provisions into a compound provision, so that the max-min and Nash
  programmes apply to it.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from parley.positions.problem import Compiled, IntArray, OptimizerTimeout

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class _Plan:
    order: tuple[int, ...]
    # open_before[i]: provisions open when order[i] is processed (their choices are in the state)
    open_before: tuple[tuple[int, ...], ...]
    open_after: tuple[tuple[int, ...], ...]


def _plan(compiled: Compiled) -> _Plan:
    n = compiled.num_provisions
    neighbours: list[set[int]] = [set() for _ in range(n)]
    for j, _a, t, _c in compiled.links:
        neighbours[j].add(t)
        neighbours[t].add(j)
    order: list[int] = []
    seen = [False] * n
    for start in range(n):
        if seen[start]:
            continue
        seen[start] = True
        queue = [start]
        while queue:
            j = queue.pop(0)
            order.append(j)
            for t in sorted(neighbours[j]):
                if not seen[t]:
                    seen[t] = True
                    queue.append(t)
    position = {j: i for i, j in enumerate(order)}
    last_partner = [max((position[t] for t in neighbours[j]), default=-1) for j in range(n)]
    open_before: list[tuple[int, ...]] = []
    open_after: list[tuple[int, ...]] = []
    current: list[int] = []
    for i, j in enumerate(order):
        open_before.append(tuple(current))
        current = [p for p in [*current, j] if last_partner[p] > i]
        open_after.append(tuple(current))
    return _Plan(tuple(order), tuple(open_before), tuple(open_after))


def _compatible(
    compiled: Compiled, j: int, o: int, open_cols: dict[int, int], choices: IntArray
) -> BoolArray | None:
    """Mask of states whose open choices allow option ``o`` at ``j``; None means all do."""
    mask: BoolArray | None = None
    for a_j, a, t, c in compiled.links:
        if a_j == j and a == o and t in open_cols:
            cond = choices[:, open_cols[t]] == c  # o at j requires c at t
        elif t == j and a_j in open_cols and c != o:
            cond = choices[:, open_cols[a_j]] != a  # a at a_j requires c (not o) at j
        else:
            continue
        mask = cond if mask is None else mask & cond
    return mask


def _expand(
    compiled: Compiled,
    plan: _Plan,
    step: int,
    options: Sequence[int],
    values: IntArray,
    choices: IntArray,
    contrib: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """All one-option extensions of the states: new values, new open choices, parent, option."""
    j = plan.order[step]
    before = {p: i for i, p in enumerate(plan.open_before[step])}
    after = plan.open_after[step]
    parts_v, parts_c, parts_parent, parts_opt = [], [], [], []
    for o in options:
        mask = _compatible(compiled, j, o, before, choices)
        idx = np.arange(len(values)) if mask is None else np.flatnonzero(mask)
        if len(idx) == 0:
            continue
        parts_v.append(values[idx] + contrib[o])
        cols = [
            choices[idx, before[p]] if p in before else np.full(len(idx), o, dtype=np.int64)
            for p in after
        ]
        parts_c.append(np.stack(cols, axis=1) if cols else np.zeros((len(idx), 0), dtype=np.int64))
        parts_parent.append(idx)
        parts_opt.append(np.full(len(idx), o, dtype=np.int64))
    if not parts_v:
        width = values.shape[1]
        empty = np.zeros((0,), dtype=np.int64)
        return (
            np.zeros((0, width), dtype=np.int64),
            np.zeros((0, len(after)), dtype=np.int64),
            empty,
            empty,
        )
    return (
        np.concatenate(parts_v),
        np.concatenate(parts_c),
        np.concatenate(parts_parent),
        np.concatenate(parts_opt),
    )


def _remaining_bounds(
    compiled: Compiled, plan: _Plan, options: Sequence[Sequence[int]]
) -> tuple[IntArray, IntArray]:
    """max_rest[i], min_rest[i]: per party, the most/least the provisions after step i can add."""
    n, k = compiled.num_provisions, compiled.num_parties
    max_rest = np.zeros((n + 1, k), dtype=np.int64)
    min_rest = np.zeros((n + 1, k), dtype=np.int64)
    for i in range(n - 1, -1, -1):
        j = plan.order[i]
        table = compiled.contrib[j][list(options[j])]
        max_rest[i] = max_rest[i + 1] + table.max(axis=0)
        min_rest[i] = min_rest[i + 1] + table.min(axis=0)
    return max_rest[1:], min_rest[1:]


# ---------------------------------------------------------------------------------------------
# Pareto frontier


def _nondominated(keys: IntArray, values: IntArray) -> IntArray:
    """Indices of rows not dominated within their key group (values has at most 3 columns).

    Sorting by (key, u1 desc, u2 desc, u3 desc) puts any dominating row before the rows it
    dominates; a sweep keeps the 2-D staircase of (u2, u3) seen so far in the group (Kung et al.).
    Exact duplicates keep their first row.
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    padded = np.zeros((n, 3), dtype=np.int64)
    padded[:, : values.shape[1]] = values
    order = np.lexsort((-padded[:, 2], -padded[:, 1], -padded[:, 0], *keys.T[::-1]))
    s_keys = keys[order].tolist()
    s_vals = padded[order].tolist()
    kept: list[int] = []
    stair2: list[int] = []
    stair3: list[int] = []
    previous_key: list[int] | None = None
    previous_val: list[int] | None = None
    for pos, (key, val) in enumerate(zip(s_keys, s_vals, strict=True)):
        if key != previous_key:
            stair2, stair3 = [], []
            previous_key, previous_val = key, None
        elif val == previous_val:
            continue
        previous_val = val
        _, a, b = val
        at = bisect_left(stair2, a)
        if at < len(stair2) and stair3[at] >= b:
            continue
        end = bisect_right(stair2, a)
        start = end
        while start > 0 and stair3[start - 1] <= b:
            start -= 1
        stair2[start:end] = [a]
        stair3[start:end] = [b]
        kept.append(pos)
    return np.asarray(order[kept], dtype=np.int64)


def pareto_frontier_dp(
    compiled: Compiled, options: Sequence[Sequence[int]], max_states: int
) -> list[tuple[tuple[int, ...], tuple[int, ...]]] | None:
    """The exact frontier for at most 3 parties: (option per provision, utilities) per point.

    One package per distinct frontier utility vector, sorted by utilities, largest first. Returns
    an empty list when no package is acceptable and None when ``max_states`` is exceeded.
    """
    assert compiled.num_parties <= 3
    plan = _plan(compiled)
    max_rest, _ = _remaining_bounds(compiled, plan, options)
    k = compiled.num_parties
    values = np.zeros((1, k), dtype=np.int64)
    choices = np.zeros((1, 0), dtype=np.int64)
    trail: list[tuple[IntArray, IntArray]] = []
    for step, j in enumerate(plan.order):
        values, choices, parent, chosen = _expand(
            compiled, plan, step, options[j], values, choices, compiled.contrib[j]
        )
        if len(values) > max_states:
            return None
        alive = np.all(values + max_rest[step] >= compiled.reservation, axis=1)
        keep = _nondominated(choices[alive], values[alive])
        keep = np.flatnonzero(alive)[keep]
        values, choices = values[keep], choices[keep]
        trail.append((parent[keep], chosen[keep]))
        if len(values) == 0:
            return []
    # Groups with different open choices were kept apart; the last step closes every provision,
    # so one final filter across all of them is still needed only if any group key remains.
    final = _nondominated(np.zeros((len(values), 0), dtype=np.int64), values)
    points = []
    for row in final.tolist():
        choice = [0] * compiled.num_provisions
        r = row
        for step in range(len(plan.order) - 1, -1, -1):
            parents, opts = trail[step]
            choice[plan.order[step]] = int(opts[r])
            r = int(parents[r])
        points.append((tuple(choice), tuple(int(v) for v in values[row])))
    points.sort(key=lambda p: tuple(-v for v in p[1]))
    return points


# ---------------------------------------------------------------------------------------------
# Counting acceptable packages


def _group_sum(keys: IntArray, counts: npt.NDArray[np.generic]) -> tuple[IntArray, npt.NDArray]:
    """Unique rows of ``keys`` with the summed counts of each."""
    if keys.shape[1] == 0:
        return keys[:1], np.asarray([counts.sum()], dtype=counts.dtype)
    highs = keys.max(axis=0) + 1
    if float(np.prod(highs.astype(np.float64))) < 2.0**62:
        code = np.zeros(len(keys), dtype=np.int64)
        for col, high in zip(keys.T, highs.tolist(), strict=True):
            code = code * int(high) + col
        order = np.argsort(code, kind="stable")
        code = code[order]
        starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    else:
        order = np.lexsort(keys.T[::-1])
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, np.any(sorted_keys[1:] != sorted_keys[:-1], axis=1)])
    return keys[order][starts], np.add.reduceat(counts[order], starts)


def count_acceptable_dp(compiled: Compiled, max_states: int) -> int | None:
    """The exact number of acceptable packages, or None beyond ``max_states`` partial packages."""
    if compiled.infeasible_reason is not None:
        return 0
    plan = _plan(compiled)
    reserved = [p for p in range(compiled.num_parties) if compiled.reservation[p] > 0]
    level = compiled.reservation[reserved]
    contrib = [table[:, reserved] for table in compiled.contrib]
    options = compiled.allowed
    sub = Compiled(
        problem=compiled.problem,
        parties=tuple(compiled.parties[p] for p in reserved),
        contrib=tuple(contrib),
        allowed=compiled.allowed,
        links=compiled.links,
        reservation=level,
        disagreement=compiled.disagreement[reserved],
        infeasible_reason=None,
    )
    max_rest, min_rest = _remaining_bounds(sub, plan, options)
    total = 1
    for allowed in options:
        total *= len(allowed)
    dtype: type = np.int64 if total < 2**62 else object
    values = np.zeros((1, len(reserved)), dtype=np.int64)
    choices = np.zeros((1, 0), dtype=np.int64)
    counts: npt.NDArray = np.ones(1, dtype=dtype)
    for step, j in enumerate(plan.order):
        values, choices, parent, _ = _expand(
            sub, plan, step, options[j], values, choices, contrib[j]
        )
        if len(values) > max_states:
            return None
        counts = counts[parent]
        alive = np.all(values + max_rest[step] >= level, axis=1)
        values, choices, counts = values[alive], choices[alive], counts[alive]
        # Once a party is sure to reach its level, its exact sum no longer matters.
        sure = values + min_rest[step] >= level
        values = np.where(sure, level, values)
        if len(values) == 0:
            return 0
        keys, counts = _group_sum(np.concatenate([values, choices], axis=1), counts)
        values, choices = keys[:, : len(reserved)], keys[:, len(reserved) :]
    return int(counts.sum())


# ---------------------------------------------------------------------------------------------
# Max-min and leximin by threshold dynamic programming (problems without linkages)


class StateBudgetExceeded(RuntimeError):
    """The threshold programme needed more partial packages than allowed; use another method."""


BEAM_WIDTH = 150
BEAM_ROUNDS = 3
UPWARD_PROBES = 2
TILTS = (30, 100, 300, 1000, -100, -300)  # added to one party's dual weight (of WEIGHT_SCALE)
CANDIDATE_FACTOR = 8  # extensions per step allowed: a compound provision can have 1,000 options
WEIGHT_SCALE = 1000  # LP duals are rounded to integers out of this, so every bound is exact


def _dual_weights(tables: Sequence[IntArray], offset: IntArray) -> tuple[IntArray, int]:
    """Integer party weights from the max-min LP relaxation's duals, and the LP's value (floor).

    ``offset`` is what the provisions left out of ``tables`` (those with one option) add.

    The weights only steer the search (any non-negative weights give valid bounds below); the
    LP value bounds the max-min from above.
    """
    from scipy.optimize import linprog

    k = tables[0].shape[1]
    sizes = [t.shape[0] for t in tables]
    n_x = sum(sizes)
    columns = np.concatenate(tables, axis=0).astype(np.float64)  # (n_x, k)
    cost = np.zeros(n_x + 1)
    cost[-1] = -1.0
    a_ub = np.hstack([-columns.T, np.ones((k, 1))])
    a_eq = np.zeros((len(tables), n_x + 1))
    start = 0
    for i, size in enumerate(sizes):
        a_eq[i, start : start + size] = 1.0
        start += size
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=offset.astype(np.float64),
        A_eq=a_eq,
        b_eq=np.ones(len(tables)),
        bounds=[(0, 1)] * n_x + [(0, None)],
        method="highs",
    )
    if res.status != 0:  # cannot happen (the LP is always feasible); steer uniformly
        return np.full(k, WEIGHT_SCALE // k + 1, dtype=np.int64), int(columns.max(0).sum())
    duals = np.maximum(-np.asarray(res.ineqlin.marginals, dtype=np.float64), 0.0)
    if duals.sum() <= 0:
        duals = np.ones(k)
    duals = duals / duals.sum()
    return np.rint(duals * WEIGHT_SCALE).astype(np.int64), int(math.floor(-res.fun + 1e-6))


def split_fixed(
    compiled: Compiled, options: Sequence[Sequence[int]]
) -> tuple[dict[int, int], IntArray, list[int]]:
    """Provisions with one option (and that option), what they add, and the other provisions."""
    fixed = {j: opts[0] for j, opts in enumerate(options) if len(opts) == 1}
    offset = np.zeros(compiled.num_parties, dtype=np.int64)
    for j, o in fixed.items():
        offset += compiled.contrib[j][o]
    return fixed, offset, [j for j, opts in enumerate(options) if len(opts) > 1]


def trace_back(
    compiled: Compiled,
    fixed: dict[int, int],
    order: Sequence[int],
    options: Sequence[IntArray],
    trail: Sequence[tuple[IntArray, IntArray]],
    row: int,
) -> list[int]:
    """The package (option per provision) of final state ``row``, following (parent, option)
    back through ``trail``, one entry per provision of ``order``."""
    choice = [0] * compiled.num_provisions
    for j, o in fixed.items():
        choice[j] = o
    for i in range(len(trail) - 1, -1, -1):
        parent, option = trail[i]
        choice[order[i]] = int(options[i][option[row]])
        row = int(parent[row])
    return choice


class ThresholdProgramme:
    """Is there a package whose utilities ``u`` satisfy ``u >= reservation`` and, sorted
    ascending, ``sorted(u) >= t`` componentwise for a sorted threshold vector ``t``?

    ``t = (T, ..., T)`` asks for a max-min of at least ``T``; ``t = (y1, ..., y_{s-1}, T, ...)``
    is leximin stage ``s``. The provisions are processed one at a time, keeping every distinct
    partial utility vector that could still be completed, so an empty table *proves* that no
    package qualifies. A partial vector ``v`` is dropped only when a necessary condition fails:

    * each party's best completion ``v + best_rest``, sorted, must reach ``t`` (and the
      reservation levels);
    * for each non-negative integer weight vector ``w`` (the LP duals and tilts of them),
      ``w.v + max over completions of w.(rest)`` must reach the least ``w``-weighted threshold,
      ``max(w.reservation, sum of w sorted descending times t sorted ascending)``.

    A party whose value is already enough whatever the rest gives is capped at that value, so
    partial packages differing only above what matters merge. Everything is integer arithmetic.
    """

    def __init__(
        self,
        compiled: Compiled,
        options: Sequence[Sequence[int]],
        max_states: int,
        deadline: float | None = None,
    ) -> None:
        k = compiled.num_parties
        self.compiled = compiled
        self.k = k
        self.max_states = max_states
        self.deadline = deadline
        self.reservation = compiled.reservation.astype(np.int64)
        self.fixed, offset, free = split_fixed(compiled, options)
        self.offset = offset
        tables = [compiled.contrib[j][list(options[j])] for j in free]
        if tables:
            dual, self.lp_bound = _dual_weights(tables, offset)
        else:
            dual, self.lp_bound = np.ones(k, dtype=np.int64), int(offset.min())
        # Decisive provisions first: a wide spread of weighted value leaves few viable options.
        spread = [int(np.ptp(t @ dual)) for t in tables]
        rank = sorted(range(len(free)), key=lambda i: -spread[i])
        self.order = [free[i] for i in rank]
        self.options = [np.array(options[j], dtype=np.int64) for j in self.order]
        self.tables = [tables[i] for i in rank]
        weights = [dual]
        for tilt in TILTS:
            for p in range(k):
                w = dual.copy()
                w[p] = max(0, w[p] + tilt)  # weights must stay non-negative for the bound
                weights.append(w)
        for p in range(k):
            for q in range(p + 1, k):
                w = dual.copy()
                w[p] += 100
                w[q] += 100
                weights.append(w)
        distinct = dict.fromkeys(  # duals stay first; a zero vector bounds nothing
            tuple(int(v) for v in w) for w in weights if w.sum() > 0
        )
        self.weights = np.array(list(distinct), dtype=np.int64).T  # (k, L)
        n = len(self.tables)
        self.best_rest = np.zeros((n + 1, k), dtype=np.int64)
        self.worst_rest = np.zeros((n + 1, k), dtype=np.int64)
        self.weighted_rest = np.zeros((n + 1, self.weights.shape[1]), dtype=np.int64)
        for i in range(n - 1, -1, -1):
            t = self.tables[i]
            self.best_rest[i] = self.best_rest[i + 1] + t.max(axis=0)
            self.worst_rest[i] = self.worst_rest[i + 1] + t.min(axis=0)
            self.weighted_rest[i] = self.weighted_rest[i + 1] + (t @ self.weights).max(axis=0)
        self.states_seen = 0

    def upper_bound(self, levels: Sequence[int], stage: int) -> int:
        """An upper bound on the stage-``stage`` (1-based) leximin value given earlier levels."""
        best = np.sort(self.offset + self.best_rest[0])
        bound = int(best[stage - 1])
        if stage == 1:
            return min(bound, self.lp_bound)
        top = self.offset @ self.weights + self.weighted_rest[0]
        for col in range(self.weights.shape[1]):
            w = np.sort(self.weights[:, col])[::-1]
            fixed = int(w[: stage - 1] @ np.asarray(levels[: stage - 1], dtype=np.int64))
            rest = int(w[stage - 1 :].sum())
            if rest > 0:
                bound = min(bound, (int(top[col]) - fixed) // rest)
        return bound

    def find(self, thresholds: Sequence[int], beam: int | None = None) -> list[int] | None:
        """A qualifying package (option index per provision), or None when none exists.

        With ``beam``, a heuristic instead: no capping, at most ``beam`` partial packages kept
        (those with the most weighted slack), and the final package with the lexicographically
        greatest sorted utilities returned; None then proves nothing.
        """
        k = self.k
        t = np.sort(np.asarray(thresholds, dtype=np.int64))
        r = self.reservation
        need = np.maximum(r, t[-1])
        w = self.weights
        w_sorted = -np.sort(-w, axis=0)  # each column descending
        rhs = np.maximum(r @ w, t @ w_sorted)
        states = self.offset[None, :].copy()
        trail: list[tuple[IntArray, IntArray]] = []
        n = len(self.tables)
        if n == 0:
            u = self.offset
            if np.all(u >= r) and np.all(np.sort(u) >= t):
                return [self.fixed[j] for j in range(self.compiled.num_provisions)]
            return None
        for i in range(n):
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise OptimizerTimeout("the threshold programme hit the time limit")
            table = self.tables[i]
            m = table.shape[0]
            if len(states) * m > CANDIDATE_FACTOR * self.max_states:  # compound provisions
                raise StateBudgetExceeded(f"more than {self.max_states} partial packages")
            cand = (states[:, None, :] + table[None, :, :]).reshape(-1, k)
            if beam is None:
                np.minimum(cand, need - self.worst_rest[i + 1], out=cand)
            best = cand + self.best_rest[i + 1]
            ok = np.all(best >= r, axis=1)
            ok &= np.all(np.sort(best, axis=1) >= t, axis=1)
            # The LP duals (column 0) prune most; the other weights only what survives them.
            ok &= cand @ w[:, 0] + self.weighted_rest[i + 1, 0] >= rhs[0]
            index = np.flatnonzero(ok)
            cand = cand[index]
            slack = cand @ w + self.weighted_rest[i + 1] - rhs
            ok = np.all(slack >= 0, axis=1)
            index, cand, slack = index[ok], cand[ok], slack[ok]
            if not len(index):
                return None
            keep = distinct_rows(cand)
            if beam is not None and len(keep) > beam:
                score = (slack[keep] / w.sum(axis=0)).min(axis=1)
                keep = np.sort(keep[np.argpartition(-score, beam)[:beam]])
            index = index[keep]
            states = cand[keep]
            self.states_seen += len(states)
            if len(states) > self.max_states:
                raise StateBudgetExceeded(f"more than {self.max_states} partial packages")
            trail.append((index // m, index % m))
        s = 0
        if beam is not None:
            ranked = np.sort(states, axis=1)
            s = int(np.lexsort(ranked.T[::-1])[-1])
        return trace_back(self.compiled, self.fixed, self.order, self.options, trail, s)


def distinct_rows(rows: IntArray) -> IntArray:
    """Indices of the first occurrence of each distinct row."""
    low = rows.min(axis=0)
    span = rows.max(axis=0) - low + 1
    bits = [int(b).bit_length() for b in span]
    if sum(bits) <= 62:
        key = np.zeros(len(rows), dtype=np.int64)
        for p, b in enumerate(bits):
            key = (key << b) | (rows[:, p] - low[p])
        _, first = np.unique(key, return_index=True)
    else:
        _, first = np.unique(rows, axis=0, return_index=True)
    return np.sort(first)


def leximin_dp(
    compiled: Compiled,
    options: Sequence[Sequence[int]],
    leximin: bool,
    max_states: int,
    time_limit: float | None = None,
) -> tuple[list[int], list[int], int] | None:
    """(package, sorted utilities fixed so far, threshold programmes run), or None if no package.

    Stage ``s`` searches the largest ``T`` with a package whose sorted utilities reach
    ``(y1, ..., y_{s-1}, T, ..., T)``: a feasible programme returns a package (raising the known
    value to its ``s``-th smallest utility), an infeasible one proves ``T`` out of reach. A
    beam-limited run of the same programme first finds a package that is usually optimal, so
    one exact probe just above it settles most stages; if two such probes succeed, the probes
    gallop down from an upper bound instead. Raises :class:`StateBudgetExceeded` past
    ``max_states`` partial packages at one provision.
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    programme = ThresholdProgramme(compiled, options, max_states, deadline)
    k = compiled.num_parties
    levels: list[int] = []
    choice: list[int] | None = None
    runs = 0
    for stage in range(1, (k if leximin else 1) + 1):
        known = -1 if choice is None else int(np.sort(compiled.utilities(choice))[stage - 1])
        high = programme.upper_bound(levels, stage) + 1  # smallest value known out of reach
        for _ in range(BEAM_ROUNDS):  # cheap heuristic packages first: a high known value
            if known + 1 >= high:
                break
            found = programme.find([*levels, *[known + 1] * (k - len(levels))], beam=BEAM_WIDTH)
            runs += 1
            if found is None:
                break
            choice = found
            known = int(np.sort(compiled.utilities(choice))[stage - 1])
        step = 1
        upward = 0 if choice is not None else UPWARD_PROBES
        while known + 1 < high:
            # The heuristic value is usually the optimum or within a point or two of it, so
            # probe just above it (one infeasible probe then settles the stage); if that keeps
            # succeeding, gallop down from the upper bound instead (cheap infeasible probes).
            target = known + 1 if upward < UPWARD_PROBES else max(known + 1, high - step)
            upward += 1
            found = programme.find([*levels, *[target] * (k - len(levels))])
            runs += 1
            if found is None:
                high = target
                step *= 2
            else:
                choice = found
                value = int(np.sort(compiled.utilities(choice))[stage - 1])
                if value < target:
                    raise RuntimeError("threshold programme returned a package below target")
                known = value
        if choice is None:
            return None
        levels.append(known)
    assert choice is not None
    return choice, levels, runs


# ---------------------------------------------------------------------------------------------
# Linked provisions as compound provisions


@dataclass(frozen=True)
class Merged:
    """A linkage-free copy of a problem: each connected component of the linkage graph is one
    *compound* provision whose options are the combinations of its members' options that break
    no linkage, worth the sum of their contributions. Every package of the original maps to one
    of the copy with the same utilities and back, so optimal values and packages carry over.
    """

    compiled: Compiled  # no links; options of compound i are range(len(combos[i]))
    members: tuple[tuple[int, ...], ...]  # original provisions in each compound
    combos: tuple[tuple[tuple[int, ...], ...], ...]  # per compound option: original options

    @property
    def compound_count(self) -> int:
        return sum(len(m) > 1 for m in self.members)

    @property
    def largest(self) -> int:
        sizes = [len(c) for c, m in zip(self.combos, self.members, strict=True) if len(m) > 1]
        return max(sizes, default=0)

    def expand(self, choice: Sequence[int]) -> list[int]:
        """A package of the copy as option indices of the original provisions."""
        out = [0] * sum(len(m) for m in self.members)
        for members, combos, c in zip(self.members, self.combos, choice, strict=True):
            for j, o in zip(members, combos[c], strict=True):
                out[j] = o
        return out


def _undominated(table: IntArray) -> list[int]:
    """Rows not weakly dominated by another row (of equal rows, the first is kept).

    In order of decreasing sum (then index) a row can only be dominated by an earlier one, so
    blocks are compared with the rows kept before them and within themselves.
    """
    order = np.lexsort((np.arange(len(table)), -table.sum(axis=1)))
    kept: list[int] = []
    for start in range(0, len(order), 256):
        block = order[start : start + 256]
        rows = table[block]
        ge = np.all(rows[:, None, :] >= rows[None, :, :], axis=2)
        out = np.triu(ge, 1).any(axis=0)
        if kept:
            out |= np.all(table[kept][:, None, :] >= rows[None, :, :], axis=2).any(axis=0)
        kept.extend(block[~out].tolist())
    return sorted(kept)


def _linked_order(members: Sequence[int], neighbours: Sequence[set[int]]) -> list[int]:
    """Breadth-first from the best-connected member, so that members close early."""
    start = max(members, key=lambda j: (len(neighbours[j]), -j))
    order, queue = [start], [start]
    while queue:
        for t in sorted(neighbours[queue.pop(0)]):
            if t not in order:
                order.append(t)
                queue.append(t)
    return order


def merge_linked(
    compiled: Compiled, options: Sequence[Sequence[int]], max_options: int
) -> Merged | None:
    """The compound-provision copy over ``options`` (which must keep every linked option), or
    None when some component keeps more than ``max_options`` combinations along the way.

    A component's members are combined one at a time. Of the partial combinations that agree
    on every member still linked to one not yet placed (so they have the same completions),
    those worth no more to every party than another are dropped; at the end that is every
    weakly dominated combination, since no linkage leaves a compound. A compound with no
    combination at all means the linkages cannot be met together.
    """
    n = compiled.num_provisions
    root = list(range(n))

    def find(j: int) -> int:
        while root[j] != j:
            root[j] = root[root[j]]
            j = root[j]
        return j

    neighbours: list[set[int]] = [set() for _ in range(n)]
    for j, _a, t, _c in compiled.links:
        root[find(j)] = find(t)
        neighbours[j].add(t)
        neighbours[t].add(j)
    groups: dict[int, list[int]] = {}
    for j in range(n):
        groups.setdefault(find(j), []).append(j)
    members_out: list[tuple[int, ...]] = []
    combos_out: list[tuple[tuple[int, ...], ...]] = []
    contrib_out: list[IntArray] = []
    for members in groups.values():
        if len(members) == 1:
            j = members[0]
            members_out.append((j,))
            combos_out.append(tuple((o,) for o in options[j]))
            contrib_out.append(compiled.contrib[j][list(options[j])])
            continue
        members = _linked_order(members, neighbours)
        links = [link for link in compiled.links if link[0] in members]
        combos: list[tuple[int, ...]] = [()]
        table = np.zeros((1, compiled.num_parties), dtype=np.int64)
        for depth, j in enumerate(members):
            placed = {p: i for i, p in enumerate(members[: depth + 1])}
            checks = [
                (placed[a_j], a, placed[t], c)
                for a_j, a, t, c in links
                if j in (a_j, t) and a_j in placed and t in placed
            ]
            grown = [
                (row, combo)
                for row, prefix in enumerate(combos)
                for combo in ((*prefix, o) for o in options[j])
                if not any(combo[x] == a and combo[y] != c for x, a, y, c in checks)
            ]
            parents = np.array([row for row, _ in grown], dtype=np.int64)
            picks = np.array([combo[-1] for _, combo in grown], dtype=np.int64)
            table = table[parents] + compiled.contrib[j][picks] if grown else table[:0]
            combos = [combo for _, combo in grown]
            # Prefixes agreeing on every member still linked to an unplaced one have the same
            # completions, so among them a dominated prefix can be dropped.
            open_at = [i for i, p in enumerate(members[: depth + 1]) if neighbours[p] - set(placed)]
            by_open: dict[tuple[int, ...], list[int]] = {}
            for row, combo in enumerate(combos):
                by_open.setdefault(tuple(combo[i] for i in open_at), []).append(row)
            keep = sorted(rows[i] for rows in by_open.values() for i in _undominated(table[rows]))
            combos, table = [combos[i] for i in keep], table[keep]
            if len(combos) > max_options:
                return None
        members_out.append(tuple(members))
        combos_out.append(tuple(combos))
        contrib_out.append(table)
    merged = Compiled(
        problem=compiled.problem,
        parties=compiled.parties,
        contrib=tuple(contrib_out),
        allowed=tuple(tuple(range(len(c))) for c in combos_out),
        links=(),
        reservation=compiled.reservation,
        disagreement=compiled.disagreement,
        infeasible_reason=None,
    )
    return Merged(merged, tuple(members_out), tuple(combos_out))
