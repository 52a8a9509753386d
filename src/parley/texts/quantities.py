"""Quantities, dates and clock times in English, Ukrainian and Russian text (pure, no database).

The cross-language check (:mod:`parley.texts.crosscheck`) compares what these functions find in
two language versions of one provision. They read:

* numerals: ``30``, ``600,000``, ``600 000``, ``1.5`` (en), ``1,5`` (uk/ru);
* numbers in words, in every grammatical case: "thirty", "twenty-five", "two hundred and fifty
  thousand"; "тридцять", "тридцяти", "тридцятьма"; "тридцать", "тридцати", "тридцатью". The
  word for one counts only before a unit ("one year"), since "one of the parties" is no quantity;
  ordinals ("first", "перший") are not quantities;
* a scale after a number: ``600 thousand``, ``600 тисяч``, ``1,5 млрд``, ``$100 billion``;
* a unit after (or a currency symbol before) the number, normalised: km/км/кілометрів →
  ``km``, mm/мм → ``mm``, %/per cent/відсотків/процентов → ``%``, $/USD/dollars/доларів →
  ``USD``, €/euro/євро/евро → ``EUR``, and days, weeks, months, years, hours, persons;
* dates: "15 February 2015", "February 15, 2015", "15 лютого 2015 року", "15 февраля 2015
  года", "2015-02-15", "15.02.2015", month and year ("February 2015", "у лютому 2015"), and
  clock times "00:00".

Everything is found on a normalised copy of the text (case-folded, one apostrophe, ё → е);
dates and references are cut out before numbers are read, so "15 February" is a date and not the
number 15.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Quantity",
    "blank",
    "find_dates",
    "find_quantities",
    "format_quantity",
    "normalise",
]


def normalise(text: str) -> str:
    """Case-folded, with one apostrophe (') and ё written е; same length as ``text``."""
    out = text.casefold() if len(text.casefold()) == len(text) else text.lower()
    return (
        out.replace("’", "'")
        .replace("ʼ", "'")
        .replace("`", "'")
        .replace("ё", "е")
        .replace("\u00a0", " ")
        .replace("\u202f", " ")
    )


def blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span replaced by spaces (offsets of the rest are kept)."""
    chars = list(text)
    for start, end in spans:
        for i in range(start, end):
            chars[i] = " "
    return "".join(chars)


# --------------------------------------------------------------------------- numbers in words

_EN_SMALL = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}


def _forms(stem: str, endings: str) -> list[str]:
    return [stem + e for e in endings.split("|")]


def _uk_words() -> dict[str, int]:
    w: dict[str, int] = {}

    def add(value: int, forms: str | Iterable[str]) -> None:
        for f in forms.split() if isinstance(forms, str) else forms:
            w[f] = value

    add(
        1,
        "один одна одне одно одного одної одній одному одну одним одною одних одними",
    )
    add(2, "два дві двох двом двома двоє")
    add(3, "три трьох трьом трьома троє")
    add(4, "чотири чотирьох чотирьом чотирма чотирьома четверо")
    # 5-20 and 30: stem + ь / и / ьох / ьом / ьма / ьома
    five_to_thirty = {
        5: "п'ят",
        6: None,
        7: None,
        8: None,
        9: "дев'ят",
        10: "десят",
        11: "одинадцят",
        12: "дванадцят",
        13: "тринадцят",
        14: "чотирнадцят",
        15: "п'ятнадцят",
        16: "шістнадцят",
        17: "сімнадцят",
        18: "вісімнадцят",
        19: "дев'ятнадцят",
        20: "двадцят",
        30: "тридцят",
    }
    for value, stem in five_to_thirty.items():
        if stem:
            add(value, _forms(stem, "ь|и|ьох|ьом|ьма|ьома"))
    add(5, ["п'ятеро"])
    add(6, "шість шести шістьох шістьом шістьма шістьома шестеро")
    add(7, "сім семи сімох сімом сімома семеро")
    add(8, "вісім восьми вісьмох вісьмом вісьмома восьмеро")
    add(9, ["дев'ятеро"])
    add(10, ["десятеро"])
    add(40, "сорок сорока")
    for value, stem in {
        50: "п'ятдесят",
        60: "шістдесят",
        70: "сімдесят",
        80: "вісімдесят",
    }.items():
        add(value, _forms(stem, "|и|ьох|ьом|ьма|ьома"))
    add(90, "дев'яносто дев'яноста")
    add(100, "сто ста")
    add(200, "двісті двохсот двомстам двомастами двохстах")
    add(300, "триста трьохсот трьомстам трьомастами трьохстах")
    add(400, "чотириста чотирьохсот чотирьомстам чотирмастами чотирьохстах")
    for value, nom, stem in (
        (500, "п'ятсот", "п'яти"),
        (600, "шістсот", "шести"),
        (700, "сімсот", "семи"),
        (800, "вісімсот", "восьми"),
        (900, "дев'ятсот", "дев'яти"),
    ):
        add(value, [nom, stem + "сот", stem + "стам", stem + "стах"])
        add(value, [nom.replace("сот", "") + "ьмастами"])
    return w


def _ru_words() -> dict[str, int]:
    w: dict[str, int] = {}

    def add(value: int, forms: str | Iterable[str]) -> None:
        for f in forms.split() if isinstance(forms, str) else forms:
            w[f] = value

    add(1, "один одна одно одного одной одному одну одним одною одном одних одними")
    add(2, "два две двух двум двумя двое")
    add(3, "три трех трем тремя трое")
    add(4, "четыре четырех четырем четырьмя четверо")
    for value, stem in {
        5: "пят",
        6: "шест",
        8: None,
        9: "девят",
        10: "десят",
        11: "одиннадцат",
        12: "двенадцат",
        13: "тринадцат",
        14: "четырнадцат",
        15: "пятнадцат",
        16: "шестнадцат",
        17: "семнадцат",
        18: "восемнадцат",
        19: "девятнадцат",
        20: "двадцат",
        30: "тридцат",
    }.items():
        if stem:
            add(value, _forms(stem, "ь|и|ью"))
    add(7, "семь семи")  # not "семью": it is also "family"
    add(8, "восемь восьми восемью восьмью")
    add(40, "сорок сорока")
    add(50, "пятьдесят пятидесяти пятьюдесятью")
    add(60, "шестьдесят шестидесяти шестьюдесятью")
    add(70, "семьдесят семидесяти семьюдесятью")
    add(80, "восемьдесят восьмидесяти восемьюдесятью")
    add(90, "девяносто девяноста")
    add(100, "сто ста")
    add(200, "двести двухсот двумстам двумястами двухстах")
    add(300, "триста трехсот тремстам тремястами трехстах")
    add(400, "четыреста четырехсот четыремстам четырьмястами четырехстах")
    for value, nom, gen, ins in (
        (500, "пятьсот", "пяти", "пятью"),
        (600, "шестьсот", "шести", "шестью"),
        (700, "семьсот", "семи", "семью"),
        (800, "восемьсот", "восьми", "восемью"),
        (900, "девятьсот", "девяти", "девятью"),
    ):
        add(value, [nom, gen + "сот", gen + "стам", ins + "стами", gen + "стах"])
    return w


_WORDS: dict[str, int] = {**_EN_SMALL, **_uk_words(), **_ru_words()}
_ONE = {w for w, v in _WORDS.items() if v == 1}

# Scale words multiply the number before them; matched by stem.
_SCALES: tuple[tuple[str, int], ...] = (
    ("thousand", 1_000),
    ("тисяч", 1_000),
    ("тысяч", 1_000),
    ("тис", 1_000),
    ("тыс", 1_000),
    ("million", 1_000_000),
    ("мільйон", 1_000_000),
    ("миллион", 1_000_000),
    ("млн", 1_000_000),
    ("billion", 1_000_000_000),
    ("мільярд", 1_000_000_000),
    ("миллиард", 1_000_000_000),
    ("млрд", 1_000_000_000),
    ("bn", 1_000_000_000),
)


def _scale(word: str) -> int | None:
    for stem, value in _SCALES:
        if word == stem or (len(stem) > 3 and word.startswith(stem)):
            return value
    return None


# Units: (stem, unit, exact). An exact stem must be the whole word; otherwise it is a prefix.
# Order matters: "годин" (hours) before "год" (years), "mm" before "m".
_UNITS: tuple[tuple[str, str, bool], ...] = (
    ("%", "%", True),
    ("$", "USD", True),
    ("€", "EUR", True),
    ("£", "GBP", True),
    ("₴", "UAH", True),
    ("₽", "RUB", True),
    ("km", "km", True),
    ("км", "km", True),
    ("kilomet", "km", False),
    ("кілометр", "km", False),
    ("километр", "km", False),
    ("cm", "cm", True),
    ("см", "cm", True),
    ("centimet", "cm", False),
    ("сантиметр", "cm", False),
    ("mm", "mm", True),
    ("мм", "mm", True),
    ("millimet", "mm", False),
    ("міліметр", "mm", False),
    ("миллиметр", "mm", False),
    ("m", "m", True),
    ("м", "m", True),
    ("metre", "m", False),
    ("meter", "m", False),
    ("метр", "m", False),
    ("percent", "%", False),
    ("відсот", "%", False),
    ("процент", "%", False),
    ("usd", "USD", True),
    ("dollar", "USD", False),
    ("долар", "USD", False),
    ("доллар", "USD", False),
    ("eur", "EUR", True),
    ("euro", "EUR", False),
    ("євро", "EUR", True),
    ("евро", "EUR", True),
    ("uah", "UAH", True),
    ("hryvn", "UAH", False),
    ("грн", "UAH", True),
    ("гривн", "UAH", False),
    ("гривень", "UAH", True),
    ("rub", "RUB", True),
    ("roubl", "RUB", False),
    ("rubl", "RUB", False),
    ("руб", "RUB", False),
    ("gbp", "GBP", True),
    ("day", "days", False),
    ("дні", "days", True),
    ("днів", "days", True),
    ("дня", "days", True),
    ("днях", "days", True),
    ("дням", "days", True),
    ("днями", "days", True),
    ("день", "days", True),
    ("дней", "days", True),
    ("доб", "days", False),
    ("сут", "days", False),
    ("week", "weeks", False),
    ("тиждень", "weeks", True),
    ("тижн", "weeks", False),
    ("недел", "weeks", False),
    ("month", "months", False),
    ("місяц", "months", False),
    ("месяц", "months", False),
    ("hour", "hours", False),
    ("годин", "hours", False),
    ("час", "hours", False),
    ("year", "years", False),
    ("рік", "years", True),
    ("рок", "years", False),
    ("років", "years", True),
    ("лет", "years", True),
    ("год", "years", False),
    ("personnel", "persons", True),
    ("people", "persons", True),
    ("persons", "persons", True),
    ("troops", "persons", True),
    ("осіб", "persons", True),
    ("особи", "persons", True),
    ("чоловік", "persons", True),
    ("человек", "persons", True),
    ("військовослужбовц", "persons", False),
    ("военнослужащ", "persons", False),
)


def unit_of(word: str) -> str | None:
    for stem, unit, exact in _UNITS:
        if word == stem or (not exact and word.startswith(stem)):
            return unit
    return None


# ----------------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""(?P<num>\d{1,3}(?:(?:,\d{3})+|(?:\ \d{3})+)(?![\d])(?:\.\d+)?|\d+(?:[.,]\d+)?)
      | (?P<word>[^\W\d_]+(?:['-][^\W\d_]+)*)
      | (?P<sym>[%$€£₴₽])
      | (?P<other>[^\s])""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # num | word | sym | other
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    out = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        out.append(_Tok(kind, m.group(), m.start(), m.end()))
    return out


def _numeral(text: str) -> float:
    """``600,000`` and ``600 000`` are thousands; ``1,5`` and ``1.5`` are one and a half."""
    if re.fullmatch(r"\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?", text) and not (
        text.startswith("0,")
    ):
        return float(text.replace(",", "").replace(" ", ""))
    return float(text.replace(",", "."))


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None
    text: str  # as written, for messages

    @property
    def key(self) -> float:
        return round(self.value, 6)


def format_quantity(q: Quantity) -> str:
    value = int(q.value) if q.value == int(q.value) else q.value
    number = f"{value:,}" if isinstance(value, int) else f"{value:g}"
    if q.unit is None:
        return number
    if q.unit in ("USD", "EUR", "GBP", "UAH", "RUB"):
        return f"{number} {q.unit}"
    if q.unit == "%":
        return f"{number}%"
    return f"{number} {q.unit}"


def _word_number(words: list[str]) -> int:
    """The value of a run of number words: "two hundred and fifty", "двохсот п'ятдесяти"."""
    total, current = 0, 0
    for w in words:
        if w == "hundred":
            current = (current or 1) * 100
            continue
        scale = _scale(w)
        if scale is not None:
            total += (current or 1) * scale
            current = 0
            continue
        current += _WORDS[w]
    return total + current


def _is_number_word(word: str) -> bool:
    return word in _WORDS or word == "hundred"


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in an already normalised ``text`` (dates and references blanked out)."""
    toks = _tokens(text)
    found: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        start_index = i
        value: float | None = None
        weak = False
        if tok.kind == "num":
            value = _numeral(tok.text)
            i += 1
        elif tok.kind == "word" and _is_word_number_start(tok.text):
            words: list[str] = []
            while i < len(toks) and toks[i].kind == "word":
                parts = toks[i].text.split("-")
                if all(_is_number_word(p) or _scale(p) is not None for p in parts) and not (
                    words == [] and _scale(parts[0]) is not None
                ):
                    words.extend(parts)
                    i += 1
                    continue
                if (
                    toks[i].text == "and"
                    and words
                    and i + 1 < len(toks)
                    and toks[i + 1].kind == "word"
                    and _is_number_word(toks[i + 1].text.split("-")[0])
                    and _WORDS.get(toks[i + 1].text.split("-")[0], 0) < 100
                    and words[-1] in ("hundred", "thousand", "million", "billion")
                ):
                    i += 1
                    continue
                break
            value = float(_word_number(words))
            weak = len(words) == 1 and words[0] in _ONE
            # "thirty (30) days": the numeral repeats the words; count it once
            if (
                i + 2 < len(toks)
                and toks[i].text == "("
                and toks[i + 1].kind == "num"
                and toks[i + 2].text == ")"
                and _numeral(toks[i + 1].text) == value
            ):
                i += 3
        else:
            i += 1
            continue
        # a scale after a numeral: 600 thousand, 1,5 млрд
        if tok.kind == "num" and i < len(toks) and toks[i].kind == "word":
            scale = _scale(toks[i].text)
            if scale is not None:
                value *= scale
                i += 1
                if i < len(toks) and toks[i].text == ".":
                    i += 1
        unit: str | None = None
        if i < len(toks) and toks[i].kind in ("word", "sym"):
            unit = unit_of(toks[i].text)
            if unit is None and toks[i].text == "per" and i + 1 < len(toks):
                unit = "%" if toks[i + 1].text == "cent" else None
            if unit is not None:
                i += 1
        if unit is None and start_index > 0:
            before = toks[start_index - 1]
            if before.kind in ("sym", "word"):
                prefix = unit_of(before.text)
                if prefix in ("USD", "EUR", "GBP", "UAH", "RUB"):
                    unit = prefix
        if weak and unit is None:
            continue
        written = text[toks[start_index].start : toks[i - 1].end]
        found.append(Quantity(value=value, unit=unit, text=written))
    return found


def _is_word_number_start(word: str) -> bool:
    first = word.split("-")[0]
    return first in _WORDS


# ------------------------------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _n, _names in enumerate(
    [
        "january січня січень січні января январь январе",
        "february лютого лютий лютому февраля февраль феврале",
        "march березня березень березні марта март марте",
        "april квітня квітень квітні апреля апрель апреле",
        "may травня травень травні мая май мае",
        "june червня червень червні июня июнь июне",
        "july липня липень липні июля июль июле",
        "august серпня серпень серпні августа август августе",
        "september вересня вересень вересні сентября сентябрь сентябре",
        "october жовтня жовтень жовтні октября октябрь октябре",
        "november листопада листопад листопаді ноября ноябрь ноябре",
        "december грудня грудень грудні декабря декабрь декабре",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _n

_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_YEAR_WORD = r"(?:\s*(?:року|році|рік|р\.|года|году|год|г\.))?"
_DATE_PATTERNS = [
    re.compile(r"(?<![\d.])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)"),
    re.compile(r"(?<![\d.])(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?!\d)" + _YEAR_WORD),
    re.compile(
        r"(?<!\d)(?P<d>\d{1,2})(?:st|nd|rd|th|-?го)?\s+(?:of\s+)?"
        + _MONTH
        + r"\b(?:\s*,?\s*(?P<y>\d{4})(?!\d)"
        + _YEAR_WORD
        + ")?"
    ),
    re.compile(
        r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?\b(?:\s*,?\s*(?P<y>\d{4})(?!\d))?"
    ),
    re.compile(r"\b" + _MONTH + r"\s+(?:of\s+)?(?P<y>\d{4})(?!\d)" + _YEAR_WORD),
]
_TIME = re.compile(
    r"(?<![\d:.,])(?P<h>[01]?\d|2[0-4])[:](?P<min>[0-5]\d)(?![\d:])"
    r"(?:\s*(?:год\.|годин[аиі]?|час(?:а|ов)?|hours|h)\b)?"
)


def find_dates(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Dates and clock times in a normalised ``text``, as ISO-like strings, and their spans.

    "15 February 2015" → ``2015-02-15``; a date without a year → ``--02-15``; a month and year
    → ``2015-02``; a clock time → ``T00:00``.
    """
    found: list[tuple[int, str]] = []
    spans: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in spans)

    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            groups = m.groupdict()
            month = int(groups["m"]) if groups.get("m") else _MONTHS[groups["month"]]
            day = groups.get("d")
            year = groups.get("y")
            if day is not None and not 1 <= int(day) <= 31:
                continue
            if not 1 <= month <= 12:
                continue
            if day is None:
                value = f"{year}-{month:02d}"
            else:
                value = f"{year or '-'}-{month:02d}-{int(day):02d}"
            found.append((m.start(), value))
            spans.append((m.start(), m.end()))
    for m in _TIME.finditer(text):
        if free(m.start(), m.end()):
            found.append((m.start(), f"T{int(m.group('h')):02d}:{m.group('min')}"))
            spans.append((m.start(), m.end()))
    found.sort()
    return [v for _, v in found], spans
