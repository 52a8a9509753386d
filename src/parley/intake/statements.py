"""Statements with all their signatories: joint statements, communiqués and readouts.

A sentence names a statement when it says "joint statement", "joint declaration", "communiqué"
or "readout", or "statement" with a verb of issuing (issued, released, adopted) and several
signatories. Its signatories are:

* for a readout, the government that issued it: "readout issued by the Kremlin" (Russia),
  "Readout of President Trump's call" (the president's party), "the Prime Minister's call"
  (the party of the person in the report holding that title);
* otherwise the people and parties named as issuing it: after "by" ("issued ... by Steve
  Witkoff, Jared Kushner and Rustem Umerov"), or in the clause that issues or "said" it
  ("Witkoff and Umerov said in a joint statement", "Leaders of Germany, France ... issued",
  "In a joint communiqué ..., the United Kingdom, France, Germany and Italy said"). Parties
  after "with", "to", "for", "against", "after", "in", "on" are not signatories ("talks with
  Russia", "support for Ukraine"), those after "together with" and "in which" are. The parties
  of the signatory people are signatories too.

The **date** is the date written in the sentence, else that of the meeting the statement
follows ("after the call", "following the meeting"), else the publication date. The **place** is
the place written in the sentence ("issued in Miami"), else that of the meeting on that date,
else the dateline's. A report's mentions of one statement (headline and body) are one statement,
the mention with the most signatories kept.
"""

from __future__ import annotations

import re
from datetime import date

from spacy.tokens import Span

from parley.intake import dates as dt
from parley.intake.context import Context, Mention
from parley.intake.meetings import dateline
from parley.intake.people import normalise_title
from parley.intake.records import MeetingProposal, QuoteProposal, StatementProposal

_STATEMENT = re.compile(
    r"\b(?P<joint>joint\s+(?:statement|declaration|communiqu[ée]))"
    r"|\b(?P<comm>communiqu[ée]s?)\b"
    r"|\b(?P<readout>readouts?)\b"
    r"|\b(?P<plain>statement)\b",
    re.I,
)
_ISSUE = re.compile(r"\b(?:issued|released|adopted|published|signed|agreed)\b", re.I)
_BY = re.compile(r"\bby\s+", re.I)
_EXCLUDE_PREP = {"with", "to", "for", "against", "after", "in", "on", "at", "about", "toward"}
_INCLUDE_PREP = {"of", "by"}
_ACCORDING = re.compile(r"\baccording\s+to\s+(?:a|the|an)\s+$", re.I)
_OF_TITLE = re.compile(r"\s+of\s+(?:the\s+)?(?:[A-Z][\w.-]*\s+){0,3}")
# A group named with its members ("the G7 foreign ministers of Canada, France ...") is its members.
_GROUPS = {"G7"}
_TITLE_POSSESSIVE = re.compile(r"\breadout\s+of\s+the\s+(?P<title>[A-Za-z ]{3,40}?)['’]s\b", re.I)


def extract_statements(ctx: Context, meetings: list[MeetingProposal]) -> list[StatementProposal]:
    line = dateline(ctx)
    dateline_place, (skip_from, skip_to) = line if line else (None, (0, 0))
    best: dict[str, StatementProposal] = {}
    for k, sent in enumerate(ctx.sents):
        m = _first_statement(ctx, sent)
        if m is None:
            continue
        kind = "readout" if m.group("readout") else "communique" if m.group("comm") else None
        kind = kind or (
            "communique" if m.group("joint") and "commun" in m.group("joint").lower() else None
        )
        kind = kind or "joint_statement"
        at = sent.start_char + m.start()
        end = sent.start_char + m.end()
        people: list[str]
        parties: list[str]
        if kind == "readout":
            people, parties = [], _readout_parties(ctx, sent, at, end)
        else:
            people, parties = _signatories(ctx, sent, at, end)
        if m.group("plain") and (
            len(people) + len(parties) < 2
            or not _ISSUE.search(sent.text)
            or re.search(r"\bin\s+a\s+$", sent.text[: m.start()])  # "said in a statement"
        ):
            continue
        if not people and not parties:
            continue
        day, date_text, place = _when_where(
            ctx, sent, meetings, at, (skip_from, skip_to), dateline_place
        )
        confidence = 0.6 + (0.15 if day else 0.0) + (0.1 if len(people) + len(parties) > 1 else 0)
        proposal = StatementProposal(
            kind=kind,
            people=people,
            parties=parties,
            date=day,
            date_text=date_text,
            place=place,
            evidence=ctx.sentence_span(k),
            confidence=round(min(confidence, 1.0), 2),
        )
        old = best.get(kind)
        size = len(people) + len(parties)
        if (
            old is None
            or size > len(old.people) + len(old.parties)
            or (
                size == len(old.people) + len(old.parties)
                and old.evidence[0] < ctx.sents[0].end_char
            )
        ):
            best[kind] = proposal  # the body's mention wins over the headline's
    return sorted(best.values(), key=lambda s: s.evidence[0])


