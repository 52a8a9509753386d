"""Applying amendments to a text: pure functions over the plain dataclasses, no database.

An amendment is drafted against a *base* version but is accepted into the *current* text,
which may have moved on since. :func:`apply_change` re-applies it where it still applies and
reports a conflict where it does not:

* ``substitute``: when the provision's text in the current text is still the base text, the
  new text replaces it. When it changed, the two edits are merged word by word
  (:func:`merge3`); edits that touch the same words are a conflict ("changed since the base").
* ``delete``, ``split``, ``merge``: the provision(s) must be unchanged since the base.
* ``insert``, ``move``: the point they go after must still be in the text; the moved
  provision must be there too. A move keeps the provision's current text.
* A provision missing from the current text is always a conflict.

Numbers are display data and are never renumbered: an inserted point after 7 becomes 7a
(or the next free letter), the parts of a split 7 become 7, 7a, 7b...
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from parley.texts.plain import PlainProvision, PlainVersion
from parley.texts.redline import Op, word_diff

__all__ = [
    "Applied",
    "Change",
    "Edit",
    "edits_of",
    "merge3",
    "next_number",
    "apply_change",
]

KINDS = ("substitute", "insert", "delete", "move", "split", "merge")
_TOP = re.compile(r"^(?P<n>\d+)(?P<letter>[a-z]?)$")


@dataclass(frozen=True)
class Change:
    """An amendment as plain data. ``parts``: split texts, or the wids merged into ``wid``."""

    kind: str
    wid: str | None = None
    after_wid: str | None = None
    text: str = ""
    heading: str = ""
    number: str = ""
    parts: tuple[str, ...] = ()
    label: str = ""  # how to name it in messages, e.g. the amendment's key


@dataclass(frozen=True)
class Applied:
    provisions: tuple[PlainProvision, ...]
    conflicts: tuple[str, ...] = ()
    created: tuple[str, ...] = ()  # wids of provisions the change created
    merged: bool = False  # a substitution that needed a three-way merge
    lineage: tuple[tuple[str | None, str | None, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True)
class Edit:
    """Replace ``base[start:end]`` by ``text``."""

    start: int
    end: int
    text: str


def edits_of(ops: Sequence[Op]) -> list[Edit]:
    """The edits a redline's ops make to the old text, in order (runs of changes grouped)."""
    edits: list[Edit] = []
    at = 0
    start: int | None = None
    inserted: list[str] = []
    for op, text in ops:
        if op == "equal":
            if start is not None:
                edits.append(Edit(start, at, "".join(inserted)))
                start, inserted = None, []
            at += len(text)
            continue
        if start is None:
            start = at
        if op == "delete":
            at += len(text)
        else:
            inserted.append(text)
    if start is not None:
        edits.append(Edit(start, at, "".join(inserted)))
    return edits


def _clash(a: Edit, b: Edit) -> bool:
    """Edits clash when they overlap or touch: "stays" → "moves" next to an insertion after
    "stays" would otherwise merge into nonsense ("moves put")."""
    if a == b:
        return False  # the same edit on both sides
    return max(a.start, b.start) <= min(a.end, b.end)


def merge3(base: str, ours: str, theirs: str) -> str | None:
    """Word-level three-way merge: both sides' edits to ``base``, or None when they clash.

    Edits are found with the redline's word diff, so they fall on word boundaries; two edits
    clash when they overlap or touch (share a boundary). The same edit made on both sides
    counts once.
    """
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    a = edits_of(word_diff(base, ours))
    b = edits_of(word_diff(base, theirs))
    for x in a:
        for y in b:
            if _clash(x, y):
                return None
    merged = sorted({*a, *b}, key=lambda e: (e.start, e.end))
    out, at = [], 0
    for edit in merged:
        out.append(base[at : edit.start])
        out.append(edit.text)
        at = edit.end
    out.append(base[at:])
    return "".join(out)


def next_number(after: str | None, used: set[str]) -> str:
    """The display number of a point inserted after ``after``: 7 → 7a, 7a → 7b, ... (free)."""
    if after is None:
        candidates = ["0"] + [f"0{chr(c)}" for c in range(ord("a"), ord("z") + 1)]
    else:
        m = _TOP.match(after)
        if m:
            n, letter = m.group("n"), m.group("letter")
            first = ord(letter) + 1 if letter else ord("a")
            candidates = [f"{n}{chr(c)}" for c in range(first, ord("z") + 1)]
        else:
            candidates = [f"{after}a", f"{after}b", f"{after}c"]
    for candidate in candidates:
        if candidate not in used:
            return candidate
    i = 2
    while f"{after or '0'}-{i}" in used:
        i += 1
    return f"{after or '0'}-{i}"


