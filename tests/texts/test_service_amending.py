"""Re-applying amendments to a text that moved on: the pure rules, with hypothesis."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.amending import Change, apply_change, merge3, next_number
from parley.texts.plain import PlainProvision

WORDS = st.lists(
    st.sampled_from(
        [
            "the",
            "line",
            "of",
            "contact",
            "parties",
            "agree",
            "within",
            "30",
            "days",
            "ceasefire",
            "holds",
            ",",
            ".",
        ]
    ),
    min_size=1,
    max_size=25,
)


def _text(words: list[str]) -> str:
    return " ".join(words)


def _edit(words: list[str], data: st.DataObject) -> list[str]:
    out = list(words)
    for _ in range(data.draw(st.integers(0, 3))):
        i = data.draw(st.integers(0, len(out)))
        if out and data.draw(st.booleans()):
            del out[min(i, len(out) - 1)]
        else:
            out.insert(i, data.draw(st.sampled_from(["new", "firm", "verified"])))
    return out


@settings(max_examples=400, derandomize=True, deadline=None)
@given(WORDS, st.data())
def test_merge3_keeps_one_sided_changes_and_is_symmetric(
    words: list[str], data: st.DataObject
) -> None:
    base = _text(words)
    ours = _text(_edit(words, data))
    theirs = _text(_edit(words, data))
    assert merge3(base, ours, base) == ours
    assert merge3(base, base, theirs) == theirs
    assert merge3(base, ours, ours) == ours
    merged = merge3(base, ours, theirs)
    if merged is not None:
        assert merged == merge3(base, theirs, ours)


def test_merge3_merges_edits_far_apart_and_refuses_overlapping_ones() -> None:
    base = "The parties agree to a ceasefire within 30 days, verified by the mission."
    ours = "The parties agree to a full ceasefire within 30 days, verified by the mission."
    theirs = "The parties agree to a ceasefire within 30 days, verified by the monitors."
    assert merge3(base, ours, theirs) == (
        "The parties agree to a full ceasefire within 30 days, verified by the monitors."
    )
    clash = "The parties agree to a partial ceasefire within 30 days, verified by the mission."
    assert merge3(base, ours, clash) is None


P = [
    PlainProvision("p1", "1", None, "First."),
    PlainProvision("p2", "2", "Border", "The border stays."),
    PlainProvision("p3", "3", None, "Third."),
]


def _ids(number: str) -> str:
    return f"n{number}"


def test_a_substitution_conflicts_only_where_the_point_changed_since_the_base() -> None:
    change = Change("substitute", wid="p2", text="The border moves.", label="am-1")
    clean = apply_change(P, P, change, new_wid=_ids)
    assert clean.ok and clean.provisions[1].text == "The border moves."
    moved_on = [P[0], PlainProvision("p2", "2", "Border", "The border stays put."), P[2]]
    bad = apply_change(P, moved_on, change, new_wid=_ids)
    assert not bad.ok and bad.conflicts == (
        "am-1: point 2 changed since the base version, in the words the amendment changes",
    )
    assert bad.provisions == tuple(moved_on)
    gone = apply_change(P, [P[0], P[2]], change, new_wid=_ids)
    assert "no longer in the current text" in gone.conflicts[0]


def test_insert_move_split_merge_delete() -> None:
    inserted = apply_change(P, P, Change("insert", after_wid="p2", text="New."), new_wid=_ids)
    assert [p.number for p in inserted.provisions] == ["1", "2", "2a", "3"]
    assert inserted.created == ("n2a",)
    moved = apply_change(P, P, Change("move", wid="p3", after_wid="p1"), new_wid=_ids)
    assert [p.wid for p in moved.provisions] == ["p1", "p3", "p2"]
    assert [p.number for p in moved.provisions] == ["1", "3", "2"]  # never renumbered
    split = apply_change(P, P, Change("split", wid="p2", parts=("One.", "Two.")), new_wid=_ids)
    assert [(p.number, p.text) for p in split.provisions[1:3]] == [("2", "One."), ("2a", "Two.")]
    assert ("p2", "n2a", "split") in split.lineage
    merged = apply_change(
        P, P, Change("merge", wid="p1", parts=("p3",), text="One and three."), new_wid=_ids
    )
    assert [p.wid for p in merged.provisions] == ["p1", "p2"]
    deleted = apply_change(P, P, Change("delete", wid="p3"), new_wid=_ids)
    assert [p.wid for p in deleted.provisions] == ["p1", "p2"]


def test_next_number_never_renumbers() -> None:
    assert next_number("7", {"7", "8"}) == "7a"
    assert next_number("7", {"7", "7a"}) == "7b"
    assert next_number("7a", {"7", "7a"}) == "7b"
    assert next_number(None, {"1"}) == "0"
