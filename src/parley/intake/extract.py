"""Extraction: from one report's text to evidence-linked proposals.

    extract(text, published=date(2025, 12, 23))            -> Extraction
    extract_many([(text, SourceInfo), ...], gazetteer)     -> list[Extraction]  (nlp.pipe batches)
    cross_source_warnings([Extraction, ...])               -> [(index, IntakeWarning), ...]

Each proposal's `evidence` is the [start, end) character span of the sentence(s) that support it
in exactly the text given (the stored text), and carries a confidence in [0, 1].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from spacy.tokens import Doc

from parley.intake import dates as dt
from parley.intake import money as mn
from parley.intake.commitments import extract_commitments
from parley.intake.context import Context, Mention, build_context
from parley.intake.gazetteer import Gazetteer, default_gazetteer
from parley.intake.meetings import extract_meetings
from parley.intake.nlp import pipeline
from parley.intake.people import compatible_titles
from parley.intake.quotes import extract_quotes
from parley.intake.records import (
    CommitmentProposal,
    DemandProposal,
    DocumentProposal,
    Extraction,
    IntakeWarning,
    PartyProposal,
    PersonProposal,
    SourceInfo,
)
from parley.intake.statements import (
    attribute_statement_quotes,
    extract_statements,
    meetings_from_statements,
)

DEMAND_RE = re.compile(
    r"\b(?:demand(?:s|ed|ing)?|insist(?:s|ed|ing)?|call(?:s|ed|ing)? for|urg(?:e|es|ed|ing)|"
    r"ask(?:s|ed|ing)?(?:\s+\w+)?\s+(?:to|for)\b|want(?:s|ed)?|"
    r"(?:will|would|does|did) not (?:accept|recognise|recognize|agree to)|"
    r"won't (?:accept|recognise|recognize)|refuses to accept|reject(?:s|ed)?|red lines?|"
    r"sticking point|precondition|as a condition)\b",
    re.I,
)
DOCUMENT_RE = re.compile(
    r"\b(?P<name>(?:[A-Z][\w'’-]*\s+){1,4}(?:Declaration|Agreement|Accords?|Memorandum|Communiqu[ée]|Treaty|"
    r"Charter|Protocol|Roadmap))\b"
)
_TRAILING_ATTRIBUTION = re.compile(
    r",\s+(?:[^,]{1,60}?)\s+(?:said|says|told|added|confirmed|noted)\s*\.?\s*$"
)


# -- entry points ------------------------------------------------------------------------


def extract(
    text: str,
    *,
    published: date | None = None,
    gazetteer: Gazetteer | None = None,
    source: SourceInfo | None = None,
) -> Extraction:
    """Propose records for one report. `text` is the stored text evidence offsets point into."""
    gz = gazetteer or default_gazetteer()
    source = source or SourceInfo(published=published)
    if published is not None:
        source.published = published
    return extract_doc(pipeline(gz)(text), gz, source)


def extract_many(
    items: Sequence[tuple[str, SourceInfo]],
    gazetteer: Gazetteer | None = None,
    batch_size: int = 16,
) -> list[Extraction]:
    """Batch extraction through `nlp.pipe` (the fast path for many reports)."""
    gz = gazetteer or default_gazetteer()
    nlp = pipeline(gz)
    docs = nlp.pipe((text for text, _ in items), batch_size=batch_size)
    return [extract_doc(doc, gz, source) for doc, (_text, source) in zip(docs, items, strict=True)]


def extract_doc(doc: Doc, gazetteer: Gazetteer, source: SourceInfo) -> Extraction:
    ctx = build_context(doc, gazetteer, source.published)
    result = Extraction(source=source, text=doc.text)
    result.people = _people(ctx)
    result.parties = _parties(ctx)
    result.meetings = extract_meetings(ctx)
    result.quotes = extract_quotes(ctx)
    result.documents = _documents(ctx)
    result.commitments = extract_commitments(ctx)
    result.demands = _demands(ctx)
    result.statements = extract_statements(ctx, result.meetings)
    attribute_statement_quotes(ctx, result.statements, result.quotes)
    meetings_from_statements(ctx, result.statements, result.meetings)
    result.warnings = _weekday_warnings(ctx) + _title_warnings(ctx)
    return result


# -- people and parties --------------------------------------------------------------------


def _people(ctx: Context) -> list[PersonProposal]:
    out = []
    for person in ctx.people.values():
        first = person.mentions[0]
        confidence = (0.95 if person.known else 0.7) + (0.05 if person.title else 0.0)
        out.append(
            PersonProposal(
                name=person.name,
                title=person.title,
                party=person.party,
                mentions=sorted(person.mentions),
                known=person.known is not None,
                evidence=ctx.evidence(*(person.title_span or first)),
                confidence=round(min(confidence, 1.0), 2),
            )
        )
    return out


def _parties(ctx: Context) -> list[PartyProposal]:
    found: dict[str, PartyProposal] = {}
    for m in ctx.mentions:
        if m.kind != "party":
            continue
        proposal = found.setdefault(
            m.name, PartyProposal(m.name, [], m.known, 0.95 if m.known else 0.6)
        )
        proposal.mentions.append((m.start, m.end))
    return list(found.values())


# -- documents -----------------------------------------------------------------------------


def _documents(ctx: Context) -> list[DocumentProposal]:
    found: dict[str, DocumentProposal] = {}
    for m in ctx.mentions:
        if m.kind == "document" and m.name not in found:
            known = ctx.gazetteer.document(m.name)
            found[m.name] = DocumentProposal(
                m.name,
                True,
                known.kind if known else None,
                (m.start, m.end),
                ctx.evidence(m.start, m.end),
                0.9,
            )
    for rm in DOCUMENT_RE.finditer(ctx.text):
        name = rm.group("name")
        start = rm.start("name")
        if name.startswith(("The ", "A ", "An ")):
            name, start = name.split(" ", 1)[1], start + len(name.split(" ", 1)[0]) + 1
        known = ctx.gazetteer.document(name)
        key = known.name if known else name
        if key in found or ctx.in_quote(start):
            continue
        found[key] = DocumentProposal(
            key,
            known is not None,
            known.kind if known else None,
            (start, rm.end("name")),
            ctx.evidence(start, rm.end("name")),
            0.9 if known else 0.6,
        )
    return sorted(found.values(), key=lambda d: d.mention[0])


# -- commitments ---------------------------------------------------------------------------


def _nearest_party_before(ctx: Context, start: int, pos: int) -> Mention | None:
    for m in reversed(ctx.mentions_in(start, pos)):
        if m.end <= pos and ctx.party_of(m):
            return m
    return None


# -- demands -------------------------------------------------------------------------------


def _demands(ctx: Context) -> list[DemandProposal]:
    out: list[DemandProposal] = []
    for k, sent in enumerate(ctx.sents):
        stext = sent.text
        if DEMAND_RE.search(stext) is None:
            continue
        lo, hi = sent.start_char, sent.end_char
        blanked = stext
        for q in ctx.quotes:  # blank what is inside quotation marks
            if q.start < hi and lo < q.end:
                a, b = max(q.start, lo) - lo, min(q.end, hi) - lo
                blanked = blanked[:a] + " " * (b - a) + blanked[b:]
        m = DEMAND_RE.search(blanked)
        if m is None or stext.lower().startswith("asked about"):
            continue
        trigger_at = sent.start_char + m.start()
        who = _nearest_party_before(ctx, sent.start_char, trigger_at)
        party = ctx.party_of(who) if who else None
        if party is None and k > 0:
            prev = [
                x
                for x in ctx.mentions_in(ctx.sents[k - 1].start_char, sent.start_char)
                if ctx.party_of(x)
            ]
            party = ctx.party_of(prev[0]) if prev else None
        body = stext[m.end() :].strip()
        body = _TRAILING_ATTRIBUTION.sub("", body).rstrip(" .")
        kind = "sticking_point" if "sticking point" in stext.lower() else "demand"
        out.append(
            DemandProposal(
                party=party,
                text=body or stext.strip(),
                evidence=ctx.sentence_span(k),
                confidence=0.75 if who else 0.5,
                kind=kind,
            )
        )
    return out


# -- warnings ------------------------------------------------------------------------------


def _weekday_warnings(ctx: Context) -> list[IntakeWarning]:
    out = []
    for mention in dt.find_dates(ctx.text):
        bad = dt.weekday_mismatch(mention, ctx.published)
        if bad is None:
            continue
        when, actual = bad
        a, b = mention.core
        out.append(
            IntakeWarning(
                "weekday_mismatch", ctx.text[a:b], f"{when.isoformat()} was a {actual}", (a, b)
            )
        )
    return out


def _title_warnings(ctx: Context) -> list[IntakeWarning]:
    out = []
    for person in ctx.people.values():
        if not (person.known and person.known.titles and person.title and person.title_span):
            continue
        if any(compatible_titles(person.title, held) for held in person.known.titles):
            continue
        a, b = person.title_span
        held = ", ".join(person.known.titles)
        out.append(
            IntakeWarning(
                "title_mismatch",
                ctx.text[a:b],
                f"the report calls {person.name} '{person.title}'; the record has: {held}",
                (a, b),
            )
        )
    return out


def _usd(c: CommitmentProposal) -> float | None:
    if c.alt_currency == "USD" and c.alt_amount is not None:
        return float(c.alt_amount)
    return mn.in_usd(c.amount, c.currency)


def cross_source_warnings(
    results: Sequence[Extraction], tolerance: float = 0.05
) -> list[tuple[int, IntakeWarning]]:
    """Amounts that disagree between sources about the same pledge.

    Two commitments are taken to be the same pledge when donor and recipient agree (a missing
    recipient agrees with any) and the periods are equal -- or, if a period is missing, when the
    amounts are within a factor of 1.5 of each other. They disagree when their dollar values differ
    by more than `tolerance` (5%). Returns (index of the result to warn, warning) pairs.
    """
    out: list[tuple[int, IntakeWarning]] = []
    items = [(i, c) for i, r in enumerate(results) for c in r.commitments if c.donor]
    for x, (i, a) in enumerate(items):
        for j, b in items[x + 1 :]:
            if i == j or a.donor != b.donor:
                continue
            if a.recipient and b.recipient and a.recipient != b.recipient:
                continue
            ua, ub = _usd(a), _usd(b)
            if ua is None or ub is None or min(ua, ub) <= 0:
                continue
            ratio = max(ua, ub) / min(ua, ub)
            if a.period and b.period:
                if a.period != b.period:
                    continue
            elif ratio > 1.5:
                continue
            if ratio - 1 <= tolerance:
                continue
            for k, mine, other, other_index in ((i, a, b, j), (j, b, a, i)):
                src = results[other_index].source
                name = src.title or src.url or f"source {other_index + 1}"
                detail = (
                    f"{mine.donor}'s pledge: this report gives {mine.amount_text}, "
                    f"'{name}' gives {other.amount_text} (about {ratio - 1:.0%} apart)"
                )
                out.append(
                    (k, IntakeWarning("amount_mismatch", mine.amount_text, detail, mine.evidence))
                )
    return out


def add_cross_source_warnings(results: Sequence[Extraction]) -> None:
    """Append amount_mismatch warnings to the results they concern."""
    for index, warning in cross_source_warnings(results):
        results[index].warnings.append(warning)
