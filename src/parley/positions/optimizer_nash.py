"""Nash bargaining package: maximise the product of gains by outer approximation with HiGHS.

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
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np

from parley.positions.problem import Compiled, OptimizerTimeout, reduced_options

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
