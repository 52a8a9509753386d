"""Word-level redlines between two versions of a document.

Provisions are paired by permanent id (``wid``), or by confirmed lineage links when the two
versions use different ids. Each pair's text is diffed word by word with diff-match-patch:
every token (a word or one punctuation mark, with the whitespace before it) is mapped to one
private character, the character strings are diffed, and a semantic clean-up merges
fragments into readable phrases, the same trick as diff-match-patch's line mode.

A paired provision whose position relative to the other pairs changed (it is outside the
longest run of pairs kept in order), or whose parent changed, is ``moved``: it is shown once,
where it now stands, with its text changes, not as a deletion plus an insertion.

The guarantee the tests check: for every row, the ``equal`` and ``delete`` pieces of ``ops``
concatenate to the old text and the ``equal`` and ``insert`` pieces to the new text, exactly.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from diff_match_patch import diff_match_patch

from parley.texts.plain import PlainProvision, PlainVersion

__all__ = [
    "Op",
    "Redline",
    "RedlineRow",
    "apply_ops",
    "new_side",
    "old_side",
    "ops_to_html",
    "redline",
    "redline_to_dict",
    "redline_to_html",
    "redline_to_json",
    "redline_to_markdown",
    "word_diff",
]

Op = tuple[str, str]  # ("equal" | "insert" | "delete", text)
Status = Literal["same", "changed", "inserted", "deleted", "moved"]

# A token is a word or one punctuation mark with the whitespace before it, or trailing
# whitespace. Keeping the space with the word halves the tokens (and the diff time) and still
# reads well: inserting " current" before " line" rather than "current " after "the ".
_TOKEN = re.compile(r"\s*\w+|\s*[^\w\s]|\s+")
_EQUAL, _INSERT, _DELETE = "equal", "insert", "delete"
_DMP_OP = {0: _EQUAL, 1: _INSERT, -1: _DELETE}


class _Tokens:
    """Maps each distinct token to one character, shared by all diffs of a redline."""

    def __init__(self) -> None:
        self.char_of: dict[str, str] = {}
        self.tokens: list[str] = []

    def encode(self, text: str) -> str:
        out = []
        for token in _TOKEN.findall(text):
            char = self.char_of.get(token)
            if char is None:
                code = len(self.tokens) + 1
                if code >= 0xD800:  # skip the surrogate block: not valid on its own
                    code += 0x800
                char = chr(code)
                self.char_of[token] = char
                self.tokens.append(token)
            out.append(char)
        return "".join(out)

    def decode(self, chars: str) -> str:
        tokens = self.tokens
        return "".join(tokens[(c if c < 0xD800 else c - 0x800) - 1] for c in map(ord, chars))


def word_diff(
    old: str, new: str, *, timeout: float = 1.0, _tokens: _Tokens | None = None
) -> list[Op]:
    """Word-level diff of two strings as ``(op, text)`` pieces, merged and readable."""
    if old == new:
        return [(_EQUAL, old)] if old else []
    if not old:
        return [(_INSERT, new)]
    if not new:
        return [(_DELETE, old)]
    tokens = _tokens or _Tokens()
    a, b = tokens.encode(old), tokens.encode(new)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(a, b, False)
    dmp.diff_cleanupSemantic(diffs)
    ops: list[Op] = []
    for code, chars in diffs:
        text = tokens.decode(chars)
        if not text:
            continue
        op = _DMP_OP[code]
        if ops and ops[-1][0] == op:
            ops[-1] = (op, ops[-1][1] + text)
        else:
            ops.append((op, text))
    return ops


def old_side(ops: Iterable[Op]) -> str:
    return "".join(text for op, text in ops if op != _INSERT)


def new_side(ops: Iterable[Op]) -> str:
    return "".join(text for op, text in ops if op != _DELETE)


def apply_ops(old: str, ops: Iterable[Op]) -> str:
    """Apply ``ops`` to ``old`` and return the new text; raise if they do not fit ``old``."""
    out: list[str] = []
    at = 0
    for op, text in ops:
        if op == _INSERT:
            out.append(text)
            continue
        if old[at : at + len(text)] != text:
            raise ValueError(f"{op} of {text!r} does not match the old text at {at}")
        at += len(text)
        if op == _EQUAL:
            out.append(text)
    if at != len(old):
        raise ValueError(f"ops cover {at} of {len(old)} characters of the old text")
    return "".join(out)


@dataclass(frozen=True)
class RedlineRow:
    status: Status
    old: PlainProvision | None
    new: PlainProvision | None
    ops: tuple[Op, ...]
    heading_ops: tuple[Op, ...] = ()
    old_position: int | None = None
    new_position: int | None = None
    moved_after: str | None = None  # for moved rows: the old number it used to follow

    @property
    def wid(self) -> str:
        provision = self.new or self.old
        assert provision is not None
        return provision.wid

    @property
    def renumbered(self) -> bool:
        return self.old is not None and self.new is not None and self.old.number != self.new.number

    @property
    def text_changed(self) -> bool:
        return any(op != _EQUAL for op, _ in self.ops) or any(
            op != _EQUAL for op, _ in self.heading_ops
        )


@dataclass(frozen=True)
class Redline:
    old_label: str
    new_label: str
    rows: tuple[RedlineRow, ...]

    def counts(self) -> dict[str, int]:
        """Rows per status, plus words inserted and deleted over the whole redline."""
        counts = {"same": 0, "changed": 0, "inserted": 0, "deleted": 0, "moved": 0}
        words_in = words_out = 0
        for row in self.rows:
            counts[row.status] += 1
            for op, text in (*row.heading_ops, *row.ops):
                if op == _INSERT:
                    words_in += len(re.findall(r"\w+", text))
                elif op == _DELETE:
                    words_out += len(re.findall(r"\w+", text))
        counts["words_inserted"] = words_in
        counts["words_deleted"] = words_out
        return counts


def _pairs(
    old: tuple[PlainProvision, ...],
    new: tuple[PlainProvision, ...],
    links: Mapping[str, str] | None,
) -> dict[str, str]:
    """Old wid → new wid: confirmed links first, then the same wid on both sides."""
    old_wids = {p.wid for p in old}
    new_wids = {p.wid for p in new}
    pairs: dict[str, str] = {}
    used: set[str] = set()
    for o, n in (links or {}).items():
        if o in old_wids and n in new_wids:
            if n in used:
                raise ValueError(f"link to {n} is given twice; a redline pairs one to one")
            pairs[o] = n
            used.add(n)
    for p in old:
        if p.wid not in pairs and p.wid in new_wids and p.wid not in used:
            pairs[p.wid] = p.wid
            used.add(p.wid)
    return pairs


def _longest_increasing(values: list[int], weights: list[int] | None = None) -> set[int]:
    """Indices into ``values`` (distinct non-negative ints) of an increasing subsequence of the
    greatest total weight, in O(n log n) with a Fenwick tree of prefix maxima.

    With text lengths as weights, the provisions called "moved" are those carrying the least
    text, which is what a reader expects when two neighbours swap places.
    """
    if not values:
        return set()
    w = weights or [1] * len(values)
    size = max(values) + 1
    tree: list[tuple[int, int]] = [(0, -1)] * (size + 1)  # (best total, index ending it)
    back = [-1] * len(values)
    best = (0, -1)
    for i, v in enumerate(values):
        q, k = (0, -1), v  # best chain ending at a value < v
        while k > 0:
            q = max(q, tree[k])
            k -= k & -k
        back[i] = q[1]
        entry = (q[0] + w[i], i)
        best = max(best, entry)
        k = v + 1
        while k <= size:
            if entry > tree[k]:
                tree[k] = entry
            k += k & -k
    keep: set[int] = set()
    i = best[1]
    while i != -1:
        keep.add(i)
        i = back[i]
    return keep


def redline(
    old: PlainVersion,
    new: PlainVersion,
    *,
    links: Mapping[str, str] | None = None,
    timeout: float = 1.0,
) -> Redline:
    """The redline from ``old`` to ``new``.

    ``links`` maps old wids to new wids for provisions known to be the same point under
    different ids (confirmed lineage); otherwise provisions pair by equal wid. Rows follow
    the new version's order; a deleted provision appears after the nearest earlier old
    provision that kept its place.
    """
    pairs = _pairs(old.provisions, new.provisions, links)
    old_pos = {p.wid: i for i, p in enumerate(old.provisions)}
    new_pos = {p.wid: i for i, p in enumerate(new.provisions)}
    reverse = {n: o for o, n in pairs.items()}

    by_old = {p.wid: p for p in old.provisions}
    in_old_order = [p.wid for p in old.provisions if p.wid in pairs]
    keep_index = _longest_increasing(
        [new_pos[pairs[w]] for w in in_old_order],
        [len(by_old[w].text) + 1 for w in in_old_order],
    )
    stable = {w for i, w in enumerate(in_old_order) if i in keep_index}
    for w in list(stable):
        o, n = by_old[w], new.provisions[new_pos[pairs[w]]]
        mapped_parent = pairs.get(o.parent_wid) if o.parent_wid else None
        if (o.parent_wid is None) != (n.parent_wid is None) or mapped_parent != n.parent_wid:
            stable.discard(w)

    tokens = _Tokens()

    def diff(a: str | None, b: str | None) -> tuple[Op, ...]:
        return tuple(word_diff(a or "", b or "", timeout=timeout, _tokens=tokens))

    # Deleted old provisions hang after the nearest earlier old provision that kept its place.
    after_new: dict[int, list[RedlineRow]] = {}
    anchor: int = -1
    for i, o in enumerate(old.provisions):
        if o.wid in stable:
            anchor = new_pos[pairs[o.wid]]
        elif o.wid not in pairs:
            row = RedlineRow(
                status="deleted",
                old=o,
                new=None,
                ops=diff(o.text, None),
                heading_ops=diff(o.heading, None),
                old_position=i,
            )
            after_new.setdefault(anchor, []).append(row)

    rows: list[RedlineRow] = list(after_new.get(-1, []))
    for j, n in enumerate(new.provisions):
        o_wid = reverse.get(n.wid)
        if o_wid is None:
            rows.append(
                RedlineRow(
                    status="inserted",
                    old=None,
                    new=n,
                    ops=diff(None, n.text),
                    heading_ops=diff(None, n.heading),
                    new_position=j,
                )
            )
        else:
            o = by_old[o_wid]
            i = old_pos[o_wid]
            status: Status
            if o_wid not in stable:
                status = "moved"
            elif o.text != n.text or (o.heading or None) != (n.heading or None):
                status = "changed"  # a new number alone is not a change: see ``renumbered``
            else:
                status = "same"
            rows.append(
                RedlineRow(
                    status=status,
                    old=o,
                    new=n,
                    ops=diff(o.text, n.text),
                    heading_ops=diff(o.heading, n.heading),
                    old_position=i,
                    new_position=j,
                    moved_after=(
                        old.provisions[i - 1].number if status == "moved" and i > 0 else None
                    ),
                )
            )
        rows.extend(after_new.get(j, []))
    return Redline(old_label=old.label, new_label=new.label, rows=tuple(rows))


# ---------------------------------------------------------------- renderers


def redline_to_dict(result: Redline) -> dict[str, Any]:
    def number(p: PlainProvision | None) -> str | None:
        return p.number if p else None

    return {
        "old": result.old_label,
        "new": result.new_label,
        "counts": result.counts(),
        "rows": [
            {
                "status": row.status,
                "wid": row.wid,
                "old_wid": row.old.wid if row.old else None,
                "new_wid": row.new.wid if row.new else None,
                "old_number": number(row.old),
                "new_number": number(row.new),
                "renumbered": row.renumbered,
                "moved_after": row.moved_after,
                "heading_ops": [list(op) for op in row.heading_ops],
                "ops": [list(op) for op in row.ops],
            }
            for row in result.rows
        ],
    }


def redline_to_json(result: Redline, *, indent: int | None = None) -> str:
    return json.dumps(redline_to_dict(result), ensure_ascii=False, indent=indent)


def ops_to_html(ops: Iterable[Op]) -> str:
    out = []
    for op, text in ops:
        body = html.escape(text).replace("\n", "<br>\n")
        if op == _INSERT:
            out.append(f'<ins class="rl-ins">{body}</ins>')
        elif op == _DELETE:
            out.append(f'<del class="rl-del">{body}</del>')
        else:
            out.append(body)
    return "".join(out)


_STATUS_NOTE = {
    "inserted": "New point",
    "deleted": "Deleted point",
}


def _moved_note(row: RedlineRow) -> str:
    assert row.old is not None
    where = f"after point {row.moved_after}" if row.moved_after else "at the start"
    return f"Moved: was point {row.old.number}, {where}"


def redline_to_html(result: Redline) -> str:
    """An HTML fragment: one ``<section>`` per row; ``<ins>``/``<del>`` carry classes.

    Every piece of text is escaped; classes are ``rl-<status>`` on the section and
    ``rl-ins``/``rl-del`` on changes, for the stylesheet to colour.
    """
    parts = [
        f'<div class="redline" data-old="{html.escape(result.old_label)}" '
        f'data-new="{html.escape(result.new_label)}">'
    ]
    for row in result.rows:
        wid = html.escape(row.wid)
        parts.append(f'<section class="rl-row rl-{row.status}" id="rl-{wid}" data-wid="{wid}">')
        if row.renumbered:
            assert row.old is not None and row.new is not None
            number = (
                f'<del class="rl-del">{html.escape(row.old.number)}.</del>'
                f'<ins class="rl-ins">{html.escape(row.new.number)}.</ins>'
            )
        else:
            provision = row.new or row.old
            assert provision is not None
            number = html.escape(provision.number) + "."
        note = _moved_note(row) if row.status == "moved" else _STATUS_NOTE.get(row.status)
        parts.append(f'<p class="rl-number">{number}</p>')
        if note:
            parts.append(f'<p class="rl-note">{html.escape(note)}</p>')
        if row.heading_ops:
            parts.append(f'<h3 class="rl-heading">{ops_to_html(row.heading_ops)}</h3>')
        parts.append(f'<p class="rl-text">{ops_to_html(row.ops)}</p>')
        parts.append("</section>")
    parts.append("</div>")
    return "\n".join(parts)


_MD_SPECIAL = re.compile(r"([\\`*_~\[\]<>])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_wrap(text: str, left: str, right: str) -> str:
    """Wrap each line's non-blank core, keeping whitespace outside the markers.

    CommonMark ignores ``**`` and ``~~`` next to whitespace on the inner side, so
    ``** word**`` would not render; ``**word** `` does.
    """
    out = []
    for line in re.split(r"(\n)", text):
        if line == "\n":
            out.append(line)
            continue
        core = line.strip()
        if not core:
            out.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        out.append(f"{lead}{left}{_md_escape(core)}{right}{trail}")
    return "".join(out)


def _md_ops(ops: Iterable[Op], style: str) -> str:
    out = []
    for op, text in ops:
        if op == _EQUAL:
            out.append(_md_escape(text))
        elif style == "critic":
            mark = "++" if op == _INSERT else "--"
            core = text.strip()
            if not core:
                out.append("{" + mark + text + mark + "}")
                continue
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()) :]
            out.append(lead + "{" + mark + core + mark + "}" + trail)
        elif op == _INSERT:
            out.append(_md_wrap(text, "**", "**"))
        else:
            out.append(_md_wrap(text, "~~", "~~"))
    return "".join(out)


def redline_to_markdown(result: Redline, *, style: Literal["gfm", "critic"] = "gfm") -> str:
    """Markdown: ``gfm`` marks deletions ``~~struck~~`` and insertions ``**bold**`` (renders in
    any GitHub-flavoured viewer); ``critic`` uses CriticMarkup ``{--deleted--}{++inserted++}``.
    """
    lines = [f"# Redline: {_md_escape(result.old_label)} → {_md_escape(result.new_label)}", ""]
    for row in result.rows:
        if row.renumbered:
            assert row.old is not None and row.new is not None
            number = _md_ops(
                [(_DELETE, row.old.number + "."), (_INSERT, row.new.number + ".")], style
            )
        else:
            provision = row.new or row.old
            assert provision is not None
            number = _md_escape(provision.number) + "."
        head = f"### {number}"
        if row.heading_ops:
            head += " " + _md_ops(row.heading_ops, style)
        note = _moved_note(row) if row.status == "moved" else _STATUS_NOTE.get(row.status)
        if note:
            head += f" _[{_md_escape(note)}]_"
        lines.append(head)
        lines.append("")
        if row.ops:
            lines.append(_md_ops(row.ops, style))
            lines.append("")
    return "\n".join(lines)
