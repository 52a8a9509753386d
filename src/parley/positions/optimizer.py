"""The package optimizer: certified max-min/leximin, Nash, Pareto and acceptability answers.

Every answer carries a ``proof`` saying why it is optimal (or why nothing is acceptable):

Max-min and Nash first merge linked provisions: each connected component of the linkage graph
becomes one compound provision whose options are the combinations that keep every linkage
(:func:`parley.positions.optimizer_dp.merge_linked`), so the exact programmes below need no
linkage logic. Past ``COMPOUND_MAX_OPTIONS`` combinations, or past a programme's state budget,
the solvers take over.

* **maxmin** -- an exact threshold dynamic programme (see :mod:`parley.positions.optimizer_dp`):
  stage ``s`` finds the largest ``T`` such that some package's sorted utilities reach
  ``(y1, ..., y_{s-1}, T, ..., T)``, proving ``T + 1`` out of reach by exhausting every partial
  package that LP-dual bounds cannot rule out; integer arithmetic throughout. The fallback:
  CP-SAT maximises the smallest party utility, then, keeping that, the sum of the two smallest,
  the three smallest, ... (Ogryczak's ordered formulation); each stage must end CP-SAT OPTIMAL.
  Either way ties are broken by leximin.
* **nash** -- an exact branch-and-bound dynamic programme (see
  :mod:`parley.positions.optimizer_nash`): partial packages are dropped when tangent lines of
  the log bound their best sum of log-gains below a package already found, and the survivors'
  integer products decide. The fallback: HiGHS maximises the sum of ``log(u_p - d_p)`` by outer
  approximation with secant cuts, near-ties compared by exact products. Only packages giving
  *every* party strictly more than its disagreement value qualify (the Nash product is
  meaningless otherwise); if there is none the answer is ``infeasible``, and the proof says
  whether any acceptable package exists at all.
* **pareto** -- up to 3 parties, the exact frontier by dynamic programming with dominance pruning
  (see :mod:`parley.positions.optimizer_dp`); from 4 parties, or if the exact frontier is too big
  to compute or exceeds ``limit``, a representative set (labelled so) of frontier packages.
* **acceptable** -- the exact count by dynamic programming, and up to ``limit`` packages
  enumerated by CP-SAT; ``infeasible`` with CP-SAT's proof when there are none.

Options dominated within their provision by an unlinked option (worth no more to every party)
are dropped before optimising: swapping them out never lowers anyone's utility, so the optimal
values and the frontier are unchanged. Acceptability counts and lists all packages.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from parley.positions.optimizer_dp import (
    Merged,
    StateBudgetExceeded,
    count_acceptable_dp,
    leximin_dp,
    merge_linked,
    pareto_frontier_dp,
)
from parley.positions.optimizer_nash import nash_dp, nash_package
from parley.positions.problem import (
    Compiled,
    IntArray,
    OptimizerTimeout,
    Problem,
    ProblemError,
    compile_problem,
    reduced_options,
    validate_problem,
)

__all__ = [
    "Objective",
    "OptimizerTimeout",
    "Result",
    "ScoredPackage",
    "concessions",
    "evaluate",
    "is_acceptable",
    "solve",
]

DEFAULT_LIST_LIMIT = 100
MAX_REPRESENTATIVE = 100
FRONTIER_MAX_STATES = 400_000
COUNT_MAX_STATES = 2_000_000
LEXIMIN_MAX_STATES = 300_000  # per provision; beyond it max-min falls back to CP-SAT
NASH_MAX_STATES = 300_000  # per provision; beyond it Nash falls back to HiGHS
COMPOUND_MAX_OPTIONS = 1_000  # combined options of linked provisions; beyond it CP-SAT / HiGHS
CP_WORKERS = 1  # one worker: deterministic answers, and the machine is shared


class Objective(enum.StrEnum):
    MAXMIN = "maxmin"
    NASH = "nash"
    PARETO = "pareto"
    ACCEPTABLE = "acceptable"


@dataclass(frozen=True)
class ScoredPackage:
    package: dict[str, str]
    utilities: dict[str, int]


@dataclass(frozen=True)
class Result:
    """One certified answer; :meth:`to_dict` is the CLI's JSON contract."""

    objective_name: Objective
    status: str  # "optimal" or "infeasible"
    proof: str
    package: dict[str, str] | None = None
    utilities: dict[str, int] | None = None
    objective: int | None = None
    packages: list[ScoredPackage] | None = None
    count: int | None = None
    representative: bool | None = None
    concessions: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": self.status,
            "package": self.package,
            "utilities": self.utilities,
            "objective": self.objective,
        }
        if self.objective_name in (Objective.PARETO, Objective.ACCEPTABLE):
            out["packages"] = [
                {"package": p.package, "utilities": p.utilities} for p in self.packages or []
            ]
        if self.objective_name is Objective.ACCEPTABLE:
            out["count"] = self.count
        if self.objective_name is Objective.PARETO:
            out["representative"] = bool(self.representative)
        out["concessions"] = self.concessions
        out["proof"] = self.proof
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


