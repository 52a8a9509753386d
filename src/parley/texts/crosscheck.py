"""The cross-language check: language versions of one text, aligned and compared (pure).

``crosscheck(texts, glossary=...)`` takes one :class:`LanguageText` per language and returns a
:class:`CrossCheck`: the provisions aligned across languages and the findings. Nothing here
touches a database; the CLI (``parley text crosscheck``) runs it on plain files.

**Alignment** (:func:`align_pair`) pairs the provisions of each language with those of the first
one by structure, checked by content: a dynamic programme over the provisions in order pairs
only provisions at the same depth, and scores a pair by an equal number (0.4), the agreement of
the content that survives translation — quantities, dates, references, glossary terms,
brackets: from -0.2 when both say concrete things and share none to 0.4 when they say the same
— and the relative length (0.2). A pair must score above 0.3; a provision left over is
``missing``. So a Ukrainian text that drops point 3 and renumbers the rest still pairs its
point 3 with the English point 4 when their content agrees. A pair whose numbers differ, or
whose score is below 0.6, is *uncertain* (``CrossCheck.uncertain``): a person confirms it.

**Findings**, for the provisions present in every language of a row:

* ``missing``: a provision or sub-point present in some languages only;
* ``number``: the quantities differ (value, or unit where both name one);
* ``date``: the dates or clock times differ;
* ``reference``: the points referred to ("point 5", "пункту 6") differ;
* ``name``: a glossary term is found in one language and its counterpart not in another;
* ``bracket``: the number of bracketed passages (``[...]``) differs.

Where three or more languages are compared, the languages that agree with the most others (the
first one on a tie) are the basis, and each language that differs from it gets one finding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from parley.texts.glossary import Glossary
from parley.texts.plain import PlainProvision, depth_of
from parley.texts.quantities import (
    Quantity,
    blank,
    find_dates,
    find_quantities,
    format_quantity,
    normalise,
)

__all__ = [
    "FINDING_KINDS",
    "CrossCheck",
    "Finding",
    "LanguageText",
    "ProvisionFacts",
    "align_pair",
    "comparable_number",
    "crosscheck",
    "crosscheck_aligned",
    "crosscheck_to_dict",
    "crosscheck_to_text",
    "facts_of",
]

FINDING_KINDS = ("missing", "number", "date", "reference", "name", "bracket")


@dataclass(frozen=True)
class LanguageText:
    language: str
    provisions: tuple[PlainProvision, ...]
    title: str | None = None


@dataclass(frozen=True)
class Finding:
    kind: str
    numbers: dict[str, str | None]  # language -> provision number (None where it is missing)
    languages: tuple[str, ...]
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "numbers": dict(self.numbers),
            "languages": list(self.languages),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CrossCheck:
    languages: tuple[str, ...]
    rows: tuple[dict[str, PlainProvision | None], ...]
    findings: tuple[Finding, ...]
    uncertain: tuple[dict[str, str | None], ...] = ()  # rows whose pairing needs a person


# ---------------------------------------------------------------------------------- facts

_REF_WORDS = (
    # en
    r"points?|paragraphs?|sub-?points?|sub-?paragraphs?|articles?|art\.|sections?|clauses?"
    # uk
    r"|пункт(?:у|ом|і|ів|ами|ах|и)?|підпункт\w*|п\.|пп\.|статт(?:я|і|ю|ею|ях|ями)|ст\."
    r"|розділ(?:у|і|ом|ів)?|абзац\w*"
    # ru
    r"|пункт(?:а|е|ов|ы)|подпункт\w*|стать(?:я|и|ю|ей|е|ях|ями)|раздел(?:а|е|ом|ов)?"
)
_REF_NUMBER = r"\d+[a-z]?(?:\.\d+)*(?:\s*\([a-z]\))?"
_REF_JOIN = r"\s*(?:,|and|or|to|through|і|й|та|або|до|по|и|или|–|—|-)\s*"
_REFERENCE = re.compile(
    rf"(?<![\w])(?:{_REF_WORDS})\s*(?P<list>{_REF_NUMBER}(?:{_REF_JOIN}{_REF_NUMBER})*)"
)
_BRACKET = re.compile(r"\[[^\[\]]*\]")


@dataclass(frozen=True)
class ProvisionFacts:
    """What one provision says that must survive translation."""

    quantities: tuple[Quantity, ...]
    dates: tuple[str, ...]
    references: tuple[str, ...]
    names: frozenset[str]
    brackets: tuple[str, ...]
    length: int

    @cached_property
    def facts_count(self) -> int:
        return sum(self.signature.values())

    @cached_property
    def signature(self) -> Counter[str]:
        """The facts as one multiset, for the alignment (computed once)."""
        items: Counter[str] = Counter()
        items.update(f"q{q.key}" for q in self.quantities)
        items.update(f"d{d}" for d in self.dates)
        items.update(f"r{r}" for r in self.references)
        items.update(f"n{n}" for n in self.names)
        items.update("b" for _ in self.brackets)
        return items


def _provision_text(p: PlainProvision) -> str:
    return f"{p.heading}\n{p.text}" if p.heading else p.text


def facts_of(text: str, language: str, glossary: Glossary) -> ProvisionFacts:
    norm = normalise(text)
    brackets = tuple(m.group() for m in _BRACKET.finditer(text))
    dates, spans = find_dates(norm)
    references: list[str] = []
    rest = blank(norm, spans)
    ref_spans = []
    for m in _REFERENCE.finditer(rest):
        for target in re.findall(_REF_NUMBER, m.group("list")):
            references.append(re.sub(r"\s+", "", target))
        ref_spans.append((m.start(), m.end()))
    rest = blank(rest, ref_spans)
    quantities = tuple(find_quantities(rest))
    return ProvisionFacts(
        quantities=quantities,
        dates=tuple(dates),
        references=tuple(references),
        names=frozenset(glossary.present(text, language)),
        brackets=brackets,
        length=len(text),
    )


# ------------------------------------------------------------------------------- alignment

_MIN_SCORE = 0.3
_SURE = 0.6
_BAND = 25


def _content_agreement(a: ProvisionFacts, b: ProvisionFacts) -> float:
    """From -0.5 (both say concrete things, none shared) to 1 (the same things)."""
    sa, sb = a.signature, b.signature
    if not sa and not sb:
        return 0.3
    if not sa or not sb:
        return -0.25
    shared = sum(min(n, sb[k]) for k, n in sa.items() if k in sb)
    jaccard = shared / (a.facts_count + b.facts_count - shared)
    return 1.5 * jaccard - 0.5


# The lettered sub-points of Ukrainian and Russian texts, in the order they are used. Ukrainian
# drafting sometimes skips ґ, є, ї (and Russian ё, й): a letter's place is its position among
# the sub-points of its point, which is what :func:`comparable_number` compares.
_LETTER_SUB = re.compile(r"^(?P<head>.*)\((?P<letter>[^\W\d_])\)$")


def comparable_number(number: str, siblings: Sequence[str] = ()) -> str:
    """A number as it compares across languages: a lettered sub-point by its place.

    ``siblings`` are the numbers of the sub-points of the same point, in order; "7(б)" among
    ("7(а)", "7(б)") compares as "7(b)", like the English "7(b)". Without siblings the letter's
    place in the Latin alphabet (or, for a Cyrillic letter, in the Ukrainian one) is used.
    """
    m = _LETTER_SUB.match(number)
    if m is None:
        return number
    letter = m.group("letter")
    if number in siblings:
        place = list(siblings).index(number)
    elif "a" <= letter <= "z":
        return number
    else:
        place = _CYRILLIC.find(letter)
        if place < 0:
            return number
    return f"{m.group('head')}({chr(ord('a') + place) if place < 26 else letter})"


_CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщюя"


def comparable_numbers(provisions: Sequence[PlainProvision]) -> list[str]:
    """:func:`comparable_number` of each provision, its lettered siblings taken into account."""
    siblings: dict[str | None, list[str]] = {}
    for p in provisions:
        if _LETTER_SUB.match(p.number):
            siblings.setdefault(p.parent_wid, []).append(p.number)
    return [comparable_number(p.number, siblings.get(p.parent_wid, ())) for p in provisions]


def _score(
    pa: PlainProvision,
    pb: PlainProvision,
    fa: ProvisionFacts,
    fb: ProvisionFacts,
    na: str | None = None,
    nb: str | None = None,
) -> float:
    same_number = 1.0 if (na or pa.number) == (nb or pb.number) else 0.0
    la, lb = max(fa.length, 1), max(fb.length, 1)
    return 0.4 * same_number + 0.4 * _content_agreement(fa, fb) + 0.2 * (min(la, lb) / max(la, lb))


def align_pair(
    a: Sequence[PlainProvision],
    b: Sequence[PlainProvision],
    facts_a: Sequence[ProvisionFacts],
    facts_b: Sequence[ProvisionFacts],
) -> list[tuple[int | None, int | None, float]]:
    """Pair provisions of ``a`` and ``b`` in order: ``(index in a, index in b, score)``.

    A provision of one side alone has ``None`` on the other and score 0. The pairs keep the
    order of both sides and maximise the total of (score - 0.3) over pairs scoring above 0.3;
    a pair more than 25 places (plus the difference in length) off the diagonal is not tried.
    """
    da = _depths(a)
    db = _depths(b)
    na = comparable_numbers(a)
    nb = comparable_numbers(b)
    n, m = len(a), len(b)
    # Pairs far off the diagonal are not considered: two language versions of one text differ
    # by a few provisions, not by dozens; the band keeps long texts fast.
    band = abs(n - m) + _BAND
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]  # 0 pair, 1 skip a, 2 skip b
    scores: dict[tuple[int, int], float] = {}
    for i in range(n - 1, -1, -1):
        best[i][m], move[i][m] = best[i + 1][m], 1
    for j in range(m - 1, -1, -1):
        best[n][j], move[n][j] = best[n][j + 1], 2
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            choice, value = 1, best[i + 1][j]
            if best[i][j + 1] > value:
                choice, value = 2, best[i][j + 1]
            if da[i] == db[j] and abs(i - j) <= band:
                s = _score(a[i], b[j], facts_a[i], facts_b[j], na[i], nb[j])
                scores[(i, j)] = s
                if s > _MIN_SCORE and best[i + 1][j + 1] + s - _MIN_SCORE >= value:
                    choice, value = 0, best[i + 1][j + 1] + s - _MIN_SCORE
            best[i][j], move[i][j] = value, choice
    out: list[tuple[int | None, int | None, float]] = []
    i = j = 0
    while i < n or j < m:
        step = move[i][j] if i < n and j < m else (1 if i < n else 2)
        if step == 0:
            out.append((i, j, scores[(i, j)]))
            i, j = i + 1, j + 1
        elif step == 1:
            out.append((i, None, 0.0))
            i += 1
        else:
            out.append((None, j, 0.0))
            j += 1
    return out


def _depths(provisions: Sequence[PlainProvision]) -> list[int]:
    by_wid = {p.wid: p for p in provisions}
    return [depth_of(p, by_wid) for p in provisions]


# -------------------------------------------------------------------------------- findings


def _basis(values: dict[str, Any], order: Sequence[str]) -> str:
    """The language whose value the most languages share (the earliest on a tie)."""
    counts = Counter(_hashable(v) for v in values.values())
    return max(order, key=lambda lang: (counts[_hashable(values[lang])], -order.index(lang)))


def _hashable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, set | frozenset):
        return frozenset(value)
    return value


def _list(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "none"


def _quantity_difference(qa: Sequence[Quantity], qb: Sequence[Quantity]) -> tuple[list, list]:
    """Quantities of each side without an equal one on the other (units compared if both set)."""
    left = list(qa)
    right = list(qb)
    for q in list(left):
        twin = next(
            (
                r
                for r in right
                if r.key == q.key and (r.unit == q.unit or r.unit is None or q.unit is None)
            ),
            None,
        )
        if twin is not None:
            left.remove(q)
            right.remove(twin)
    return left, right


@dataclass
class _Row:
    cells: dict[str, PlainProvision | None]
    facts: dict[str, ProvisionFacts] = field(default_factory=dict)


def _compare_row(row: _Row, order: Sequence[str], glossary: Glossary) -> list[Finding]:
    present = [lang for lang in order if row.cells.get(lang) is not None]
    numbers = {lang: (c.number if (c := row.cells.get(lang)) else None) for lang in order}
    if len(present) < len(order):
        absent = [lang for lang in order if lang not in present]
        p = next(c for c in row.cells.values() if c is not None)
        kind = "sub-point" if p.parent_wid else "point"
        if len({numbers[lang] for lang in present}) == 1:
            where = f"{numbers[present[0]]} in {' and '.join(present)}"
        else:
            where = ", ".join(f"{numbers[lang]} in {lang}" for lang in present)
        return [
            Finding(
                "missing",
                numbers,
                tuple(order),
                f"{kind} {where} is missing in {', '.join(absent)}",
            )
        ]
    found: list[Finding] = []
    facts = row.facts

    def report(kind: str, values: dict[str, Any], describe: Any) -> None:
        basis = _basis(values, present)
        for lang in present:
            if lang == basis or _hashable(values[lang]) == _hashable(values[basis]):
                continue
            pair = (basis, lang) if order.index(basis) < order.index(lang) else (lang, basis)
            detail = describe(pair[0], pair[1])
            if detail:
                found.append(Finding(kind, {k: numbers[k] for k in pair}, pair, detail))

    # numbers: compare quantities, pairing equal values (and units where both name one)
    def describe_numbers(x: str, y: str) -> str:
        left, right = _quantity_difference(facts[x].quantities, facts[y].quantities)
        if not left and not right:
            return ""
        return (
            f"{_list([format_quantity(q) for q in left])} in {x}, "
            f"{_list([format_quantity(q) for q in right])} in {y}"
        )

    quantity_sets = {
        lang: tuple(sorted((q.key, q.unit or "") for q in facts[lang].quantities))
        for lang in present
    }
    report("number", quantity_sets, describe_numbers)

    def describe_multiset(field_name: str, noun: str) -> Any:
        def describe(x: str, y: str) -> str:
            cx = Counter(getattr(facts[x], field_name))
            cy = Counter(getattr(facts[y], field_name))
            left = sorted((cx - cy).elements())
            right = sorted((cy - cx).elements())
            return f"{noun} {_list(left)} in {x}, {_list(right)} in {y}"

        return describe

    report(
        "date",
        {lang: tuple(sorted(facts[lang].dates)) for lang in present},
        describe_multiset("dates", "date"),
    )
    report(
        "reference",
        {lang: tuple(sorted(facts[lang].references)) for lang in present},
        describe_multiset("references", "reference to point"),
    )

    # names: one finding per glossary term found in some languages and not in others
    terms = sorted(set().union(*(facts[lang].names for lang in present)))
    for term in terms:
        judged = [lang for lang in present if glossary.has_forms(term, lang)]
        has = [lang for lang in judged if term in facts[lang].names]
        lacks = [lang for lang in judged if term not in facts[lang].names]
        if has and lacks:
            langs = tuple(lang for lang in order if lang in has or lang in lacks)
            shown = ", ".join(f"{glossary.label(term, lang)} in {lang}" for lang in has)
            found.append(
                Finding(
                    "name",
                    {lang: numbers[lang] for lang in langs},
                    langs,
                    f"{shown}; no counterpart ({term}) in {', '.join(lacks)}",
                )
            )

    def describe_brackets(x: str, y: str) -> str:
        bx, by = facts[x].brackets, facts[y].brackets
        return f"{len(bx)} bracketed passage(s) in {x}, {len(by)} in {y}"

    report("bracket", {lang: len(facts[lang].brackets) for lang in present}, describe_brackets)
    return found


# ----------------------------------------------------------------------------------- entry


def crosscheck(texts: Sequence[LanguageText], *, glossary: Glossary) -> CrossCheck:
    """Align the language versions (the first one leads) and report what differs.

    The languages must differ from each other; the caller checks (the CLI exits 2).
    """
    order = tuple(t.language for t in texts)
    if len(set(order)) != len(order):
        raise ValueError("two texts have the same language")
    facts = {
        t.language: [facts_of(_provision_text(p), t.language, glossary) for p in t.provisions]
        for t in texts
    }
    lead = texts[0]
    rows: list[_Row] = [_Row({lead.language: p}) for p in lead.provisions]
    for r, p in zip(rows, lead.provisions, strict=True):
        r.facts[lead.language] = facts[lead.language][lead.provisions.index(p)]
    uncertain_pairs: list[tuple[str, int, int]] = []
    lead_numbers = comparable_numbers(lead.provisions)
    for other in texts[1:]:
        other_numbers = comparable_numbers(other.provisions)
        pairs = align_pair(
            lead.provisions, other.provisions, facts[lead.language], facts[other.language]
        )
        # extras of this language go after the row of the lead provision before them
        inserted: dict[int, list[int]] = {}
        anchor = -1
        for i, j, score in pairs:
            if i is not None:
                anchor = i
                if j is not None:
                    rows_index = _row_of(rows, lead.language, lead.provisions[i])
                    rows[rows_index].cells[other.language] = other.provisions[j]
                    rows[rows_index].facts[other.language] = facts[other.language][j]
                    if score < _SURE or lead_numbers[i] != other_numbers[j]:
                        uncertain_pairs.append((other.language, i, j))
            elif j is not None:
                inserted.setdefault(anchor, []).append(j)
        for anchor_index, extras in sorted(inserted.items(), reverse=True):
            if anchor_index >= 0:
                at = _row_of(rows, lead.language, lead.provisions[anchor_index]) + 1
            else:
                at = 0
            # skip rows inserted by earlier languages at this anchor, joining an equal number
            for j in extras:
                p = other.provisions[j]
                joined = False
                k = at
                while k < len(rows) and rows[k].cells.get(lead.language) is None:
                    cell = next(c for c in rows[k].cells.values() if c is not None)
                    if other.language not in rows[k].cells and cell.number == p.number:
                        rows[k].cells[other.language] = p
                        rows[k].facts[other.language] = facts[other.language][j]
                        joined = True
                        break
                    k += 1
                if not joined:
                    rows.insert(
                        k, _Row({other.language: p}, {other.language: facts[other.language][j]})
                    )
                at = k + 1
    for r in rows:
        for lang in order:
            r.cells.setdefault(lang, None)
    findings: list[Finding] = []
    for r in rows:
        findings.extend(_compare_row(r, order, glossary))
    uncertain: list[dict[str, str | None]] = []
    for lang, i, j in uncertain_pairs:
        uncertain.append(
            {
                lead.language: lead.provisions[i].number,
                lang: texts[order.index(lang)].provisions[j].number,
            }
        )
    return CrossCheck(
        languages=order,
        rows=tuple(dict(r.cells) for r in rows),
        findings=tuple(findings),
        uncertain=tuple(uncertain),
    )


def crosscheck_aligned(
    languages: Sequence[str],
    rows: Sequence[dict[str, PlainProvision | None]],
    *,
    glossary: Glossary,
) -> CrossCheck:
    """The findings for provisions already aligned (a stored version's languages share their
    permanent ids): one row per provision, a language's cell None where it lacks it."""
    order = tuple(languages)
    if len(set(order)) != len(order):
        raise ValueError("two texts have the same language")
    built: list[_Row] = []
    for cells in rows:
        row = _Row({lang: cells.get(lang) for lang in order})
        for lang in order:
            p = row.cells[lang]
            if p is not None:
                row.facts[lang] = facts_of(_provision_text(p), lang, glossary)
        if any(c is not None for c in row.cells.values()):
            built.append(row)
    findings: list[Finding] = []
    for r in built:
        findings.extend(_compare_row(r, order, glossary))
    return CrossCheck(
        languages=order, rows=tuple(dict(r.cells) for r in built), findings=tuple(findings)
    )


