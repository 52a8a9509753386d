"""N-column comparison: rows through lineage, compromise last, per-cell redlines, HTML."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.compare import cell_text, compare, comparison_to_html, lineage_keys
from parley.texts.plain import PlainProvision
from parley.texts.redline import apply_ops

from .strategies import version, version_pairs

P = PlainProvision

# Illustrative four-column set: two party drafts, a mediator text, the compromise.
US = version(
    [
        P("p1", "1", None, "Ceasefire along the line of contact."),
        P("p2", "2", None, "Sanctions lifted in stages."),
        P("p3", "3", None, "Elections within 100 days."),
    ],
    label="US draft",
    author="United States",
)
EU = version(
    [
        P("p1", "1", None, "Full ceasefire along the current line of contact."),
        P("p3", "2", None, "Elections within 100 days after the ceasefire."),
        P("e1", "3", None, "Reconstruction fund managed by donors."),
    ],
    label="EU draft",
    author="European partners",
)
COMPROMISE = version(
    [
        P("p1", "1", None, "Full ceasefire along the line of contact."),
        P("c1", "2", None, "Elections within 100 days of the ceasefire."),
        P("e1", "3", None, "Reconstruction fund managed by donors."),
    ],
    label="Compromise",
    kind="compromise",
    author="Mediator",
)
MEDIATOR = version(
    [P("p1", "1", None, "Ceasefire along the line of contact.")],
    label="Mediator text",
    kind="mediator_text",
    author="Mediator",
)


def test_the_compromise_column_goes_last_whatever_the_input_order() -> None:
    result = compare([COMPROMISE, US, EU])
    assert [v.label for v in result.columns] == ["US draft", "EU draft", "Compromise"]
    explicit = compare([US, MEDIATOR, EU], compromise=1)
    assert [v.label for v in explicit.columns] == ["US draft", "EU draft", "Mediator text"]


def test_rows_join_the_same_point_by_id_and_by_lineage() -> None:
    keys = lineage_keys([("p3", "c1")])
    result = compare([US, EU, COMPROMISE], lineage=keys)
    table = {row.key: [tuple(p.wid for p in cell) for cell in row.cells] for row in result.rows}
    assert table["c1"] == [("p3",), ("p3",), ("c1",)]
    assert table["p2"] == [("p2",), (), ()]
    assert table["e1"] == [(), ("e1",), ("e1",)]
    assert len(result.rows) == 4


def test_rows_follow_the_compromise_and_slot_in_the_rest() -> None:
    result = compare([US, EU, COMPROMISE], lineage=lineage_keys([("p3", "c1")]))
    # p2 exists only in the US draft: after p1, its predecessor there.
    assert [row.key for row in result.rows] == ["p1", "p2", "c1", "e1"]


def test_without_lineage_an_unlinked_id_gets_its_own_row() -> None:
    result = compare([US, EU, COMPROMISE])
    keys = [row.key for row in result.rows]
    assert "c1" in keys and "p3" in keys


def test_differs_marks_rows_not_yet_identical_everywhere() -> None:
    result = compare([US, EU, COMPROMISE], lineage=lineage_keys([("p3", "c1")]))
    differs = {row.key: row.differs for row in result.rows}
    assert differs == {"p1": True, "p2": True, "c1": True, "e1": True}
    same = compare([EU, EU])
    assert not any(row.differs for row in same.rows)
    assert same.open_rows() == 0


def test_cells_carry_a_redline_from_the_base_column() -> None:
    result = compare([US, EU, COMPROMISE])
    p1 = next(row for row in result.rows if row.key == "p1")
    us_ops, eu_ops, compromise_ops = p1.ops
    assert us_ops == (("equal", "Ceasefire along the line of contact."),)
    assert eu_ops is not None and ("insert", " current") in eu_ops
    assert compromise_ops is not None
    assert apply_ops(cell_text(p1.cells[0]), compromise_ops) == cell_text(p1.cells[2])


def test_a_row_missing_from_the_base_column_diffs_from_the_leftmost_cell() -> None:
    result = compare([US, EU, COMPROMISE])
    e1 = next(row for row in result.rows if row.key == "e1")
    assert e1.ops[0] is None
    assert e1.ops[1] == (("equal", "Reconstruction fund managed by donors."),)


def test_a_split_puts_both_parts_in_one_cell() -> None:
    before = version([P("a", "1", None, "Ceasefire and monitoring.")])
    after = version(
        [P("b1", "1", None, "Ceasefire."), P("b2", "2", None, "Monitoring.")], label="v2"
    )
    result = compare([before, after], lineage=lineage_keys([("a", "b1"), ("a", "b2")]))
    assert len(result.rows) == 1
    assert [p.wid for p in result.rows[0].cells[1]] == ["b1", "b2"]
    assert cell_text(result.rows[0].cells[1]) == "Ceasefire.\n\nMonitoring."


def test_lineage_keys_do_not_depend_on_link_order() -> None:
    links = [("a", "b"), ("c", "b"), ("d", "e"), ("b", "f")]
    assert lineage_keys(links) == lineage_keys(list(reversed(links)))
    assert lineage_keys(links)["f"] == "a" and lineage_keys(links)["e"] == "d"


def test_bad_indices_are_refused() -> None:
    with pytest.raises(ValueError, match="compromise"):
        compare([US], compromise=3)
    with pytest.raises(ValueError, match="base"):
        compare([US], base=2)
    assert compare([]).rows == ()


def test_html_table_escapes_and_marks_rows() -> None:
    hostile = version([P("p1", "1", "<i>x</i>", "<script>alert(1)</script>")], label="<v>")
    out = comparison_to_html(compare([US, hostile]), title="A & B")
    assert "<script>" not in out and "&lt;script&gt;" in out and "&lt;v&gt;" in out
    assert "<caption>A &amp; B</caption>" in out
    assert 'class="cmp-differs"' in out and 'class="cmp-empty"' in out


@settings(max_examples=150, deadline=None, derandomize=True)
@given(version_pairs(), st.booleans())
def test_every_provision_lands_in_exactly_one_cell_of_its_column(pair: tuple, flip: bool) -> None:
    old, new = pair
    versions = [new, old] if flip else [old, new]
    result = compare(versions)
    for c, v in enumerate(result.columns):
        placed = [p.wid for row in result.rows for p in row.cells[c]]
        assert sorted(placed) == sorted(p.wid for p in v.provisions)
    # The last column reads in its own order down the rows.
    last = [p.wid for row in result.rows for p in row.cells[-1]]
    assert last == [p.wid for p in result.columns[-1].provisions]