# ---------------------------------------------------------------------------------------------
# Public API


def solve(
    problem: Problem,
    objective: Objective | str,
    limit: int | None = None,
    *,
    leximin: bool = True,
    time_limit: float | None = None,
) -> Result:
    """Answer one query about ``problem``; raise :class:`ProblemError` if it is invalid.

    ``limit`` caps the packages listed for ``acceptable`` (default 100) and ``pareto`` (default:
    the whole exact frontier; representative sets never exceed 100). ``leximin=False`` stops
    ``maxmin`` after its first stage (for benchmarks). ``time_limit`` (seconds, per solver call)
    raises :class:`OptimizerTimeout` rather than return an uncertified answer.
    """
    errors = validate_problem(problem)
    if errors:
        raise ProblemError(errors)
    if limit is not None and limit < 1:
        raise ValueError("limit must be at least 1")
    objective = Objective(objective)
    compiled = compile_problem(problem)
    if compiled.infeasible_reason is not None:
        return _infeasible(objective, f"infeasible proven: {compiled.infeasible_reason}")
    if objective is Objective.MAXMIN:
        return _solve_maxmin(compiled, leximin, time_limit)
    if objective is Objective.NASH:
        return _solve_nash(compiled, time_limit)
    if objective is Objective.PARETO:
        return _solve_pareto(compiled, limit, time_limit)
    return _solve_acceptable(compiled, limit or DEFAULT_LIST_LIMIT, time_limit)


def evaluate(problem: Problem, package: Mapping[str, str]) -> dict[str, int]:
    """Each party's utility for ``package`` (``{provision id: option id}``, every provision)."""
    compiled = compile_problem(problem)
    utilities = compiled.utilities(_choice_of(problem, package))
    return {p: int(v) for p, v in zip(problem.parties, utilities, strict=True)}


def is_acceptable(problem: Problem, package: Mapping[str, str]) -> bool:
    """True when ``package`` breaks no red line, linkage or reservation level."""
    compiled = compile_problem(problem)
    return compiled.infeasible_reason is None and compiled.is_acceptable(
        _choice_of(problem, package)
    )


def concessions(problem: Problem, package: Mapping[str, str]) -> dict[str, Any]:
    """What each party gives up in ``package`` against its best acceptable option, per provision.

    A party's best option at a provision is the one it values most among the options that no
    party red-lined and that linkages do not rule out by themselves (an option linked, directly or
    through further linkages, to a red-lined option or to two options of one provision); ties go
    to the first listed. Reservation levels and the other provisions' choices are ignored: this is
    what the party would get on that provision alone. Only provisions where the party loses
    something it gave priority to are listed (none for a provision whose options are all out):
    ``utility_lost`` is on the 0-100 option scale, ``weighted_lost`` is that times the party's
    priority (the 0-10,000 package scale) and ``total`` sums ``weighted_lost``.
    """
    return _concessions(compile_problem(problem), _choice_of(problem, package))


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _choice_of(problem: Problem, package: Mapping[str, str]) -> list[int]:
    errors = []
    choice = []
    for provision in problem.provisions:
        ids = [o.id for o in provision.options]
        chosen = package.get(provision.id)
        if chosen not in ids:
            errors.append(f"package: provision {provision.id} needs one of {ids}, got {chosen!r}")
            continue
        choice.append(ids.index(chosen))
    extra = set(package) - {p.id for p in problem.provisions}
    errors.extend(f"package: unknown provision {p!r}" for p in sorted(extra))
    if errors:
        raise ProblemError(errors)
    return choice


