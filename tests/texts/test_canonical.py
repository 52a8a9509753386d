"""The canonical encoding and content hash: pinned, stable, and sensitive to every field."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.canonical import FORMAT, canonical_bytes, content_hash, verify_content_hash
from parley.texts.plain import PlainProvision

from .strategies import free_text, version

P = PlainProvision

PROVISIONS = [
    P("p1", "1", None, "Ceasefire along the line of contact."),
    P("p2", "2", "Élections", "Held within 100 days."),
    P("p2-a", "2(a)", None, "Observers are invited.", "p2"),
]
# Pinned: if this changes, every signature ever made over a content hash stops verifying.
EXPECTED_BYTES = (
    '{"format":"parley.provisions/1","provisions":['
    '{"heading":null,"number":"1","parent_wid":null,'
    '"text":"Ceasefire along the line of contact.","wid":"p1"},'
    '{"heading":"Élections","number":"2","parent_wid":null,'
    '"text":"Held within 100 days.","wid":"p2"},'
    '{"heading":null,"number":"2(a)","parent_wid":"p2",'
    '"text":"Observers are invited.","wid":"p2-a"}]}'
).encode()
EXPECTED_HASH = "9757bf6c3d6de3e799cceea5b0ab3d914644d3c660db6cd683aefcdc2a4cfd63"


def test_the_encoding_and_hash_are_pinned() -> None:
    assert canonical_bytes(PROVISIONS) == EXPECTED_BYTES
    assert content_hash(PROVISIONS) == EXPECTED_HASH
    assert hashlib.sha256(EXPECTED_BYTES).hexdigest() == EXPECTED_HASH
    assert FORMAT == "parley.provisions/1"


def test_a_version_hashes_like_its_provisions() -> None:
    v = version(PROVISIONS, label="anything", author="anyone")
    assert content_hash(v) == EXPECTED_HASH


def test_unicode_forms_line_endings_and_empty_headings_do_not_change_the_hash() -> None:
    decomposed = [
        dataclasses.replace(p, heading=unicodedata.normalize("NFD", p.heading) if p.heading else "")
        for p in PROVISIONS
    ]
    assert decomposed[1].heading != PROVISIONS[1].heading
    assert content_hash(decomposed) == EXPECTED_HASH
    crlf = [P("a", "1", None, "line one\nline two")]
    assert content_hash([P("a", "1", None, "line one\r\nline two")]) == content_hash(crlf)


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Ceasefire along the line of contact!"},
        {"number": "1a"},
        {"heading": "Ceasefire"},
        {"wid": "p9"},
        {"parent_wid": "p2"},
        {"text": "Ceasefire along the line of contact. "},
    ],
)
def test_any_change_to_a_provision_changes_the_hash(change: dict[str, str]) -> None:
    changed = [dataclasses.replace(PROVISIONS[0], **change), *PROVISIONS[1:]]
    assert content_hash(changed) != EXPECTED_HASH


def test_order_matters() -> None:
    assert content_hash(list(reversed(PROVISIONS))) != EXPECTED_HASH


def test_verify_content_hash() -> None:
    frozen = dataclasses.replace(version(PROVISIONS), frozen_hash=EXPECTED_HASH)
    assert verify_content_hash(frozen)
    assert verify_content_hash(dataclasses.replace(frozen, frozen_hash=EXPECTED_HASH.upper()))
    tampered = dataclasses.replace(frozen, provisions=tuple(PROVISIONS[:2]))
    assert not verify_content_hash(tampered)
    assert not verify_content_hash(version(PROVISIONS))  # not frozen


def test_a_lone_surrogate_is_refused_rather_than_hashed_lossily() -> None:
    with pytest.raises(UnicodeEncodeError):
        content_hash([P("a", "1", None, "bad \ud800 text")])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.tuples(free_text, st.one_of(st.none(), free_text)), max_size=6))
def test_the_encoding_is_compact_sorted_json_of_the_normalised_provisions(
    items: list[tuple[str, str | None]],
) -> None:
    provisions = [P(f"w{i}", str(i + 1), h, t) for i, (t, h) in enumerate(items)]
    raw = canonical_bytes(provisions)
    decoded = json.loads(raw)
    assert (
        raw
        == json.dumps(decoded, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    for p, d in zip(provisions, decoded["provisions"], strict=True):
        text = unicodedata.normalize("NFC", p.text.replace("\r\n", "\n").replace("\r", "\n"))
        assert d["text"] == text
        assert d["heading"] == (
            unicodedata.normalize("NFC", p.heading.replace("\r\n", "\n").replace("\r", "\n"))
            if p.heading
            else None
        )
    assert content_hash(provisions) == hashlib.sha256(raw).hexdigest()
