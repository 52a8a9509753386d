"""The pure parts of language versions (issue 15): Cyrillic lettered sub-points, comparing
numbers across languages, the check of texts already aligned by id, the pairing of a text with a
version's provisions, and the hash over several languages. Unit and property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.canonical import content_hash, languages_hash
from parley.texts.crosscheck import (
    LanguageText,
    comparable_number,
    comparable_numbers,
    crosscheck,
    crosscheck_aligned,
)
from parley.texts.glossary import default_glossary
from parley.texts.numbered import NumberedTextError, parse_numbered
from parley.texts.plain import PlainProvision
from parley.texts.service_languages import align_text

from .strategies import flat

GLOSSARY = default_glossary()
LATIN = "abcdefghijklmnopqrstuvwxyz"
UK_LETTERS = "абвгґдеєжзиіїйклмнопрстуфхцчшщюя"
RU_LETTERS = "абвгдежзиклмнопрстуфхцчшщэюя"  # as Russian drafting letters them (no ё, й)


def _lettered(letters: str, texts: list[str], *, paren: bool = False) -> str:
    lines = ["1. The point:"]
    for letter, text in zip(letters, texts, strict=False):
        lines.append(f"({letter}) {text}" if paren else f"{letter}) {text}")
    lines.append("2. The next point.")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize("letters", [UK_LETTERS[:12], RU_LETTERS[:12], "абвгдеж"])
def test_cyrillic_lettered_sub_points_parse_in_ukrainian_and_russian_order(letters: str) -> None:
    parsed = parse_numbered(_lettered(letters, [f"item {i}" for i in range(len(letters))]))
    subs = [p for p in parsed.provisions if p.parent_wid == "p1"]
    assert [p.number for p in subs] == [f"1({c})" for c in letters]
    # Their ids are Latin, by place in the Ukrainian order: stable and ASCII.
    assert all(p.wid.isascii() for p in subs)
    assert len({p.wid for p in subs}) == len(subs)


def test_a_cyrillic_list_must_start_at_a_and_keep_its_order() -> None:
    with pytest.raises(NumberedTextError, match=r"starts at \(б\) instead of \(а\)"):
        parse_numbered(_lettered("бв", ["x", "y"]))
    with pytest.raises(NumberedTextError, match=r"point 1\(г\) follows \(а\)"):
        parse_numbered(_lettered("аг", ["x", "y"]))


def test_comparable_number_maps_a_letter_by_its_place() -> None:
    assert comparable_number("7(б)", ("7(а)", "7(б)")) == "7(b)"
    # Russian skips ґ: its д is the fifth sub-point, e, like the English (e).
    assert comparable_number("7(д)", ("7(а)", "7(б)", "7(в)", "7(г)", "7(д)")) == "7(e)"
    assert comparable_number("7(b)") == "7(b)" and comparable_number("12a") == "12a"


# ---------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("abc xyz 0123456789kmкм")), min_size=1, max_size=30)
        .map(str.strip)
        .filter(bool),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from([UK_LETTERS, RU_LETTERS]),
    st.booleans(),
)
def test_cyrillic_sub_points_pair_with_latin_ones_by_place(
    texts: list[str], order: str, paren: bool
) -> None:
    en = parse_numbered(_lettered(LATIN, texts, paren=paren)).provisions
    uk = parse_numbered(_lettered(order, texts)).provisions
    assert comparable_numbers(uk) == comparable_numbers(en)
    result = crosscheck([LanguageText("en", en), LanguageText("uk", uk)], glossary=GLOSSARY)
    assert result.findings == ()
    assert [(r["en"].number, r["uk"].number) for r in result.rows] == [  # type: ignore[union-attr]
        (a.number, b.number) for a, b in zip(en, uk, strict=True)
    ]
    assert result.uncertain == ()


_TEXT = st.text(alphabet=st.sampled_from(list("ab xyzкм 0123456789.%[]")), max_size=40)


@settings(max_examples=50, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8), st.lists(_TEXT, min_size=0, max_size=8))
def test_checking_the_engine_s_own_rows_again_gives_its_findings(
    a: list[str], b: list[str]
) -> None:
    pa, pb = tuple(flat(*a)), tuple(flat(*b, prefix="q"))
    aligned = crosscheck([LanguageText("en", pa), LanguageText("ru", pb)], glossary=GLOSSARY)
    again = crosscheck_aligned(aligned.languages, aligned.rows, glossary=GLOSSARY)
    assert again.findings == aligned.findings
    assert again.rows == aligned.rows


@settings(max_examples=50, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8))
def test_a_text_paired_with_itself_keeps_every_id_with_certainty(texts: list[str]) -> None:
    lead = tuple(flat(*texts))
    other = tuple(flat(*texts, prefix="q"))
    pairings, unpaired = align_text(lead, "en", other, "uk", glossary=GLOSSARY)
    assert [p.wid for p in pairings] == [p.wid for p in lead]
    assert unpaired == []
    assert all(p.certain for p in pairings if p.score >= 0.6)


@settings(max_examples=50, deadline=None)
@given(st.lists(_TEXT.filter(str.strip), min_size=1, max_size=6), _TEXT.filter(str.strip))
def test_the_hash_covers_every_language_and_one_language_keeps_the_old_hash(
    texts: list[str], changed: str
) -> None:
    en = flat(*texts)
    uk = [PlainProvision(p.wid, p.number, None, p.text + " ук", p.parent_wid) for p in en]
    assert languages_hash("en", {"en": en}) == content_hash(en)
    assert languages_hash("en", {"en": en, "uk": []}) == content_hash(en)
    both = languages_hash("en", {"en": en, "uk": uk})
    assert both != content_hash(en)
    assert languages_hash("en", {"uk": uk, "en": en}) == both  # order of the mapping is not
    edited = [*uk[:-1], PlainProvision(uk[-1].wid, uk[-1].number, None, changed + "!", None)]
    assert languages_hash("en", {"en": en, "uk": edited}) != both