def _scored(compiled: Compiled, choice: Sequence[int]) -> ScoredPackage:
    return ScoredPackage(compiled.package_ids(choice), _utility_dict(compiled, choice))


def _utility_dict(compiled: Compiled, choice: Sequence[int]) -> dict[str, int]:
    values = compiled.utilities(choice)
    return {p: int(v) for p, v in zip(compiled.parties, values, strict=True)}


def _concessions(compiled: Compiled, choice: Sequence[int]) -> dict[str, Any]:
    problem = compiled.problem
    out: dict[str, Any] = {}
    for party in problem.parties:
        lines: dict[str, Any] = {}
        total = 0
        for j, provision in enumerate(problem.provisions):
            weight = provision.priority.get(party, 0)
            if weight == 0 or not compiled.allowed[j]:
                continue
            values = [provision.options[o].utility.get(party, 0) for o in compiled.allowed[j]]
            best = compiled.allowed[j][int(np.argmax(values))]
            chosen = choice[j]
            lost = max(values) - provision.options[chosen].utility.get(party, 0)
            if lost > 0:
                lines[provision.id] = {
                    "chosen": provision.options[chosen].id,
                    "best": provision.options[best].id,
                    "utility_lost": lost,
                    "weighted_lost": lost * weight,
                }
                total += lost * weight
        out[party] = {"total": total, "provisions": lines}
    return out


def _infeasible(objective: Objective, proof: str) -> Result:
    listing = objective in (Objective.PARETO, Objective.ACCEPTABLE)
    return Result(
        objective_name=objective,
        status="infeasible",
        proof=proof,
        packages=[] if listing else None,
        count=0 if objective is Objective.ACCEPTABLE else None,
        representative=False if objective is Objective.PARETO else None,
    )


def _optimal(
    compiled: Compiled, objective: Objective, choice: Sequence[int], value: int, proof: str
) -> Result:
    return Result(
        objective_name=objective,
        status="optimal",
        proof=proof,
        package=compiled.package_ids(choice),
        utilities=_utility_dict(compiled, choice),
        objective=value,
        concessions=_concessions(compiled, choice),
    )


def _package_count(options: Sequence[Sequence[int]]) -> int:
    return math.prod(len(o) for o in options)


# ---------------------------------------------------------------------------------------------
# CP-SAT


class _CpModel:
    """One boolean per (provision, option) with more than one option, and utility expressions."""

    def __init__(
        self, compiled: Compiled, options: Sequence[Sequence[int]], lower: IntArray
    ) -> None:
        self.compiled = compiled
        self.options = options
        self.model = cp_model.CpModel()
        self.fixed: dict[int, int] = {}
        self.vars: dict[tuple[int, int], cp_model.IntVar] = {}
        self.trivially_infeasible = False
        k = compiled.num_parties
        offset = np.zeros(k, dtype=np.int64)
        terms: list[list[tuple[cp_model.IntVar, int]]] = [[] for _ in range(k)]
        for j, opts in enumerate(options):
            if len(opts) == 1:
                self.fixed[j] = opts[0]
                offset += compiled.contrib[j][opts[0]]
                continue
            row = []
            for o in opts:
                var = self.model.new_bool_var(f"x{j}_{o}")
                self.vars[j, o] = var
                row.append(var)
                for p in range(k):
                    coef = int(compiled.contrib[j][o, p])
                    if coef:
                        terms[p].append((var, coef))
            self.model.add_exactly_one(row)
        self.utility = [
            cp_model.LinearExpr.weighted_sum([v for v, _ in t], [c for _, c in t]) + int(off)
            for t, off in zip(terms, offset.tolist(), strict=True)
        ]
        for j, a, t, c in compiled.links:
            self._add_link(j, a, t, c)
        for p in range(k):
            if lower[p] > 0:
                self.model.add(self.utility[p] >= int(lower[p]))

    def _literal(self, j: int, o: int) -> cp_model.IntVar | bool:
        if j in self.fixed:
            return self.fixed[j] == o
        return self.vars.get((j, o), False)

    def _add_link(self, j: int, a: int, t: int, c: int) -> None:
        first, then = self._literal(j, a), self._literal(t, c)
        if first is False or then is True:
            return
        if first is True and then is False:
            self.trivially_infeasible = True
            self.model.add_bool_or([])
        elif first is True:
            assert not isinstance(then, bool)
            self.model.add(then == 1)
        elif then is False:
            assert not isinstance(first, bool)
            self.model.add(first == 0)
        else:
            assert not isinstance(first, bool) and not isinstance(then, bool)
            self.model.add_implication(first, then)

    def solver(self, time_limit: float | None) -> cp_model.CpSolver:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = CP_WORKERS
        if time_limit is not None:
            solver.parameters.max_time_in_seconds = time_limit
        return solver

    def choice(self, solver: cp_model.CpSolver) -> list[int]:
        out = []
        for j, opts in enumerate(self.options):
            if j in self.fixed:
                out.append(self.fixed[j])
            else:
                out.append(next(o for o in opts if solver.boolean_value(self.vars[j, o])))
        return out

    def hint(self, choice: Sequence[int]) -> None:
        self.model.clear_hints()
        for (j, o), var in self.vars.items():
            self.model.add_hint(var, choice[j] == o)


