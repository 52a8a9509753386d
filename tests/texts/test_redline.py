"""Word-level redlines: pairing by permanent id, moves, renderers, and the apply property."""

from __future__ import annotations

import json
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.plain import PlainProvision
from parley.texts.redline import (
    _longest_increasing,
    apply_ops,
    new_side,
    old_side,
    redline,
    redline_to_dict,
    redline_to_html,
    redline_to_json,
    redline_to_markdown,
    word_diff,
)

from .strategies import flat, free_text, version, version_pairs, word_text

P = PlainProvision

# Illustrative texts written for these tests.
OLD = version(
    [
        P(
            "p1",
            "1",
            None,
            "The parties agree to an immediate ceasefire along the line of contact.",
        ),
        P("p2", "2", None, "Sanctions will be lifted in stages."),
        P("p3", "3", "Security", "Guarantees will be provided by the partners for ten years."),
        P("p4", "4", None, "Elections will be held within 100 days."),
    ],
    label="US draft",
)
NEW = version(
    [
        P("p1", "1", None, "The parties agree to a full and immediate ceasefire along the line."),
        P("p4", "2", None, "Elections will be held within 100 days."),
        P("p3", "3", "Security", "Guarantees will be provided by the partners for ten years."),
        P("p5", "4", None, "Prisoners are exchanged all for all."),
    ],
    label="EU counter-proposal",
)


def test_rows_follow_the_new_order_and_say_what_happened() -> None:
    result = redline(OLD, NEW)
    assert [(row.status, row.wid) for row in result.rows] == [
        ("changed", "p1"),
        ("deleted", "p2"),
        ("moved", "p4"),
        ("same", "p3"),
        ("inserted", "p5"),
    ]


def test_a_moved_provision_is_shown_once_as_moved_not_deleted_and_inserted() -> None:
    result = redline(OLD, NEW)
    rows = [row for row in result.rows if row.wid == "p4"]
    assert len(rows) == 1
    (moved,) = rows
    assert moved.status == "moved"
    assert moved.renumbered
    assert moved.moved_after == "3"
    assert moved.ops == (("equal", "Elections will be held within 100 days."),)


def test_when_neighbours_swap_the_shorter_one_is_the_one_that_moved() -> None:
    long_text = "A long provision about the demilitarised zone and its monitoring mission."
    old = version(flat(long_text, "Short one."))
    new = version([P("p2", "1", None, "Short one."), P("p1", "2", None, long_text)])
    statuses = {row.wid: row.status for row in redline(old, new).rows}
    assert statuses == {"p1": "same", "p2": "moved"}


def test_a_sub_point_that_changes_parent_is_moved() -> None:
    old = version(
        [P("a", "1", None, "One."), P("b", "2", None, "Two."), P("c", "2(a)", None, "Sub", "b")]
    )
    new = version(
        [P("a", "1", None, "One."), P("c", "1(a)", None, "Sub", "a"), P("b", "2", None, "Two.")]
    )
    statuses = {row.wid: row.status for row in redline(old, new).rows}
    assert statuses["c"] == "moved"


def test_words_are_the_unit_of_change() -> None:
    ops = word_diff("the line of contact", "the current line of contact")
    assert ops == [("equal", "the"), ("insert", " current"), ("equal", " line of contact")]
    ops = word_diff("a ceasefire", "a cease-fire")
    assert ("delete", " ceasefire") in ops  # whole words, never letters
    ops = word_diff("ceasefire within 30 days", "ceasefire within 60 days")
    assert ("delete", " 30") in ops and ("insert", " 60") in ops


def test_links_pair_provisions_with_different_ids() -> None:
    old = version(flat("Ceasefire now.", "Elections soon."))
    new = version(flat("Ceasefire now.", "Elections in 100 days.", prefix="q"))
    result = redline(old, new, links={"p1": "q1", "p2": "q2"})
    assert [row.status for row in result.rows] == ["same", "changed"]
    unlinked = redline(old, new)
    assert sorted(row.status for row in unlinked.rows) == [
        "deleted",
        "deleted",
        "inserted",
        "inserted",
    ]


def test_a_link_to_the_same_new_provision_twice_is_refused() -> None:
    old = version(flat("A.", "B."))
    new = version(flat("AB.", prefix="q"))
    with pytest.raises(ValueError, match="q1"):
        redline(old, new, links={"p1": "q1", "p2": "q1"})


def test_a_deleted_provision_stays_after_its_old_neighbour() -> None:
    old = version(flat("One.", "Two.", "Three."))
    new = version([P("p1", "1", None, "One."), P("p3", "2", None, "Three.")])
    rows = redline(old, new).rows
    assert [(row.status, row.wid) for row in rows] == [
        ("same", "p1"),
        ("deleted", "p2"),
        ("same", "p3"),
    ]
    assert rows[2].renumbered and not rows[0].renumbered  # p3 is now point 2


def test_counts_cover_rows_and_words() -> None:
    counts = redline(OLD, NEW).counts()
    assert counts["moved"] == 1 and counts["inserted"] == 1 and counts["deleted"] == 1
    assert counts["words_inserted"] >= 2 + 6  # "a full and" + the new provision
    assert counts["words_deleted"] >= 6  # "an", "of contact" + the sanctions provision