def _row_of(rows: list[_Row], language: str, provision: PlainProvision) -> int:
    for k, r in enumerate(rows):
        if r.cells.get(language) is provision:
            return k
    raise LookupError(provision.number)


def crosscheck_to_dict(result: CrossCheck) -> dict[str, Any]:
    """The JSON of ``parley text crosscheck --format json`` (docs/texts.md)."""
    return {
        "languages": list(result.languages),
        "provisions": [
            {lang: (p.number if p is not None else None) for lang, p in row.items()}
            for row in result.rows
        ],
        "findings": [f.as_dict() for f in result.findings],
    }


def crosscheck_to_text(result: CrossCheck) -> str:
    """One line per finding (``point 2 (en) / 2 (ru): number: ...``), one per pairing of
    different numbers (``check the pairing: 7 (en) = 6 (uk)``), and a summary line."""
    lines = []
    for pair in result.uncertain:
        if len(set(pair.values())) == 1:
            continue  # same number, a weak match of content: the findings say what differs
        shown = " = ".join(f"{number} ({lang})" for lang, number in pair.items())
        lines.append(f"check the pairing: {shown}")
    for f in result.findings:
        where = " / ".join(
            f"{number if number is not None else '-'} ({lang})"
            for lang, number in f.numbers.items()
        )
        lines.append(f"point {where}: {f.kind}: {f.detail}")
    aligned = len(result.rows)
    count = len(result.findings)
    lines.append(
        f"{' | '.join(result.languages)}: {aligned} provision(s) aligned, "
        f"{count} finding{'s' if count != 1 else ''}"
    )
    return "\n".join(lines) + "\n"
