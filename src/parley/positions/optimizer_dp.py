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
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from parley.positions.problem import Compiled, IntArray

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
