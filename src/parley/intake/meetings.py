"""Meetings as events across the whole report.

A report names its meetings in many sentences: "talks in Miami" in one paragraph, "talks
continued on Saturday" two paragraphs later, "Thursday's meeting" in a report published on a
Saturday, "a second day of talks", "on 4, 5 and 6 December". The rules:

* every date in a sentence with a meeting word is a candidate; a date that belongs to a reporting
  or travel verb ("said on Sunday", "arrived on Friday") is not the meeting's date, unless it is
  the only date of a sentence whose meeting word is a noun in the past ("said on Sunday that the
  talks had been useful");
* "the second day of talks" (or "the next day") without a date of its own is the day after the
  latest meeting found so far; "a second day ... on Friday" also gives the first day, Thursday;
* the place is the place written in the sentence ("in Miami", "at the Kremlin", "the Geneva
  talks"; with several, the one nearest the date). Without one, it is the place of a meeting
  already found on that day, else the place of the event being described (the latest meeting
  sentence with a place, not counting recalled ones: "earlier", "ago", "had met"), else the
  dateline's place ("MIAMI, Dec 6 (...) -"), else the headline's. A call has no place;
* distinct (date, place) pairs are distinct meetings; a meeting without a place joins a meeting
  with one on the same day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from spacy.tokens import Span, Token

from parley.intake import dates as dt
from parley.intake.context import Context
from parley.intake.records import MeetingProposal

MEETING_VERBS = {"meet", "host", "gather", "convene", "reconvene", "receive", "negotiate"}
MEETING_NOUNS = {
    "talks",
    "summit",
    "session",
    "sessions",
    "meeting",
    "meetings",
    "round",
    "conference",
    "negotiations",
    "consultations",
}
CALL_WORDS = {"phone", "telephone", "call", "video"}
# A date governed by one of these verbs is when something was said or someone travelled.
NOT_MEETING_VERBS = {
    "say",
    "tell",
    "announce",
    "write",
    "add",
    "report",
    "confirm",
    "describe",
    "warn",
    "post",
    "arrive",
    "fly",
    "travel",
    "leave",
    "land",
    "return",
    "resign",
    "publish",
    "release",
    "issue",
    "brief",
}
# A date governed by one of these is when a text came out, never when anyone met, even as a
# sentence's only date ("the readout issued by the Kremlin on Wednesday").
PUBLISHING_VERBS = {"publish", "release", "issue", "post"}
# A meeting noun with a time of its own ("weekend talks", "last week's meeting", "Sunday's
# session") is not dated by the reporting verb of its sentence.
_OWN_TIME = re.compile(
    r"\b(?:weekend|week's|weekend's|earlier|recent|previous|last|past|(?:mon|tues|wednes|thurs|fri|"
    r"satur|sun)day's)\s+(?:\w+\s+)?$",
    re.I,
)
# Regions that only qualify the city a meeting was in ("in Florida" after "in Miami").
REGIONS = {
    "Florida": {"Miami", "Hallandale Beach", "Palm Beach", "Mar-a-Lago"},
    "Alaska": {"Anchorage"},
}
_FUTURE_WORDS = {"will", "'ll", "’ll", "shall", "wo"}
_FUTURE_BEFORE_TO = {
    "due",
    "scheduled",
    "expected",
    "set",
    "plan",
    "plans",
    "planned",
    "planning",
    "going",
    "slated",
    "poised",
    "agreed",
    "agree",
    "agrees",
}
_GROUP_WORDS = re.compile(
    r"\b(delegations?|teams?|officials|negotiators|sides?|leaders|allies|envoys|ministers)\b", re.I
)
FORMAT_SIGNALS = [
    (
        "proximity",
        re.compile(
            r"\bseparate (?:sessions|meetings|talks)|\bseparately\b|\bproximity\b|\bshuttl", re.I
        ),
    ),
    (
        "call",
        re.compile(
            r"\bby (?:tele)?phone\b|\bphone call\b|\bvideo (?:call|link|conference)\b"
            r"|\bcall\b|\bspoke (?:to|with)\b",
            re.I,
        ),
    ),
    ("plenary", re.compile(r"\bplenary\b|\btrilateral\b|\ball (?:three|four) delegations\b", re.I)),
    (
        "bilateral",
        re.compile(r"\bbilateral\b|\bone-on-one\b|\bdirect talks\b|\bface-to-face\b", re.I),
    ),
]
_ORDINAL_DAY = re.compile(
    r"\b(?:a|the)\s+(?P<n>second|third|fourth|fifth)\s+day\b"
    r"|\bthe\s+(?:next|following)\s+(?:day|morning|afternoon|evening)\b",
    re.I,
)
_ORDINALS = {"second": 2, "third": 3, "fourth": 4, "fifth": 5}
_RECALLED = re.compile(
    r"\b(?:earlier|ago|last week|last month|previous|previously|before that|had\s+(?:\w+\s+)?"
    r"(?:met|held|spent|hosted|sat))\b",
    re.I,
)
_NOT_PLACE = {
    "on",
    "in",
    "at",
    "by",
    "from",
    "published",
    "updated",
    "issued",
    "posted",
    "the",
    *(w.lower() for w in dt.WEEKDAYS),
}
_QUALIFIER = re.compile(r"^\s*,\s*$|^\s+(?:[a-z]+\s+){0,2}in\s+$")
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Za-z'’.-]+(?:[ -][A-Z][A-Za-z'’.-]+){0,2})(?:,\s+[A-Z][A-Za-z]+)?,\s+"
    r"(?=(?:\d|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun))",
    re.M,
)


@dataclass
class _Found:
    proposal: MeetingProposal
    order: int


_HINT = re.compile(
    r"meet|\bmet\b|host|gather|conven|receiv|negotiat|talk|summit|session|round|conference|"
    r"consultation|spok|speak|\bsat\b|\bsit|call|phone|video|spen[dt]|join",
    re.I,
)


def _triggers(ctx: Context, sent: Span) -> list[Token]:
    if _HINT.search(sent.text) is None:
        return []
    lower = sent.text.lower()
    has_call = any(w in lower for w in CALL_WORDS)
    out = []
    for tok in sent:
        if ctx.in_quote(tok.idx):
            continue
        lemma = tok.lemma_.lower()
        if (
            (lemma in MEETING_VERBS and tok.pos_ == "VERB")
            or tok.lower_ in MEETING_NOUNS
            or (lemma == "sit" and tok.i + 1 < len(tok.doc) and tok.nbor(1).lower_ == "down")
            or (lemma in ("sit", "spend") and tok.pos_ == "VERB" and _with_someone(ctx, tok))
            or (lemma == "join" and tok.pos_ == "VERB" and _joins_people(ctx, tok))
            or (lemma not in NOT_MEETING_VERBS - {"brief"} and _by_phone(tok))
            or (has_call and (lemma == "speak" or (tok.lower_ == "call" and tok.pos_ == "NOUN")))
            or (lemma == "speak" and _spoke_to_someone(ctx, tok))
        ):
            out.append(tok)
    return out


def _with_someone(ctx: Context, tok: Token) -> bool:
    """ "sat with Zelenskyy", "spent five hours with President Putin": time spent with someone."""
    for nxt in tok.doc[tok.i + 1 : min(tok.i + 7, tok.sent.end)]:
        if nxt.lower_ == "with":
            after = ctx.mentions_in(nxt.idx, min(len(ctx.text), nxt.idx + 60))
            return bool(after) and after[0].kind in ("person", "party")
    return False


def _joins_people(ctx: Context, tok: Token) -> bool:
    """ "European leaders join them there", "were joined by European advisers": joining people
    (not a treaty, a coalition or a call)."""
    nxt = tok.doc[tok.i + 1 : min(tok.i + 4, tok.sent.end)]
    if any(t.lower_ in ("them", "him", "her", "us") for t in nxt[:1]):
        return True
    if nxt and nxt[0].lower_ == "by":
        return bool(_GROUP_WORDS.search(tok.sent.text[nxt[0].idx - tok.sent.start_char :][:60]))
    return False


def _by_phone(tok: Token) -> bool:
    """The verb of "briefed Zelenskyy by phone", "talked by telephone" is a call."""
    if tok.pos_ != "VERB":
        return False
    for child in tok.children:
        if child.lower_ == "by" and any(g.lower_ in ("phone", "telephone") for g in child.children):
            return True
    return False


def _spoke_to_someone(ctx: Context, tok: Token) -> bool:
    """ "spoke to President Zelenskyy" is a call; "spoke to reporters" is not."""
    nxt = tok.nbor(1) if tok.i + 1 < len(tok.doc) else None
    if nxt is None or nxt.lower_ not in ("to", "with"):
        return False
    after = ctx.mentions_in(nxt.idx, min(len(ctx.text), nxt.idx + 60))
    return any(m.kind in ("person",) for m in after[:1])


def _tense(ctx: Context, lo: int, hi: int, sent: Span, trigger: Token | None) -> str:
    doc = ctx.doc
    if trigger is not None and trigger.tag_ == "VBD":
        return "past"  # "advisers, who met ... on Sunday, will be kept informed"
    if trigger is not None and any(
        t.tag_ in ("VBP", "VBZ") and t.lemma_.lower() in MEETING_VERBS | {"join"}
        for t in sent
        if not ctx.in_quote(t.idx)
    ):
        return "future"  # a preview: "leaders gather in Brussels … on Thursday"
    window = doc[sent.start : hi + 1]
    for i, tok in enumerate(window):
        if tok.lower_ in _FUTURE_WORDS or (
            tok.lower_ == "would" and i + 1 < len(window) and window[i + 1].i in _verbs(trigger)
        ):
            return "future"
        if tok.lower_ in _FUTURE_BEFORE_TO and i + 1 < len(window) and window[i + 1].lower_ == "to":
            return "future"
    if (
        trigger is not None
        and trigger.i > 0
        and doc[trigger.i - 1].lower_ == "to"
        and trigger.pos_ == "VERB"
    ):
        return "future"
    return "past"


def _verbs(trigger: Token | None) -> set[int]:
    """ "would meet": the meeting verb itself, or the verb that governs a meeting noun."""
    if trigger is None:
        return set()
    return {trigger.i, trigger.head.i}


def _places(ctx: Context, sent: Span, triggers: list[Token]) -> list[tuple[int, str]]:
    """(position, place) of each place the sentence puts a meeting in."""
    trigger_idx = {t.i for t in triggers}
    out: list[tuple[int, str]] = []
    prev_end = -10
    for m in ctx.mentions_in(sent.start_char, sent.end_char, "place"):
        ent = m.ent
        if ent is None:
            continue
        # "Hallandale Beach, Florida", "his Mar-a-Lago estate in Florida": the region qualifies.
        if out and _QUALIFIER.match(ctx.text[prev_end : m.start]):
            prev_end = m.end
            continue
        if not m.known and ent.label_ == "FAC":
            continue  # an unknown venue ("the Chancellery") is no city
        left = ctx.doc[max(sent.start, ent.start - 3) : ent.start]
        after = ctx.doc[ent.end] if ent.end < sent.end else None
        if any(t.lower_ in ("in", "at", "to") for t in left) or (
            after is not None and after.i in trigger_idx
        ):
            out.append((m.start, m.name))
            prev_end = m.end
    return out


def _date_is_meeting(ctx: Context, mention: dt.DateMention, triggers: list[Token]) -> bool:
    span = ctx.doc.char_span(mention.core[0], mention.core[1], alignment_mode="expand")
    if span is None:
        return True
    tok = span.root
    trigger_idx = {t.i for t in triggers}
    for _ in range(8):
        if tok.i in trigger_idx:
            return True
        if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i:
            return tok.lemma_.lower() not in NOT_MEETING_VERBS
        tok = tok.head
    return True


_DATELINE_END = re.compile(r"^[^\n]{0,80}?(?:\)\s*[-–—]+\s*|\s[-–—]+\s|$)", re.M)


def dateline(ctx: Context) -> tuple[str, tuple[int, int]] | None:
    """The dateline's place and the span of the dateline ("MIAMI, Dec 6 (Wire) - ")."""
    head = ctx.text[:400]
    for m in _DATELINE.finditer(head):
        raw = m.group("place")
        first = raw.split()[0].lower()
        if first in _NOT_PLACE or ctx.text[: m.start()].count("\n\n") > 3:
            continue
        if not (
            raw.isupper()
            or ctx.gazetteer.place(raw)
            or ctx.gazetteer.party(raw)
            or _is_gpe(ctx, m.start(), m.end("place"))
        ):
            continue
        party = ctx.gazetteer.party(raw)
        if party and raw.lower() == party[0].lower():
            continue  # "Ukraine, US negotiators hold ..." is a headline, not a dateline
        end = _DATELINE_END.match(ctx.text, m.start())
        span = (m.start(), end.end() if end else m.end())
        known = ctx.gazetteer.place(raw)
        if known:
            return known, span
        return " ".join(w.capitalize() if w.isupper() else w for w in raw.split()), span
    return None