def _first_statement(ctx: Context, sent: Span) -> re.Match[str] | None:
    for m in _STATEMENT.finditer(sent.text):
        if not ctx.in_quote(sent.start_char + m.start()):
            return m
    return None


def _add(ctx: Context, mention: Mention, people: list[str], parties: list[str]) -> None:
    if mention.kind == "person":
        if mention.name not in people:
            people.append(mention.name)
        party = ctx.party_of(mention)
        if party and party not in parties:
            parties.append(party)
    elif mention.kind == "party":
        if ctx.gazetteer.place(ctx.text[mention.start : mention.end]) and mention.ent is not None:
            left = ctx.text[max(0, mention.start - 4) : mention.start].lower()
            if left.endswith(("in ", "at ")):
                return  # "in Moscow" is where, not who
        if mention.name not in parties:
            parties.append(mention.name)


def _is_adjective(mention: Mention) -> bool:
    return mention.ent is not None and mention.ent.label_ == "NORP"


def _signatories(ctx: Context, sent: Span, at: int, end: int) -> tuple[list[str], list[str]]:
    people: list[str] = []
    parties: list[str] = []
    mentions = [
        m for m in ctx.mentions_in(sent.start_char, sent.end_char) if m.kind in ("person", "party")
    ]
    # "... issued in Miami on Saturday by Witkoff, Kushner and Umerov, Secretary of ... Ukraine:"
    by = _BY.search(ctx.text, end, sent.end_char)
    if by is not None and by.start() - end < 60:
        stop = _by_span_end(ctx.text, by.end(), sent.end_char)
        for m in mentions:
            if by.end() <= m.start < stop and not _is_adjective(m):
                _add(ctx, m, people, parties)
        joint = ctx.text[at:end].lower().startswith("joint")
        if (people or parties) and (len(people) + len(parties) >= 2 or not joint):
            return people, parties
        people, parties = [], []
    before = [m for m in mentions if m.end <= at]
    if _ACCORDING.search(ctx.text[max(sent.start_char, at - 30) : at]):
        return people, parties  # what comes before "according to a statement" is its content
    if not before:
        # "In a joint communiqué issued after the call, the United Kingdom, France ... said"
        verb = next(
            (t for t in sent if t.idx >= end and t.pos_ in ("VERB", "AUX") and t.idx > end + 1),
            None,
        )
        stop = verb.idx if verb is not None else sent.end_char
        chosen = _included(ctx, [m for m in mentions if end <= m.start < stop], end)
        while verb is not None and not chosen:
            nxt = next((t for t in sent if t.idx > verb.idx and t.pos_ == "VERB"), None)
            if nxt is None:
                break
            chosen = _included(ctx, [m for m in mentions if verb.idx <= m.start < nxt.idx], end)
            verb = nxt
        before = chosen
    else:
        before = _included(ctx, before, sent.start_char)
    for m in before:
        if not _is_adjective(m):
            _add(ctx, m, people, parties)
    if len([p for p in parties if p not in _GROUPS]) > 2:
        parties = [p for p in parties if p not in _GROUPS]
    return people, parties


def _by_span_end(text: str, start: int, limit: int) -> int:
    for m in re.finditer(r"[:;]|\.\s|,\s+(?!and\b)[a-z]", text[start:limit]):
        return start + m.start()
    return limit


def _included(ctx: Context, mentions: list[Mention], start: int) -> list[Mention]:
    """The mentions not governed by an excluding preposition ("talks with Russia")."""
    out = []
    include = True
    prev = start
    for m in mentions:
        gap = ctx.text[prev : m.start].lower()
        if "," in gap and prev == start:
            gap, include = gap.rsplit(",", 1)[1], True  # "issued after the call, the UK ..."
        words = re.findall(r"[a-z]+", gap)
        if "together" in words and "with" in words or re.search(r"\bin which\b", gap):
            include = True
        else:
            preps = [w for w in words if w in _EXCLUDE_PREP or w in _INCLUDE_PREP]
            if preps:
                include = preps[-1] in _INCLUDE_PREP
        if include:
            out.append(m)
        prev = m.end
    return out