def _run(model: _CpModel, solver: cp_model.CpSolver) -> str:
    """Solve; return "OPTIMAL" or "INFEASIBLE", raise on a time-out or a model error."""
    status = solver.solve(model.model)
    if status == cp_model.OPTIMAL:
        return "OPTIMAL"
    if status == cp_model.INFEASIBLE:
        return "INFEASIBLE"
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {model.model.validate()}")
    raise OptimizerTimeout(f"CP-SAT stopped with status {solver.status_name(status)}")


def _feasible_cp(compiled: Compiled, lower: IntArray, time_limit: float | None) -> bool:
    model = _CpModel(compiled, compiled.allowed, lower)
    return _run(model, model.solver(time_limit)) == "OPTIMAL"


_NO_PACKAGE = "no package satisfies the red lines, linkages and reservation levels together"


# ---------------------------------------------------------------------------------------------
# Max-min with leximin tie-break


def leximin_levels(
    compiled: Compiled, leximin: bool = True, time_limit: float | None = None
) -> tuple[list[int], list[int]] | None:
    """(package as option indices, sums of the 1, 2, ... smallest utilities), or None if none.

    Stage ``s`` maximises the sum of the ``s`` smallest utilities, ``s * r - sum(max(0, r - u))``
    with free ``r`` (Ogryczak & Tamir), holding every earlier stage at its optimum.
    """
    k = compiled.num_parties
    model = _CpModel(compiled, reduced_options(compiled), compiled.reservation)
    solver = model.solver(time_limit)
    m = model.model
    z = m.new_int_var(0, 100 * 100, "z")
    for u in model.utility:
        m.add(u >= z)
    m.maximize(z)
    if _run(model, solver) == "INFEASIBLE":
        return None
    choice = model.choice(solver)
    levels = [int(solver.value(z))]  # objective_value is a float: 14.999...
    for u in model.utility:
        m.add(u >= levels[0])
    stages = range(2, k + 1) if leximin else range(0)
    for s in stages:
        r = m.new_int_var(0, 100 * 100, f"r{s}")
        shortfall = [m.new_int_var(0, 100 * 100, f"d{s}_{p}") for p in range(k)]
        for d, u in zip(shortfall, model.utility, strict=True):
            m.add(d >= r - u)
        expr = s * r - sum(shortfall)
        m.maximize(expr)
        model.hint(choice)
        if _run(model, solver) != "OPTIMAL":  # the previous stage's package stays feasible
            raise RuntimeError("leximin stage lost feasibility")
        choice = model.choice(solver)
        levels.append(int(solver.value(expr)))
        m.add(expr >= levels[-1])
    return choice, levels


