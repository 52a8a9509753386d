"""Quotations with their speaker and reporting verb.

For each quoted passage the attribution is the nearest reporting verb outside quotation marks in
the sentence(s) around it ("said", "told", "wrote", "according to"); the speaker is that verb's
subject, resolved to a person (through "he"/"she" and "the prime minister" when needed), to a
party ("the Kremlin said"), or left empty for an unnamed source ("a senior diplomat said").
A quote split by its attribution ("“A,” she said, “B.”") becomes one quotation; a quote with no
attribution of its own continues the previous speaker's words in the same or the previous
paragraph. Sentences attributed with "according to" but without quotation marks are proposed as
reported statements.
"""

from __future__ import annotations

import re

from spacy.tokens import Token

from parley.intake.context import Context
from parley.intake.quotes_scan import QuoteSpan
from parley.intake.records import QuoteProposal

REPORTING = {
    "say",
    "tell",
    "add",
    "write",
    "call",
    "describe",
    "note",
    "warn",
    "insist",
    "state",
    "declare",
    "post",
    "reply",
    "respond",
    "stress",
    "explain",
    "argue",
    "claim",
    "announce",
    "put",
    "comment",
    "confirm",
    "suggest",
    "acknowledge",
    "admit",
    "tweet",
    "caution",
    "emphasise",
    "emphasize",
    "remark",
    "recall",
    "conclude",
    "continue",
    "observe",
    "vow",
}
_SPLIT_BETWEEN = re.compile(r"^[”\"’»“]?[^.!?\n]{1,80}?,\s*$")
_ACCORDING_END = re.compile(r",?\s+according to\b", re.I)
_ACCORDING_START = re.compile(r"^\s*According to\b[^,]*,\s*", re.I)


def _group(ctx: Context) -> list[tuple[QuoteSpan, QuoteSpan]]:
    """Join quotes split by their attribution: (first part, last part)."""
    groups: list[tuple[QuoteSpan, QuoteSpan]] = []
    quotes = ctx.quotes
    i = 0
    while i < len(quotes):
        first = last = quotes[i]
        while i + 1 < len(quotes):
            nxt = quotes[i + 1]
            between = ctx.text[last.end : nxt.start - 1]
            part = ctx.text[last.start : last.end]
            if (
                nxt.paragraph == last.paragraph
                and _SPLIT_BETWEEN.match(between)
                and (part.endswith((",", "—", "–")) or ctx.text[nxt.start].islower())
            ):
                last = nxt
                i += 1
            else:
                break
        groups.append((first, last))
        i += 1
    return groups


def _quote_text(ctx: Context, first: QuoteSpan, last: QuoteSpan) -> str:
    if first is last:
        return ctx.text[first.start : first.end]
    parts = [q for q in ctx.quotes if first.start <= q.start <= last.start]
    return " ".join(ctx.text[q.start : q.end] for q in parts)


def _verbs(ctx: Context, lo_sent: int, hi_sent: int) -> list[Token]:
    out = []
    for k in range(lo_sent, hi_sent + 1):
        for tok in ctx.sents[k]:
            if ctx.in_quote(tok.idx):
                continue
            if (
                tok.lemma_.lower() in REPORTING
                and tok.pos_ in ("VERB", "AUX")
                or (
                    tok.lower_ == "according"
                    and tok.i + 1 < len(ctx.doc)
                    and ctx.doc[tok.i + 1].lower_ == "to"
                )
            ):
                out.append(tok)
    return out


