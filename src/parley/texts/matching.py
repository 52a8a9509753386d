"""Suggest which provisions of two versions are the same point: renumbered, reordered, split
or merged. A person confirms or corrects the suggestions; confirmed ones become lineage.

How (see docs/texts.md):

1. Similarity. Each provision's heading and text are lower-cased and cut into words; every
   distinct word becomes one character, so rapidfuzz's ``ratio`` (normalised Indel similarity,
   ``2·LCS / (len a + len b)``) runs over words, not letters. The full old × new matrix is one
   ``rapidfuzz.process.cdist`` call.
2. Assignment. ``scipy.optimize.linear_sum_assignment`` picks the one-to-one pairing with the
   highest total similarity over the whole pair of versions (not greedy, so a provision is not
   grabbed by the first similar one). Ties go to the pair closest in relative position. Pairs
   scoring below ``threshold`` (default 0.5: at least half the words in common, in order) are
   dropped.
3. Splits and merges. An old provision whose words reappear in several new provisions (its
   assigned partner plus unassigned ones, each with at least 70% of its words found in order
   in the old one) is a ``split`` when the concatenation of the parts, in new order, is more
   similar to it than its partner alone, by 0.05 at least; ``merged`` is the mirror image.
4. Kinds. Pairs outside the longest run kept in order are ``moved``; otherwise ``same`` when
   the text is identical and ``changed`` when not. Left-overs are ``new`` and ``dropped``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel
from scipy.optimize import linear_sum_assignment

from parley.texts.plain import PlainProvision, PlainVersion
from parley.texts.redline import _longest_increasing

__all__ = ["DEFAULT_THRESHOLD", "MatchResult", "MatchSuggestion", "match_provisions", "similarity"]

DEFAULT_THRESHOLD = 0.5
# A split or merge must beat the one-to-one pairing it replaces by this much (0..1).
_SPLIT_MARGIN = 0.05
# A provision is a part of a split (merge) when this share of its words appears, in order,
# in the old (new) whole.
_CONTAINED = 0.7
_WORD = re.compile(r"\w+")

Kind = Literal["same", "moved", "changed", "split", "merged", "new", "dropped"]


@dataclass(frozen=True)
class MatchSuggestion:
    kind: Kind
    old_wids: tuple[str, ...]
    new_wids: tuple[str, ...]
    score: float  # similarity 0..1 of the old side to the new side; 0 for new and dropped
    renumbered: bool = False


@dataclass(frozen=True)
class MatchResult:
    suggestions: tuple[MatchSuggestion, ...]
    threshold: float

    def links(self) -> dict[str, str]:
        """Old wid → new wid for the one-to-one suggestions (same, moved, changed)."""
        return {
            s.old_wids[0]: s.new_wids[0]
            for s in self.suggestions
            if s.kind in ("same", "moved", "changed")
        }

    def by_kind(self, kind: Kind) -> list[MatchSuggestion]:
        return [s for s in self.suggestions if s.kind == kind]


class _WordCodes:
    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def encode(self, provision: PlainProvision) -> str:
        text = unicodedata.normalize("NFKC", f"{provision.heading or ''} {provision.text}")
        words = _WORD.findall(text.casefold())
        codes = self.codes
        for word in sorted(set(words).difference(codes)):  # sorted: same codes every run
            code = len(codes) + 1
            codes[word] = chr(code + 0x800 if code >= 0xD800 else code)
        return "".join(map(codes.__getitem__, words))


def similarity(a: PlainProvision, b: PlainProvision) -> float:
    """Word-level similarity 0..1 of two provisions, as used for matching."""
    codes = _WordCodes()
    return float(fuzz.ratio(codes.encode(a), codes.encode(b))) / 100.0


def _assign(scores: np.ndarray, cut: float) -> dict[int, tuple[int, float]]:
    """The one-to-one pairing of greatest total score; pairs below ``cut`` are then dropped.

    ``scores`` is old × new, 0..100. Position only breaks ties: the cost of a pair moves by at
    most 0.01 for being far apart in relative position, less than any difference in score that
    rapidfuzz can produce between two provisions of realistic length.
    """
    n_old, n_new = scores.shape
    rel_old = np.arange(n_old)[:, None] / max(n_old - 1, 1)
    rel_new = np.arange(n_new)[None, :] / max(n_new - 1, 1)
    cost = -scores.astype(np.float64) + 0.01 * np.abs(rel_old - rel_new)
    rows, cols = linear_sum_assignment(cost)
    return {
        i: (j, float(scores[i, j]))
        for i, j in zip(rows.tolist(), cols.tolist(), strict=True)
        if scores[i, j] >= cut
    }


def _as_provisions(v: PlainVersion | Sequence[PlainProvision]) -> tuple[PlainProvision, ...]:
    return v.provisions if isinstance(v, PlainVersion) else tuple(v)


def match_provisions(
    old: PlainVersion | Sequence[PlainProvision],
    new: PlainVersion | Sequence[PlainProvision],
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> MatchResult:
    """Suggest matches from ``old`` to ``new``.

    Every provision of either side appears in exactly one suggestion.
    """
    olds, news = _as_provisions(old), _as_provisions(new)
    codes = _WordCodes()
    old_enc = [codes.encode(p) for p in olds]
    new_enc = [codes.encode(p) for p in news]
    cut = threshold * 100.0

    pair_score: dict[int, tuple[int, float]] = {}  # old index -> (new index, score 0..100)
    if olds and news:
        # Pairs below the threshold score 0: they are never kept, so they must not sway the
        # assignment either; the cut-off also lets rapidfuzz skip hopeless pairs early.
        scores = process.cdist(
            old_enc, new_enc, scorer=fuzz.ratio, dtype=np.float32, score_cutoff=cut
        )
        pair_score = _assign(scores, cut)

    partner_of_new = {j: i for i, (j, _) in pair_score.items()}
    free_old = {i for i in range(len(olds)) if i not in pair_score}
    free_new = {j for j in range(len(news)) if j not in partner_of_new}
    groups: list[tuple[Kind, list[int], list[int], float]] = []

    def containment(parts: list[str], wholes: list[str]) -> np.ndarray:
        """Share of each part's words found, in order, in each whole: LCS / len(part)."""
        if not parts or not wholes:
            return np.zeros((len(parts), len(wholes)))
        dist = process.cdist(parts, wholes, scorer=Indel.distance, dtype=np.int32)
        part_len = np.array([len(s) for s in parts], dtype=np.float64)[:, None]
        whole_len = np.array([len(s) for s in wholes], dtype=np.float64)[None, :]
        lcs = (part_len + whole_len - dist) / 2.0
        return np.divide(lcs, part_len, out=np.zeros_like(lcs), where=part_len > 0)

    # Splits: one old provision, several new ones.
    proposals: list[tuple[float, int, list[int]]] = []
    if free_new:
        free = sorted(free_new)
        inside = containment([new_enc[j] for j in free], old_enc) >= _CONTAINED
        for i in range(len(olds)):
            parts = [j for k, j in enumerate(free) if inside[k, i]]
            if not parts:
                continue
            partner = pair_score.get(i)
            if partner is not None:
                parts = sorted([partner[0], *parts])
            if len(parts) < 2:
                continue
            combined = fuzz.ratio(old_enc[i], "".join(new_enc[j] for j in parts))
            if combined >= cut and combined > (partner[1] if partner else 0) + _SPLIT_MARGIN * 100:
                proposals.append((combined, i, parts))
    for combined, i, parts in sorted(proposals, key=lambda p: (-p[0], p[1])):
        partner = pair_score.get(i)
        extra = [j for j in parts if partner is None or j != partner[0]]
        if (i in pair_score or i in free_old) and all(j in free_new for j in extra):
            groups.append(("split", [i], parts, combined))
            free_new.difference_update(extra)
            pair_score.pop(i, None)
            free_old.discard(i)

    # Merges: several old provisions, one new one.
    partner_of_new = {j: i for i, (j, _) in pair_score.items()}
    proposals = []
    if free_old:
        free = sorted(free_old)
        inside = containment([old_enc[i] for i in free], new_enc) >= _CONTAINED
        for j in range(len(news)):
            if j not in partner_of_new and j not in free_new:
                continue  # already part of a split
            parts = [i for k, i in enumerate(free) if inside[k, j]]
            if not parts:
                continue
            partner_i = partner_of_new.get(j)
            if partner_i is not None:
                parts = sorted([partner_i, *parts])
            if len(parts) < 2:
                continue
            combined = fuzz.ratio("".join(old_enc[i] for i in parts), new_enc[j])
            alone = pair_score[partner_i][1] if partner_i is not None else 0
            if combined >= cut and combined > alone + _SPLIT_MARGIN * 100:
                proposals.append((combined, j, parts))
    for combined, j, parts in sorted(proposals, key=lambda p: (-p[0], p[1])):
        partner_i = partner_of_new.get(j)
        extra = [i for i in parts if i != partner_i]
        if all(i in free_old for i in extra) and (partner_i is None or partner_i in pair_score):
            groups.append(("merged", parts, [j], combined))
            free_old.difference_update(extra)
            if partner_i is not None:
                pair_score.pop(partner_i)
            free_new.discard(j)

    # One-to-one pairs: moved when outside the longest run kept in order.
    in_old_order = sorted(pair_score)
    kept = _longest_increasing(
        [pair_score[i][0] for i in in_old_order], [len(olds[i].text) + 1 for i in in_old_order]
    )
    for k, i in enumerate(in_old_order):
        j, score = pair_score[i]
        o, n = olds[i], news[j]
        kind: Kind
        if k not in kept:
            kind = "moved"
        elif o.text == n.text and (o.heading or None) == (n.heading or None):
            kind = "same"
        else:
            kind = "changed"
        groups.append((kind, [i], [j], score))
    groups.extend(("dropped", [i], [], 0.0) for i in sorted(free_old))
    groups.extend(("new", [], [j], 0.0) for j in sorted(free_new))

    # A dropped provision sorts just after the new position of the last old one before it.
    new_of_old = {i: max(new_ix) for _, old_ix, new_ix, _ in groups if new_ix for i in old_ix}

    def order(group: tuple[Kind, list[int], list[int], float]) -> tuple[float, float]:
        _, old_ix, new_ix, _ = group
        if new_ix:
            return (min(new_ix), min(old_ix) if old_ix else -1)
        anchor = max((new_of_old[i] for i in range(old_ix[0]) if i in new_of_old), default=-1)
        return (anchor + 0.5, old_ix[0])

    suggestions = []
    for kind, old_ix, new_ix, score in sorted(groups, key=order):
        suggestions.append(
            MatchSuggestion(
                kind=kind,
                old_wids=tuple(olds[i].wid for i in old_ix),
                new_wids=tuple(news[j].wid for j in new_ix),
                score=round(score / 100.0, 4),
                renumbered=(
                    len(old_ix) == 1
                    and len(new_ix) == 1
                    and olds[old_ix[0]].number != news[new_ix[0]].number
                ),
            )
        )
    return MatchResult(suggestions=tuple(suggestions), threshold=threshold)