def _is_gpe(ctx: Context, start: int, end: int) -> bool:
    span = ctx.doc.char_span(start, end, alignment_mode="expand")
    return span is not None and any(e.label_ == "GPE" for e in span.ents)


def _headline_place(ctx: Context) -> str | None:
    if not ctx.sents:
        return None
    first = ctx.sents[0]
    places = _places(ctx, first, _triggers(ctx, first))
    return places[0][1] if places else None


def extract_meetings(ctx: Context) -> list[MeetingProposal]:
    line = dateline(ctx)
    dateline_place, (skip_from, skip_to) = line if line else (None, (0, 0))
    headline = _headline_place(ctx)
    current: str | None = None
    recalled_place: str | None = None  # "Last week's meetings in Berlin", when nothing better
    dated: dict[date, str] | None = None  # "issued the statement in Berlin on 15 December"
    found: dict[tuple[date | None, str | None], _Found] = {}
    order = 0
    latest: MeetingProposal | None = None

    def add(
        day: date | None,
        place: str | None,
        when_text: str,
        participants: list[str],
        fmt: str | None,
        evidence: tuple[int, int],
    ) -> MeetingProposal:
        nonlocal order
        key = (day, place)
        if place is None and fmt != "call":
            same_day = [f for (d, p), f in found.items() if d == day and p is not None]
            if same_day:
                key = (day, same_day[0].proposal.place)
        if key not in found and place is not None:
            loose = found.pop((day, None), None)
            if loose is not None and loose.proposal.format != "call":
                loose.proposal.place = place
                found[key] = loose
            elif loose is not None:
                found[(day, None)] = loose
        if key in found:
            merged = found[key].proposal
            merged.participants += [p for p in participants if p not in merged.participants]
            merged.format = merged.format or fmt
            return merged
        confidence = 0.5 + (0.2 if day else 0.0) + (0.15 if key[1] or fmt == "call" else 0.0)
        confidence += 0.1 if len(participants) >= 2 else 0.0
        proposal = MeetingProposal(
            date=day,
            date_text=when_text,
            place=key[1],
            participants=list(participants),
            format=fmt,
            evidence=evidence,
            confidence=round(min(confidence, 1.0), 2),
        )
        order += 1
        found[key] = _Found(proposal, order)
        return proposal

    for k, sent in enumerate(ctx.sents):
        triggers = _triggers(ctx, sent)
        if not triggers:
            continue
        fmt = next((name for name, rx in FORMAT_SIGNALS if rx.search(sent.text)), None)
        places = [] if fmt == "call" else _places(ctx, sent, triggers)
        places = [p for p in places if not skip_from <= p[0] < skip_to]
        recalled = bool(_RECALLED.search(sent.text))
        mentions = [
            d
            for d in dt.find_dates(sent.text, sent.start_char)
            if not ctx.in_quote(d.start) and not skip_from <= d.start < skip_to
        ]
        meeting_dates = [d for d in mentions if _date_is_meeting(ctx, d, triggers)]
        if not meeting_dates and len(mentions) == 1:
            nouns = [
                t
                for t in triggers
                if (t.pos_ != "VERB" or t.lower_ in MEETING_NOUNS)  # "that talks with" mis-tagged
                and not _OWN_TIME.search(ctx.text[max(sent.start_char, t.idx - 30) : t.idx])
            ]
            if nouns and mentions[0].explicit is False and not _published(ctx, mentions[0]):
                meeting_dates = mentions  # "said on Sunday that the talks had been useful"
        participants = _participants(ctx, sent)
        evidence = ctx.sentence_span(k)
        ordinal = _ORDINAL_DAY.search(sent.text)
        headline_sentence = k == 0
        if not meeting_dates:
            if ordinal and latest is not None and latest.date is not None:
                day: date | None = latest.date + timedelta(days=1)
                place = places[0][1] if places else (latest.place if fmt != "call" else None)
                latest = add(day, place, ordinal.group(0), participants, fmt, evidence)
            if places and not recalled and not headline_sentence:
                current = places[0][1]
            elif places and not headline_sentence:
                recalled_place = recalled_place or places[0][1]
            continue
        for mention in meeting_dates:
            span = ctx.doc.char_span(mention.start, mention.end, alignment_mode="expand")
            trigger = min(triggers, key=lambda t: abs(t.idx - mention.start))  # noqa: B023
            lo = min(trigger.i, span.start if span is not None else trigger.i)
            hi = max(trigger.i, span.end - 1 if span is not None else trigger.i)
            day = dt.resolve(mention, ctx.published, _tense(ctx, lo, hi, sent, trigger))
            if fmt == "call":
                place = None
            elif places:
                place = min(places, key=lambda p: abs(p[0] - mention.start))[1]  # noqa: B023
            else:
                same_day = [f.proposal.place for (d, p), f in found.items() if d == day and p]
                if not same_day and day is not None and dated is None:
                    dated = _dated_places(ctx, (skip_from, skip_to))
                beside = dated.get(day) if dated and day else None
                place = (
                    same_day[0]
                    if same_day
                    else (beside or current or dateline_place or headline or recalled_place)
                )
            latest = add(day, place, mention.text.strip(), participants, fmt, evidence)
            if (
                ordinal
                and ordinal.group("n")
                and day is not None
                and mention is _nearest(meeting_dates, sent.start_char + ordinal.end())
            ):
                for back in range(1, _ORDINALS[ordinal.group("n").lower()]):
                    add(day - timedelta(days=back), place, ordinal.group(0), [], fmt, evidence)
        if headline_sentence:
            continue
        if places and recalled:
            recalled_place = recalled_place or places[0][1]
        if places and not recalled:
            current = min(places, key=lambda p: abs(p[0] - meeting_dates[0].start))[1]
        elif not places and fmt != "call" and latest is not None and latest.place and not recalled:
            current = latest.place
    cities = [p for (_, p) in found if p] + [p for p in (dateline_place, headline) if p]
    _refine_regions(found, cities)
    return [f.proposal for f in sorted(found.values(), key=lambda f: f.order)]


