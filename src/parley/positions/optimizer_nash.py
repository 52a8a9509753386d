"""Nash bargaining package: maximise the product of gains, exactly.

:class:`NashProgramme` (used first, on linkage-free problems, compound provisions included) is a
branch and bound over the provisions; see its docstring. The fallback, :func:`nash_package`,
uses outer approximation with HiGHS:

The product ``prod_p (u_p - d_p)`` is maximised as ``sum_p log(u_p - d_p)`` over acceptable
packages in which every party gains strictly. Each log is bounded above by secant lines through
consecutive integers, which are exact at integer gains (log is concave, so a chord extended
beyond its two points lies above it). The MILP ``max sum t_p, t_p <= secants`` is re-solved with
new secants at the incumbent's gains until its bound meets the exact value of the best package
found. Floating-point tolerances cannot separate near-ties once products pass about 10^7, so
every package whose bound comes within ``NASH_TIE_WINDOW`` of the best is then enumerated (with
no-good cuts) and compared by its exact integer product.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

from parley.positions.optimizer_dp import (
    CANDIDATE_FACTOR,
    StateBudgetExceeded,
    distinct_rows,
    split_fixed,
    trace_back,
)
from parley.positions.problem import Compiled, IntArray, OptimizerTimeout, reduced_options

NASH_TOLERANCE = 1e-9  # bound - value in the sum of logs at which the outer approximation stops
NASH_TIE_WINDOW = 1e-7  # packages this close (in sum of logs) to the best are compared exactly
NASH_MAX_TIES = 50


def _quiet_highs() -> Any:
    """A HiGHS instance that prints nothing (highspy's wrapper logs a banner to stdout)."""
    base = highspy.Highs.__mro__[1]
    highs = base() if hasattr(base, "passModel") else highspy.Highs()
    highs.setOptionValue("output_flag", False)
    return highs


class _NashModel:
    """max sum_p t_p  s.t.  t_p <= secant lines of log at integer gains, package constraints."""

    def __init__(self, compiled: Compiled, options: Sequence[Sequence[int]]) -> None:
        self.compiled = compiled
        self.options = options
        k = compiled.num_parties
        self.fixed = {j: opts[0] for j, opts in enumerate(options) if len(opts) == 1}
        self.columns = [(j, o) for j, opts in enumerate(options) if len(opts) > 1 for o in opts]
        self.column_of = {key: i for i, key in enumerate(self.columns)}
        nx = len(self.columns)
        self.t_column = [nx + p for p in range(k)]
        offset = np.zeros(k, dtype=np.int64)
        for j, o in self.fixed.items():
            offset += compiled.contrib[j][o]
        self.offset = offset - compiled.disagreement  # gain = offset + sum(coef * x)
        self.coef = np.array([compiled.contrib[j][o] for j, o in self.columns], dtype=np.float64)
        self.coef = self.coef.reshape(nx, k)
        best = np.zeros(k, dtype=np.int64)
        for j, opts in enumerate(options):
            if j not in self.fixed:
                best += compiled.contrib[j][list(opts)].max(axis=0)
        self.max_gain = (self.offset + best).astype(np.int64)
        lower_gain = np.maximum(compiled.reservation - compiled.disagreement, 1)
        self.lower_gain = lower_gain
        self.highs = _quiet_highs()
        h = self.highs
        for name, value in (("mip_rel_gap", 0.0), ("mip_abs_gap", NASH_TOLERANCE / 10)):
            h.setOptionValue(name, value)
        h.setOptionValue("mip_feasibility_tolerance", 1e-9)
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("threads", 1)
        inf = highspy.kHighsInf
        col_lower = [0.0] * nx + [0.0] * k
        col_upper = [1.0] * nx + [math.log(max(int(g), 1)) for g in self.max_gain]
        cost = [0.0] * nx + [1.0] * k
        h.addVars(nx + k, np.array(col_lower), np.array(col_upper))
        h.changeColsCost(nx + k, np.arange(nx + k, dtype=np.int32), np.array(cost))
        if nx:
            h.changeColsIntegrality(
                nx,
                np.arange(nx, dtype=np.int32),
                np.array([highspy.HighsVarType.kInteger] * nx),
            )
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        for j, opts in enumerate(options):
            if j not in self.fixed:
                idx = [self.column_of[j, o] for o in opts]
                self._row(1.0, 1.0, idx, [1.0] * len(idx))
        self.infeasible_links = False
        for j, a, t, c in compiled.links:
            self._link(j, a, t, c)
        for p in range(k):
            idx = [i for i in range(nx) if self.coef[i, p]]
            self._row(
                float(lower_gain[p] - self.offset[p]), inf, idx, [self.coef[i, p] for i in idx]
            )
        self.cuts: set[tuple[int, int]] = set()
        for p in range(k):
            top = int(self.max_gain[p])
            if top < 2:  # no gain possible (infeasible) or exactly 1: the column bound is exact
                continue
            points = {1, top - 1}
            points.update(round(top ** (i / 12)) for i in range(1, 12))
            for point in sorted(points):
                self.add_cut(p, point)

    def _row(self, low: float, high: float, idx: Sequence[int], vals: Sequence[float]) -> None:
        self.highs.addRow(
            low, high, len(idx), np.array(idx, dtype=np.int32), np.array(vals, dtype=np.float64)
        )

    def _link(self, j: int, a: int, t: int, c: int) -> None:
        def col(jj: int, oo: int) -> int | bool:
            if jj in self.fixed:
                return self.fixed[jj] == oo
            return self.column_of.get((jj, oo), False)

        first, then = col(j, a), col(t, c)
        if first is False or then is True:
            return
        if first is True and then is False:
            self.infeasible_links = True
        elif first is True:
            self._row(1.0, 1.0, [int(then)], [1.0])
        elif then is False:
            self._row(0.0, 0.0, [int(first)], [1.0])
        else:
            self._row(-highspy.kHighsInf, 0.0, [int(first), int(then)], [1.0, -1.0])

    def add_cut(self, p: int, point: int) -> bool:
        """Add t_p <= the secant of log through (point, point + 1); False if already there."""
        top = int(self.max_gain[p])
        point = min(max(point, 1), max(top - 1, 1))
        if (p, point) in self.cuts or top <= 1:
            return False
        self.cuts.add((p, point))
        slope = math.log1p(1.0 / point)
        rhs = math.log(point) + slope * (float(self.offset[p]) - point)
        idx = [i for i in range(len(self.columns)) if self.coef[i, p]]
        vals = [-slope * self.coef[i, p] for i in idx]
        self._row(-highspy.kHighsInf, rhs, [self.t_column[p], *idx], [1.0, *vals])
        return True

    def run(self, time_limit: float | None) -> tuple[list[int], float] | None:
        h = self.highs
        if self.infeasible_links:
            return None
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            raise OptimizerTimeout(f"HiGHS stopped with status {h.modelStatusToString(status)}")
        values = list(h.getSolution().col_value)
        choice = []
        for j, opts in enumerate(self.options):
            if j in self.fixed:
                choice.append(self.fixed[j])
            else:
                choice.append(max(opts, key=lambda o: values[self.column_of[j, o]]))
        info = h.getInfo()
        bound = (
            info.mip_dual_bound
            if math.isfinite(info.mip_dual_bound)
            else info.objective_function_value
        )
        return choice, float(bound)

    def gains(self, choice: Sequence[int]) -> list[int]:
        g = self.compiled.utilities(choice) - self.compiled.disagreement
        return [int(v) for v in g]

    def exclude(self, choice: Sequence[int]) -> None:
        """A no-good cut: at least one provision must take a different option."""
        idx = [self.column_of[j, o] for j, o in enumerate(choice) if j not in self.fixed]
        self._row(-highspy.kHighsInf, len(idx) - 1.0, idx, [1.0] * len(idx))


def _log_value(gains: Sequence[int]) -> float:
    return math.fsum(math.log(g) for g in gains)


def nash_package(
    compiled: Compiled, time_limit: float | None = None
) -> tuple[list[int], int, str] | None:
    """(package, exact product of gains, proof) or None if no package gives everyone a gain."""
    model = _NashModel(compiled, reduced_options(compiled))
    best: list[int] | None = None
    best_product = 0
    solves = 0

    def consider(choice: list[int]) -> None:
        nonlocal best, best_product
        if not compiled.is_acceptable(choice):
            raise RuntimeError("HiGHS returned a package that breaks a hard constraint")
        gains = model.gains(choice)
        if min(gains) < 1:
            raise RuntimeError("HiGHS returned a package without a gain for every party")
        product = math.prod(gains)
        if product > best_product:
            best, best_product = choice, product

    gap = math.inf
    while True:
        found = model.run(time_limit)
        solves += 1
        if found is None:
            if best is None:
                return None
            break
        choice, bound = found
        consider(choice)
        assert best is not None
        gap = bound - _log_value(model.gains(best))
        if gap <= NASH_TOLERANCE:
            break
        added = [model.add_cut(p, g) for p, g in enumerate(model.gains(choice))]
        if not any(added):  # cuts already exact at this package: what remains is rounding
            break
        if solves > 500:
            raise RuntimeError("outer approximation did not converge")
    assert best is not None
    # Near-ties: a better package could hide within the solver's tolerances when products are
    # huge. Enumerate every package whose outer bound reaches the window and compare exactly.
    ties = 0
    window = math.log1p(1.0 / best_product) <= 10 * NASH_TIE_WINDOW
    if window:
        threshold = _log_value(model.gains(best)) - NASH_TIE_WINDOW
        k = compiled.num_parties
        model._row(threshold, highspy.kHighsInf, model.t_column, [1.0] * k)
        model.exclude(best)
        while ties < NASH_MAX_TIES:
            found = model.run(time_limit)
            solves += 1
            if found is None:
                break
            choice, _ = found
            consider(choice)
            ties += 1
            for p, g in enumerate(model.gains(choice)):
                model.add_cut(p, g)
            model.exclude(choice)
    cuts = len(model.cuts)
    proof = (
        f"HiGHS optimal: outer approximation of the sum of log-gains, {solves} MILP solves, "
        f"{cuts} secant cuts, bound - value = {max(gap, 0.0):.1e}"
    )
    if window and ties == 0:
        proof += f"; no other package within {NASH_TIE_WINDOW:g} of it (HiGHS infeasible)"
    elif window and ties < NASH_MAX_TIES:
        proof += f"; {ties} packages within {NASH_TIE_WINDOW:g} of it compared by exact product"
    elif window:
        proof += (
            f"; stopped after {NASH_MAX_TIES} near-ties, so optimal within {NASH_TIE_WINDOW:g} "
            "in the sum of logs"
        )
    return best, best_product, proof


# ---------------------------------------------------------------------------------------------
# Exact Nash by dynamic programming over a linkage-free problem (compound provisions allowed)

NASH_BEAM_WIDTH = 400
FRANK_WOLFE_STEPS = 80
NASH_PRUNE_MARGIN = 1e-9  # sum of logs; far above rounding error, so nothing as good is lost


class NashProgramme:
    """Branch and bound over the provisions, one at a time, for the largest product of gains.

    Every partial package (partial utility vector ``v``; equal vectors merge) whose best
    completion cannot reach the best product found so far is dropped. The bound: log is concave,
    so ``log g <= log a - 1 + g / a`` for any ``a > 0``, and summing over parties gives a bound
    linear in the gains, whose maximum over the remaining provisions is separable. The tangent
    points ``a`` come from a Frank-Wolfe solve of the continuous relaxation, which makes the
    bound close to the relaxation's optimum. A partial package must also leave every party able
    to reach its reservation level and a strict gain. Bounds are compared in floating point with a
    margin of ``NASH_PRUNE_MARGIN``, and the survivors' products exactly in integers.
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
        self.max_states = max_states
        self.deadline = deadline
        self.fixed, self.offset, free = split_fixed(compiled, options)
        tables = [compiled.contrib[j][list(options[j])] for j in free]
        self.need = np.maximum(compiled.reservation, compiled.disagreement + 1)
        weights = self._tangent_weights(tables)
        spread = [float(np.ptp(t @ weights[:, 0])) for t in tables]
        rank = sorted(range(len(free)), key=lambda i: -spread[i])  # decisive provisions first
        self.order = [free[i] for i in rank]
        self.options = [np.array(options[j], dtype=np.int64) for j in self.order]
        self.tables = [tables[i] for i in rank]
        self.weights = weights  # (k, L): 1 / tangent point, one column per bound
        d = compiled.disagreement.astype(np.float64)
        # bound_l(v) = constant_l + w_l . v + weighted_rest_l
        self.constant = (np.log(1.0 / weights) - 1.0).sum(axis=0) - d @ weights
        n = len(self.tables)
        self.best_rest = np.zeros((n + 1, k), dtype=np.int64)
        self.weighted_rest = np.zeros((n + 1, weights.shape[1]))
        for i in range(n - 1, -1, -1):
            t = self.tables[i]
            self.best_rest[i] = self.best_rest[i + 1] + t.max(axis=0)
            self.weighted_rest[i] = self.weighted_rest[i + 1] + (t @ weights).max(axis=0)
        self.states_seen = 0

    def _tangent_weights(self, tables: Sequence[IntArray]) -> npt.NDArray[np.float64]:
        """Columns ``1 / a`` for tangent points ``a``: the relaxation's best dual and its primal."""
        k = self.compiled.num_parties
        base = (self.offset - self.compiled.disagreement).astype(np.float64)
        top = base + sum((t.max(axis=0) for t in tables), np.zeros(k))
        fallback = np.maximum(top, 1.0)[:, None]  # valid, weak: the tangent at each best
        if not tables:
            return 1.0 / fallback
        stacked = np.concatenate(tables).astype(np.float64)
        sizes = np.array([len(t) for t in tables])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        group = np.repeat(np.arange(len(tables)), sizes)

        def vertex(w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
            score = stacked @ w
            pick = np.lexsort((-score, group))[starts]  # the best option of each provision
            return np.asarray(base + stacked[pick].sum(axis=0))

        g = base + np.array([t.mean(axis=0) for t in tables]).sum(axis=0)
        if np.any(g <= 0):
            g = np.mean([vertex(np.eye(k)[p]) for p in range(k)], axis=0)
        if np.any(g <= 0):
            return 1.0 / fallback
        best_w, best_bound = 1.0 / g, math.inf
        for _ in range(FRANK_WOLFE_STEPS):
            w = 1.0 / g
            s = vertex(w)
            bound = float(np.log(g).sum() - k + w @ s)
            if bound < best_bound:
                best_w, best_bound = w, bound
            if bound - float(np.log(g).sum()) < 1e-7:
                break
            direction = s - g
            shrinking = direction < 0
            high = 1.0
            if np.any(shrinking):  # stay where every gain is positive
                high = min(1.0, 0.999 * float(np.min(g[shrinking] / -direction[shrinking])))
            low = 0.0
            for _ in range(40):  # bisection on the derivative of the concave line search
                mid = (low + high) / 2
                if float(np.sum(direction / (g + mid * direction))) > 0:
                    low = mid
                else:
                    high = mid
            g = g + low * direction
        return np.stack([best_w, 1.0 / g], axis=1)

    def _bound(self, cand: IntArray, i: int) -> npt.NDArray[np.float64]:
        """Upper bound on the sum of log-gains of any completion of each partial package."""
        values = cand @ self.weights + self.constant + self.weighted_rest[i + 1]
        return np.asarray(values.min(axis=1))

    def run(self, floor: float, beam: int | None = None) -> tuple[list[int], list[int], int] | None:
        """(package, gains, exact product) of the best package whose bound reaches ``floor``.

        Exact when ``beam`` is None: any package with a sum of log-gains at least ``floor`` is
        never dropped, so the best survivor is optimal. With ``beam``, a heuristic: only the
        ``beam`` partial packages with the highest bounds are kept. None when none survives.
        """
        k = self.compiled.num_parties
        states = self.offset[None, :].copy()
        trail: list[tuple[IntArray, IntArray]] = []
        for i, table in enumerate(self.tables):
            if self.deadline is not None and time.monotonic() > self.deadline:
                raise OptimizerTimeout("the Nash programme hit the time limit")
            m = table.shape[0]
            if len(states) * m > CANDIDATE_FACTOR * self.max_states:
                raise StateBudgetExceeded(f"more than {self.max_states} partial packages")
            cand = (states[:, None, :] + table[None, :, :]).reshape(-1, k)
            ok = np.all(cand + self.best_rest[i + 1] >= self.need, axis=1)
            index = np.flatnonzero(ok)
            bound = self._bound(cand[index], i)
            ok = bound >= floor - NASH_PRUNE_MARGIN
            index, bound = index[ok], bound[ok]
            if not len(index):
                return None
            keep = distinct_rows(cand[index])
            if beam is not None and len(keep) > beam:
                keep = np.sort(keep[np.argpartition(-bound[keep], beam)[:beam]])
            index = index[keep]
            states = cand[index]
            self.states_seen += len(states)
            if len(states) > self.max_states:
                raise StateBudgetExceeded(f"more than {self.max_states} partial packages")
            trail.append((index // m, index % m))
        if not np.all(states >= self.need):  # only when every provision has one option
            return None
        gains = states - self.compiled.disagreement
        logs = np.log(gains.astype(np.float64)).sum(axis=1)
        near = np.flatnonzero(logs >= logs.max() - NASH_TIE_WINDOW)
        products = [math.prod(int(v) for v in gains[s]) for s in near.tolist()]
        best = int(near[products.index(max(products))])  # exact among near-ties; first wins
        choice = trace_back(self.compiled, self.fixed, self.order, self.options, trail, best)
        return choice, [int(v) for v in gains[best]], max(products)


def nash_dp(
    compiled: Compiled,
    options: Sequence[Sequence[int]],
    max_states: int,
    time_limit: float | None = None,
) -> tuple[list[int], int, int] | None:
    """(package, exact product of gains, partial packages kept) of the Nash package over a
    linkage-free problem, or None when no package gives every party a gain.

    A beam run finds a good package first; the exact run then keeps only the partial packages
    whose bound reaches its sum of log-gains. Raises :class:`StateBudgetExceeded` past
    ``max_states`` partial packages at one provision.
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    programme = NashProgramme(compiled, options, max_states, deadline)
    found = programme.run(-math.inf, beam=NASH_BEAM_WIDTH)
    floor = -math.inf if found is None else _log_value(found[1])
    exact = programme.run(floor)
    if exact is None:
        if found is not None:
            raise RuntimeError("the exact Nash programme lost the beam's package")
        return None
    choice, _, product = exact
    return choice, product, programme.states_seen
