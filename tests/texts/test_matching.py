"""Provision matching: renumbered, reordered, split, merged, new, dropped; optimal assignment."""

from __future__ import annotations

from itertools import permutations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.matching import (
    DEFAULT_THRESHOLD,
    _assign,
    match_provisions,
    similarity,
)
from parley.texts.plain import PlainProvision

from .strategies import flat, version, version_pairs

P = PlainProvision

# Illustrative provisions written for these tests.
CEASEFIRE = "A full and unconditional ceasefire takes effect along the current line of contact."
ZONE = "A demilitarised zone of fifteen kilometres is created on both sides of the line."
MONITOR = "An international mission monitors the ceasefire and reports to both parties weekly."
ELECTIONS = "Presidential and parliamentary elections are held within one hundred days."
FUND = "A reconstruction fund is created and managed jointly by the donors and the government."
PRISONERS = "All prisoners of war and detained civilians are exchanged on the all for all basis."
AMNESTY = "A general amnesty covers acts committed during the conflict, except war crimes."
LANGUAGE = "Minority languages are protected in line with the European charter on languages."


def kinds(result) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    return [(s.kind, s.old_wids, s.new_wids) for s in result.suggestions]


def test_renumbered_and_reordered_points_are_found_by_content() -> None:
    old = version(flat(CEASEFIRE, ZONE, ELECTIONS, FUND))
    new = version(flat(ZONE, CEASEFIRE, FUND, ELECTIONS, prefix="q"))
    result = match_provisions(old, new)
    assert result.links() == {"p1": "q2", "p2": "q1", "p3": "q4", "p4": "q3"}
    found = {s.old_wids[0]: s for s in result.suggestions}
    assert {found[w].kind for w in ("p1", "p3")} | {found[w].kind for w in ("p2", "p4")} == {
        "same",
        "moved",
    }
    assert all(s.renumbered and s.score == 1.0 for s in result.suggestions)


def test_changed_text_is_matched_with_its_score() -> None:
    old = version(flat(CEASEFIRE, ELECTIONS))
    edited = ELECTIONS.replace("one hundred", "ninety")
    new = version(flat(CEASEFIRE, edited, prefix="q"))
    result = match_provisions(old, new)
    changed = result.by_kind("changed")
    assert [(s.old_wids, s.new_wids) for s in changed] == [(("p2",), ("q2",))]
    assert 0.8 < changed[0].score < 1.0
    assert changed[0].score == round(similarity(old.provisions[1], new.provisions[1]), 4)


def test_a_split_is_one_old_point_to_several_new_ones() -> None:
    old = version(flat(CEASEFIRE + " " + MONITOR, ELECTIONS))
    new = version(flat(CEASEFIRE, MONITOR, ELECTIONS, prefix="q"))
    result = match_provisions(old, new)
    assert kinds(result) == [
        ("split", ("p1",), ("q1", "q2")),
        ("same", ("p2",), ("q3",)),
    ]
    assert result.by_kind("split")[0].score > 0.9


def test_a_merge_is_several_old_points_to_one_new_one() -> None:
    old = version(flat(ELECTIONS, PRISONERS, AMNESTY, FUND))
    new = version(flat(ELECTIONS, PRISONERS + " " + AMNESTY, FUND, prefix="q"))
    result = match_provisions(old, new)
    assert kinds(result) == [
        ("same", ("p1",), ("q1",)),
        ("merged", ("p2", "p3"), ("q2",)),
        ("same", ("p4",), ("q3",)),
    ]


def test_unrelated_points_are_new_and_dropped_not_forced_together() -> None:
    old = version(flat(CEASEFIRE, LANGUAGE))
    new = version(flat(CEASEFIRE, FUND, prefix="q"))
    result = match_provisions(old, new)
    assert kinds(result) == [
        ("same", ("p1",), ("q1",)),
        ("dropped", ("p2",), ()),
        ("new", (), ("q2",)),
    ]
    assert result.threshold == DEFAULT_THRESHOLD
    # A low enough threshold pairs them anyway, as "changed".
    loose = match_provisions(old, new, threshold=0.05)
    assert ("changed", ("p2",), ("q2",)) in kinds(loose)


def test_the_pairing_is_optimal_over_the_whole_version_not_greedy() -> None:
    w = "one two three four five six seven eight"
    old = version(
        [P("o1", "1", None, w), P("o2", "2", None, w + " nine ten eleven twelve thirteen")]
    )
    new = version(
        [
            P("n1", "1", None, "one two three four five six alpha beta"),
            P("n2", "2", None, w + " nine"),
        ]
    )
    sim = {(o.wid, n.wid): similarity(o, n) for o in old.provisions for n in new.provisions}
    # Greedy takes the single best pair first (o1-n2) and is left with o2-n1.
    assert max(sim, key=lambda k: sim[k]) == ("o1", "n2")
    greedy = sim["o1", "n2"] + sim["o2", "n1"]
    optimal = sim["o1", "n1"] + sim["o2", "n2"]
    assert optimal > greedy
    assert match_provisions(old, new).links() == {"o1": "n1", "o2": "n2"}


def test_empty_versions() -> None:
    empty = version([])
    assert match_provisions(empty, empty).suggestions == ()
    one = version(flat(CEASEFIRE))
    assert kinds(match_provisions(empty, one)) == [("new", (), ("p1",))]
    assert kinds(match_provisions(one, empty)) == [("dropped", ("p1",), ())]


def test_identical_duplicates_pair_in_order() -> None:
    old = version(flat("Agreed.", "Agreed.", "Agreed."))
    new = version(flat("Agreed.", "Agreed.", "Agreed.", prefix="q"))
    assert match_provisions(old, new).links() == {"p1": "q1", "p2": "q2", "p3": "q3"}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.integers(1, 5).flatmap(
        lambda n: st.integers(1, 5).flatmap(
            lambda m: st.lists(
                st.lists(st.integers(0, 100), min_size=m, max_size=m), min_size=n, max_size=n
            )
        )
    )
)
def test_assignment_total_equals_the_brute_force_optimum(matrix: list[list[int]]) -> None:
    scores = np.array(matrix, dtype=np.float32)
    n_old, n_new = scores.shape
    pairs = _assign(scores, cut=0.0)
    total = sum(score for _, score in pairs.values())
    k = min(n_old, n_new)
    if n_old <= n_new:
        best = max(sum(scores[i, p[i]] for i in range(k)) for p in permutations(range(n_new), k))
    else:
        best = max(sum(scores[p[j], j] for j in range(k)) for p in permutations(range(n_old), k))
    assert abs(total - best) < 1e-3
    assert len({j for j, _ in pairs.values()}) == len(pairs) == k


@settings(max_examples=200, deadline=None, derandomize=True)
@given(version_pairs())
def test_every_provision_is_in_exactly_one_suggestion(pair: tuple) -> None:
    old, new = pair
    result = match_provisions(old, new)
    olds = [w for s in result.suggestions for w in s.old_wids]
    news = [w for s in result.suggestions for w in s.new_wids]
    assert sorted(olds) == sorted(p.wid for p in old.provisions)
    assert sorted(news) == sorted(p.wid for p in new.provisions)
    for s in result.suggestions:
        assert 0.0 <= s.score <= 1.0
        if s.kind in ("same", "moved", "changed"):
            assert s.score >= result.threshold and len(s.old_wids) == len(s.new_wids) == 1
        if s.kind == "same":
            o = next(p for p in old.provisions if p.wid == s.old_wids[0])
            n = next(p for p in new.provisions if p.wid == s.new_wids[0])
            assert (o.text, o.heading) == (n.text, n.heading)