def _over(merged: Merged) -> str:
    """Which provisions a dynamic programme ran over, for the proof."""
    n = merged.compiled.num_provisions
    over = f"over {_count(n, 'provision')}"
    if not merged.compound_count:
        return over
    linked = sum(len(m) for m in merged.members if len(m) > 1)
    return (
        f"{over}, {merged.compound_count} of them compound ({linked} linked provisions merged "
        f"into combinations that keep every linkage, at most {_count(merged.largest, 'option')} "
        "each)"
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _compound(compiled: Compiled, objective: Objective) -> Merged | Result | None:
    """The compound copy for a programme; an infeasible answer when some compound has no
    combination that keeps its linkages; None when a compound is too big (use a solver).
    """
    merged = merge_linked(compiled, reduced_options(compiled), COMPOUND_MAX_OPTIONS)
    if merged is None:
        return None
    for members, combos in zip(merged.members, merged.combos, strict=True):
        if not combos:
            ids = ", ".join(compiled.problem.provisions[j].id for j in members)
            return _infeasible(
                objective,
                f"infeasible proven (exhaustive enumeration of linked provisions): no "
                f"combination of options of {ids} satisfies their red lines and linkages",
            )
    return merged


def _maxmin_dp(compiled: Compiled, leximin: bool, time_limit: float | None) -> Result | None:
    """Max-min/leximin by threshold dynamic programming; None when it is not applicable."""
    merged = _compound(compiled, Objective.MAXMIN)
    if not isinstance(merged, Merged):
        return merged
    try:
        found = leximin_dp(
            merged.compiled, merged.compiled.allowed, leximin, LEXIMIN_MAX_STATES, time_limit
        )
    except StateBudgetExceeded:
        return None
    method = f"exhaustive threshold dynamic programming with LP-dual bounds {_over(merged)}"
    if found is None:
        return _infeasible(Objective.MAXMIN, f"infeasible proven ({method}): {_NO_PACKAGE}")
    compound_choice, sorted_values, runs = found
    choice = merged.expand(compound_choice)
    if not compiled.is_acceptable(choice):
        raise RuntimeError("the compound package breaks a hard constraint")
    stages = len(sorted_values)
    detail = f"max-min then {stages - 1} leximin stages" if stages > 1 else "max-min"
    proof = (
        f"optimal at every stage ({detail}) by {method}: each value is reached by a package "
        f"and one more is proven unreachable ({runs} programmes); sorted utilities "
        f"{sorted_values}"
    )
    return _optimal(compiled, Objective.MAXMIN, choice, sorted_values[0], proof)


def _solve_maxmin(compiled: Compiled, leximin: bool, time_limit: float | None) -> Result:
    by_dp = _maxmin_dp(compiled, leximin, time_limit)
    if by_dp is not None:
        return by_dp
    found = leximin_levels(compiled, leximin, time_limit)
    if found is None:
        return _infeasible(
            Objective.MAXMIN, f"infeasible proven (CP-SAT INFEASIBLE): {_NO_PACKAGE}"
        )
    choice, levels = found
    stages = len(levels)
    detail = f"max-min then {stages - 1} leximin stages" if stages > 1 else "max-min"
    sorted_values = [levels[0]] + [b - a for a, b in zip(levels, levels[1:], strict=False)]
    proof = f"CP-SAT OPTIMAL at every stage ({detail}); sorted utilities {sorted_values}"
    return _optimal(compiled, Objective.MAXMIN, choice, levels[0], proof)


# ---------------------------------------------------------------------------------------------
# Nash bargaining (the programme and the outer approximation live in optimizer_nash)


def _nash_by_dp(compiled: Compiled, time_limit: float | None) -> Result | None:
    """Nash by the exact programme over compound provisions; None when it is not applicable."""
    merged = _compound(compiled, Objective.NASH)
    if not isinstance(merged, Merged):
        return merged
    try:
        found = nash_dp(merged.compiled, merged.compiled.allowed, NASH_MAX_STATES, time_limit)
    except StateBudgetExceeded:
        return None
    method = f"exact branch-and-bound dynamic programme {_over(merged)}"
    if found is None:
        return _nash_infeasible(compiled, method, time_limit)
    compound_choice, product, states = found
    choice = merged.expand(compound_choice)
    if not compiled.is_acceptable(choice):
        raise RuntimeError("the compound package breaks a hard constraint")
    proof = (
        f"optimal by {method}: a partial package was dropped only when it could no longer give "
        "every party a strict gain and its reservation level, or when a tangent-line upper bound "
        "on its best sum of log-gains fell below a package already found "
        f"({_count(states, 'partial package')} kept); the survivors' exact integer products "
        "decide"
    )
    return _optimal(compiled, Objective.NASH, choice, product, proof)


def _nash_infeasible(compiled: Compiled, method: str, time_limit: float | None) -> Result:
    if _feasible_cp(compiled, compiled.reservation, time_limit):
        why = "no acceptable package gives every party more than its disagreement value"
    else:
        why = _NO_PACKAGE
    return _infeasible(Objective.NASH, f"infeasible proven ({method}): {why}")


def _solve_nash(compiled: Compiled, time_limit: float | None) -> Result:
    by_dp = _nash_by_dp(compiled, time_limit)
    if by_dp is not None:
        return by_dp
    found = nash_package(compiled, time_limit)
    if found is None:
        return _nash_infeasible(compiled, "HiGHS", time_limit)
    choice, product, proof = found
    return _optimal(compiled, Objective.NASH, choice, product, proof)


# ---------------------------------------------------------------------------------------------
# Pareto frontier


def _spread(points: np.ndarray, count: int) -> list[int]:
    """``count`` indices spread over the points: each party's best first, then farthest-first."""
    n = len(points)
    if n <= count:
        return list(range(n))
    span = points.max(axis=0) - points.min(axis=0)
    scaled = (points - points.min(axis=0)) / np.where(span > 0, span, 1)
    chosen: list[int] = []
    for p in range(points.shape[1]):
        best = int(np.lexsort((-points.sum(axis=1), -points[:, p]))[0])
        if best not in chosen and len(chosen) < count:
            chosen.append(best)
    distance = np.min(np.linalg.norm(scaled[:, None, :] - scaled[None, chosen, :], axis=2), axis=1)
    while len(chosen) < count:
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(scaled - scaled[nxt], axis=1))
    return sorted(chosen)


