"""N-column comparison: any set of versions side by side, one row per provision.

Like the EU's four-column document: each party's version in its own column and the compromise
column last. Provisions share a row when they are the same point, which means the same
permanent id (``wid``) or a confirmed lineage link between their ids. A split or a merge puts
all its parts in one row, so a cell may hold several provisions.

Rows follow the compromise column (the last); provisions it lacks are slotted in after their
predecessor in the nearest column to the left that has them. Each cell carries a word-level
redline from the row's base cell (the first column by default, or the leftmost column that has
the row), which is what the HTML and DOCX exports highlight.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from parley.texts.plain import PlainProvision, PlainVersion
from parley.texts.redline import Op, _Tokens, ops_to_html, word_diff

__all__ = [
    "Comparison",
    "ComparisonRow",
    "cell_text",
    "compare",
    "comparison_to_html",
    "lineage_keys",
]


@dataclass(frozen=True)
class ComparisonRow:
    key: str  # the lineage key shared by every provision in the row
    cells: tuple[tuple[PlainProvision, ...], ...]  # one entry per column; () when absent
    ops: tuple[tuple[Op, ...] | None, ...]  # per column, from the base cell; None when absent
    differs: bool  # some column lacks the point or says something else


@dataclass(frozen=True)
class Comparison:
    columns: tuple[PlainVersion, ...]
    rows: tuple[ComparisonRow, ...]

    def open_rows(self) -> int:
        """How many rows are not yet the same in every column."""
        return sum(1 for row in self.rows if row.differs)


def lineage_keys(links: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Group wids joined by confirmed links (old wid, new wid) into one key per group.

    Union-find; the key of a group is its smallest wid, so the result does not depend on the
    order of the links.
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {x: find(x) for x in parent}


def cell_text(cell: Sequence[PlainProvision]) -> str:
    """The text of a cell: its provisions' texts, blank-line separated."""
    return "\n\n".join(p.text for p in cell)


def _heading_and_text(cell: Sequence[PlainProvision]) -> tuple[tuple[str | None, str], ...]:
    return tuple((p.heading or None, p.text) for p in cell)


def compare(
    versions: Sequence[PlainVersion],
    *,
    lineage: Mapping[str, str] | None = None,
    compromise: int | None = None,
    base: int = 0,
) -> Comparison:
    """Compare ``versions`` side by side.

    ``lineage`` maps a wid to its row key (see :func:`lineage_keys`); a wid it does not
    mention is its own key. ``compromise`` is the index (in ``versions``) of the column to
    put last; by default versions of kind ``compromise`` move last, keeping their order.
    ``base`` is the column (after reordering) the per-cell redlines start from.
    """
    if not versions:
        return Comparison(columns=(), rows=())
    order = list(range(len(versions)))
    if compromise is not None:
        if not 0 <= compromise < len(versions):
            raise ValueError(f"compromise: no version at index {compromise}")
        order = [i for i in order if i != compromise] + [compromise]
    else:
        order = [i for i in order if versions[i].kind != "compromise"] + [
            i for i in order if versions[i].kind == "compromise"
        ]
    columns = tuple(versions[i] for i in order)
    if not 0 <= base < len(columns):
        raise ValueError(f"base: no column at index {base}")
    key_of = dict(lineage or {})

    def key(p: PlainProvision) -> str:
        return key_of.get(p.wid, p.wid)

    cells: dict[str, list[list[PlainProvision]]] = {}
    column_keys: list[list[str]] = []
    for c, version in enumerate(columns):
        keys: list[str] = []
        seen: set[str] = set()
        for p in version.provisions:
            k = key(p)
            row = cells.setdefault(k, [[] for _ in columns])
            row[c].append(p)
            if k not in seen:
                seen.add(k)
                keys.append(k)
        column_keys.append(keys)

    merged: list[str] = list(column_keys[-1])
    placed = set(merged)
    for keys in reversed(column_keys[:-1]):
        previous: int | None = None
        for k in keys:
            if k in placed:
                previous = merged.index(k)
                continue
            at = 0 if previous is None else previous + 1
            merged.insert(at, k)
            placed.add(k)
            previous = at

    tokens = _Tokens()
    rows = []
    for k in merged:
        row_cells = tuple(tuple(cell) for cell in cells[k])
        present = [c for c, cell in enumerate(row_cells) if cell]
        base_col = base if row_cells[base] else present[0]
        base_text = cell_text(row_cells[base_col])
        ops = tuple(
            tuple(word_diff(base_text, cell_text(cell), _tokens=tokens)) if cell else None
            for cell in row_cells
        )
        contents = {_heading_and_text(cell) for cell in row_cells}
        rows.append(
            ComparisonRow(
                key=k,
                cells=row_cells,
                ops=ops,
                differs=len(present) != len(row_cells) or len(contents) > 1,
            )
        )
    return Comparison(columns=columns, rows=tuple(rows))


def _cell_html(cell: tuple[PlainProvision, ...], ops: tuple[Op, ...] | None) -> str:
    if not cell:
        return '<td class="cmp-empty"></td>'
    numbers = ", ".join(p.number for p in cell)
    headings = " / ".join(p.heading for p in cell if p.heading)
    parts = [f'<td><p class="cmp-number">{html.escape(numbers)}.</p>']
    if headings:
        parts.append(f'<p class="cmp-heading">{html.escape(headings)}</p>')
    parts.append(f'<p class="cmp-text">{ops_to_html(ops or ())}</p></td>')
    return "".join(parts)


def comparison_to_html(comparison: Comparison, *, title: str | None = None) -> str:
    """A standalone HTML table (one column per version, compromise last), every text escaped.

    Cells other than the base show the word-level changes from the base cell as
    ``<ins>``/``<del>``; rows that differ carry the class ``cmp-differs``.
    """
    head = "".join(
        f"<th>{html.escape(v.label)}<br><small>{html.escape(v.author)} · "
        f"{html.escape(v.kind.replace('_', ' '))}"
        f"{' · ' + html.escape(v.date) if v.date else ''}</small></th>"
        for v in comparison.columns
    )
    body = []
    for row in comparison.rows:
        css = ' class="cmp-differs"' if row.differs else ""
        cells = "".join(_cell_html(cell, ops) for cell, ops in zip(row.cells, row.ops, strict=True))
        body.append(f'<tr{css} data-key="{html.escape(row.key)}">{cells}</tr>')
    caption = f"<caption>{html.escape(title)}</caption>" if title else ""
    return (
        f'<table class="comparison">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>\n" + "\n".join(body) + "\n</tbody></table>"
    )
