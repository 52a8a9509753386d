"""Akoma Ntoso 3.0 XML (OASIS LegalDocML) for a version.

* Document type: ``act`` for agreed and signed texts, ``bill`` for everything still being
  negotiated (party drafts, mediator texts, compromises).
* Points are ``paragraph`` elements, dotted sub-points nested ``paragraph`` elements and lettered
  sub-points ``point`` elements, each with ``num``, an optional ``heading``, and ``content``
  (or ``intro`` followed by its sub-points). ``eId`` follows the Akoma Ntoso naming convention
  (``para_7``, ``para_7__para_1``, ``para_7__point_a``); ``wId`` is the provision's permanent id,
  the same in every version.
* FRBR metadata: Work ``/akn/{country}/{bill|act}/{date}/{name}``, Expression
  ``…/{language}@{date}``, Manifestation ``…/{language}@{date}.akn``, each with ``FRBRthis``,
  ``FRBRuri``, ``FRBRdate`` and ``FRBRauthor``; ``FRBRcountry`` and ``FRBRlanguage``.
* The version's label, kind and content hash go in ``proprietary`` under the Parley namespace.
* The options of an open bracket follow their provision's text in its ``content`` (or
  ``intro``), one ``p class="bracketOption"`` each: ``[Option a, proposed by UA: text]``.

The output validates against the official OASIS schema (akomantoso30.xsd); a test checks it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date as Date

from lxml import etree

from parley.texts.languages import akn_language
from parley.texts.plain import PlainProvision, PlainVersion, xml_safe

__all__ = ["AKN_NS", "PARLEY_NS", "document_type", "version_to_akn"]

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
PARLEY_NS = "urn:parley:akn:1"
_A = f"{{{AKN_NS}}}"
_P = f"{{{PARLEY_NS}}}"
_FINAL_KINDS = ("agreed", "signed")


def document_type(version: PlainVersion) -> str:
    """``act`` for agreed or signed texts, ``bill`` for drafts."""
    return "act" if version.kind in _FINAL_KINDS else "bill"


def _slug(value: str, fallback: str) -> str:
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_value.lower()).strip("-")
    return slug[:60] or fallback


def _id_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", value).strip("-") or "x"


def _local_number(p: PlainProvision, parent: PlainProvision | None) -> tuple[str, str]:
    """(element name, eId part) for a provision under ``parent``."""
    number = p.number
    letter = re.fullmatch(r"(.*)\(([^()]+)\)", number)
    if letter:
        return "point", "point_" + _id_part(letter.group(2))
    if parent is not None and number.startswith(parent.number + "."):
        number = number[len(parent.number) + 1 :]
    return "paragraph", "para_" + _id_part(number)


def _el(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, _A + tag, {k: xml_safe(v) for k, v in attrs.items()})


def _blocks(parent: etree._Element, text: str) -> None:
    """Paragraphs as ``p``; line breaks inside a paragraph as ``eol``."""
    paragraphs = [para for para in text.split("\n\n") if para.strip()] or [""]
    for para in paragraphs:
        p = _el(parent, "p")
        lines = para.split("\n")
        p.text = xml_safe(lines[0])
        for line in lines[1:]:
            eol = _el(p, "eol")
            eol.tail = xml_safe(line)


def _options(parent: etree._Element, lines: list[str]) -> None:
    """An open bracket's options, one ``p class="bracketOption"`` each, after the text."""
    for line in lines:
        _el(parent, "p", **{"class": "bracketOption"}).text = xml_safe(line)


def _frbr(
    parent: etree._Element,
    level: str,
    this: str,
    uri: str,
    when: str,
    date_name: str,
    author: str,
) -> etree._Element:
    el = _el(parent, level)
    _el(el, "FRBRthis", value=this)
    _el(el, "FRBRuri", value=uri)
    _el(el, "FRBRdate", date=when, name=date_name)
    _el(el, "FRBRauthor", href="#" + author)
    return el