def representative_frontier(
    compiled: Compiled, count: int, time_limit: float | None = None
) -> list[list[int]]:
    """Up to ``count`` distinct frontier packages, each maximising a positive weighted sum.

    Any maximiser of a sum with strictly positive weights is Pareto-optimal (a package dominating
    it would score strictly more), so each one is certified by the solver's optimality alone.
    Weights are fixed-seed random, plus one leaning on each party, so the output is reproducible.
    """
    options = reduced_options(compiled)
    k = compiled.num_parties
    rng = np.random.default_rng(20240401)
    weights = [np.where(np.arange(k) == p, 1000, 1) for p in range(k)]
    weights += [1 + np.round(999 * rng.dirichlet(np.ones(k))) for _ in range(6 * count)]
    separable = not compiled.links and not np.any(compiled.reservation > 0)
    found: dict[tuple[int, ...], list[int]] = {}
    model: _CpModel | None = None
    solver = None
    for w in weights:
        if len(found) >= count:
            break
        w_int = [int(v) for v in w]
        if separable:
            w_arr = np.array(w_int, dtype=np.int64)
            choice = []
            for j, opts in enumerate(options):
                scores = [int(compiled.contrib[j][o] @ w_arr) for o in opts]
                choice.append(opts[scores.index(max(scores))])  # first on ties
        else:
            if model is None:
                model = _CpModel(compiled, options, compiled.reservation)
                solver = model.solver(time_limit)
            assert solver is not None
            model.model.maximize(sum(wp * u for wp, u in zip(w_int, model.utility, strict=True)))
            if _run(model, solver) == "INFEASIBLE":
                return []
            choice = model.choice(solver)
        key = tuple(int(v) for v in compiled.utilities(choice))
        found.setdefault(key, choice)
    return list(found.values())