def test_html_escapes_text_and_marks_changes_with_classes() -> None:
    old = version(flat("Keep this & that"))
    new = version(flat("Keep <script>alert(1)</script> & that"))
    out = redline_to_html(redline(old, new))
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert '<del class="rl-del">' in out and '<ins class="rl-ins">' in out
    assert 'class="rl-row rl-changed"' in out


def test_html_labels_moves_and_renumbering() -> None:
    out = redline_to_html(redline(OLD, NEW))
    assert "Moved: was point 4, after point 3" in out
    assert '<del class="rl-del">4.</del><ins class="rl-ins">2.</ins>' in out


def test_markdown_gfm_strikes_deletions_and_bolds_insertions_outside_whitespace() -> None:
    old = version(flat("ceasefire within 30 days"))
    new = version(flat("ceasefire within 60 days"))
    out = redline_to_markdown(redline(old, new))
    assert "~~30~~" in out and "**60**" in out
    moved = redline_to_markdown(redline(OLD, NEW))
    assert "~~4.~~**2.**" in moved and "_[Moved: was point 4, after point 3]_" in moved
    # Inserted text with leading space keeps the space outside the markers.
    assert "** full and**" not in moved


def test_markdown_critic_style() -> None:
    old = version(flat("ceasefire within 30 days"))
    new = version(flat("ceasefire within 60 days"))
    out = redline_to_markdown(redline(old, new), style="critic")
    assert "{--30--}" in out and "{++60++}" in out


def test_markdown_escapes_markup_in_the_text() -> None:
    old = version(flat("a *starred* word"))
    new = version(flat("a *starred* word and more"))
    out = redline_to_markdown(redline(old, new))
    assert r"\*starred\*" in out


def test_json_is_the_dict_and_round_trips() -> None:
    result = redline(OLD, NEW)
    data = json.loads(redline_to_json(result))
    assert data == json.loads(json.dumps(redline_to_dict(result)))
    assert data["old"] == "US draft" and data["new"] == "EU counter-proposal"
    first = data["rows"][0]
    assert first["status"] == "changed" and first["ops"][0] == ["equal", "The parties agree to"]
    assert data["counts"]["moved"] == 1


def test_apply_ops_refuses_ops_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        apply_ops("abc", [("equal", "abd")])
    with pytest.raises(ValueError):
        apply_ops("abc", [("equal", "ab")])


# ---------------------------------------------------------------- properties


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(free_text, free_text)
def test_word_diff_applied_to_the_old_text_gives_the_new_text(old: str, new: str) -> None:
    ops = word_diff(old, new)
    assert apply_ops(old, ops) == new
    assert old_side(ops) == old and new_side(ops) == new
    assert all(text for _, text in ops)
    assert all(a[0] != b[0] for a, b in zip(ops, ops[1:], strict=False))  # merged


@settings(max_examples=300, deadline=None, derandomize=True)
@given(version_pairs())
def test_every_row_of_a_redline_turns_old_into_new(pair: tuple) -> None:
    old, new = pair
    result = redline(old, new)
    for row in result.rows:
        old_text = row.old.text if row.old else ""
        new_text = row.new.text if row.new else ""
        assert apply_ops(old_text, row.ops) == new_text
        old_heading = (row.old.heading if row.old else None) or ""
        new_heading = (row.new.heading if row.new else None) or ""
        assert apply_ops(old_heading, row.heading_ops) == new_heading
    # Every provision appears exactly once, and the new ones in the new order.
    assert sorted(r.old.wid for r in result.rows if r.old) == sorted(p.wid for p in old.provisions)
    assert [r.new.wid for r in result.rows if r.new] == [p.wid for p in new.provisions]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(version_pairs(text=free_text))
def test_redline_property_holds_for_arbitrary_characters(pair: tuple) -> None:
    old, new = pair
    for row in redline(old, new).rows:
        assert apply_ops(row.old.text if row.old else "", row.ops) == (
            row.new.text if row.new else ""
        )


def _best_weight_reference(values: list[int], weights: list[int]) -> int:
    """Brute force over every subsequence: the reference for the Fenwick-tree version."""
    best = 0
    n = len(values)
    for size in range(n + 1):
        for idx in combinations(range(n), size):
            if all(values[a] < values[b] for a, b in zip(idx, idx[1:], strict=False)):
                best = max(best, sum(weights[i] for i in idx))
    return best


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.permutations(list(range(7))), st.lists(st.integers(1, 9), min_size=7, max_size=7))
def test_kept_run_is_a_heaviest_increasing_subsequence(
    values: list[int], weights: list[int]
) -> None:
    n = len(values)
    keep = _longest_increasing(values, weights)
    kept = sorted(keep)
    assert all(values[a] < values[b] for a, b in zip(kept, kept[1:], strict=False))
    assert sum(weights[i] for i in keep) == _best_weight_reference(values[:n], weights[:n])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(word_text(min_words=3))
def test_an_unchanged_version_is_all_same(text: str) -> None:
    v = version(flat(text, text + " again"))
    assert {row.status for row in redline(v, v).rows} == {"same"}