def version_to_akn(
    version: PlainVersion,
    *,
    name: str | None = None,
    country: str = "int",
    language: str | None = None,
    generated: str | None = None,
    pretty: bool = True,
) -> bytes:
    """Akoma Ntoso XML (UTF-8 bytes with an XML declaration) for ``version``.

    ``name`` is the work's short name in its IRI (default: a slug of the document title);
    ``country`` the jurisdiction code in the IRI (default ``int``, international, since a peace
    agreement rarely belongs to one country; pass an ISO 3166-1 alpha-2 code when it does);
    ``language`` an ISO 639-2 code (default: the version's ``language`` as ISO 639-2, or
    ``eng``), which names the FRBR expression and ``FRBRlanguage``; ``generated`` the ISO date
    of the export (default today).
    """
    doc_type = document_type(version)
    language = language or akn_language(version.language)
    when_generated = generated or Date.today().isoformat()
    when = version.date or when_generated
    work_name = name or _slug(version.document_title, "document")
    author = "author-" + _slug(version.author, "unknown")

    root = etree.Element(_A + "akomaNtoso", nsmap={None: AKN_NS, "parley": PARLEY_NS})
    doc = _el(root, doc_type, name=_slug(version.document_kind, "document"))
    meta = _el(doc, "meta")
    ident = _el(meta, "identification", source="#parley")
    work_uri = f"/akn/{country}/{doc_type}/{when}/{work_name}"
    expr_uri = f"{work_uri}/{language}@{when}"
    work_date_name = {"signed": "signature", "agreed": "agreement"}.get(version.kind, "draft")
    work = _frbr(ident, "FRBRWork", work_uri + "/!main", work_uri, when, work_date_name, author)
    _el(work, "FRBRcountry", value=country)
    _el(work, "FRBRname", value=version.document_title)
    expr = _frbr(ident, "FRBRExpression", expr_uri + "/!main", expr_uri, when, "version", author)
    _el(expr, "FRBRversionNumber", value=version.label)
    _el(expr, "FRBRlanguage", language=language)
    manif = _frbr(
        ident,
        "FRBRManifestation",
        expr_uri + "/!main.xml",
        expr_uri + ".akn",
        when_generated,
        "generation",
        "parley",
    )
    _el(manif, "FRBRformat", value="application/akn+xml")

    refs = _el(meta, "references", source="#parley")
    _el(
        refs, "TLCOrganization", eId="parley", href="/ontology/organization/parley", showAs="Parley"
    )
    _el(
        refs,
        "TLCOrganization",
        eId=author,
        href="/ontology/organization/" + author.removeprefix("author-"),
        showAs=version.author or "unknown",
    )
    proprietary = _el(meta, "proprietary", source="#parley")
    info = etree.SubElement(proprietary, _P + "version")
    info.set("label", xml_safe(version.label))
    info.set("kind", xml_safe(version.kind))
    if version.frozen_hash:
        info.set("contentHash", xml_safe(version.frozen_hash))
        info.set("hashAlgorithm", "sha256")

    preface = _el(doc, "preface")
    long_title = _el(preface, "longTitle")
    title_p = _el(long_title, "p")
    doc_title = _el(title_p, "docTitle")
    doc_title.text = xml_safe(version.document_title)

    body = _el(doc, "body")
    by_wid = {p.wid: p for p in version.provisions}
    children: dict[str | None, list[PlainProvision]] = {}
    for p in version.provisions:
        parent = p.parent_wid if p.parent_wid in by_wid and p.parent_wid != p.wid else None
        children.setdefault(parent, []).append(p)
    used_eids: set[str] = set()
    emitted: set[str] = set()

    def emit(container: etree._Element, p: PlainProvision, prefix: str, depth: int) -> None:
        parent = by_wid.get(p.parent_wid) if p.parent_wid else None
        tag, part = _local_number(p, parent)
        eid = f"{prefix}__{part}" if prefix else part
        base, n = eid, 2
        while eid in used_eids:  # duplicate numbers in bad data must not break the ids
            eid, n = f"{base}-{n}", n + 1
        used_eids.add(eid)
        emitted.add(p.wid)
        # wId is the permanent id; the schema forbids whitespace in it (noWhiteSpace).
        el = _el(container, tag, eId=eid, wId=re.sub(r"\s", "_", p.wid) or "_")
        num = _el(el, "num")
        num.text = xml_safe("(" + p.number.rsplit("(", 1)[1] if tag == "point" else p.number + ".")
        if p.heading:
            _el(el, "heading").text = xml_safe(p.heading)
        kids = children.get(p.wid, []) if depth < 50 else []
        options = version.option_lines(p.wid)
        if kids:
            if p.text.strip() or options:
                intro = _el(el, "intro")
                if p.text.strip():
                    _blocks(intro, p.text)
                _options(intro, options)
            for kid in kids:
                emit(el, kid, eid, depth + 1)
        else:
            content = _el(el, "content")
            _blocks(content, p.text)
            _options(content, options)

    for p in children.get(None, []):
        emit(body, p, "", 0)
    for p in version.provisions:
        if p.wid not in emitted:  # a parent cycle in bad data: keep the point, at the top level
            emit(body, p, "", 50)
    if not version.provisions:
        # An empty body is not valid; say so in the document rather than fail the export.
        _blocks(_el(_el(body, "paragraph", eId="para_0"), "content"), "")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)
