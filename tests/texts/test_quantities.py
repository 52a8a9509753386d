"""Numbers in digits and words (en, uk, ru, every case), units, dates and clock times."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.glossary import Glossary, GlossaryError, default_glossary, load_glossary
from parley.texts.quantities import blank, find_dates, find_quantities, format_quantity, normalise


def quantities(text: str) -> list[str]:
    norm = normalise(text)
    _, spans = find_dates(norm)
    return [format_quantity(q) for q in find_quantities(blank(norm, spans))]


def dates(text: str) -> list[str]:
    return find_dates(normalise(text))[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("within 30 days", ["30 days"]),
        ("within thirty days", ["30 days"]),
        ("within thirty (30) days", ["30 days"]),
        ("протягом тридцяти днів", ["30 days"]),
        ("тридцять днів", ["30 days"]),
        ("тридцятьма днями", ["30 days"]),
        ("в течение тридцати дней", ["30 days"]),
        ("тридцатью днями", ["30 days"]),
        ("fifty km", ["50 km"]),
        ("п'ятдесяти кілометрів", ["50 km"]),
        ("п’ятдесят км", ["50 km"]),
        ("пятидесяти километров", ["50 km"]),
        ("100 mm", ["100 mm"]),
        ("ста міліметрів", ["100 mm"]),
        ("100 мм", ["100 mm"]),
        ("3.5%", ["3.5%"]),
        ("3,5 відсотка", ["3.5%"]),
        ("3,5 процента", ["3.5%"]),
        ("five per cent", ["5%"]),
        ("600,000 personnel", ["600,000 persons"]),
        ("600 000 осіб", ["600,000 persons"]),
        ("600 тисяч військовослужбовців", ["600,000 persons"]),
        ("шестисот тысяч военнослужащих", ["600,000 persons"]),
        ("$100 billion", ["100,000,000,000 USD"]),
        ("100 млрд доларів", ["100,000,000,000 USD"]),
        ("ста миллиардов долларов", ["100,000,000,000 USD"]),
        ("€20 million", ["20,000,000 EUR"]),
        ("20 мільйонів євро", ["20,000,000 EUR"]),
        ("двадцати миллионов евро", ["20,000,000 EUR"]),
        ("two hundred and fifty thousand", ["250,000"]),
        ("двохсот п'ятдесяти тисяч", ["250,000"]),
        ("двухсот пятидесяти тысяч", ["250,000"]),
        ("twenty-five years", ["25 years"]),
        ("двадцяти п'яти років", ["25 years"]),
        ("двадцати пяти лет", ["25 years"]),
        ("one year", ["1 years"]),
        ("одного року", ["1 years"]),
        ("72 hours", ["72 hours"]),
        ("72 годин", ["72 hours"]),
        ("72 часов", ["72 hours"]),
        ("двоє", ["2"]),
        ("1,000 and 0,5", ["1,000", "0.5"]),
    ],
)
def test_a_quantity_is_read_in_every_language_and_case(text: str, expected: list[str]) -> None:
    assert quantities(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "one of the parties",
        "одна зі сторін",
        "одна из сторон",
        "the first phase",
        "перший етап",
        "thousands of people",
        "тисячі людей",
        "the status of the areas",
    ],
)
def test_words_that_are_no_quantity_are_not_read(text: str) -> None:
    assert quantities(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 00:00 on 15 February 2015", ["T00:00", "2015-02-15"]),
        ("з 00:00 15 лютого 2015 року", ["T00:00", "2015-02-15"]),
        ("с 00:00 15 февраля 2015 года", ["T00:00", "2015-02-15"]),
        ("February 15, 2015", ["2015-02-15"]),
        ("the 15th of February 2015", ["2015-02-15"]),
        ("2015-02-15", ["2015-02-15"]),
        ("15.02.2015 р.", ["2015-02-15"]),
        ("by 31 December", ["--12-31"]),
        ("до 31 грудня", ["--12-31"]),
        ("до 31 декабря", ["--12-31"]),
        ("in February 2015", ["2015-02"]),
        ("у лютому 2015 року", ["2015-02"]),
        ("в феврале 2015 года", ["2015-02"]),
        ("at 18:30", ["T18:30"]),
    ],
)
def test_dates_and_clock_times_in_every_language(text: str, expected: list[str]) -> None:
    assert dates(text) == expected


def test_a_date_is_not_also_a_number() -> None:
    assert quantities("on 15 February 2015 at 00:00") == []
    assert quantities("15 лютого 2015 року") == []


# ------------------------------------------------------------------- property tests (words)

_EN_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_EN_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def en_words(n: int) -> str:
    def below_thousand(k: int) -> list[str]:
        out: list[str] = []
        if k >= 100:
            out += [_EN_UNITS[k // 100], "hundred"]
            k %= 100
            if k:
                out.append("and")
        if k >= 20:
            out.append(_EN_TENS[k // 10] + (f"-{_EN_UNITS[k % 10]}" if k % 10 else ""))
        elif k or not out:
            out.append(_EN_UNITS[k])
        return out

    if n >= 1000:
        rest = below_thousand(n % 1000) if n % 1000 else []
        return " ".join(below_thousand(n // 1000) + ["thousand"] + rest)
    return " ".join(below_thousand(n))


_RU_UNITS = [
    "_",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
]
_RU_TENS = [
    "_",
    "_",
    "двадцать",
    "тридцать",
    "сорок",
    "пятьдесят",
    "шестьдесят",
    "семьдесят",
    "восемьдесят",
    "девяносто",
]
_RU_HUNDREDS = [
    "_",
    "сто",
    "двести",
    "триста",
    "четыреста",
    "пятьсот",
    "шестьсот",
    "семьсот",
    "восемьсот",
    "девятьсот",
]
_UK_UNITS = [
    "_",
    "один",
    "два",
    "три",
    "чотири",
    "п'ять",
    "шість",
    "сім",
    "вісім",
    "дев'ять",
    "десять",
    "одинадцять",
    "дванадцять",
    "тринадцять",
    "чотирнадцять",
    "п'ятнадцять",
    "шістнадцять",
    "сімнадцять",
    "вісімнадцять",
    "дев'ятнадцять",
]
_UK_TENS = [
    "_",
    "_",
    "двадцять",
    "тридцять",
    "сорок",
    "п'ятдесят",
    "шістдесят",
    "сімдесят",
    "вісімдесят",
    "дев'яносто",
]
_UK_HUNDREDS = [
    "_",
    "сто",
    "двісті",
    "триста",
    "чотириста",
    "п'ятсот",
    "шістсот",
    "сімсот",
    "вісімсот",
    "дев'ятсот",
]


def slavic_words(n: int, units: list[str], tens: list[str], hundreds: list[str]) -> str:
    def below_thousand(k: int) -> list[str]:
        out = []
        if k >= 100:
            out.append(hundreds[k // 100])
            k %= 100
        if k >= 20:
            out.append(tens[k // 10])
            k %= 10
        if k:
            out.append(units[k])
        return out

    thousands, rest = divmod(n, 1000)
    words = below_thousand(thousands) + (["тисяч"] if thousands else []) + below_thousand(rest)
    return " ".join(words)


@settings(deadline=None)  # timings on a shared machine vary; speed is benchmarked
@given(st.integers(min_value=2, max_value=999_999))
def test_english_numbers_in_words_read_back(n: int) -> None:
    assert [q.value for q in find_quantities(normalise(en_words(n)))] == [n]


@settings(deadline=None)  # timings on a shared machine vary; speed is benchmarked
@given(st.integers(min_value=2, max_value=999_999))
def test_russian_numbers_in_words_read_back(n: int) -> None:
    text = slavic_words(n, _RU_UNITS, _RU_TENS, _RU_HUNDREDS).replace("тисяч", "тысяч")
    assert [q.value for q in find_quantities(normalise(text))] == [n]


@settings(deadline=None)  # timings on a shared machine vary; speed is benchmarked
@given(st.integers(min_value=2, max_value=999_999))
def test_ukrainian_numbers_in_words_read_back(n: int) -> None:
    text = slavic_words(n, _UK_UNITS, _UK_TENS, _UK_HUNDREDS)
    assert [q.value for q in find_quantities(normalise(text))] == [n]


@settings(deadline=None)  # timings on a shared machine vary; speed is benchmarked
@given(st.integers(min_value=0, max_value=10**9), st.sampled_from(["en", "uk"]))
def test_numerals_read_back_with_their_grouping(n: int, style: str) -> None:
    written = f"{n:,}" if style == "en" else f"{n:,}".replace(",", "\u00a0")
    assert [q.value for q in find_quantities(normalise(f"x {written} y"))] == [n]


@settings(deadline=None)  # timings on a shared machine vary; speed is benchmarked
@given(st.text(max_size=200))
def test_any_text_is_read_without_error(text: str) -> None:
    norm = normalise(text)
    found, spans = find_dates(norm)
    assert len(found) == len(spans)
    find_quantities(blank(norm, spans))


# --------------------------------------------------------------------------------- glossary


def test_glossary_forms_match_whole_words_stems_and_acronyms() -> None:
    glossary = load_glossary(
        "kyiv:\n  en: [Kyiv]\n  uk: [Київ, Києва, київськ]\nus:\n  en: [US, United States]\n"
    )
    assert glossary.present("Talks in Kyiv.", "en") == {"kyiv"}
    assert glossary.present("Kyivan talks", "en") == set()
    assert glossary.present("Київська область", "uk") == {"kyiv"}
    assert glossary.present("у Києві", "uk") == set()  # not listed, not a stem
    assert glossary.present("The US agrees", "en") == {"us"}
    assert glossary.present("let us agree", "en") == set()
    assert glossary.present("the United States' plan", "en") == {"us"}


def test_the_default_glossary_knows_the_miami_names_in_their_cases() -> None:
    glossary = default_glossary()
    assert "peace-council" in glossary.present("Радою миру", "uk")
    assert "united-states" in glossary.present("Соединенными Штатами", "ru")
    assert "russia" in glossary.present("Russia's army", "en")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must map term ids to languages"),
        ("kyiv: Kyiv\n", "term kyiv: must map languages"),
        ("kyiv:\n  english: [Kyiv]\n", "'english' is not a two-letter language code"),
        ("kyiv:\n  en: 5\n", "term kyiv, en: forms must be a list of words"),
        ("kyiv:\n  en: [Kyiv\n", "not valid YAML at line"),
    ],
)
def test_a_bad_glossary_is_refused_naming_the_term(text: str, message: str) -> None:
    with pytest.raises(GlossaryError, match=message):
        load_glossary(text, source="g.yaml")


def test_a_merged_glossary_takes_the_later_forms() -> None:
    a = Glossary({"x": {"en": ("X",)}})
    b = Glossary({"x": {"en": ("Y",)}, "z": {"en": ("Z",)}})
    assert a.merged(b).terms == {"x": {"en": ("Y",)}, "z": {"en": ("Z",)}}