def _dated_places(ctx: Context, skip: tuple[int, int]) -> dict[date, str]:
    """Days the report names beside a place in a sentence of its own ("issued the following
    statement in Berlin on 15 December"), for a meeting dated that day with no place of its own."""
    out: dict[date, str] = {}
    for sent in ctx.sents[1:]:
        places = [p for p in _places(ctx, sent, []) if not skip[0] <= p[0] < skip[1]]
        if not places:
            continue
        for d in dt.find_dates(sent.text, sent.start_char):
            if ctx.in_quote(d.start) or skip[0] <= d.start < skip[1]:
                continue
            day = dt.resolve(d, ctx.published, "past")
            if day is not None:
                out.setdefault(day, min(places, key=lambda p: abs(p[0] - d.start))[1])  # noqa: B023
    return out


def _published(ctx: Context, mention: dt.DateMention) -> bool:
    span = ctx.doc.char_span(mention.core[0], mention.core[1], alignment_mode="expand")
    if span is None:
        return False
    tok = span.root
    for _ in range(8):
        if tok.pos_ in ("VERB", "AUX") or tok.head.i == tok.i:
            return tok.lemma_.lower() in PUBLISHING_VERBS
        tok = tok.head
    return False


def _region_of(place: str) -> str | None:
    return next((r for r, cities in REGIONS.items() if place in cities), None)


