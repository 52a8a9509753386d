"""Commitments that are commitments: pledges, loans, grants, guarantees and deliveries.

For every amount of money outside quotation marks, in a sentence with a pledge word (a verb
such as pledge, lend, provide, budget, or an instrument noun such as loan, grant, guarantee,
package right next to the amount):

* the amount is **not** a commitment when the words around it say it is something else: an
  estimate, a cost, damage, assets or reserves, trade, revenue, a price, a sale or purchase, a
  deficit or financing gap, a proposal ("wants to", "proposed"), or a running total ("since 2022",
  "so far", "in total");
* the **donor** is, in order: the party after "funded/guaranteed/provided by" right after the
  amount; the party named just before the instrument ("a World Bank guarantee of $500 million",
  "Australia's contribution"); else the nearest party or person (through their party) before the
  pledge verb. "Japan and South Korea have each offered $1 billion" gives one commitment per donor;
* the **recipient** is a party right after the verb or after "to"/"for";
* the **instrument** is loan, grant, guarantee, military aid or humanitarian aid when the words
  say so;
* one amount written in two currencies ("40 billion kronor (€3.6 billion)", "£2.26 billion, or
  about $2.9 billion") is one commitment with `alt_amount`/`alt_currency`; "kroner"/"crowns" take
  the donor's currency (Danish, Norwegian or Swedish);
* the same (donor, amount, currency) repeated in a report is proposed once, the most complete
  reading kept.
"""

from __future__ import annotations

import re
from dataclasses import replace

from spacy.tokens import Token

from parley.intake import money as mn
from parley.intake.context import Context, Mention
from parley.intake.records import CommitmentProposal

PLEDGE_LEMMAS = {
    "pledge",
    "commit",
    "promise",
    "provide",
    "give",
    "lend",
    "loan",
    "allocate",
    "approve",
    "announce",
    "contribute",
    "grant",
    "donate",
    "offer",
    "agree",
    "earmark",
    "unveil",
    "disburse",
    "send",
    "fund",
    "budget",
    "extend",
    "deliver",
    "guarantee",
    "increase",
    "sign",
    "finance",
}
INSTRUMENT_NOUNS = {
    "loan",
    "loans",
    "grant",
    "grants",
    "guarantee",
    "guarantees",
    "package",
    "pledge",
    "contribution",
    "tranche",
    "programme",
    "program",
    "facility",
}
_NOT_COMMITMENT = re.compile(
    r"\b(?:estimat\w*|costs?|costing|damages?|assets?|reserves?|frozen|immobili[sz]ed|trade|"
    r"revenues?|exports?|imports? bill|prices?|sales?|sells?|sold|buy(?:s|ing)?|bought|"
    r"purchases?|deficit|gap|needs|losses|claim\w*|valued|wants? to|propos\w+|bill)\b",
    re.I,
)
_PROPOSAL = re.compile(r"\b(?:wants? to|propos\w+|would like to|a total of|altogether)\b", re.I)
# "up from about 9 billion euros this year": the figure a new pledge is compared with
_BASELINE = re.compile(
    r"\b(?:up|down|rising|falling|increased|raised)\s+from\s+(?:about\s+|around\s+|some\s+)?$"
    r"|\bcompared\s+(?:with|to)\s+(?:about\s+|around\s+)?$",
    re.I,
)
# "$1.2 billion in new financing for Ukraine, including a $700 million grant and ...": a total
_INCLUDING = re.compile(r"\b(?:including|of which|comprising|made up of)\b", re.I)
# A "$" in a country's own release is its own dollar: Canada's, Australia's, New Zealand's.
# The country's government writes from its capital ("Ottawa, December 9, 2025") or says who it is.
_LOCAL_DOLLAR = {
    "Canada": ("CAD", ("Ottawa", "Government of Canada", "Global Affairs Canada")),
    "Australia": ("AUD", ("Canberra", "Australian Government", "Government of Australia")),
    "New Zealand": ("NZD", ("Wellington", "New Zealand Government")),
}
_RUNNING_TOTAL = re.compile(r"\b(?:since (?:19|20)\d\d|so far|to date|in total|in all)\b", re.I)
# "$1.2 billion in damage", "210 billion euros of Russian assets", "$203 billion in trade"
_NOT_AFTER = re.compile(
    r"^[\s,]*(?:in|of|worth of)\s+(?:[\w-]+\s+){0,2}?(?:damages?|assets?|reserves?|trade|"
    r"revenues?|exports?|imports?|losses|sales|purchases|deficit)\b",
    re.I,
)
_BY_DONOR = re.compile(
    r"^[^.;]{0,40}?\b(?:funded|financed|guaranteed|backed|provided|offered|paid for)\s+by\s+$"
)
# "a loan of EUR 90 billion", "contribution to the coalition is worth A$95 million"
_NOUN_GAP = re.compile(
    r"\s+(?:[\w -]{0,30}\s+(?:is|was|are|were)\s+worth|worth|of|totalling|totaling)\s+"
    r"(?:up to\s+|about\s+|around\s+|some\s+|nearly\s+)?"
)
_COORD = re.compile(r"^\s*(?:,|and|,\s*and)\s*(?:the\s+)?$")
_INSTRUMENTS = [
    ("guarantee", re.compile(r"\bguarantee", re.I)),
    ("loan", re.compile(r"\bloans?\b|\blend|\blent\b", re.I)),
    ("grant", re.compile(r"\bgrants?\b", re.I)),
    (
        "military aid",
        re.compile(
            r"\bmilitary\b|\bweapons?\b|\bair defen[cs]e\b|\bdrones?\b|\barms\b|\bammunition\b",
            re.I,
        ),
    ),
    ("humanitarian aid", re.compile(r"\bhumanitarian\b", re.I)),
]
_NORDIC = {"Denmark": "DKK", "Norway": "NOK", "Sweden": "SEK"}