def _subject(verb: Token) -> Token | None:
    tok: Token | None = verb
    for _ in range(4):
        if tok is None:
            return None
        subjects = [c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")]
        if subjects:
            # "GENEVA, Nov 24 (Wire) - The United States and Ukraine said": the parser may take
            # the dateline for a second subject; the one nearest the verb speaks.
            at = tok.i
            return min(subjects, key=lambda c: abs(at - c.i))
        if tok.dep_ in ("conj", "xcomp", "advcl", "ccomp") and tok.head is not tok:
            tok = tok.head
        else:
            break
    # Inverted attribution the parser missed ("..., said Witkoff."): the next proper noun.
    for tok2 in verb.doc[verb.i + 1 : verb.i + 4]:
        if tok2.pos_ == "PROPN":
            return tok2
    return None


def _according_to(ctx: Context, verb: Token) -> tuple[list[str], str | None, str]:
    """Speaker after "according to": a person, a party, or an unnamed source."""
    sent = verb.sent
    after = verb.doc[verb.i + 2 : sent.end]
    people = ctx.mentions_in(after.start_char, after.end_char, "person") if len(after) else []
    phrase = after.text.rstrip(". ") if len(after) else ""
    if people and people[0].start - after.start_char < 60:
        return [people[0].name], None, phrase
    if len(after):
        head = next((t for t in after if t.head.i == verb.i + 1 or t.dep_ == "pobj"), None)
        if head is not None:
            names, party, _text = ctx.speaker_of(head)
            return names, party, phrase
    return [], None, phrase


Attribution = tuple[list[str], str | None, str | None, str | None, tuple[int, int], float]


def _attribute(ctx: Context, first: QuoteSpan, last: QuoteSpan) -> Attribution:
    """(people, party, verb, speaker words, evidence sentence range, confidence)."""
    lo = ctx.sentence_index(first.start)
    hi = ctx.sentence_index(max(first.start, last.end - 1))
    verbs = _verbs(ctx, lo, hi)
    text = ctx.text
    if (
        not verbs
        and text[first.start : last.end].rstrip().endswith((",", "—"))
        and hi + 1 < len(ctx.sents)
    ):
        hi += 1
        verbs = _verbs(ctx, lo, hi)
    if (
        not verbs
        and re.search(r"[?!][”\"’»]?\s*$", text[first.start : last.end])
        and hi + 1 < len(ctx.sents)
        and "\n" not in text[last.end : ctx.sents[hi + 1].start_char]
    ):
        # "If we don't use the assets now, when will we?" Kallas said. -- the parser ends the
        # sentence at the question mark; the attribution is the next one.
        nxt = [v for v in _verbs(ctx, hi + 1, hi + 1) if v.i - ctx.sents[hi + 1].start < 5]
        if nxt:
            hi += 1
            verbs = nxt
    if not verbs and lo > 0 and text[: first.start].rstrip().endswith(":"):
        lo -= 1
        verbs = _verbs(ctx, lo, hi)
    if not verbs:
        return [], None, None, None, (lo, hi), 0.0

    def distance(tok: Token) -> int:
        if tok.idx >= last.end:
            return tok.idx - last.end
        if tok.idx < first.start:
            return first.start - tok.idx
        return 0

    # The nearest verb first; if its subject names nobody ("it would not comment"), the next.
    fallback: (
        tuple[list[str], str | None, str | None, str | None, tuple[int, int], float] | None
    ) = None
    for verb in sorted(verbs, key=distance):
        result: Attribution
        if verb.lower_ == "according":
            names, party, words = _according_to(ctx, verb)
            result = (
                names,
                party,
                "according to",
                words,
                (lo, hi),
                0.85 if names or party else 0.6,
            )
        else:
            subject = _subject(verb)
            if subject is None:
                result = ([], None, verb.text, None, (lo, hi), 0.4)
            else:
                who, body, subject_words = ctx.speaker_of(subject)
                if body and not who:
                    # "The United States and Ukraine said ...": every party of the subject speaks
                    more = [n for n in ctx.co_parties(subject) if n != body]
                    if more:
                        who, body = [body, *more], None
                confidence = 0.9 if who else 0.8 if body else 0.6
                if subject.lower_ in ("he", "she", "they"):
                    confidence = 0.75 if who else 0.4
                result = (who, body, verb.text, subject_words, (lo, hi), confidence)
        if result[0] or result[1]:
            return result
        fallback = fallback or result
    assert fallback is not None
    return fallback


def extract_quotes(ctx: Context) -> list[QuoteProposal]:
    out: list[QuoteProposal] = []
    previous: QuoteProposal | None = None
    previous_span: QuoteSpan | None = None
    for first, last in _group(ctx):
        names, party, verb, words, (lo, hi), confidence = _attribute(ctx, first, last)
        kind = "quote"
        if verb is None and previous is not None and previous_span is not None:
            same = previous_span.paragraph == first.paragraph
            carried = previous_span.unclosed and first.paragraph == previous_span.paragraph + 1
            if same or carried:
                names, party, words, kind = (
                    list(previous.speakers),
                    None,
                    previous.speaker_text,
                    previous.kind,
                )
                if not names and previous.speaker:
                    party = previous.speaker
                confidence = 0.7
        a, b = ctx.sents[lo].start_char, ctx.sents[hi].end_char
        outside = "".join(ctx.text[i] for i in range(a, b) if not ctx.in_quote(i))
        if "joint statement" in outside.lower() and len(names) + (1 if party else 0) >= 1:
            kind = "joint_statement"
        speakers = names or ([party] if party else [])
        proposal = QuoteProposal(
            speaker=speakers[0] if speakers else None,
            speakers=speakers,
            text=_quote_text(ctx, first, last),
            verb=verb,
            evidence=ctx.sentence_span(lo, hi),
            quote=(first.start, last.end),
            confidence=round(confidence or 0.3, 2),
            kind=kind,
            speaker_text=words,
        )
        out.append(proposal)
        previous, previous_span = proposal, last
    out.extend(_reported(ctx))
    out.sort(key=lambda q: q.evidence[0])
    return out


def _reported(ctx: Context) -> list[QuoteProposal]:
    """Sentences attributed with "according to" and no quotation marks."""
    out: list[QuoteProposal] = []
    for k, sent in enumerate(ctx.sents):
        stext = sent.text
        if "according to" not in stext.lower():
            continue
        if any(sent.start_char <= q.start < sent.end_char for q in ctx.quotes):
            continue
        verb = next(
            (
                t
                for t in sent
                if t.lower_ == "according"
                and t.i + 1 < len(ctx.doc)
                and ctx.doc[t.i + 1].lower_ == "to"
            ),
            None,
        )
        if verb is None:
            continue
        names, party, words = _according_to(ctx, verb)
        m = _ACCORDING_START.match(stext)
        if m:
            claim = stext[m.end() :]
        else:
            end = _ACCORDING_END.search(stext)
            claim = stext[: end.start()] if end else stext
        claim = claim.strip().rstrip(".").strip()
        speakers = names or ([party] if party else [])
        kind = "joint_statement" if "joint statement" in (words or "").lower() else "reported"
        out.append(
            QuoteProposal(
                speaker=speakers[0] if speakers else None,
                speakers=speakers,
                text=claim,
                verb="according to",
                evidence=ctx.sentence_span(k),
                quote=None,
                confidence=0.7 if speakers else 0.5,
                kind=kind,
                speaker_text=words,
            )
        )
    return out