def _refine_regions(found: dict[tuple[date | None, str | None], _Found], cities: list[str]) -> None:
    """ "in Florida" on a day with a meeting in Miami is that meeting; "arrived in Florida … the
    first meeting took place on Saturday" in a report about Miami is in Miami."""
    for key in list(found):
        day, place = key
        if place not in REGIONS:
            continue
        same_day = [f for (d, p), f in found.items() if d == day and p and _region_of(p) == place]
        if same_day:
            loose = found.pop(key).proposal
            merged = same_day[0].proposal
            merged.participants += [p for p in loose.participants if p not in merged.participants]
            merged.format = merged.format or loose.format
            continue
        city = next((c for c in cities if _region_of(c) == place), None)
        if city is not None and (day, city) not in found:
            entry = found.pop(key)
            entry.proposal.place = city
            found[(day, city)] = entry


def _nearest(mentions: list[dt.DateMention], pos: int) -> dt.DateMention:
    return min(mentions, key=lambda d: abs(d.start - pos))


def _participants(ctx: Context, sent: Span) -> list[str]:
    out: list[str] = []
    for m in ctx.mentions_in(sent.start_char, sent.end_char):
        if m.kind == "person" and m.name not in out:
            out.append(m.name)
    if _GROUP_WORDS.search(sent.text):
        for m in ctx.mentions_in(sent.start_char, sent.end_char, "party"):
            is_place = ctx.gazetteer.place(ctx.text[m.start : m.end]) is not None
            if not is_place and m.name not in out:
                out.append(m.name)
    return out