def extract_commitments(ctx: Context) -> list[CommitmentProposal]:
    found: dict[tuple[str | None, int, str], CommitmentProposal] = {}
    headline: list[CommitmentProposal] = []  # a headline summarises; the body's reading wins
    body_amounts: set[tuple[int, str]] = set()  # every figure the body gives, commitment or not
    for k, sent in enumerate(ctx.sents):
        amounts = [
            a for a in mn.find_money(sent.text, sent.start_char) if not ctx.in_quote(a.start)
        ]
        if not amounts:
            continue
        if k > 0:
            body_amounts.update((a.amount, a.currency) for a in amounts)
        triggers = [
            t
            for t in sent
            if t.lemma_.lower() in PLEDGE_LEMMAS
            and t.pos_ in ("VERB", "AUX", "NOUN")
            and not ctx.in_quote(t.idx)
        ]
        nouns = [t for t in sent if t.lower_ in INSTRUMENT_NOUNS and not ctx.in_quote(t.idx)]
        for n, amount in enumerate(amounts):
            near_noun = _instrument_noun(ctx, amount, nouns)
            before = [t for t in triggers if t.idx < amount.start]
            if before:
                trigger: Token | None = before[-1]
            elif near_noun is not None:
                trigger = None
            elif triggers:
                trigger = min(triggers, key=lambda t: t.idx - amount.end)  # noqa: B023
            else:
                continue
            if not _is_commitment(ctx, sent.start_char, sent.end_char, amount, trigger):
                continue
            if n + 1 < len(amounts) and _INCLUDING.search(
                ctx.text[amount.end : amounts[n + 1].start]
            ):
                continue  # the total; its parts follow
            if trigger is not None and trigger.pos_ == "NOUN" and n > 0:
                # "will provide $2 billion ... and a loan of $500 million": the verb's donor
                verbs = [t for t in triggers if t.idx < amount.start and t.pos_ != "NOUN"]
                trigger = verbs[-1] if verbs else trigger
            donors = _donors(ctx, sent.start_char, amount, trigger, near_noun)
            stop = amounts[n + 1].start if n + 1 < len(amounts) else sent.end_char
            period = mn.find_period(ctx.text[amount.end : stop], ctx.published)
            if period is None and n == 0:
                period = mn.find_period(ctx.text[sent.start_char : amount.start], ctx.published)
            lo = trigger.idx if trigger is not None and trigger.idx < amount.start else amount.start
            win_lo = max(sent.start_char, lo - 30)
            instrument = _instrument(
                ctx.text[win_lo : min(sent.end_char, amount.end + 40)], amount.end - win_lo
            )
            if not donors and (trigger is None or trigger.pos_ == "NOUN"):
                continue  # "the G7's $50 billion scheme": no donor, no pledge verb
            named: list[str | None] = list(donors) or [None]
            for donor in named:
                recipient = (
                    _recipient(ctx, trigger, sent.end_char, donor) if trigger is not None else None
                )
                currency = _local_dollar(ctx, amount, donor)
                if re.search(r"\b(?:kroner|krone|crowns)\b", amount.text.split("(")[0], re.I):
                    currency = _NORDIC.get(donor or "", currency)
                confidence = (
                    0.55
                    + (0.2 if donor else 0.0)
                    + (0.1 if period else 0.0)
                    + (0.1 if recipient else 0.0)
                )
                proposal = CommitmentProposal(
                    donor=donor,
                    recipient=recipient,
                    amount=amount.amount,
                    currency=currency,
                    period=period[0] if period else None,
                    amount_text=amount.text,
                    evidence=ctx.sentence_span(k),
                    confidence=round(min(confidence, 1.0), 2),
                    alt_amount=amount.alt_amount,
                    alt_currency=amount.alt_currency,
                    instrument=instrument,
                )
                key = (donor, amount.amount, currency)
                if k == 0:
                    headline.append(proposal)
                    continue
                old = found.get(key)
                if old is None:
                    found[key] = proposal
                elif _richness(proposal) > _richness(old):
                    found[key] = replace(proposal, instrument=proposal.instrument or old.instrument)
    body = list(found.values())
    for proposal in headline:
        if proposal.donor is None:
            continue  # "Donors pledge $2.8 billion": a headline's sum without a donor
        if (proposal.amount, proposal.currency) in body_amounts and not any(
            c.amount == proposal.amount for c in body
        ):
            continue  # the body gives the figure as a total, an estimate or a sale
        if not any(c.amount == proposal.amount and c.currency == proposal.currency for c in body):
            found.setdefault((proposal.donor, proposal.amount, proposal.currency), proposal)
    return sorted(found.values(), key=lambda c: c.evidence[0])


