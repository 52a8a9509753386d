"""DOCX: real tracked changes (accept all gives the new text, reject all the old) and tables."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.enum.section import WD_ORIENT
from hypothesis import given, settings
from lxml import etree

from parley.texts.compare import compare
from parley.texts.docx_export import comparison_to_docx, redline_to_docx, version_to_docx
from parley.texts.plain import PlainProvision, PlainVersion
from parley.texts.redline import redline

from .strategies import version, version_pairs
from .test_redline import NEW, OLD

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
P = PlainProvision


def w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def document_xml(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return etree.fromstring(z.read("word/document.xml"))


def _run_text(run: etree._Element) -> str:
    out = []
    for child in run:
        if child.tag in (w("t"), w("delText")):
            out.append(child.text or "")
        elif child.tag == w("br"):
            out.append("\n")
        elif child.tag == w("tab"):
            out.append("\t")
    return "".join(out)


def resolve(data: bytes, mode: str) -> list[str]:
    """The provision paragraphs after accepting (or rejecting) every tracked change.

    Accept keeps ``w:ins`` and drops ``w:del``; reject does the opposite. A paragraph whose
    mark is removed joins the next paragraph, as in Word.
    """
    body = document_xml(data).find("w:body", NS)
    assert body is not None
    out: list[str] = []
    carry = ""
    for p in body.findall("w:p", NS):
        pieces = []
        for child in p:
            if child.tag == w("r"):
                pieces.append(_run_text(child))
            elif (
                child.tag == w("ins")
                and mode == "accept"
                or child.tag == w("del")
                and mode == "reject"
            ):
                pieces.extend(_run_text(r) for r in child.findall("w:r", NS))
        text = carry + "".join(pieces)
        removed = p.find("w:pPr/w:rPr/w:del" if mode == "accept" else "w:pPr/w:rPr/w:ins", NS)
        if removed is not None:
            carry = text
            continue
        carry = ""
        out.append(text)
    assert carry == ""
    return out[2:]  # the title and the subtitle


def rendered(v: PlainVersion) -> list[str]:
    return [
        f"{p.number}. " + (f"{p.heading}\n" if p.heading else "") + p.text for p in v.provisions
    ]


def test_accepting_all_changes_gives_the_new_version_and_rejecting_the_old() -> None:
    data = redline_to_docx(
        redline(OLD, NEW), title="Illustrative plan", author="Mediator", date="2025-12-01T10:00:00Z"
    )
    assert resolve(data, "accept") == rendered(NEW)
    assert resolve(data, "reject") == rendered(OLD)


def test_revisions_carry_author_date_and_unique_ids() -> None:
    data = redline_to_docx(
        redline(OLD, NEW), title="Illustrative plan", author="Mediator", date="2025-12-01T10:00:00Z"
    )
    root = document_xml(data)
    marks = root.xpath("//w:ins | //w:del", namespaces=NS)
    assert len(marks) > 5
    assert {m.get(w("author")) for m in marks} == {"Mediator"}
    assert {m.get(w("date")) for m in marks} == {"2025-12-01T10:00:00Z"}
    ids = [m.get(w("id")) for m in marks]
    assert len(ids) == len(set(ids)) and all(i and i.isdigit() for i in ids)
    # Deleted text is w:delText inside w:del, never w:t.
    assert not root.xpath("//w:del//w:t", namespaces=NS)
    assert root.xpath("//w:del//w:delText", namespaces=NS)
    assert root.xpath("//w:ins/w:r/w:t[. = ' a full and']", namespaces=NS)


def test_whole_paragraph_marks_are_tracked_for_inserted_and_deleted_points() -> None:
    root = document_xml(redline_to_docx(redline(OLD, NEW), title="t", author="a"))
    inserted = root.xpath("//w:p[w:pPr/w:rPr/w:ins]", namespaces=NS)
    deleted = root.xpath("//w:p[w:pPr/w:rPr/w:del]", namespaces=NS)
    # p5 is new and p4 moved (insertion where it is now); p2 is gone and p4 left its old place.
    assert len(inserted) == 2 and len(deleted) == 2


def test_python_docx_reopens_the_file_and_sees_the_provisions() -> None:
    data = redline_to_docx(redline(OLD, NEW), title="Illustrative plan", author="Mediator")
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == "Illustrative plan"
    assert document.core_properties.title == "Illustrative plan"


def test_a_datetime_becomes_a_utc_timestamp() -> None:
    from datetime import datetime, timedelta, timezone

    when = datetime(2025, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    root = document_xml(redline_to_docx(redline(OLD, NEW), title="t", author="a", date=when))
    assert {m.get(w("date")) for m in root.xpath("//w:ins", namespaces=NS)} == {
        "2025-12-01T10:00:00Z"
    }


def test_a_clean_version_has_no_revisions() -> None:
    data = version_to_docx(OLD)
    root = document_xml(data)
    assert not root.xpath("//w:ins | //w:del", namespaces=NS)
    assert resolve(data, "accept") == rendered(OLD)


def test_the_comparison_table_has_a_column_per_version_and_a_row_per_point() -> None:
    third = version(NEW.provisions[:2], label="Compromise", kind="compromise", author="Mediator")
    comparison = compare([OLD, NEW, third])
    data = comparison_to_docx(comparison, title="Illustrative plan")
    document = docx.Document(io.BytesIO(data))
    (table,) = document.tables
    assert len(table.columns) == 3
    assert len(table.rows) == len(comparison.rows) + 1
    assert [c.text.split("\n")[0] for c in table.rows[0].cells] == [
        "US draft",
        "EU counter-proposal",
        "Compromise",
    ]
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    root = document_xml(data)
    assert root.xpath("//w:tblHeader", namespaces=NS)
    assert root.xpath("//w:r[w:rPr/w:strike]/w:t[. = ' an']", namespaces=NS)
    assert root.xpath("//w:r[w:rPr/w:u]/w:t[. = ' a full and']", namespaces=NS)
    plain = document_xml(comparison_to_docx(comparison, title="t", highlight=False))
    assert not plain.xpath("//w:strike", namespaces=NS)


def test_xml_invalid_characters_are_dropped_not_fatal() -> None:
    bad = version([P("p1", "1", None, "bell\x07 and vertical\x0btab")])
    data = version_to_docx(bad)
    assert resolve(data, "accept") == ["1. bell and verticaltab"]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(version_pairs())
def test_accept_and_reject_reproduce_both_versions_for_any_edit(pair: tuple) -> None:
    old, new = pair
    data = redline_to_docx(redline(old, new), title="t", author="a", date="2025-12-01T00:00:00Z")
    assert resolve(data, "accept") == rendered(new)
    assert resolve(data, "reject") == rendered(old)
