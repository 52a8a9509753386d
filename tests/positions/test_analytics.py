"""The pure analytics: convergence scores, computed sticking points, the problem built from
positions, priority normalisation and what a party is told about a released package."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.positions.analytics import (
    Contested,
    InputsMissing,
    PositionView,
    build_problem,
    convergence,
    normalise_priorities,
    parse_linkages,
    single_party_problem,
)
from parley.positions.optimizer import concessions, solve
from parley.positions.problem import Linkage, validate_problem


def pv(party: str, provision: str, option: str | None, stance: str, **kw: int) -> PositionView:
    return PositionView(party, provision, option, stance, kw.get("priority", 0), kw.get("utility"))


# ---------------------------------------------------------------- convergence


def test_scores_rows_provisions_and_the_document() -> None:
    result = convergence(
        [
            pv("UA", "plan/p10", "a", "accept"),
            pv("RU", "plan/p10", "a", "red_line"),
            pv("UA", "plan/p10", "c", "accept_with_changes"),
            pv("RU", "plan/p10", "c", "accept_with_changes"),
            pv("EU", "plan/p10", "c", "accept"),
            pv("UA", "plan/p2", None, "accept"),
            pv("RU", "plan/p2", None, "reject"),
        ],
        parties=["UA", "RU"],
        provision_order=["plan/p2", "plan/p10"],
    )
    assert result.parties == ("UA", "RU", "EU")  # given order, then the others sorted
    assert [r.label for r in result.rows] == ["plan/p2", "plan/p10 · a", "plan/p10 · c"]
    rows = {r.label: r for r in result.rows}
    assert (rows["plan/p2"].score, rows["plan/p2"].blocked) == (50, False)
    # EU took a position on p10 but none on option a: it counts 0 there.
    assert (rows["plan/p10 · a"].score, rows["plan/p10 · a"].blocked) == (33, True)
    assert rows["plan/p10 · c"].score == 67  # (50 + 50 + 100) / 3
    scores = {s.provision: s for s in result.provisions}
    assert (scores["plan/p10"].score, scores["plan/p10"].best) == (67, "c")
    assert scores["plan/p10"].parties == ("UA", "RU", "EU")
    assert (scores["plan/p2"].score, scores["plan/p2"].best) == (50, "(whole)")
    assert result.document_score == 59  # (50 + 67) / 2 = 58.5, rounded half up


def test_a_provision_whose_every_option_is_red_lined_scores_zero() -> None:
    result = convergence(
        [pv("A", "d/p1", "a", "red_line"), pv("B", "d/p1", "b", "red_line")],
    )
    assert [(s.score, s.best) for s in result.provisions] == [(0, None)]
    assert result.document_score == 0


def test_no_positions_no_scores() -> None:
    result = convergence([])
    assert (result.rows, result.provisions, result.document_score) == ((), (), None)


def test_sticking_points_are_a_red_line_against_an_acceptance_of_the_same_option() -> None:
    result = convergence(
        [
            pv("RU", "plan/p10", "a", "red_line"),
            pv("UA", "plan/p10", "a", "accept"),
            pv("EU", "plan/p10", "a", "accept_with_changes"),
            pv("UA", "plan/p10", "b", "red_line"),  # RU accepts b nowhere: no sticking point
            pv("RU", "plan/p10", "c", "accept"),
            pv("UA", "plan/p5", "a", "red_line"),
            pv("RU", "plan/p5", "a", "reject"),  # a rejection is not an acceptance
            pv("UA", "plan/p1", None, "red_line"),
            pv("RU", "plan/p1", None, "accept"),
        ]
    )
    found = {(s.provision, s.option): (s.red_line, s.accepting) for s in result.sticking_points}
    assert found == {
        ("plan/p1", None): (("UA",), ("RU",)),
        ("plan/p10", "a"): (("RU",), ("EU", "UA")),
    }


def test_rows_sort_provisions_naturally_without_an_order() -> None:
    result = convergence([pv("A", "d/p10", None, "accept"), pv("A", "d/p9", None, "accept")])
    assert [r.provision for r in result.rows] == ["d/p9", "d/p10"]


# ---------------------------------------------------------------- priorities


def test_normalising_keeps_priorities_that_already_sum_to_100() -> None:
    assert normalise_priorities({"p10": 40, "p5": 30, "p6": 15, "p15": 5, "p13": 10}) == {
        "p10": 40,
        "p5": 30,
        "p6": 15,
        "p15": 5,
        "p13": 10,
    }


def test_normalising_uses_the_largest_remainders() -> None:
    assert normalise_priorities({"a": 1, "b": 1, "c": 1}) == {"a": 34, "b": 33, "c": 33}
    # 40 and 30 out of 70: 57.14 and 42.86, the larger remainder gets the spare point.
    assert normalise_priorities({"p10": 40, "p5": 30}) == {"p10": 57, "p5": 43}
    assert normalise_priorities({"a": 0, "b": 5}) == {"a": 0, "b": 100}
    assert normalise_priorities({"a": 0, "b": 0}) == {"a": 0, "b": 0}


@settings(max_examples=400, derandomize=True)
@given(st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 100), min_size=1))
def test_normalised_priorities_sum_to_100_and_keep_the_order(raw: dict[str, int]) -> None:
    out = normalise_priorities(raw)
    whole = sum(raw.values())
    if whole == 0:
        assert set(out.values()) == {0}
        return
    assert sum(out.values()) == 100
    for key, value in raw.items():
        assert abs(out[key] - value * 100 / whole) < 1  # within a point of the exact share
        for other, other_value in raw.items():
            if value > other_value:
                assert out[key] >= out[other]


# ---------------------------------------------------------------- problems from positions

TERRITORY = Contested("plan/p10", ("a", "b", "c"))
SECURITY = Contested("plan/p5", ("a", "b"))


def miami_like() -> list[PositionView]:
    return [
        pv("UA", "plan/p10", "a", "accept", priority=40, utility=90),
        pv("UA", "plan/p10", "b", "red_line", priority=40, utility=0),
        pv("UA", "plan/p10", "c", "accept_with_changes", priority=40, utility=55),
        pv("UA", "plan/p5", "a", "accept_with_changes", priority=30, utility=45),
        pv("UA", "plan/p5", "b", "accept", priority=30, utility=95),
        pv("RU", "plan/p10", "a", "red_line", priority=45, utility=0),
        pv("RU", "plan/p10", "b", "accept", priority=45, utility=95),
        pv("RU", "plan/p10", "c", "accept_with_changes", priority=45, utility=45),
        pv("RU", "plan/p5", "a", "accept", priority=20, utility=60),
        pv("RU", "plan/p5", "b", "red_line", priority=20, utility=0),
        pv("RU", "plan/p99", "a", "accept", priority=35, utility=100),  # not chosen: ignored
    ]


def test_the_problem_has_normalised_priorities_utilities_and_red_lines() -> None:
    built = build_problem([TERRITORY, SECURITY], miami_like(), ["UA", "RU"])
    assert validate_problem(built.problem) == []
    assert built.raw_priorities == {
        "UA": {"plan/p10": 40, "plan/p5": 30},
        "RU": {"plan/p10": 45, "plan/p5": 20},
    }
    assert built.priorities == {
        "UA": {"plan/p10": 57, "plan/p5": 43},
        "RU": {"plan/p10": 69, "plan/p5": 31},
    }
    territory = built.problem.provisions[0]
    assert {o.id: o.red_line for o in territory.options} == {
        "a": frozenset({"RU"}),
        "b": frozenset({"UA"}),
        "c": frozenset(),
    }
    assert territory.options[2].utility == {"UA": 55, "RU": 45}
    result = solve(built.problem, "maxmin")
    assert result.status == "optimal"
    assert result.package == {"plan/p10": "c", "plan/p5": "a"}
    assert result.utilities == {"UA": 57 * 55 + 43 * 45, "RU": 69 * 45 + 31 * 60}


def test_missing_utilities_are_named_by_party_provision_and_option() -> None:
    positions = [
        p for p in miami_like() if (p.party, p.provision, p.option) != ("UA", "plan/p10", "b")
    ]
    positions.append(pv("RU", "plan/p5", "a", "accept", priority=20))  # no utility
    with pytest.raises(InputsMissing) as caught:
        build_problem([TERRITORY, SECURITY], positions, ["UA", "RU", "EU"])
    assert caught.value.missing == {
        "UA": ["UA: no utility for plan/p10 option b (no position shared with you)"],
        "RU": [
            "RU: no utility for plan/p5 option a (a position without a utility shared with you)"
        ],
        "EU": [
            "EU: no priority on any chosen provision (no position with a priority shared with you)"
        ],
    }
    assert len(caught.value.messages) == 3


def test_a_provision_a_party_gives_no_priority_needs_no_utilities_from_it() -> None:
    positions = [p for p in miami_like() if not (p.party == "UA" and p.provision == "plan/p5")]
    built = build_problem([TERRITORY, SECURITY], positions, ["UA", "RU"])
    assert built.priorities["UA"] == {"plan/p10": 100, "plan/p5": 0}
    assert "UA" not in built.problem.provisions[1].priority
    assert solve(built.problem, "maxmin").status == "optimal"


def test_differing_priorities_on_one_provision_use_the_highest_and_say_so() -> None:
    positions = miami_like()
    positions[0] = pv("UA", "plan/p10", "a", "accept", priority=50, utility=90)
    built = build_problem([TERRITORY, SECURITY], positions, ["UA", "RU"])
    assert built.raw_priorities["UA"]["plan/p10"] == 50
    assert any("UA gave plan/p10 different priorities [40, 50]" in n for n in built.notes)


def test_reservation_disagreement_and_linkages_reach_the_problem() -> None:
    link = Linkage("plan/p10", "c", "plan/p5", "b")
    built = build_problem(
        [TERRITORY, SECURITY],
        miami_like(),
        ["UA", "RU"],
        reservation={"UA": 3000},
        disagreement={"RU": 1000},
        linkages=[link],
    )
    assert built.problem.reservation == {"UA": 3000}
    assert built.problem.disagreement == {"RU": 1000}
    assert built.problem.linkages == (link,)
    # c at p10 needs b at p5, which RU red-lined; a and b at p10 are red-lined: nothing is left.
    assert solve(built.problem, "maxmin").status == "infeasible"


# ---------------------------------------------------------------- what a party is told


def test_a_partys_own_problem_keeps_only_its_own_preferences() -> None:
    built = build_problem([TERRITORY, SECURITY], miami_like(), ["UA", "RU"])
    own = single_party_problem(built.problem, "UA")
    assert own.parties == ("UA",)
    assert validate_problem(own) == []
    territory = own.provisions[0]
    assert {o.id: o.red_line for o in territory.options} == {
        "a": frozenset(),  # RU's red line is not UA's
        "b": frozenset({"UA"}),
        "c": frozenset(),
    }
    told = concessions(own, {"plan/p10": "c", "plan/p5": "a"})["UA"]
    # Against UA's own best (a at p10, b at p5), whatever RU red-lined.
    assert told["provisions"] == {
        "plan/p10": {"chosen": "c", "best": "a", "utility_lost": 35, "weighted_lost": 35 * 57},
        "plan/p5": {"chosen": "a", "best": "b", "utility_lost": 50, "weighted_lost": 50 * 43},
    }


@settings(max_examples=200, derandomize=True)
@given(
    st.lists(st.integers(0, 100), min_size=5, max_size=5),
    st.lists(
        st.sampled_from(["accept", "reject", "red_line", "accept_with_changes"]),
        min_size=5,
        max_size=5,
    ),
)
def test_what_a_party_is_told_never_depends_on_another_partys_positions(
    utilities: list[int], stances: list[str]
) -> None:
    base = build_problem([TERRITORY, SECURITY], miami_like(), ["UA", "RU"])
    changed_positions = [p for p in miami_like() if p.party != "RU"]
    for (contested, option), utility, stance in zip(
        [(TERRITORY, "a"), (TERRITORY, "b"), (TERRITORY, "c"), (SECURITY, "a"), (SECURITY, "b")],
        utilities,
        stances,
        strict=True,
    ):
        changed_positions.append(
            pv("RU", contested.id, option, stance, priority=10 + utility % 7, utility=utility)
        )
    changed = build_problem([TERRITORY, SECURITY], changed_positions, ["UA", "RU"])
    package = {"plan/p10": "c", "plan/p5": "a"}
    assert concessions(single_party_problem(base.problem, "UA"), package) == concessions(
        single_party_problem(changed.problem, "UA"), package
    )


# ---------------------------------------------------------------- linkages as text


def test_linkages_are_read_one_a_line() -> None:
    assert parse_linkages("p10=c -> p5=a\n\n plan/p5 = b->p10=a ", [TERRITORY, SECURITY]) == [
        Linkage("plan/p10", "c", "plan/p5", "a"),
        Linkage("plan/p5", "b", "plan/p10", "a"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p10 c p5 a", "linkages line 1: write 'provision=option -> provision=option'"),
        ("p10=c -> p7=a", "linkages line 1: 'p7' is not a chosen provision"),
        ("\np10=z -> p5=a", "linkages line 2: plan/p10 has no option 'z' (options: a, b, c)"),
    ],
)
def test_bad_linkages_name_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_linkages(text, [TERRITORY, SECURITY])
