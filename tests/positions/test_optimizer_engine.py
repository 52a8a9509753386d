"""The optimizer engine's rules, one behaviour at a time (parsing, semantics, limits, proofs)."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from typing import Any

import numpy as np
import pytest

from parley.positions import optimizer
from parley.positions.optimizer import (
    OptimizerTimeout,
    concessions,
    evaluate,
    is_acceptable,
    solve,
)
from parley.positions.problem import (
    Linkage,
    Option,
    Problem,
    ProblemError,
    Provision,
    parse_problem,
)

ISSUE_EXAMPLE: dict[str, Any] = {
    "parties": ["UA", "RU", "EU"],
    "disagreement": {"UA": 0, "RU": 0, "EU": 0},
    "reservation": {"UA": 3000},
    "provisions": [
        {
            "id": "p7",
            "priority": {"UA": 30, "RU": 40, "EU": 10},
            "options": [
                {"id": "a", "utility": {"UA": 100, "RU": 0, "EU": 80}, "red_line": ["RU"]},
                {"id": "b", "utility": {"UA": 40, "RU": 70, "EU": 60}},
            ],
        },
        {
            "id": "p9",
            "priority": {"UA": 70, "RU": 60, "EU": 90},
            "options": [
                {"id": "b", "utility": {"UA": 20, "RU": 90, "EU": 40}},
                {"id": "c", "utility": {"UA": 60, "RU": 50, "EU": 70}},
            ],
        },
    ],
    "linkages": [{"if": ["p7", "b"], "then": ["p9", "c"]}],
}


def two_party(options: list[tuple[int, int]], **kw: Any) -> Problem:
    """One provision, all priority on it, options with the given (A, B) utilities."""
    return Problem(
        parties=("A", "B"),
        provisions=(
            Provision(
                "p",
                {"A": 100, "B": 100},
                tuple(Option(f"o{i}", {"A": a, "B": b}) for i, (a, b) in enumerate(options)),
            ),
        ),
        **kw,
    )


def random_problem(n: int, m: int, k: int, seed: int, **kw: Any) -> Problem:
    rng = np.random.default_rng(seed)
    parties = tuple(f"P{i}" for i in range(k))
    shares = {p: rng.multinomial(100, np.ones(n) / n) for p in parties}
    provisions = tuple(
        Provision(
            f"j{j}",
            {p: int(shares[p][j]) for p in parties if shares[p][j]},
            tuple(
                Option(f"o{o}", {p: int(rng.integers(0, 101)) for p in parties}) for o in range(m)
            ),
        )
        for j in range(n)
    )
    return Problem(parties, provisions, **kw)


def json_copy(data: Any) -> Any:
    return json.loads(json.dumps(data))


# --- parsing and validation ------------------------------------------------------------------


def test_the_issue_example_parses_with_defaults() -> None:
    data = {k: v for k, v in ISSUE_EXAMPLE.items() if k not in ("disagreement", "linkages")}
    problem = parse_problem(data)
    assert problem.parties == ("UA", "RU", "EU")
    assert problem.disagreement == {} and problem.linkages == ()
    assert problem.reservation == {"UA": 3000}
    assert problem.provisions[0].options[0].red_line == frozenset({"RU"})


def test_every_error_is_reported_at_once() -> None:
    data = {
        "parties": ["A", "B"],
        "provisions": [
            {"id": "p", "priority": {"A": 100, "C": 5}, "options": [{"id": "x"}]},
            {"id": "q", "priority": {"B": 90}, "options": [{"id": "y", "utility": {"B": 1.5}}]},
        ],
        "linkages": [{"if": ["p", "nope"], "then": ["r", "y"]}],
    }
    with pytest.raises(ProblemError) as caught:
        parse_problem(data)
    text = "\n".join(caught.value.messages)
    for expected in (
        "option has no utilities",
        "priority: unknown party 'C'",
        "utility.B: must be an integer from 0 to 100, got 1.5",
        "party B: priorities sum to 90",
        "linkages[0].if: provision p has no option 'nope'",
        "linkages[0].then: unknown provision 'r'",
    ):
        assert expected in text


def test_a_party_missing_from_a_priority_gives_it_zero_and_needs_no_utility() -> None:
    data = {
        "parties": ["A", "B"],
        "provisions": [
            {"id": "p", "priority": {"A": 100}, "options": [{"id": "x", "utility": {"A": 10}}]},
            {"id": "q", "priority": {"B": 100}, "options": [{"id": "y", "utility": {"B": 20}}]},
        ],
    }
    result = solve(parse_problem(data), "maxmin")
    assert result.utilities == {"A": 1000, "B": 2000}


def test_booleans_are_not_numbers_but_integral_floats_are() -> None:
    base = json_copy(ISSUE_EXAMPLE)
    base["provisions"][0]["options"][1]["utility"]["UA"] = 40.0
    assert parse_problem(base).provisions[0].options[1].utility["UA"] == 40
    base["provisions"][0]["options"][1]["utility"]["UA"] = True
    with pytest.raises(ProblemError, match="must be an integer from 0 to 100, got True"):
        parse_problem(base)


def test_solve_validates_problems_built_in_code() -> None:
    problem = Problem(("A",), (Provision("p", {"A": 50}, (Option("x", {"A": 1}),)),))
    with pytest.raises(ProblemError, match="party A: priorities sum to 50"):
        solve(problem, "maxmin")


# --- semantics -------------------------------------------------------------------------------


def test_nash_needs_a_strict_gain_for_everyone() -> None:
    # o0 leaves B exactly at its disagreement value; o1 is below it for A.
    problem = two_party([(60, 20), (10, 50)], disagreement={"A": 1000, "B": 2000})
    result = solve(problem, "nash")
    assert result.status == "infeasible"
    assert "no acceptable package gives every party more than its disagreement value" in (
        result.proof
    )
    assert solve(problem, "maxmin").status == "optimal"


def test_nash_moves_with_the_disagreement_point() -> None:
    options = [(60, 40), (45, 55)]
    # Gains from 0: 6000*4000 < 4500*5500. With A's fallback at 3000: 3000*4000 > 1500*5500.
    assert solve(two_party(options), "nash").package == {"p": "o1"}
    shifted = solve(two_party(options, disagreement={"A": 3000}), "nash")
    assert shifted.package == {"p": "o0"}
    assert shifted.objective == 3000 * 4000


def test_reservation_levels_are_hard_lower_bounds() -> None:
    options = [(50, 50), (80, 30)]
    assert solve(two_party(options), "maxmin").package == {"p": "o0"}
    forced = solve(two_party(options, reservation={"A": 7000}), "maxmin")
    assert forced.package == {"p": "o1"}
    assert solve(two_party(options, reservation={"A": 9000}), "maxmin").status == "infeasible"


def test_leximin_breaks_max_min_ties() -> None:
    # Sorted, the options give [3000, 5000], [3000, 7000] and [3000, 4000]: leximin picks o1.
    problem = two_party([(30, 50), (70, 30), (30, 40)])
    result = solve(problem, "maxmin")
    assert result.objective == 3000
    assert result.package == {"p": "o1"}
    assert "sorted utilities [3000, 7000]" in result.proof


def test_a_linkage_to_a_red_line_rules_the_option_out_everywhere() -> None:
    problem = Problem(
        parties=("A", "B"),
        provisions=(
            Provision(
                "p",
                {"A": 50, "B": 50},
                (Option("a", {"A": 100, "B": 100}), Option("b", {"A": 50, "B": 50})),
            ),
            Provision(
                "q",
                {"A": 50, "B": 50},
                (Option("x", {"A": 0, "B": 0}, frozenset({"B"})), Option("y", {"A": 0, "B": 0})),
            ),
        ),
        linkages=(Linkage("p", "a", "q", "x"),),
    )
    assert solve(problem, "acceptable").count == 1
    assert solve(problem, "maxmin").package == {"p": "b", "q": "y"}
    given_up = concessions(problem, {"p": "b", "q": "y"})
    assert given_up["A"]["provisions"] == {}  # "a" was never attainable
    assert not is_acceptable(problem, {"p": "a", "q": "y"})


def test_single_party_gets_its_best_acceptable_package() -> None:
    problem = random_problem(6, 3, 1, seed=4)
    best = max(
        sum(p.priority.get("P0", 0) * p.options[o].utility["P0"] for p, o in zip(
            problem.provisions, combo, strict=True))
        for combo in itertools.product(range(3), repeat=6)
    )  # fmt: skip
    assert solve(problem, "maxmin").objective == best
    frontier = solve(problem, "pareto")
    assert [p.utilities["P0"] for p in frontier.packages or []] == [best]


def test_evaluate_checks_the_package_ids() -> None:
    problem = parse_problem(ISSUE_EXAMPLE)
    assert evaluate(problem, {"p7": "b", "p9": "c"}) == {"UA": 5400, "RU": 5800, "EU": 6900}
    with pytest.raises(ProblemError) as caught:
        evaluate(problem, {"p7": "z", "p8": "c"})
    assert caught.value.messages == [
        "package: provision p7 needs one of ['a', 'b'], got 'z'",
        "package: provision p9 needs one of ['b', 'c'], got None",
        "package: unknown provision 'p8'",
    ]


# --- frontier, counts, limits ----------------------------------------------------------------


def test_four_parties_get_a_labelled_representative_frontier() -> None:
    problem = random_problem(7, 3, 4, seed=1)
    points = set()
    for combo in itertools.product(range(3), repeat=7):
        points.add(
            tuple(evaluate(problem, {f"j{j}": f"o{o}" for j, o in enumerate(combo)}).values())
        )
    result = solve(problem, "pareto")
    assert result.representative is True
    assert result.packages is not None and 1 <= len(result.packages) <= 100
    assert "representative" in result.proof
    for package in result.packages:
        mine = tuple(package.utilities.values())
        assert mine in points
        assert not any(q != mine and all(a >= b for a, b in zip(q, mine, strict=True))
                       for q in points)  # fmt: skip
    assert len(solve(problem, "pareto", limit=5).packages or []) <= 5


def test_an_exact_frontier_over_the_limit_becomes_a_spread_subset() -> None:
    problem = random_problem(10, 4, 2, seed=3)
    full = solve(problem, "pareto")
    assert full.representative is False and full.packages is not None
    assert len(full.packages) > 4
    subset = solve(problem, "pareto", limit=4)
    assert subset.representative is True and subset.packages is not None
    assert len(subset.packages) == 4
    assert {tuple(p.utilities.values()) for p in subset.packages} <= {
        tuple(p.utilities.values()) for p in full.packages
    }
    best_a = max(p.utilities["P0"] for p in full.packages)
    assert best_a in {p.utilities["P0"] for p in subset.packages}


def test_counts_are_exact_even_when_astronomical() -> None:
    problem = random_problem(40, 4, 2, seed=5)
    assert solve(problem, "acceptable", limit=3).count == 4**40
    # With a reservation level for one party, count by a reference convolution over sums.
    level = 5200
    limited = Problem(problem.parties, problem.provisions, reservation={"P0": level})
    sums: Counter[int] = Counter({0: 1})
    for prov in problem.provisions:
        step: Counter[int] = Counter()
        for total, ways in sums.items():
            for option in prov.options:
                step[total + prov.priority.get("P0", 0) * option.utility["P0"]] += ways
        sums = step
    expected = sum(ways for total, ways in sums.items() if total >= level)
    result = solve(limited, "acceptable", limit=3)
    assert result.count == expected
    assert 0 < expected < 4**40
    assert "count exact by dynamic programming" in result.proof


def test_time_limit_raises_rather_than_answer_uncertified() -> None:
    problem = random_problem(50, 6, 6, seed=0)
    with pytest.raises(OptimizerTimeout):
        solve(problem, "maxmin", time_limit=0.001)


def test_result_dict_keys_follow_the_contract() -> None:
    problem = parse_problem(ISSUE_EXAMPLE)
    keys = {
        "maxmin": ["status", "package", "utilities", "objective", "concessions", "proof"],
        "nash": ["status", "package", "utilities", "objective", "concessions", "proof"],
        "pareto": ["status", "package", "utilities", "objective", "packages", "representative",
                   "concessions", "proof"],
        "acceptable": ["status", "package", "utilities", "objective", "packages", "count",
                       "concessions", "proof"],
    }  # fmt: skip
    for objective, expected in keys.items():
        result = solve(problem, objective)
        assert list(result.to_dict()) == expected
        assert result.to_json().startswith('{"status": "optimal"')


def test_a_count_beyond_the_state_budget_is_null_not_guessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(optimizer, "COUNT_MAX_STATES", 5)
    problem = random_problem(12, 3, 3, seed=2, reservation={"P0": 3000, "P1": 3000})
    result = solve(problem, "acceptable", limit=4)
    assert result.count is None
    assert result.to_dict()["count"] is None
    assert "count not certified" in result.proof
    assert result.packages is not None and len(result.packages) == 4


def test_a_frontier_beyond_the_state_budget_falls_back_to_a_labelled_sample(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(optimizer, "FRONTIER_MAX_STATES", 5)
    result = solve(random_problem(8, 3, 3, seed=2), "pareto")
    assert result.representative is True
    assert "exact frontier exceeds 5 partial packages" in result.proof


# --- max-min by threshold dynamic programming ---------------------------------------------------


def brute_leximin(problem: Problem) -> list[int] | None:
    """Lexicographically greatest sorted utility vector over every acceptable package."""
    best: list[int] | None = None
    for combo in itertools.product(*(p.options for p in problem.provisions)):
        if any(o.red_line for o in combo):
            continue
        values = [
            sum(
                prov.priority.get(party, 0) * o.utility.get(party, 0)
                for prov, o in zip(problem.provisions, combo, strict=True)
            )
            for party in problem.parties
        ]
        if any(
            v < problem.reservation.get(p, 0) for p, v in zip(problem.parties, values, strict=True)
        ):
            continue
        ranked = sorted(values)
        if best is None or ranked > best:
            best = ranked
    return best


@pytest.mark.parametrize(
    ("seed", "parties", "reservation"),
    [(1, 4, 0), (2, 5, 0), (3, 6, 0), (4, 5, 2500), (5, 6, 4000), (6, 6, 9000)],
)
def test_threshold_programme_finds_the_leximin_of_many_parties(
    seed: int, parties: int, reservation: int
) -> None:
    problem = random_problem(9, 3, parties, seed)
    levels = {p: reservation for p in problem.parties[:2]}
    problem = Problem(problem.parties, problem.provisions, reservation=levels)
    expected = brute_leximin(problem)
    result = solve(problem, "maxmin")
    if expected is None:
        assert result.status == "infeasible"
        assert "threshold dynamic programming" in result.proof
        return
    assert result.status == "optimal" and result.utilities is not None
    assert sorted(result.utilities.values()) == expected
    assert result.objective == expected[0]
    assert "threshold dynamic programming" in result.proof
    assert is_acceptable(problem, result.package or {})


def test_max_min_falls_back_to_cp_sat_beyond_the_state_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = random_problem(9, 3, 5, seed=8)
    monkeypatch.setattr(optimizer, "LEXIMIN_MAX_STATES", 3)
    result = solve(problem, "maxmin")
    assert result.proof.startswith("CP-SAT OPTIMAL")
    assert result.utilities is not None
    assert sorted(result.utilities.values()) == brute_leximin(problem)


def test_max_min_with_linkages_runs_the_programme_over_compound_provisions() -> None:
    result = solve(parse_problem(ISSUE_EXAMPLE), "maxmin")
    assert "threshold dynamic programming" in result.proof
    assert "1 of them compound" in result.proof
    assert result.package == {"p7": "b", "p9": "c"}  # the linkage holds


def test_max_min_with_linked_provisions_beyond_the_compound_cap_uses_cp_sat(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(optimizer, "COMPOUND_MAX_OPTIONS", 0)
    result = solve(parse_problem(ISSUE_EXAMPLE), "maxmin")
    assert result.proof.startswith("CP-SAT OPTIMAL")
    assert result.package == {"p7": "b", "p9": "c"}


def test_linkages_that_no_combination_meets_are_proven_infeasible_by_enumeration() -> None:
    data = json.loads(json.dumps(ISSUE_EXAMPLE))
    data["provisions"][0]["options"][0]["red_line"] = []
    data["linkages"] = [  # a cycle through both provisions that every combination breaks
        {"if": ["p7", "a"], "then": ["p9", "c"]},
        {"if": ["p9", "c"], "then": ["p7", "b"]},
        {"if": ["p7", "b"], "then": ["p9", "b"]},
        {"if": ["p9", "b"], "then": ["p7", "a"]},
    ]
    result = solve(parse_problem(data), "maxmin")
    assert result.status == "infeasible"
    assert "exhaustive enumeration of linked provisions" in result.proof


def test_large_max_min_is_answered_by_the_threshold_programme() -> None:
    result = solve(random_problem(50, 6, 6, seed=0), "maxmin", leximin=False)
    assert result.status == "optimal"
    assert "threshold dynamic programming" in result.proof
    assert result.utilities is not None and min(result.utilities.values()) == result.objective


# --- Nash by the exact programme -------------------------------------------------------------


def test_large_nash_is_answered_by_the_programme_and_agrees_with_highs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    problem = random_problem(30, 4, 5, seed=3)
    by_programme = solve(problem, "nash")
    assert "branch-and-bound dynamic programme over 30 provisions" in by_programme.proof
    monkeypatch.setattr(optimizer, "NASH_MAX_STATES", 0)  # past the budget: HiGHS instead
    by_highs = solve(problem, "nash")
    assert by_highs.proof.startswith("HiGHS optimal")
    assert by_highs.objective == by_programme.objective


def test_linked_nash_beyond_the_compound_cap_uses_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(optimizer, "COMPOUND_MAX_OPTIONS", 0)
    result = solve(parse_problem(ISSUE_EXAMPLE), "nash")
    assert result.proof.startswith("HiGHS optimal")
    assert result.package == {"p7": "b", "p9": "c"}


def test_nash_time_limit_raises_rather_than_answer_uncertified() -> None:
    with pytest.raises(OptimizerTimeout):
        solve(random_problem(50, 6, 6, seed=0), "nash", time_limit=1e-6)
