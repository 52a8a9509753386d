"""One parsed report: sentences, quoted spans and the entities found in it, resolved to the record.

The extractors (quotes, meetings, commitments, demands) all read from this shared context.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from datetime import date

from spacy.tokens import Doc, Span, Token

from parley.intake import people as ppl
from parley.intake.gazetteer import Gazetteer
from parley.intake.nlp import DOCUMENT, PARTY, PERSON, PLACE
from parley.intake.quotes_scan import QuoteSpan, scan_quotes

_PLACE_LABELS = {"GPE", "LOC", "FAC"}
_PARTY_LABELS = {"GPE", "NORP", "ORG", "LOC", "FAC"}
_PRONOUNS = {"he", "she", "they", "him", "her"}


@dataclass
class Mention:
    start: int
    end: int
    kind: str  # person | party | place | document
    name: str  # canonical
    known: bool
    ent: Span | None = None
    subject: bool = False


@dataclass
class Context:
    text: str
    doc: Doc
    gazetteer: Gazetteer
    published: date | None
    quotes: list[QuoteSpan]
    sent_starts: list[int] = field(default_factory=list)
    sents: list[Span] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    people: dict[str, ppl.Person] = field(default_factory=dict)
    # (position, person name, is subject) -- names, pronouns resolved later, and title anaphors.
    timeline: list[tuple[int, str, bool]] = field(default_factory=list)
    anaphors: dict[int, str] = field(default_factory=dict)
    _quote_starts: list[int] = field(default_factory=list)

    # -- positions ----------------------------------------------------------------------

    def sentence_index(self, char: int) -> int:
        return max(0, bisect.bisect_right(self.sent_starts, char) - 1)

    def sentence_span(self, first: int, last: int | None = None) -> tuple[int, int]:
        """[start, end) of sentences first..last, trimmed of surrounding whitespace."""
        last = first if last is None else last
        start, end = self.sents[first].start_char, self.sents[last].end_char
        while end > start and self.text[end - 1].isspace():
            end -= 1
        while start < end and self.text[start].isspace():
            start += 1
        return start, end

    def evidence(self, a: int, b: int | None = None) -> tuple[int, int]:
        """The sentence(s) covering characters a..b."""
        b = a if b is None else max(a, b - 1)
        return self.sentence_span(self.sentence_index(a), self.sentence_index(b))

    def in_quote(self, char: int) -> bool:
        i = bisect.bisect_right(self._quote_starts, char) - 1
        return i >= 0 and self.quotes[i].start <= char < self.quotes[i].end

    def mentions_in(self, start: int, end: int, kind: str | None = None) -> list[Mention]:
        return [
            m
            for m in self.mentions
            if start <= m.start < end
            and (kind is None or m.kind == kind)
            and not self.in_quote(m.start)
        ]

    def party_of(self, mention: Mention) -> str | None:
        if mention.kind == "party":
            return mention.name
        if mention.kind == "person":
            person = self.people.get(mention.name)
            return person.party if person else None
        return None

    # -- resolution ---------------------------------------------------------------------

    def resolve_pronoun(self, char: int) -> str | None:
        """The person a "he"/"she" at `char` most likely refers to: the subject of the latest
        sentence (this one first, before the pronoun) that names a person."""
        k = self.sentence_index(char)
        for j in range(k, max(-1, k - 4), -1):
            lo = self.sents[j].start_char
            hi = char if j == k else self.sents[j].end_char
            found = [(pos, name, subj) for pos, name, subj in self.timeline if lo <= pos < hi]
            if found:
                subjects = [name for _pos, name, subj in found if subj]
                return subjects[0] if subjects else found[-1][1]
        return None

    def co_parties(self, token: Token) -> list[str]:
        """The parties coordinated with a subject token ("the United States and Ukraine")."""
        out: list[str] = []
        for conj in token.conjuncts:
            mention = self._mention_at(conj.idx)
            if (
                mention
                and mention.kind == "party"
                and conj.ent_type_ != "NORP"
                and mention.name not in out
            ):
                out.append(mention.name)
        # "US, Ukraine say ...": a headline's list the parser did not coordinate
        here = self._mention_at(token.idx)
        start = here.start if here else token.idx
        for m in reversed(self.mentions_in(token.sent.start_char, start, "party")):
            if not re.fullmatch(r"\s*(?:,|and|&|,\s*and)\s*(?:the\s+)?", self.text[m.end : start]):
                break
            if m.name not in out:
                out.append(m.name)
            start = m.start
        return out

    def speaker_of(self, token: Token) -> tuple[list[str], str | None, str | None]:
        """(people, party, the subject's own words) for a subject token."""
        subject_text = " ".join(t.text for t in token.subtree) if token.i >= 0 else None
        names = self._person_names_at(token)
        if names:
            for conj in token.conjuncts:
                names += [n for n in self._person_names_at(conj) if n not in names]
            return names, None, subject_text
        for child in token.children:
            if child.dep_ == "appos":
                appos = self._person_names_at(child)
                if appos:
                    return appos, None, subject_text
        if token.lower_ in _PRONOUNS:
            name = self.resolve_pronoun(token.idx)
            return ([name] if name else []), None, subject_text
        mention = self._mention_at(token.idx)
        # The party itself speaks ("the Kremlin said"), not a modifier ("a European diplomat").
        if (
            mention
            and mention.kind == "party"
            and mention.ent is not None
            and mention.ent.start <= token.i < mention.ent.end
            and token.ent_type_ != "NORP"
        ):
            return [], mention.name, subject_text
        anaphor = self._anaphor_at(token)
        if anaphor:
            return [anaphor], None, subject_text
        return [], None, subject_text

    def _mention_at(self, char: int) -> Mention | None:
        for m in self.mentions:
            if m.start <= char < m.end:
                return m
        return None

    def _person_names_at(self, token: Token) -> list[str]:
        m = self._mention_at(token.idx)
        if m is not None and m.kind == "person":
            return [m.name]
        return []

    def _anaphor_at(self, token: Token) -> str | None:
        # "the prime minister": the anaphor is recorded at the article, the subject is the noun.
        return self.anaphors.get(token.left_edge.idx)


def build_context(doc: Doc, gazetteer: Gazetteer, published: date | None) -> Context:
    text = doc.text
    quotes = scan_quotes(text)
    ctx = Context(text=text, doc=doc, gazetteer=gazetteer, published=published, quotes=quotes)
    ctx._quote_starts = [q.start for q in quotes]
    ctx.sents = list(doc.sents)
    ctx.sent_starts = [s.start_char for s in ctx.sents]
    _collect_mentions(ctx)
    _assemble_people(ctx)
    return ctx


def _collect_mentions(ctx: Context) -> None:
    gz = ctx.gazetteer
    for ent in ctx.doc.ents:
        kind, _, ident = ent.ent_id_.partition("|") if ent.ent_id_ else ("", "", "")
        start, end = ent.start_char, ent.end_char
        text = ent.text
        if text.endswith(("'s", "’s")):
            text, end = text[:-2], end - 2
        subject = (
            ent.root.dep_ in ("nsubj", "nsubjpass")
            or (ent.root.dep_ == "conj" and ent.root.head.dep_ in ("nsubj", "nsubjpass"))
            or _titled_subject(ent.root)
        )
        if kind == PERSON:
            ctx.mentions.append(Mention(start, end, "person", ident, True, ent, subject))
        elif kind == PARTY:
            known = gz.party(ident)
            ctx.mentions.append(
                Mention(start, end, "party", ident, bool(known and known[1]), ent, subject)
            )
            place = gz.place(text)
            if place:
                ctx.mentions.append(Mention(start, end, "place", place, True, ent))
        elif kind == DOCUMENT:
            ctx.mentions.append(Mention(start, end, "document", ident, True, ent))
        elif kind == PLACE:
            ctx.mentions.append(Mention(start, end, "place", ident, True, ent))
        elif ent.label_ == "PERSON":
            known_person = gz.person(text)
            party = gz.party(text)
            if known_person:
                ctx.mentions.append(
                    Mention(start, end, "person", known_person.name, True, ent, subject)
                )
            elif party:
                ctx.mentions.append(Mention(start, end, "party", party[0], party[1], ent, subject))
            elif not gz.place(text) and text[:1].isupper():
                name, cut = ppl.strip_rank(text)
                if name and name[0].isupper():
                    ctx.mentions.append(
                        Mention(start + cut, end, "person", name, False, ent, subject)
                    )
        elif ent.label_ in _PARTY_LABELS:
            party = gz.party(text)
            if party:
                ctx.mentions.append(Mention(start, end, "party", party[0], party[1], ent, subject))
            elif _looks_like_person(ctx, ent, text):
                # The small model calls unusual names places or organisations; a title says not.
                ctx.mentions.append(Mention(start, end, "person", text, False, ent, subject))
            elif ent.label_ in _PLACE_LABELS:
                ctx.mentions.append(
                    Mention(start, end, "place", gz.place(text) or text, False, ent)
                )
            else:
                ctx.mentions.append(Mention(start, end, "other", text, False, ent, subject))
    ctx.mentions.sort(key=lambda m: m.start)
    # A lone surname the model mislabelled ("Kovalenko said") joins the person with that surname.
    surnames = {
        m.name.split()[-1]: m.name
        for m in ctx.mentions
        if m.kind == "person" and len(m.name.split()) > 1
    }
    for m in ctx.mentions:
        if m.kind in ("place", "other") and not m.known and m.name in surnames:
            m.kind = "person"
    ctx.mentions = [m for m in ctx.mentions if m.kind != "other"]


def _looks_like_person(ctx: Context, ent: Span, text: str) -> bool:
    words = text.split()
    if (
        not 2 <= len(words) <= 4
        or not all(w[:1].isupper() for w in words)
        or ctx.gazetteer.place(text)
    ):
        return False
    return bool(
        ppl.title_before(ctx.text, ent.start_char, ctx.gazetteer)
        or ppl.title_after(ctx.text, ent.end_char, ctx.gazetteer)
    )


def _assemble_people(ctx: Context) -> None:
    gz = ctx.gazetteer
    text = ctx.text
    person_mentions = [m for m in ctx.mentions if m.kind == "person"]
    # Unknown single names join a full name with that surname ("Fidan" -> "Hakan Fidan").
    full = {
        m.name.split()[-1]: m.name
        for m in person_mentions
        if not m.known and len(m.name.split()) > 1
    }
    kept: list[Mention] = []
    for m in person_mentions:
        if not m.known and len(m.name.split()) == 1:
            if m.name not in full:
                ctx.mentions.remove(m)  # a lone unknown word is too weak to propose
                continue
            m.name = full[m.name]
        kept.append(m)
    for m in kept:
        person = ctx.people.get(m.name)
        if person is None:
            person = ppl.Person(m.name, gz.person_named(m.name) if m.known else None)
            ctx.people[m.name] = person
        person.mentions.append((m.start, m.end))
        if person.title is None:
            found = ppl.title_before(text, m.start, gz) or ppl.title_after(text, m.end, gz)
            if found is not None:
                phrase = (min(found.span[0], m.start), max(found.span[1], m.end))
                person.title, person.title_span, person.affiliation = (
                    found.title,
                    phrase,
                    found.affiliation,
                )
        ctx.timeline.append((m.start, m.name, m.subject))
    _resolve_anaphors(ctx)
    ctx.timeline.sort()


def _titled_subject(tok: Token) -> bool:
    """ "President of Ukraine Volodymyr Zelenskyy announced": the parser makes the title the
    subject and the name its object; the name is the subject all the same."""
    for _ in range(3):
        if tok.dep_ not in ("pobj", "prep", "appos", "compound") or tok.head.i == tok.i:
            return False
        tok = tok.head
        if tok.dep_ in ("nsubj", "nsubjpass") and tok.text[:1].isupper():
            return True
    return False


def _resolve_anaphors(ctx: Context) -> None:
    """ "The prime minister said ..." -> the person in the report who holds that title."""
    for m in ppl.ANAPHOR_RE.finditer(ctx.text):
        if ctx.in_quote(m.start()):
            continue
        title = ppl.normalise_title(m.group("title"))
        best: ppl.Person | None = None
        best_pos = -1
        # The latest subject among those who hold the title is meant before the latest mention:
        # "Zelenskyy announced he will meet President Trump. … the President said" is Zelenskyy.
        subject_best: ppl.Person | None = None
        subject_pos = -1
        for person in ctx.people.values():
            held = [person.title] if person.title else []
            if person.known:
                held += list(person.known.titles)
            if not any(ppl.compatible_titles(title, h) for h in held):
                continue
            before = [s for s, _e in person.mentions if s < m.start()]
            if before and before[-1] > best_pos:
                best, best_pos = person, before[-1]
            as_subject = [
                pos
                for pos, name, subj in ctx.timeline
                if name == person.name and subj and pos < m.start() and m.start() - pos < 600
            ]
            if as_subject and as_subject[-1] > subject_pos:
                subject_best, subject_pos = person, as_subject[-1]
        if subject_best is not None and best is not None and subject_best is not best:
            best = subject_best
        if best is None:
            continue
        if best.title is None:
            best.title, best.title_span = title, (m.start("title"), m.end("title"))
        token = ctx.doc.char_span(m.start(), m.end(), alignment_mode="expand")
        subject = bool(token is not None and token.root.dep_ in ("nsubj", "nsubjpass"))
        ctx.timeline.append((m.start(), best.name, subject))
        ctx.anaphors[m.start()] = best.name