def _instrument_noun(ctx: Context, amount: mn.Money, nouns: list[Token]) -> Token | None:
    """ "a $700 million grant", "a loan of EUR 90 billion", "a 700 million euro package"."""
    for tok in nouns:
        if 0 <= tok.idx - amount.end <= 12:
            return tok
        gap = ctx.text[tok.idx + len(tok.text) : amount.start]
        if 0 <= amount.start - (tok.idx + len(tok.text)) <= 45 and _NOUN_GAP.fullmatch(gap):
            return tok
    return None


def _is_commitment(
    ctx: Context, sent_start: int, sent_end: int, amount: mn.Money, trigger: Token | None
) -> bool:
    lo = max(sent_start, amount.start - 50)
    if trigger is not None and trigger.idx < amount.start:
        lo = max(sent_start, amount.start - 120, trigger.idx)  # back to the verb
    before = ctx.text[lo : amount.start]
    if _BASELINE.search(before):
        return False
    after = ctx.text[amount.end : min(sent_end, amount.end + 40)]
    if _NOT_COMMITMENT.search(before) or _NOT_AFTER.match(after):
        return False
    if _PROPOSAL.search(ctx.text[sent_start : amount.start]):
        return False
    return not _RUNNING_TOTAL.search(ctx.text[amount.end : sent_end])


def _party_mentions(ctx: Context, start: int, end: int) -> list[Mention]:
    return [m for m in ctx.mentions_in(start, end) if m.end <= end and ctx.party_of(m)]


