"""The optimizer against brute-force enumeration on thousands of random small problems.

Every answer (max-min/leximin, Nash, Pareto frontier, acceptable count and list, concessions) is
compared with a direct enumeration of all packages written independently of the engine.
Utilities are often drawn from {0, 50, 100} to force ties; red lines, linkages and reservation
levels often make the problem infeasible, and single-party problems are included. Max-min and
Nash are checked on the exact programmes (linked provisions merged into compound ones) and again
on the solvers they fall back to.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.positions import optimizer
from parley.positions.optimizer import concessions, solve
from parley.positions.problem import Linkage, Option, Problem, Provision, compile_problem

SETTINGS = settings(
    max_examples=500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@st.composite
def splits(draw: st.DrawFn, parts: int) -> list[int]:
    """``parts`` non-negative integers summing to 100, zeros likely."""
    cuts = sorted(draw(st.lists(st.integers(0, 100), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, 100]
    return [b - a for a, b in itertools.pairwise(bounds)]


@st.composite
def problems(
    draw: st.DrawFn,
    max_parties: int = 3,
    max_provisions: int = 4,
    max_options: int = 3,
    linkages_per_problem: tuple[int, ...] = (0, 0, 1, 2, 3),
) -> Problem:
    parties = [f"P{i}" for i in range(draw(st.integers(1, max_parties)))]
    # Hypothesis favours small draws; repeat the larger sizes so most problems have many packages.
    n = draw(st.sampled_from([1, *[m for m in range(2, max_provisions + 1) for _ in range(m)]]))
    widths = [1, *[m for m in range(2, max_options + 1) for _ in range(2 * m)]]
    tie_heavy = draw(st.booleans())
    value = st.sampled_from([0, 50, 100]) if tie_heavy else st.integers(0, 100)
    red_rate = draw(st.sampled_from([0.0, 0.0, 0.1, 0.3]))
    priorities = {p: draw(splits(n)) for p in parties}
    provisions = []
    for j in range(n):
        options = []
        for o in range(draw(st.sampled_from(widths))):
            red = frozenset(p for p in parties if draw(st.floats(0, 1)) < red_rate / len(parties))
            utility = {p: draw(value) for p in parties}
            options.append(Option(id=f"o{o}", utility=utility, red_line=red))
        priority = {p: priorities[p][j] for p in parties if priorities[p][j]}
        provisions.append(Provision(id=f"j{j}", priority=priority, options=tuple(options)))
    linkages = []
    for _ in range(draw(st.sampled_from(linkages_per_problem))):
        a = draw(st.sampled_from(provisions))
        c = draw(st.sampled_from(provisions))
        linkages.append(
            Linkage(
                a.id,
                draw(st.sampled_from(a.options)).id,
                c.id,
                draw(st.sampled_from(c.options)).id,
            )
        )
    reservation = {}
    disagreement = {}
    for p in parties:
        if draw(st.integers(0, 3)) == 0:
            reservation[p] = draw(st.integers(0, 7000))
        if draw(st.integers(0, 3)) == 0:
            disagreement[p] = draw(st.integers(-500, 7000))
    return Problem(
        parties=tuple(parties),
        provisions=tuple(provisions),
        linkages=tuple(linkages),
        reservation=reservation,
        disagreement=disagreement,
    )


@dataclass(frozen=True)
class Scored:
    package: dict[str, str]
    utilities: tuple[int, ...]


def enumerate_acceptable(problem: Problem) -> list[Scored]:
    """Every package, filtered by red lines, linkages and reservation levels."""
    out = []
    for combo in itertools.product(*(p.options for p in problem.provisions)):
        if any(option.red_line for option in combo):
            continue
        package = {p.id: o.id for p, o in zip(problem.provisions, combo, strict=True)}
        if any(
            package[link.if_provision] == link.if_option
            and package[link.then_provision] != link.then_option
            for link in problem.linkages
        ):
            continue
        utilities = tuple(
            sum(
                prov.priority.get(party, 0) * option.utility.get(party, 0)
                for prov, option in zip(problem.provisions, combo, strict=True)
            )
            for party in problem.parties
        )
        if any(
            u < problem.reservation.get(p, 0)
            for p, u in zip(problem.parties, utilities, strict=True)
        ):
            continue
        out.append(Scored(package, utilities))
    return out


def frontier(points: set[tuple[int, ...]]) -> set[tuple[int, ...]]:
    return {
        p
        for p in points
        if not any(q != p and all(a >= b for a, b in zip(q, p, strict=True)) for q in points)
    }


def utilities_of(result_utilities: dict[str, int], problem: Problem) -> tuple[int, ...]:
    return tuple(result_utilities[p] for p in problem.parties)


def method_of(proof: str) -> str:
    """Which part of the engine the proof credits."""
    if proof.startswith("infeasible proven:"):
        return "compilation"  # red lines and linkages propagated before any search
    if "CP-SAT" in proof or "HiGHS" in proof:
        return "solver"
    assert "dynamic programm" in proof or "enumeration of linked provisions" in proof, proof
    return "programme"


@SETTINGS
@given(problems())
def test_maxmin_is_the_leximin_optimum(problem: Problem) -> None:
    check_maxmin(problem)


def check_maxmin(problem: Problem, method: str = "programme") -> None:
    acceptable = enumerate_acceptable(problem)
    result = solve(problem, "maxmin")
    assert method_of(result.proof) in (method, "compilation")
    if method == "programme" and result.status == "optimal" and compile_problem(problem).links:
        assert "compound" in result.proof  # linked provisions merged, not handed to a solver
    if not acceptable:
        assert result.status == "infeasible"
        assert result.package is None
        return
    best = max(sorted(s.utilities) for s in acceptable)
    assert result.status == "optimal"
    assert result.package is not None and result.utilities is not None
    mine = utilities_of(result.utilities, problem)
    assert sorted(mine) == best
    assert result.objective == best[0]
    assert any(s.package == result.package and s.utilities == mine for s in acceptable)


def check_nash(problem: Problem, method: str = "programme") -> None:
    acceptable = enumerate_acceptable(problem)
    d = [problem.disagreement.get(p, 0) for p in problem.parties]
    products = [
        math.prod(u - dp for u, dp in zip(s.utilities, d, strict=True))
        for s in acceptable
        if all(u > dp for u, dp in zip(s.utilities, d, strict=True))
    ]
    result = solve(problem, "nash")
    assert method_of(result.proof) in (method, "compilation")
    if method == "programme" and result.status == "optimal" and compile_problem(problem).links:
        assert "compound" in result.proof
    if not products:
        assert result.status == "infeasible"
        assert ("disagreement" in result.proof) == bool(acceptable)
        return
    assert result.status == "optimal"
    assert result.objective == max(products)
    assert result.utilities is not None
    mine = utilities_of(result.utilities, problem)
    assert math.prod(u - dp for u, dp in zip(mine, d, strict=True)) == max(products)
    assert any(s.package == result.package for s in acceptable)


@SETTINGS
@given(problems())
def test_nash_maximises_the_product_of_strict_gains(problem: Problem) -> None:
    check_nash(problem)


@settings(SETTINGS, max_examples=200)
@given(problems(max_parties=6, max_provisions=3))
def test_nash_with_many_parties_and_products_beyond_float_precision(problem: Problem) -> None:
    # Products reach 10^24 here, where log-space tolerances alone could not separate near-ties.
    check_nash(problem)


@settings(SETTINGS, max_examples=400)
@given(problems(max_provisions=5, linkages_per_problem=(2, 3, 4, 6)))
def test_heavily_linked_problems_through_compound_provisions(problem: Problem) -> None:
    # Chains and cycles of linkages: compounds of several provisions, often no combination left.
    check_maxmin(problem)
    check_nash(problem)


@settings(SETTINGS, max_examples=300)
@given(problems())
def test_solver_fallbacks_match_enumeration(problem: Problem) -> None:
    # As when linked provisions combine into too many options: CP-SAT (max-min), HiGHS (Nash).
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(optimizer, "_compound", lambda compiled, objective: None)
        check_maxmin(problem, "solver")
        check_nash(problem, "solver")


@SETTINGS
@given(problems(max_parties=3, max_provisions=5))
def test_exact_frontier_matches_enumeration(problem: Problem) -> None:
    acceptable = enumerate_acceptable(problem)
    result = solve(problem, "pareto")
    assert result.packages is not None
    if not acceptable:
        assert result.status == "infeasible" and result.packages == []
        return
    expected = frontier({s.utilities for s in acceptable})
    got = [utilities_of(p.utilities, problem) for p in result.packages]
    assert result.representative is False
    assert len(got) == len(set(got))
    assert set(got) == expected
    by_package = {tuple(s.package.items()): s.utilities for s in acceptable}
    for p in result.packages:
        assert by_package[tuple(p.package.items())] == utilities_of(p.utilities, problem)


@settings(SETTINGS, max_examples=300)
@given(problems(max_parties=5, max_provisions=4), st.integers(1, 6))
def test_representative_frontier_packages_are_undominated(problem: Problem, limit: int) -> None:
    acceptable = enumerate_acceptable(problem)
    result = solve(problem, "pareto", limit=limit)
    assert result.packages is not None
    if not acceptable:
        assert result.status == "infeasible"
        return
    points = {s.utilities for s in acceptable}
    expected = frontier(points)
    got = [utilities_of(p.utilities, problem) for p in result.packages]
    assert 1 <= len(got) <= limit
    assert set(got) <= expected
    if len(problem.parties) <= 3 and len(expected) <= limit:
        assert set(got) == expected and result.representative is False
    else:
        assert result.representative is (len(got) < len(expected) or len(problem.parties) > 3)


@SETTINGS
@given(problems(max_provisions=5), st.integers(1, 8))
def test_acceptable_count_and_listing(problem: Problem, limit: int) -> None:
    acceptable = enumerate_acceptable(problem)
    result = solve(problem, "acceptable", limit=limit)
    assert result.count == len(acceptable)
    assert result.packages is not None
    assert len(result.packages) == min(limit, len(acceptable))
    listed = [tuple(p.package.items()) for p in result.packages]
    assert len(set(listed)) == len(listed)
    valid = {tuple(s.package.items()): s.utilities for s in acceptable}
    for p in result.packages:
        assert valid[tuple(p.package.items())] == utilities_of(p.utilities, problem)
    assert result.status == ("optimal" if acceptable else "infeasible")


@settings(SETTINGS, max_examples=300)
@given(problems(), st.data())
def test_concessions_against_best_acceptable_option(problem: Problem, data: st.DataObject) -> None:
    # Without linkages the best acceptable option is simply the best one nobody red-lined.
    problem = Problem(problem.parties, problem.provisions)
    package = {
        p.id: data.draw(st.sampled_from([o.id for o in p.options])) for p in problem.provisions
    }
    got = concessions(problem, package)
    for party in problem.parties:
        total = 0
        for prov in problem.provisions:
            weight = prov.priority.get(party, 0)
            line = got[party]["provisions"].get(prov.id)
            open_options = [o for o in prov.options if not o.red_line]
            if weight == 0 or not open_options:
                assert line is None
                continue
            best = max(o.utility.get(party, 0) for o in open_options)
            chosen = next(o for o in prov.options if o.id == package[prov.id])
            lost = best - chosen.utility.get(party, 0)
            if lost > 0:
                assert line is not None
                assert line["utility_lost"] == lost and line["weighted_lost"] == lost * weight
                assert line["chosen"] == chosen.id
                best_option = next(o for o in open_options if o.id == line["best"])
                assert best_option.utility.get(party, 0) == best
                total += lost * weight
            else:
                assert line is None
        assert got[party]["total"] == total
