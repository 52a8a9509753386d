"""The cross-language check: faithful texts give no findings, every planted divergence is found.

The texts are written for Parley (tests/texts/fixtures/languages/ and examples/miami/texts/):
English, Ukrainian and Russian with numbers in digits and in words, dates, clock times,
references, names and a bracket. The figures are recorded in docs/texts.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.crosscheck import (
    FINDING_KINDS,
    CrossCheck,
    LanguageText,
    crosscheck,
    crosscheck_to_dict,
    crosscheck_to_text,
)
from parley.texts.glossary import default_glossary
from parley.texts.numbered import parse_numbered

from .strategies import flat

HERE = Path(__file__).resolve().parent
LANGUAGES = HERE / "fixtures" / "languages"
MIAMI = HERE.parents[1] / "examples" / "miami" / "texts"
GLOSSARY = default_glossary()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _check(*sources: str) -> CrossCheck:
    texts = []
    for source in sources:
        parsed = parse_numbered(source)
        assert parsed.language is not None
        texts.append(LanguageText(parsed.language, parsed.provisions, parsed.title))
    return crosscheck(texts, glossary=GLOSSARY)


EN, UK, RU = (_read(LANGUAGES / f"{lang}.md") for lang in ("en", "uk", "ru"))


def test_faithful_translations_in_three_languages_give_no_findings() -> None:
    result = _check(EN, UK, RU)
    assert result.findings == ()
    assert len(result.rows) == 14
    assert all(len({p.number for p in row.values() if p}) == 1 for row in result.rows)
    assert all(all(p is not None for p in row.values()) for row in result.rows)


@pytest.mark.parametrize(
    "order", [("en", "uk"), ("uk", "en"), ("ru", "uk"), ("en", "ru"), ("ru", "en", "uk")]
)
def test_faithful_translations_give_no_findings_in_any_pair_or_order(
    order: tuple[str, ...],
) -> None:
    sources = {"en": EN, "uk": UK, "ru": RU}
    assert _check(*(sources[lang] for lang in order)).findings == ()


def test_the_miami_texts_show_exactly_their_one_deliberate_divergence() -> None:
    result = _check(
        *(_read(MIAMI / f"plan20-mediator-text.{lang}.md") for lang in ("en", "uk", "ru"))
    )
    assert len(result.rows) == 21
    assert [f.as_dict() for f in result.findings] == [
        {
            "kind": "number",
            "numbers": {"en": "11", "ru": "11"},
            "languages": ["en", "ru"],
            "detail": "72 hours in en, 48 hours in ru",
        }
    ]


def test_the_json_has_the_contract_shape() -> None:
    ru = RU.replace("на 70 км", "на 30 км")
    body = crosscheck_to_dict(_check(EN, UK, ru))
    assert body["languages"] == ["en", "uk", "ru"]
    assert body["provisions"][0] == {"en": "1", "uk": "1", "ru": "1"}
    assert body["findings"] == [
        {
            "kind": "number",
            "numbers": {"en": "2.2", "ru": "2.2"},
            "languages": ["en", "ru"],
            "detail": "70 km in en, 30 km in ru",
        }
    ]
    text = crosscheck_to_text(_check(EN, UK, ru))
    assert "point 2.2 (en) / 2.2 (ru): number: 70 km in en, 30 km in ru" in text
    assert text.endswith("en | uk | ru: 14 provision(s) aligned, 1 finding\n")


# --------------------------------------------------------------------- planted divergences


def _sub(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} must occur once"
        return text.replace(old, new)

    return change


def _drop_point(number: int, last: int = 12) -> Callable[[str], str]:
    """Delete top-level point ``number`` (and its sub-points) and renumber the rest."""

    def change(text: str) -> str:
        lines = text.split("\n")
        out: list[str] = []
        dropping = False
        for line in lines:
            m = re.match(r"^(\s*)(\d+)((?:\.\d+)*)(\.?) (.*)$", line)
            if m and not m.group(1) and not m.group(3):
                dropping = int(m.group(2)) == number
            if dropping:
                continue
            if m and int(m.group(2)) > number:
                line = f"{m.group(1)}{int(m.group(2)) - 1}{m.group(3)}{m.group(4)} {m.group(5)}"
            out.append(line)
        return "\n".join(out)

    return change


def _drop_line(prefix: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        lines = text.split("\n")
        kept = [line for line in lines if not line.strip().startswith(prefix)]
        assert len(kept) == len(lines) - 1
        return "\n".join(kept)

    return change


# (language changed, change, expected kind, the English number of the provision)
PLANTED: list[tuple[str, Callable[[str], str], str, str]] = [
    # number: digits, words in every case, units, currencies, percentages
    ("uk", _sub("50 км", "30 км"), "number", "2"),
    ("ru", _sub("четырнадцати дней", "четырех дней"), "number", "2"),
    ("uk", _sub("чотирнадцяти днів", "чотирнадцяти місяців"), "number", "2"),
    ("uk", _sub("100 мм", "120 мм"), "number", "2.1"),
    ("ru", _sub("100 мм", "100 см"), "number", "2.1"),
    ("ru", _sub("на 70 км", "на 30 км"), "number", "2.2"),
    ("uk", _sub("кожні сім днів", "кожні десять днів"), "number", "3"),
    ("ru", _sub("тридцати (30) дней", "шестидесяти (60) дней"), "number", "4"),
    ("uk", _sub("дев'яноста днів", "шістдесяти днів"), "number", "5"),
    ("ru", _sub("100 миллионов евро", "100 миллионов долларов"), "number", "6"),
    ("uk", _sub("50 мільйонів доларів", "15 мільйонів доларів"), "number", "6"),
    ("ru", _sub("двадцати пяти километров", "двадцати километров"), "number", "7"),
    ("uk", _sub("дванадцяти членів", "дев'яти членів"), "number", "8"),
    ("ru", _sub("на 3,5%", "на 5,3%"), "number", "10"),
    ("uk", _sub("двох років", "трьох років"), "number", "10"),
    # date and clock time
    ("uk", _sub("15 лютого 2015", "16 лютого 2015"), "date", "1"),
    ("ru", _sub("15 февраля 2015", "15 марта 2015"), "date", "1"),
    ("ru", _sub("с 00:00", "с 12:00"), "date", "1"),
    ("uk", _sub("1 березня 2015", "1 березня 2016"), "date", "8"),
    ("ru", _sub("31 декабря 2015", "31 января 2015"), "date", "11"),
    # references
    ("uk", _sub("пунктом 2", "пунктом 3"), "reference", "3"),
    ("ru", _sub("в пункте 4", "в пункте 5"), "reference", "5"),
    ("uk", _sub("пункти 7 і 8", "пункти 7 і 9"), "reference", "11"),
    # names (glossary terms with inflected forms and stems)
    ("uk", _sub("ОБСЄ здійснює", "Місія здійснює"), "name", "3"),
    ("ru", _sub("Украина и Россия", "Украина и Беларусь"), "name", "4"),
    ("uk", _sub("Донецькій та Луганській", "Донецькій та Харківській"), "name", "5"),
    ("ru", _sub("от Киева", "от Харькова"), "name", "7"),
    ("uk", _sub("в Москві", "в Мінську"), "name", "8"),
    ("ru", _sub("Совет мира", "Совет безопасности"), "name", "11"),
    # brackets
    ("uk", _sub("[п'ятнадцять км / двадцять км]", "п'ятнадцять км / двадцять км"), "bracket", "9"),
    ("ru", _sub("огня с 00:00", "огня [с 00:00]"), "bracket", "1"),
    # missing provisions and sub-points
    ("ru", _drop_point(12), "missing", "12"),
    ("uk", _drop_line("2.2 "), "missing", "2.2"),
    ("ru", _drop_point(6), "missing", "6"),
    ("uk", _drop_point(1), "missing", "1"),
]


def test_there_are_at_least_thirty_planted_cases_covering_every_kind() -> None:
    assert len(PLANTED) >= 30
    assert {kind for _, _, kind, _ in PLANTED} == set(FINDING_KINDS)


@pytest.mark.parametrize(
    ("language", "change", "kind", "number"),
    PLANTED,
    ids=[f"{i:02d}-{kind}-{lang}-{n}" for i, (lang, _, kind, n) in enumerate(PLANTED)],
)
def test_every_planted_divergence_is_found_and_nothing_else(
    language: str, change: Callable[[str], str], kind: str, number: str
) -> None:
    sources = {"en": EN, "uk": UK, "ru": RU}
    sources[language] = change(sources[language])
    result = _check(sources["en"], sources["uk"], sources["ru"])
    assert len(result.findings) == 1, [f.as_dict() for f in result.findings]
    finding = result.findings[0]
    assert finding.kind == kind
    assert finding.numbers["en"] == number
    assert language in finding.languages
    if kind == "missing":
        assert finding.numbers[language] is None
    else:
        assert finding.numbers[language] is not None
    assert finding.detail


def test_a_dropped_point_keeps_the_rest_aligned_by_content() -> None:
    result = _check(EN, _drop_point(6)(UK))
    pairs = [(row["en"].number, row["uk"].number if row["uk"] else None) for row in result.rows]
    assert ("6", None) in pairs
    assert ("7", "6") in pairs and ("12", "11") in pairs
    assert {"en": "7", "uk": "6"} in result.uncertain
    assert "check the pairing: 7 (en) = 6 (uk)\n" in crosscheck_to_text(result)


def test_a_point_only_in_the_second_language_is_missing_in_the_first() -> None:
    uk = UK + "13. Додатковий пункт, якого немає в англійському тексті.\n"
    result = _check(EN, uk, RU)
    assert [f.kind for f in result.findings] == ["missing"]
    assert result.findings[0].numbers == {"en": None, "uk": "13", "ru": None}
    assert crosscheck_to_dict(result)["provisions"][-1] == {"en": None, "uk": "13", "ru": None}


def test_a_point_two_languages_add_shares_one_row() -> None:
    uk = UK + "13. Додатковий пункт.\n"
    ru = RU + "13. Дополнительный пункт.\n"
    result = _check(EN, uk, ru)
    assert crosscheck_to_dict(result)["provisions"][-1] == {"en": None, "uk": "13", "ru": "13"}
    assert len(result.findings) == 1


def test_the_majority_is_the_basis_so_the_odd_language_out_is_named() -> None:
    en = EN.replace("within fourteen days", "within ten days")
    result = _check(en, UK, RU)
    # uk and ru agree, so one finding names en against the first of them
    assert [(f.kind, f.languages) for f in result.findings] == [("number", ("en", "uk"))]
    assert result.findings[0].detail == "10 days in en, 14 days in uk"


def test_two_texts_of_one_language_are_refused() -> None:
    with pytest.raises(ValueError, match="same language"):
        _check(EN, EN)


# ----------------------------------------------------------------------------- properties

_PROVISION_TEXT = st.text(
    alphabet=st.sampled_from(list("abc xyzабвгїєё'-[]()0123456789.,:%$€ kmкм")), max_size=60
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_PROVISION_TEXT, min_size=1, max_size=12))
def test_a_text_checked_against_itself_aligns_one_to_one_without_findings(
    texts: list[str],
) -> None:
    provisions = tuple(flat(*texts))
    result = crosscheck(
        [LanguageText("en", provisions), LanguageText("uk", provisions)], glossary=GLOSSARY
    )
    assert result.findings == ()
    assert [(row["en"], row["uk"]) for row in result.rows] == [(p, p) for p in provisions]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(_PROVISION_TEXT, min_size=1, max_size=10),
    st.lists(_PROVISION_TEXT, min_size=0, max_size=10),
)
def test_every_provision_of_every_language_appears_in_exactly_one_row(
    a: list[str], b: list[str]
) -> None:
    pa, pb = tuple(flat(*a)), tuple(flat(*b, prefix="q"))
    result = crosscheck([LanguageText("en", pa), LanguageText("ru", pb)], glossary=GLOSSARY)
    assert [row["en"] for row in result.rows if row["en"]] == list(pa)
    assert [row["ru"] for row in result.rows if row["ru"]] == list(pb)
    missing = [f for f in result.findings if f.kind == "missing"]
    assert len(missing) == sum(1 for row in result.rows if None in row.values())