def _readout_parties(ctx: Context, sent: Span, at: int, end: int) -> list[str]:
    by = _BY.search(ctx.text, end, sent.end_char)
    if by is not None and by.start() - end < 40:
        for m in ctx.mentions_in(by.end(), sent.end_char):
            party = ctx.party_of(m)
            if party:
                return [party]
    # "Readout of President Trump's call with ..."
    after = [m for m in ctx.mentions_in(end, min(sent.end_char, end + 60)) if ctx.party_of(m)]
    if after and re.match(r"\s+of\s+", ctx.text[end : end + 5]):
        first = after[0]
        if re.fullmatch(
            r"\s+of\s+(?:the\s+)?(?:[A-Z][\w.-]*\s+){0,3}", ctx.text[end : first.start]
        ):
            return [ctx.party_of(first) or ""]
    # "Readout of the Prime Minister's call": the person in the report who holds that title.
    tp = _TITLE_POSSESSIVE.search(ctx.text, at, sent.end_char)
    if tp is not None:
        title = normalise_title(tp.group("title"))
        for person in ctx.people.values():
            held = [person.title] if person.title else []
            if person.known:
                held += list(person.known.titles)
            if title in held and person.party:
                return [person.party]
    return []


def _when_where(
    ctx: Context,
    sent: Span,
    meetings: list[MeetingProposal],
    at: int,
    skip: tuple[int, int],
    dateline_place: str | None,
) -> tuple[date | None, str, str | None]:
    mentions = [
        d
        for d in dt.find_dates(sent.text, sent.start_char)
        if not ctx.in_quote(d.start) and not skip[0] <= d.start < skip[1]
    ]
    place = _sentence_place(ctx, sent)
    dated = [m for m in meetings if m.date is not None]
    if mentions:
        nearest = min(mentions, key=lambda d: abs(d.start - at))
        day = dt.resolve(nearest, ctx.published, "past")
        text = nearest.text.strip()
        if place is None:
            same = [m for m in dated if m.date == day]
            place = same[0].place if same else (None if same else dateline_place)
        return day, text, place
    before = [m for m in dated if m.evidence[0] <= sent.start_char]
    source = max(before, key=lambda m: m.evidence[0]) if before else (dated[0] if dated else None)
    if source is not None:
        return source.date, source.date_text, place or source.place
    return ctx.published, "", place or dateline_place


def _sentence_place(ctx: Context, sent: Span) -> str | None:
    for m in ctx.mentions_in(sent.start_char, sent.end_char, "place"):
        left = ctx.text[max(sent.start_char, m.start - 4) : m.start].lower()
        if left.endswith(("in ", "at ")):
            return m.name
    return None


def attribute_statement_quotes(
    ctx: Context, statements: list[StatementProposal], quotes: list[QuoteProposal]
) -> None:
    """Quotations from a statement speak for all its signatories.

    A quotation inside a statement's sentence, or in the paragraph right after a sentence that
    introduces it with a colon ("issued the following joint statement:"), gets the statement's
    signatory people (or, when none are named, its parties) as speakers, unless it names a
    speaker of its own who is not a signatory.
    """
    for st in statements:
        names = st.people or st.parties
        if not names:
            continue
        lo, hi = st.evidence
        intro = ctx.text[lo:hi].rstrip().endswith(":")
        next_para = _paragraph_after(ctx.text, hi) if intro else None
        for q in quotes:
            at = q.quote[0] if q.quote else q.evidence[0]
            inside = lo <= at < hi
            after = next_para is not None and next_para[0] <= at < next_para[1]
            if not (inside or after):
                continue
            own = set(q.speakers)
            if own and not own <= set(st.people) | set(st.parties):
                continue
            q.speakers = list(names)
            q.speaker = names[0]
            if st.kind != "readout":
                q.kind = "joint_statement"


def _paragraph_after(text: str, pos: int) -> tuple[int, int] | None:
    start = text.find("\n", pos)
    if start < 0:
        return None
    while start < len(text) and text[start] == "\n":
        start += 1
    end = text.find("\n\n", start)
    return start, (end if end >= 0 else len(text))


_SIGNED = re.compile(r"\b(?:signed|adopted)\b", re.I)


def meetings_from_statements(
    ctx: Context, statements: list[StatementProposal], meetings: list[MeetingProposal]
) -> None:
    """A declaration signed or adopted in person ("signed a joint declaration at the Elysee
    Palace in Paris on Monday") is also a meeting of its signatories on that day, at that place."""
    for st in statements:
        lo, hi = st.evidence
        if st.kind == "readout" or st.date is None or st.place is None:
            continue
        if len(st.people) + len(st.parties) < 2 or not _SIGNED.search(ctx.text[lo:hi]):
            continue
        if _sentence_place(ctx, ctx.sents[ctx.sentence_index(lo)]) is None:
            continue
        if any(m.date == st.date for m in meetings):
            continue
        meetings.append(
            MeetingProposal(
                date=st.date,
                date_text=st.date_text,
                place=st.place,
                participants=list(st.people or st.parties),
                format=None,
                evidence=st.evidence,
                confidence=0.7,
            )
        )
