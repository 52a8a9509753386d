"""DOCX exports: a version, a redline as real tracked changes, and the N-column comparison.

Tracked changes are WordprocessingML revisions, so Word and LibreOffice list them in their
review panes and can accept or reject them: inserted text is a run inside ``w:ins``, deleted
text a run with ``w:delText`` inside ``w:del``, each with ``w:id``, ``w:author`` and
``w:date``. A whole inserted (deleted) provision also marks its paragraph mark as inserted
(deleted), so accepting (rejecting) removes the paragraph itself.

Each provision is one paragraph: the number in bold, the heading in bold followed by a line
break, then the text; line breaks inside the text are ``w:br``. A renumbered provision has its
old number deleted and its new number inserted. A moved provision is a tracked deletion where it
stood and a tracked insertion where it now stands: accepting every change gives the new version
and rejecting every change the old one. (Word's own move markup, ``w:moveFrom``/``w:moveTo``, is
not used: its range bookkeeping is easy to get subtly wrong and then Word refuses the file.)
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from parley.texts.compare import Comparison, cell_text
from parley.texts.plain import PlainVersion, xml_safe
from parley.texts.redline import Op, Redline, RedlineRow

__all__ = ["comparison_to_docx", "redline_to_docx", "version_to_docx"]

_INSERTED_COLOUR = RGBColor(0x1F, 0x4E, 0xA8)
_DELETED_COLOUR = RGBColor(0xB0, 0x1C, 0x1C)


def _clean(text: str) -> str:
    return xml_safe(text)


def _iso(when: datetime | str | None) -> str:
    if when is None:
        when = datetime.now(UTC)
    if isinstance(when, str):
        return when
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Revisions:
    """Hands out unique revision ids and builds the revision elements."""

    def __init__(self, author: str, date: str) -> None:
        self.author = author
        self.date = date
        self.next_id = 1000

    def mark(self, tag: str) -> etree._Element:
        el = OxmlElement(tag)
        el.set(qn("w:id"), str(self.next_id))
        el.set(qn("w:author"), self.author)
        el.set(qn("w:date"), self.date)
        self.next_id += 1
        return el


def _run(text: str, *, deleted: bool = False, bold: bool = False) -> etree._Element:
    """A ``w:r`` whose text pieces are ``w:t`` (or ``w:delText``) and ``w:br``/``w:tab``."""
    r = OxmlElement("w:r")
    if bold:
        rpr = OxmlElement("w:rPr")
        rpr.append(OxmlElement("w:b"))
        r.append(rpr)
    tag = "w:delText" if deleted else "w:t"
    for piece in re.split(r"(\n|\t)", _clean(text)):
        if piece == "\n":
            r.append(OxmlElement("w:br"))
        elif piece == "\t":
            r.append(OxmlElement("w:tab"))
        elif piece:
            t = OxmlElement(tag)
            t.set(qn("xml:space"), "preserve")
            t.text = piece
            r.append(t)
    return r


def _append_ops(
    p: Paragraph, ops: Iterable[Op], revisions: _Revisions, *, bold: bool = False
) -> None:
    for op, text in ops:
        if not text:
            continue
        if op == "equal":
            p._p.append(_run(text, bold=bold))
        else:
            wrapper = revisions.mark("w:ins" if op == "insert" else "w:del")
            wrapper.append(_run(text, deleted=op == "delete", bold=bold))
            p._p.append(wrapper)


def _mark_paragraph(p: Paragraph, tag: str, revisions: _Revisions) -> None:
    """Track the paragraph mark itself as inserted or deleted (``w:pPr/w:rPr/w:ins``)."""
    ppr = p._p.get_or_add_pPr()
    rpr = OxmlElement("w:rPr")
    rpr.append(revisions.mark(tag))
    ppr.append(rpr)


def _row_ops(row: RedlineRow) -> tuple[list[Op], list[Op], list[Op]]:
    """(number ops, heading ops, text ops) for one redline row, separators included."""
    old_n = row.old.number + ". " if row.old else ""
    new_n = row.new.number + ". " if row.new else ""
    if old_n == new_n:
        number: list[Op] = [("equal", new_n)]
    else:
        number = [op for op in (("delete", old_n), ("insert", new_n)) if op[1]]
    heading = list(row.heading_ops)
    old_h = bool(row.old and row.old.heading)
    new_h = bool(row.new and row.new.heading)
    if old_h and new_h:
        heading.append(("equal", "\n"))
    elif old_h:
        heading.append(("delete", "\n"))
    elif new_h:
        heading.append(("insert", "\n"))
    return number, heading, list(row.ops)


def _whole(row: RedlineRow, side: str) -> RedlineRow:
    """The row as a whole deletion (side "old") or insertion (side "new") of one provision."""
    provision = row.old if side == "old" else row.new
    assert provision is not None
    op = "delete" if side == "old" else "insert"
    return RedlineRow(
        status="deleted" if side == "old" else "inserted",
        old=provision if side == "old" else None,
        new=provision if side == "new" else None,
        ops=((op, provision.text),) if provision.text else (),
        heading_ops=((op, provision.heading),) if provision.heading else (),
    )


def _provision_paragraph(document: DocxDocument, row: RedlineRow, revisions: _Revisions) -> None:
    p = document.add_paragraph()
    number, heading, text = _row_ops(row)
    _append_ops(p, number, revisions, bold=True)
    _append_ops(p, heading, revisions, bold=True)
    _append_ops(p, text, revisions)
    if row.status == "inserted":
        _mark_paragraph(p, "w:ins", revisions)
    elif row.status == "deleted":
        _mark_paragraph(p, "w:del", revisions)


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _new_document(title: str, subtitle: str) -> DocxDocument:
    document = Document()
    document.core_properties.title = _clean(title)
    document.add_heading(_clean(title), level=0)
    document.add_paragraph(_clean(subtitle), style="Subtitle")
    return document


def redline_to_docx(
    result: Redline,
    *,
    title: str,
    author: str,
    date: datetime | str | None = None,
) -> bytes:
    """A DOCX whose tracked changes turn the old version into the new one.

    ``author`` and ``date`` go on every revision (``date`` an aware datetime or an ISO string;
    default now). The first two paragraphs are the title and a subtitle naming the versions;
    every paragraph after them is one provision.
    """
    revisions = _Revisions(_clean(author), _iso(date))
    document = _new_document(title, f"Changes from {result.old_label} to {result.new_label}")
    # Moved provisions: a deletion at the old place, after the row holding the old predecessor.
    moved_from: dict[int, list[RedlineRow]] = {}
    for row in result.rows:
        if row.status == "moved":
            assert row.old_position is not None
            moved_from.setdefault(row.old_position, []).append(row)

    def emit_moved_after(old_position: int | None) -> None:
        k = -1 if old_position is None else old_position
        while k + 1 in moved_from:
            for moved in moved_from.pop(k + 1):
                _provision_paragraph(document, _whole(moved, "old"), revisions)
            k += 1

    emit_moved_after(None)
    for row in result.rows:
        if row.status == "moved":
            _provision_paragraph(document, _whole(row, "new"), revisions)
        else:
            _provision_paragraph(document, row, revisions)
            if row.old_position is not None:
                emit_moved_after(row.old_position)
    for rows in moved_from.values():  # only if positions were inconsistent; never lose text
        for moved in rows:
            _provision_paragraph(document, _whole(moved, "old"), revisions)
    return _save(document)


def version_to_docx(version: PlainVersion) -> bytes:
    """A clean DOCX of one version: title, a subtitle, one paragraph per provision.

    The options of an open bracket follow their provision as bulleted paragraphs.
    """
    bits = [version.label, version.kind.replace("_", " "), version.author, version.date or ""]
    document = _new_document(version.document_title, " · ".join(b for b in bits if b))
    if version.language:
        document.core_properties.language = version.language
    revisions = _Revisions("", "")
    for p in version.provisions:
        row = RedlineRow(
            status="same",
            old=p,
            new=p,
            ops=(("equal", p.text),),
            heading_ops=(("equal", p.heading),) if p.heading else (),
        )
        _provision_paragraph(document, row, revisions)
        for line in version.option_lines(p.wid):
            document.add_paragraph(_clean(line), style="List Bullet")
    if version.frozen_hash:
        document.add_paragraph(f"Content hash (SHA-256): {version.frozen_hash}", style="Caption")
    return _save(document)


def _cell_ops(cell_paragraph: Paragraph, ops: Iterable[Op], *, highlight: bool) -> None:
    for op, text in ops:
        if op == "delete" and not highlight:
            continue
        run = cell_paragraph.add_run(_clean(text))
        if highlight and op == "insert":
            run.font.underline = True
            run.font.color.rgb = _INSERTED_COLOUR
        elif highlight and op == "delete":
            run.font.strike = True
            run.font.color.rgb = _DELETED_COLOUR


def comparison_to_docx(comparison: Comparison, *, title: str, highlight: bool = True) -> bytes:
    """The N-column comparison as a DOCX table, one column per version, compromise last.

    With ``highlight`` each cell shows its words changed from the row's base cell (underlined
    blue for added, struck red for removed); these are formatting, not tracked changes.
    Landscape pages when there are more than two columns.
    """
    document = _new_document(
        title, "Comparison: " + " | ".join(v.label for v in comparison.columns)
    )
    if len(comparison.columns) > 2:
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    table = document.add_table(rows=1, cols=max(len(comparison.columns), 1))
    table.style = "Table Grid"
    header = table.rows[0]
    tr_pr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")  # repeat the header row on every page
    tr_pr.append(repeat)
    for cell, version in zip(header.cells, comparison.columns, strict=False):
        paragraph = cell.paragraphs[0]
        paragraph.add_run(_clean(version.label)).bold = True
        meta = " · ".join(b for b in (version.author, version.kind.replace("_", " ")) if b)
        small = paragraph.add_run(_clean("\n" + meta))
        small.font.size = Pt(8)
    for row in comparison.rows:
        cells = table.add_row().cells
        for cell, provisions, ops in zip(cells, row.cells, row.ops, strict=True):
            if not provisions:
                continue
            paragraph = cell.paragraphs[0]
            numbers = ", ".join(p.number for p in provisions)
            paragraph.add_run(_clean(numbers + ". ")).bold = True
            headings = " / ".join(p.heading for p in provisions if p.heading)
            if headings:
                paragraph.add_run(_clean(headings + "\n")).bold = True
            _cell_ops(paragraph, ops or (("equal", cell_text(provisions)),), highlight=highlight)
    return _save(document)
