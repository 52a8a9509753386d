"""Amounts of money and the periods they cover.

"€90 billion", "$100bn", "NOK 85 billion", "90 billion euros ($106 billion)" -- amounts are
normalised to an integer in the currency's unit with an ISO 4217 code; a parenthesised second
figure is kept as the alternative amount. Periods become year ranges ("2026-2027").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "C$": "CAD", "A$": "AUD"}
CODES = (
    "USD",
    "EUR",
    "GBP",
    "NOK",
    "SEK",
    "DKK",
    "JPY",
    "CHF",
    "CAD",
    "AUD",
    "PLN",
    "UAH",
    "RUB",
    "CNY",
)
WORDS = {
    "us dollars": "USD",
    "dollars": "USD",
    "dollar": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds sterling": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "sterling": "GBP",
    "yen": "JPY",
    "norwegian kroner": "NOK",
    "norwegian crowns": "NOK",
    "danish kroner": "DKK",
    "danish crowns": "DKK",
    "swedish kronor": "SEK",
    "swedish crowns": "SEK",
    "kronor": "SEK",
    "kroner": "NOK",  # the donor decides between NOK and DKK (parley.intake.commitments)
    "krone": "NOK",
    "crowns": "NOK",
    "roubles": "RUB",
    "rubles": "RUB",
    "yuan": "CNY",
    "zloty": "PLN",
    "hryvnias": "UAH",
    "hryvnia": "UAH",
    "swiss francs": "CHF",
}
SCALES = {
    "trillion": 10**12,
    "tn": 10**12,
    "billion": 10**9,
    "bn": 10**9,
    "b": 10**9,
    "million": 10**6,
    "mn": 10**6,
    "m": 10**6,
    "thousand": 10**3,
    "k": 10**3,
}

# Rough rates to US dollars, only for judging whether two reports disagree about one pledge.
USD_RATES = {
    "USD": 1.0,
    "EUR": 1.17,
    "GBP": 1.34,
    "NOK": 0.099,
    "SEK": 0.107,
    "DKK": 0.157,
    "JPY": 0.0066,
    "CHF": 1.25,
    "CAD": 0.72,
    "AUD": 0.66,
    "PLN": 0.275,
    "UAH": 0.024,
    "RUB": 0.0126,
    "CNY": 0.14,
}

_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_SCALE = r"(?:\s?(?P<scale>trillion|billion|million|thousand|tn|bn|mn|m|b|k)\b)?"
_SYM = "|".join(re.escape(s) for s in sorted(SYMBOLS, key=len, reverse=True))
_WORD = "|".join(sorted(WORDS, key=len, reverse=True))
MONEY_RE = re.compile(
    rf"(?:(?P<sym>{_SYM})\s?{_NUM}{_SCALE}"
    rf"|\b(?P<code>{'|'.join(CODES)})\s?{_NUM.replace('num', 'num2')}"
    rf"{_SCALE.replace('scale', 'scale2')}"
    rf"|\b{_NUM.replace('num', 'num3')}{_SCALE.replace('scale', 'scale3')}\s+(?P<word>{_WORD})\b)",
    re.IGNORECASE,
)
_ALT_RE = re.compile(r"\s*\((?:about|around|roughly|some|approximately|approx\.|or|~|=)?\s*")
# "£2.26 billion, or about $2.9 billion," -- the second figure in other words, not in brackets.
_ALT_OR_RE = re.compile(r",?\s+or\s+(?:about|around|roughly|some|approximately|nearly|almost)?\s*")

_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10}
PERIOD_RES = [
    re.compile(
        r"\b(?:over|for|during)\s+(?:the\s+)?(?:next|coming)?\s*(?P<n>\d+|two|three|four|five|six|ten)\s+years\b",
        re.I,
    ),
    re.compile(
        r"\b(?:for|in|during|through|covering|over)\s+(?P<a>(?:19|20)\d\d)\s*[-–/]\s*(?P<b>\d{2,4})\b",
        re.I,
    ),
    re.compile(r"\b(?:for|in|during|through)\s+(?P<y>(?:19|20)\d\d)\b", re.I),
    re.compile(r"\b(?P<rel>this|next)\s+year\b", re.I),
]


@dataclass(frozen=True)
class Money:
    start: int
    end: int  # end of the whole expression, including a parenthesised alternative
    text: str
    amount: int
    currency: str
    alt_amount: int | None = None
    alt_currency: str | None = None


def _value(num: str, scale: str | None) -> int | None:
    try:
        value = Decimal(num.replace(",", ""))
    except InvalidOperation:
        return None
    factor = SCALES.get(scale.lower(), 1) if scale else 1
    return int(value * factor)


def _parse(m: re.Match[str]) -> tuple[int, str] | None:
    g = m.groupdict()
    if g["sym"]:
        currency = SYMBOLS[g["sym"].upper() if g["sym"][0].isalpha() else g["sym"]]
        value = _value(g["num"], g["scale"])
    elif g["code"]:
        currency = g["code"].upper()
        value = _value(g["num2"], g["scale2"])
    else:
        currency = WORDS[g["word"].lower()]
        # "1,200 prisoners" is no money; a bare number needs a scale or a currency word.
        value = _value(g["num3"], g["scale3"])
    if value is None or value <= 0:
        return None
    return value, currency


def find_money(text: str, offset: int = 0) -> list[Money]:
    """Money amounts in `text`, each with its parenthesised alternative if one follows."""
    out: list[Money] = []
    pos = 0
    while True:
        m = MONEY_RE.search(text, pos)
        if m is None:
            return out
        parsed = _parse(m)
        pos = m.end()
        if parsed is None:
            continue
        amount, currency = parsed
        end = m.end()
        alt_amount = alt_currency = None
        alt = _ALT_RE.match(text, m.end())
        if alt:
            m2 = MONEY_RE.match(text, alt.end())
            if m2 and (parsed2 := _parse(m2)) and text[m2.end() : m2.end() + 1] == ")":
                alt_amount, alt_currency = parsed2
                end = m2.end() + 1
                pos = end
        alt_or = None if alt_amount else _ALT_OR_RE.match(text, m.end())
        if alt_or:
            m2 = MONEY_RE.match(text, alt_or.end())
            if m2 and (parsed2 := _parse(m2)) and parsed2[1] != currency:
                alt_amount, alt_currency = parsed2
                end = pos = m2.end()
        out.append(
            Money(
                m.start() + offset,
                end + offset,
                text[m.start() : end],
                amount,
                currency,
                alt_amount,
                alt_currency,
            )
        )


def find_period(text: str, published: date | None) -> tuple[str, int] | None:
    """(period, offset of the match) for the first period expression in `text`, or None.

    "over the next two years" starts next year when the report is from the last quarter
    (budgets for the coming years are announced then), otherwise this year.
    """
    best: tuple[str, int] | None = None
    for regex in PERIOD_RES:
        m = regex.search(text)
        if m is None or (best is not None and m.start() >= best[1]):
            continue
        g = m.groupdict()
        period: str | None = None
        if g.get("n"):
            if published is None:
                continue
            n = int(g["n"]) if g["n"].isdigit() else _NUMBERS[g["n"].lower()]
            first = published.year + 1 if published.month >= 10 else published.year
            period = f"{first}-{first + n - 1}" if n > 1 else str(first)
        elif g.get("a"):
            a, b = g["a"], g["b"]
            end_year = int(a[:2] + b) if len(b) == 2 else int(b)
            period = f"{a}-{end_year}"
        elif g.get("y"):
            period = g["y"]
        elif g.get("rel"):
            if published is None:
                continue
            period = str(published.year + (1 if g["rel"].lower() == "next" else 0))
        if period:
            best = (period, m.start())
    return best


def in_usd(amount: int, currency: str) -> float | None:
    rate = USD_RATES.get(currency)
    return amount * rate if rate is not None else None
