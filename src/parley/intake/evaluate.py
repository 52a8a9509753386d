"""Evaluation against hand-annotated reports (tests/intake/gold/).

A gold report is a pair NAME.txt (the text) and NAME.json (the annotation, in the same JSON shape
`parley intake --format json` prints). Matching rules, per report, micro-averaged over the set:

* people_with_titles: (name, title) pairs must be equal (case-insensitive; no title = null);
* quotes: a predicted quote matches a gold quote when their texts are nearly the same (fuzzy
  ratio >= 80, or one contains the other) -- detection P/R/F1 counts those matches;
  `quote_speaker_accuracy` is the share of matched gold quotes whose set of speakers is right;
* meetings: date and place both equal (a call's place is null in both);
* commitments: donor, amount and currency all equal;
* documents: names equal (case-insensitive);
* demands: same party, evidence spans overlapping;
* parties: names equal (informational);
* statements (joint statements, communiqués, readouts): the signatory people and parties both equal
  as sets; `statements_dated` also needs the statement's date and place equal;
* commitments_full (informational): donor, recipient, amount, currency, period and instrument.

Places are compared at the level of the city: a venue the reports name for a city ("the Kremlin",
"Downing Street", "Mar-a-Lago", "Hallandale Beach") counts as that city (`PLACE_CITY`).

An annotation may list the fields it was annotated for in `"scored"`; the other fields of that
report are then not scored (the held-out set of issue 17 annotates people, meetings, commitments,
statements and quotations). `statements` is scored only for annotations that have the key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from parley.intake.extract import extract_many
from parley.intake.gazetteer import Gazetteer
from parley.intake.records import SourceInfo

FIELDS = (
    "people_with_titles",
    "quotes",
    "meetings",
    "commitments",
    "documents",
    "demands",
    "parties",
    "statements",
    "statements_dated",
    "commitments_full",
)

# What an annotation without "scored" is scored on.
ANNOTATED = (
    "people",
    "meetings",
    "commitments",
    "documents",
    "demands",
    "parties",
    "quotes",
    "statements",
)

# A venue counts as its city when meetings are compared.
PLACE_CITY = {
    "kremlin": "moscow",
    "the kremlin": "moscow",
    "downing street": "london",
    "white house": "washington",
    "the white house": "washington",
    "mar-a-lago": "palm beach",
    "hallandale beach": "miami",
    "élysée palace": "paris",
    "elysee palace": "paris",
}


def _city(place: Any) -> Any:
    low = _low(place)
    return PLACE_CITY.get(low, low)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "f1": round(self.f1, 3),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class EvalReport:
    reports: int = 0
    scores: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FIELDS})
    speaker_right: int = 0
    speaker_total: int = 0
    misses: list[str] = field(default_factory=list)  # human-readable differences, for debugging

    @property
    def quote_speaker_accuracy(self) -> float:
        return self.speaker_right / self.speaker_total if self.speaker_total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "reports": self.reports,
            "fields": {name: s.to_dict() for name, s in self.scores.items()},
            "quote_speaker_accuracy": round(self.quote_speaker_accuracy, 3),
        }


def _low(x: Any) -> Any:
    return " ".join(x.lower().split()) if isinstance(x, str) else x


def _overlap(a: Sequence[int], b: Sequence[int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _match_sets(
    gold: list[Any], pred: list[Any], score: Score, tag: str, misses: list[str]
) -> None:
    remaining = list(pred)
    for g in gold:
        if g in remaining:
            remaining.remove(g)
            score.tp += 1
        else:
            score.fn += 1
            misses.append(f"{tag} missed {g}")
    score.fp += len(remaining)
    misses.extend(f"{tag} extra {p}" for p in remaining)


def _match_pairs(
    gold: list[dict[str, Any]],
    pred: list[dict[str, Any]],
    same: Callable[[dict[str, Any], dict[str, Any]], bool],
    score: Score,
    tag: str,
    misses: list[str],
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    remaining = list(pred)
    pairs = []
    for g in gold:
        hit = next((p for p in remaining if same(g, p)), None)
        if hit is None:
            score.fn += 1
            misses.append(f"{tag} missed {g.get('text') or g.get('name') or g}")
        else:
            remaining.remove(hit)
            pairs.append((g, hit))
            score.tp += 1
    score.fp += len(remaining)
    misses.extend(f"{tag} extra {p.get('text') or p.get('name') or p}" for p in remaining)
    return pairs


def _same_quote(g: dict[str, Any], p: dict[str, Any]) -> bool:
    a, b = _low(g["text"]).strip(" ,.“”\"'"), _low(p["text"]).strip(" ,.“”\"'")
    if not a or not b:
        return False
    return fuzz.ratio(a, b) >= 80 or (min(len(a), len(b)) >= 5 and (a in b or b in a))


def _speakers(q: dict[str, Any]) -> set[str]:
    names = q.get("speakers")
    if names is None:
        names = [q["speaker"]] if q.get("speaker") else []
    return {_low(n) for n in names}


def _signatories(st: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    return (
        frozenset(_low(n) for n in st.get("people", [])),
        frozenset(_low(n) for n in st.get("parties", [])),
    )


def score_report(
    gold: dict[str, Any], pred: dict[str, Any], report: EvalReport, name: str = ""
) -> None:
    """Add one report's comparison to `report`."""
    report.reports += 1
    scored = set(gold.get("scored", ANNOTATED))
    s, misses = report.scores, report.misses
    if "people" not in scored:
        s = {**s, "people_with_titles": Score()}
    for f in ("documents", "demands", "parties"):
        if f not in scored:
            s = {**s, f: Score()}
    if "commitments" not in scored:
        s = {**s, "commitments": Score(), "commitments_full": Score()}
    if "meetings" not in scored:
        s = {**s, "meetings": Score()}
    tag = f"[{name}]"
    if "statements" in gold and "statements" in scored:
        _match_sets(
            [_signatories(st) for st in gold["statements"]],
            [_signatories(st) for st in pred.get("statements", [])],
            s["statements"],
            f"{tag} statements",
            misses,
        )
        _match_sets(
            [
                (*_signatories(st), st.get("date"), _city(st.get("place")))
                for st in gold["statements"]
            ],
            [
                (*_signatories(st), st.get("date"), _city(st.get("place")))
                for st in pred.get("statements", [])
            ],
            s["statements_dated"],
            f"{tag} statements dated",
            misses,
        )
    if "commitments" in scored:
        _match_sets(
            [_commitment_full(c, "scored" in gold) for c in gold["commitments"]],
            [_commitment_full(c, "scored" in gold) for c in pred["commitments"]],
            s["commitments_full"],
            f"{tag} commitments full",
            misses,
        )
    _match_sets(
        [(_low(p["name"]), _low(p.get("title"))) for p in gold["people"]],
        [(_low(p["name"]), _low(p.get("title"))) for p in pred["people"]],
        s["people_with_titles"],
        f"{tag} people",
        misses,
    )
    _match_sets(
        [(m.get("date"), _city(m.get("place"))) for m in gold["meetings"]],
        [(m.get("date"), _city(m.get("place"))) for m in pred["meetings"]],
        s["meetings"],
        f"{tag} meetings",
        misses,
    )
    _match_sets(
        [(_low(c.get("donor")), c["amount"], c["currency"]) for c in gold["commitments"]],
        [(_low(c.get("donor")), c["amount"], c["currency"]) for c in pred["commitments"]],
        s["commitments"],
        f"{tag} commitments",
        misses,
    )
    _match_sets(
        sorted({_low(d["name"]) for d in gold.get("documents", [])}),
        sorted({_low(d["name"]) for d in pred.get("documents", [])}),
        s["documents"],
        f"{tag} documents",
        misses,
    )
    _match_sets(
        sorted({_low(p["name"]) for p in gold.get("parties", [])}),
        sorted({_low(p["name"]) for p in pred.get("parties", [])}),
        s["parties"],
        f"{tag} parties",
        misses,
    )
    _match_pairs(
        gold.get("demands", []),
        pred.get("demands", []),
        lambda g, p: (
            _low(g.get("party")) == _low(p.get("party")) and _overlap(g["evidence"], p["evidence"])
        ),
        s["demands"],
        f"{tag} demands",
        misses,
    )
    if "quotes" not in scored:
        return
    pairs = _match_pairs(
        gold["quotes"], pred["quotes"], _same_quote, s["quotes"], f"{tag} quotes", misses
    )
    for g, p in pairs:
        report.speaker_total += 1
        if _speakers(g) == _speakers(p):
            report.speaker_right += 1
        else:
            misses.append(
                f"{tag} speaker of {g['text'][:40]!r}: gold {_speakers(g)} got {_speakers(p)}"
            )


