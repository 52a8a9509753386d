"""Pure pieces of sealing: the hidden-character guard and the statement seal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.sessions.verify import statement_seal
from parley.textguard import HIDDEN, HiddenCharacter, hidden_characters, require_visible_text

visible_text = st.text(st.characters(blacklist_characters=sorted(HIDDEN)), max_size=200)


@given(visible_text)
def test_visible_text_passes_unchanged(text: str) -> None:
    assert require_visible_text(text, field="text") == text


@given(visible_text, st.sampled_from(sorted(HIDDEN)), st.data())
def test_any_hidden_character_anywhere_is_refused_naming_the_field(
    text: str, char: str, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(text)))
    tainted = text[:at] + char + text[at:]
    assert hidden_characters(tainted) == [(at, char)]
    with pytest.raises(HiddenCharacter) as refused:
        require_visible_text(tainted, field="title")
    assert refused.value.field == "title"
    assert f"U+{ord(char):04X}" in str(refused.value)
    line = tainted.count("\n", 0, at) + 1
    column = at - tainted.rfind("\n", 0, at)
    assert f"at line {line}, character {column} " in str(refused.value)


FIELDS = {
    "title": "On the timeline",
    "text": "We agree to table a timeline.",
    "made_on": "2025-12-23",
    "place": "Miami",
    "signatories": ["UA", "US"],
    "provisions": ["plan20/p11"],
}


def test_the_seal_changes_with_every_shown_field() -> None:
    base = statement_seal(**FIELDS)  # type: ignore[arg-type]
    changes = {
        "title": "Another title",
        "text": "We agree to table a draft timeline.",
        "made_on": "2025-12-24",
        "place": "Geneva",
        "signatories": ["UA", "US", "EUR"],
        "provisions": ["plan20/p12"],
    }
    for name, value in changes.items():
        assert statement_seal(**{**FIELDS, name: value}) != base, name  # type: ignore[arg-type]


@given(st.permutations(["UA", "US", "EUR"]), st.permutations(["a/1", "b/2"]))
def test_the_seal_ignores_the_order_of_signatories_and_provisions(
    signatories: list[str], provisions: list[str]
) -> None:
    fields = {**FIELDS, "signatories": signatories, "provisions": provisions}
    assert statement_seal(**fields) == statement_seal(  # type: ignore[arg-type]
        **{**FIELDS, "signatories": ["EUR", "UA", "US"], "provisions": ["a/1", "b/2"]}  # type: ignore[arg-type]
    )