def _solve_pareto(compiled: Compiled, limit: int | None, time_limit: float | None) -> Result:
    options = reduced_options(compiled)
    total = _package_count(compiled.allowed)
    points: list[list[int]] | None = None
    if compiled.num_parties <= 3:
        exact = pareto_frontier_dp(compiled, options, FRONTIER_MAX_STATES)
        if exact is not None:
            if not exact:
                return _infeasible(
                    Objective.PARETO,
                    f"infeasible proven: exhaustive dynamic programming over all {total} "
                    f"packages: {_NO_PACKAGE}",
                )
            points = [list(c) for c, _ in exact]
            proof = (
                f"exact frontier: dynamic programming with dominance pruning over all {total} "
                f"packages; {len(points)} frontier utility vectors"
            )
            if limit is not None and len(points) > limit:
                values = np.array([compiled.utilities(c) for c in points])
                points = [points[i] for i in _spread(values, limit)]
                proof += f"; {limit} spread over them are shown"
                return _frontier_result(compiled, points, True, proof)
            return _frontier_result(compiled, points, False, proof)
        reason = f"exact frontier exceeds {FRONTIER_MAX_STATES} partial packages"
    else:
        reason = f"{compiled.num_parties} parties"
    cap = min(limit or MAX_REPRESENTATIVE, MAX_REPRESENTATIVE)
    points = representative_frontier(compiled, cap, time_limit)
    if not points:
        return _infeasible(
            Objective.PARETO, f"infeasible proven (CP-SAT INFEASIBLE): {_NO_PACKAGE}"
        )
    proof = (
        f"representative ({reason}): {len(points)} frontier packages, each the optimal "
        "maximiser of a strictly positive weighted sum of utilities, hence undominated"
    )
    return _frontier_result(compiled, points, True, proof)


def _frontier_result(
    compiled: Compiled, points: list[list[int]], representative: bool, proof: str
) -> Result:
    scored = [_scored(compiled, c) for c in points]
    scored.sort(key=lambda s: [-v for v in s.utilities.values()])
    return Result(
        objective_name=Objective.PARETO,
        status="optimal",
        proof=proof,
        packages=scored,
        representative=representative,
    )


# ---------------------------------------------------------------------------------------------
# Acceptable packages


class _Collector(cp_model.CpSolverSolutionCallback):
    def __init__(self, model: _CpModel, limit: int) -> None:
        super().__init__()
        self.model = model
        self.limit = limit
        self.found: list[list[int]] = []

    def on_solution_callback(self) -> None:
        choice = [
            self.model.fixed[j]
            if j in self.model.fixed
            else next(o for o in opts if self.boolean_value(self.model.vars[j, o]))
            for j, opts in enumerate(self.model.options)
        ]
        self.found.append(choice)
        if len(self.found) >= self.limit:
            self.stop_search()


def acceptable_packages(
    compiled: Compiled, limit: int, time_limit: float | None = None
) -> tuple[list[list[int]], bool]:
    """Up to ``limit`` distinct acceptable packages and whether that is all of them."""
    model = _CpModel(compiled, compiled.allowed, compiled.reservation)
    solver = model.solver(time_limit)
    solver.parameters.enumerate_all_solutions = True
    solver.parameters.num_workers = 1  # required for enumeration
    collector = _Collector(model, limit)
    status = solver.solve(model.model, collector)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {model.model.validate()}")
    complete = status in (cp_model.OPTIMAL, cp_model.INFEASIBLE) and len(collector.found) < limit
    if status == cp_model.UNKNOWN and not collector.found:
        raise OptimizerTimeout("CP-SAT stopped before finding or excluding any package")
    return collector.found, complete


def _solve_acceptable(compiled: Compiled, limit: int, time_limit: float | None) -> Result:
    found, complete = acceptable_packages(compiled, limit, time_limit)
    count = count_acceptable_dp(compiled, COUNT_MAX_STATES)
    if complete:
        if count is not None and count != len(found):
            raise RuntimeError(f"count {count} disagrees with enumeration {len(found)}")
        count = len(found)
    elif count is not None and count < len(found):
        raise RuntimeError(f"count {count} below the {len(found)} packages enumerated")
    if not found:
        return _infeasible(
            Objective.ACCEPTABLE, f"infeasible proven (CP-SAT INFEASIBLE): {_NO_PACKAGE}"
        )
    if complete:
        proof = f"CP-SAT enumerated every acceptable package ({count}), then proved no more"
    elif count is not None:
        proof = f"count exact by dynamic programming; {len(found)} listed by CP-SAT enumeration"
    else:
        proof = (
            f"count not certified (more than {COUNT_MAX_STATES} partial packages); "
            f"at least {len(found)} acceptable, listed by CP-SAT enumeration"
        )
    scored = [_scored(compiled, c) for c in found]
    scored.sort(
        key=lambda s: ([-v for v in sorted(s.utilities.values())], list(s.package.values()))
    )
    return Result(
        objective_name=Objective.ACCEPTABLE,
        status="optimal",
        proof=proof,
        packages=scored,
        count=count,
    )