_RECEIVING = re.compile(r"\b(?:to|for|with|towards)\s+(?:the\s+)?$", re.I)


def _receives(ctx: Context, m: Mention) -> bool:
    """ "to Ukraine", "provide Ukraine with", "an agreement with Ukraine": a recipient or a
    counterpart, never the donor."""
    if _RECEIVING.search(ctx.text[max(0, m.start - 12) : m.start]):
        return True
    if m.ent is None or m.ent.start == 0:
        return False
    left = ctx.doc[m.ent.start - 1]
    return left.lemma_.lower() in PLEDGE_LEMMAS and left.pos_ in ("VERB", "AUX")


def _local_dollar(ctx: Context, amount: mn.Money, donor: str | None) -> str:
    """A bare "$" in a report from Ottawa or Canberra about that country's aid is its dollar."""
    if amount.currency != "USD" or donor not in _LOCAL_DOLLAR:
        return amount.currency
    if not amount.text.lstrip().startswith("$"):
        return amount.currency  # "US$", "U.S. dollars", "dollars" said outright
    code, names = _LOCAL_DOLLAR[donor]
    head = ctx.text[:300]
    if re.search(r"\bU\.?S\.?\s*\$|US dollars?|U\.S\. dollars?", ctx.text):
        return amount.currency
    return code if any(re.search(rf"\b{re.escape(n)}\b", head) for n in names) else amount.currency


def _donors(
    ctx: Context, sent_start: int, amount: mn.Money, trigger: Token | None, noun: Token | None
) -> list[str]:
    # "a $700 million grant funded by Japan"
    tail_end = min(len(ctx.text), amount.end + 60)
    for m in ctx.mentions_in(amount.end, tail_end):
        if ctx.party_of(m) and _BY_DONOR.match(ctx.text[amount.end : m.start]):
            return [ctx.party_of(m) or ""]
    # "a World Bank guarantee of $500 million", "Australia's contribution ... A$95 million"
    if noun is not None:
        lo = max(sent_start, noun.idx - 30)
        near = [
            m
            for m in _party_mentions(ctx, lo, noun.idx)
            if not _receives(ctx, m)
            and re.fullmatch(r"(?:['’]s)?\s*(?:\w+\s+){0,2}", ctx.text[m.end : noun.idx])
        ]
        if near:
            return [ctx.party_of(near[-1]) or ""]
    pos = trigger.idx if trigger is not None else amount.start
    mentions = [m for m in _party_mentions(ctx, sent_start, pos) if not _receives(ctx, m)]
    if not mentions:
        return []
    last = mentions[-1]
    donors = [ctx.party_of(last) or ""]
    if re.search(r"\beach\b", ctx.text[last.end : amount.start]):
        i = len(mentions) - 1
        while i > 0 and _COORD.match(ctx.text[mentions[i - 1].end : mentions[i].start]):
            i -= 1
            name = ctx.party_of(mentions[i]) or ""
            if name not in donors:
                donors.insert(0, name)
    return donors


def _instrument(window: str, pos: int) -> str | None:
    """The instrument word nearest the amount (which ends at `pos` in the window)."""
    hits = [
        (abs(m.start() - pos) if m.start() >= pos else pos - m.end(), name)
        for name, rx in _INSTRUMENTS
        for m in rx.finditer(window)
    ]
    return min(hits)[1] if hits else None


def _richness(c: CommitmentProposal) -> int:
    return sum(x is not None for x in (c.donor, c.recipient, c.period, c.alt_amount, c.instrument))


def _recipient(ctx: Context, trigger: Token, end: int, donor: str | None) -> str | None:
    for m in ctx.mentions_in(trigger.idx + len(trigger.text), end, "party"):
        if m.name == donor or m.ent is None:
            continue
        left = ctx.doc[max(0, m.ent.start - 1)]
        if left.i == trigger.i or left.lower_ in ("to", "for"):
            return m.name
    return None