def _commitment_full(c: dict[str, Any], instrument: bool) -> tuple[Any, ...]:
    # The gold set of issue 7 does not annotate instruments; only issue 17's sets do.
    return (
        _low(c.get("donor")),
        _low(c.get("recipient")),
        c["amount"],
        c["currency"],
        c.get("period"),
        _low(c.get("instrument")) if instrument else None,
    )


def load_gold(directory: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, text, annotation) for every NAME.txt with a NAME.json beside it."""
    out = []
    for txt in sorted(directory.glob("*.txt")):
        ann = txt.with_suffix(".json")
        if not ann.exists():
            continue
        data = json.loads(ann.read_text(encoding="utf-8"))
        out.append((txt.stem, txt.read_text(encoding="utf-8"), data))
    return out


def evaluate_dir(directory: Path, gazetteer: Gazetteer | None = None) -> EvalReport:
    """Run intake over the gold reports in `directory` and score it."""
    gold = load_gold(directory)
    if not gold:
        raise FileNotFoundError(f"no NAME.txt + NAME.json pairs in {directory}")
    items = []
    for _name, text, data in gold:
        src = data.get("source", {})
        published = date.fromisoformat(src["published"]) if src.get("published") else None
        items.append(
            (text, SourceInfo(title=src.get("title"), published=published, url=src.get("url")))
        )
    results = extract_many(items, gazetteer)
    report = EvalReport()
    for (name, _text, data), result in zip(gold, results, strict=True):
        score_report(data, result.to_dict(), report, name)
    return report