def apply_change(
    base: PlainVersion | Sequence[PlainProvision],
    current: PlainVersion | Sequence[PlainProvision],
    change: Change,
    *,
    new_wid: Callable[[str], str],
) -> Applied:
    """Re-apply ``change`` (drafted against ``base``) to ``current``.

    ``new_wid(number)`` names provisions the change creates. On a conflict the provisions are
    returned unchanged and ``conflicts`` says why, naming the provision by its current number.
    ``lineage`` lists (old wid, new wid, kind) links the change implies (split, merged, new).
    """
    base_p = base.provisions if isinstance(base, PlainVersion) else tuple(base)
    cur = list(current.provisions if isinstance(current, PlainVersion) else current)
    in_base = {p.wid: p for p in base_p}
    index = {p.wid: i for i, p in enumerate(cur)}
    name = change.label or change.kind
    unchanged_tuple = tuple(cur)

    def conflict(message: str) -> Applied:
        return Applied(unchanged_tuple, (f"{name}: {message}",))

    def label_of(wid: str) -> str:
        p = cur[index[wid]] if wid in index else in_base.get(wid)
        return f"point {p.number}" if p else f"provision {wid}"

    def present(wid: str | None) -> str | None:
        if wid is None:
            return "names no provision"
        if wid not in index:
            return f"{label_of(wid)} is no longer in the current text"
        return None

    def unchanged(wid: str) -> str | None:
        before, now = in_base.get(wid), cur[index[wid]]
        if (
            before is None
            or before.text != now.text
            or (before.heading or "") != (now.heading or "")
        ):
            return f"{label_of(wid)} changed since the base version"
        return None

    kind = change.kind
    if kind not in KINDS:
        return conflict(f"unknown kind {kind!r}")
    used = {p.number for p in cur}

    if kind in ("substitute", "delete", "split", "merge", "move"):
        problem = present(change.wid)
        if problem:
            return conflict(problem)
    assert kind == "insert" or change.wid is not None
    if kind in ("insert", "move") and change.after_wid is not None:
        problem = present(change.after_wid)
        if problem:
            return conflict(f"the point to put it after: {problem}")

    if kind == "substitute":
        wid = change.wid
        assert wid is not None
        now = cur[index[wid]]
        before = in_base.get(wid)
        base_text = before.text if before else now.text
        text = merge3(base_text, change.text, now.text)
        if text is None:
            return conflict(
                f"{label_of(wid)} changed since the base version, in the words the amendment "
                "changes"
            )
        heading = change.heading or now.heading
        cur[index[wid]] = replace(now, text=text, heading=heading or None)
        return Applied(tuple(cur), merged=now.text != base_text and text != change.text)

    if kind == "delete":
        assert change.wid is not None
        problem = unchanged(change.wid)
        if problem:
            return conflict(problem)
        gone = change.wid
        kept = [p for p in cur if p.wid != gone and p.parent_wid != gone]
        return Applied(tuple(kept), lineage=((gone, None, "dropped"),))

    if kind == "insert":
        number = change.number or next_number(
            cur[index[change.after_wid]].number if change.after_wid else None, used
        )
        if number in used:
            return conflict(f"point {number} is already in the current text")
        wid = new_wid(number)
        parent = cur[index[change.after_wid]].parent_wid if change.after_wid else None
        provision = PlainProvision(wid, number, change.heading or None, change.text, parent)
        at = _after_subtree(cur, change.after_wid, index)
        cur.insert(at, provision)
        return Applied(tuple(cur), created=(wid,), lineage=((None, wid, "new"),))

    if kind == "move":
        wid = change.wid
        assert wid is not None
        if wid == change.after_wid:
            return conflict("a point cannot move after itself")
        moving = [p for p in cur if p.wid == wid or _descends(p, wid, cur, index)]
        if change.after_wid in {p.wid for p in moving}:
            return conflict("a point cannot move inside itself")
        rest = [p for p in cur if p not in moving]
        rest_index = {p.wid: i for i, p in enumerate(rest)}
        at = _after_subtree(rest, change.after_wid, rest_index)
        rest[at:at] = moving
        return Applied(tuple(rest))

    if kind == "split":
        wid = change.wid
        assert wid is not None
        problem = unchanged(wid)
        if problem:
            return conflict(problem)
        texts = [t for t in change.parts if t.strip()]
        if len(texts) < 2:
            return conflict("a split needs at least two parts")
        now = cur[index[wid]]
        pieces = [replace(now, text=texts[0])]
        last = now.number
        for text in texts[1:]:
            number = next_number(last, used | {p.number for p in pieces})
            pieces.append(PlainProvision(new_wid(number), number, None, text, now.parent_wid))
            last = number
        i = index[wid]
        cur[i : i + 1] = pieces
        created = tuple(p.wid for p in pieces[1:])
        links = tuple((wid, p.wid, "split") for p in pieces)
        return Applied(tuple(cur), created=created, lineage=links)

    # merge
    wid = change.wid
    assert wid is not None
    others = [w for w in change.parts if w != wid]
    if not others:
        return conflict("a merge needs at least one other provision")
    for w in (wid, *others):
        problem = present(w) or unchanged(w)
        if problem:
            return conflict(problem)
    if not change.text.strip():
        return conflict("a merge needs the merged text")
    now = cur[index[wid]]
    cur[index[wid]] = replace(now, text=change.text, heading=change.heading or now.heading)
    removed = set(others)
    kept = [p for p in cur if p.wid not in removed]
    links = tuple((w, wid, "merged") for w in (wid, *others))
    return Applied(tuple(kept), lineage=links)


def _descends(
    p: PlainProvision, ancestor: str, cur: list[PlainProvision], index: dict[str, int]
) -> bool:
    seen: set[str] = set()
    parent = p.parent_wid
    while parent is not None and parent not in seen:
        if parent == ancestor:
            return True
        seen.add(parent)
        parent = cur[index[parent]].parent_wid if parent in index else None
    return False


def _after_subtree(cur: list[PlainProvision], after_wid: str | None, index: dict[str, int]) -> int:
    """Where a point inserted after ``after_wid`` goes: after its sub-points too."""
    if after_wid is None:
        return 0
    at = index[after_wid] + 1
    while at < len(cur) and _descends(cur[at], after_wid, cur, index):
        at += 1
    return at
