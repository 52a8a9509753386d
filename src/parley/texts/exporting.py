"""Rendering stored versions through the pure engines: redlines, comparisons and exports.

Every function takes records the caller fetched through ``authz.visible`` and returns what the
CLI writes to a file and the web sends as a download: ``(body, media type, file name)``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.texts import queries as q
from parley.texts.compare import Comparison, compare, comparison_to_html, lineage_keys
from parley.texts.markdown_export import version_to_markdown
from parley.texts.models import Document, Version
from parley.texts.plain import PlainBracket, PlainOption
from parley.texts.redline import (
    Redline,
    redline,
    redline_to_dict,
    redline_to_html,
    redline_to_markdown,
)

if TYPE_CHECKING:
    from parley.texts.matching import MatchResult

# The DOCX, Akoma Ntoso and matching engines (python-docx, lxml, SciPy) are imported by the
# functions that use them: the web app imports this module at start-up, a download is rare.

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = ("md", "docx", "akn")
DIFF_FORMATS = ("html", "md", "json")


@dataclass(frozen=True)
class Download:
    body: bytes
    media_type: str
    filename: str


def _name(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts if p)


def redline_of(
    session: Session,
    actor: Actor,
    doc: Document,
    old: Version,
    new: Version,
    language: str | None = None,
) -> Redline:
    """The redline between two visible versions, pairing by wid and confirmed lineage, in
    ``language`` (default: the document's lead language)."""
    return redline(
        q.plain(session, doc, old, language),
        q.plain(session, doc, new, language),
        links=q.links(session, actor, old, new),
    )


def match_of(session: Session, doc: Document, old: Version, new: Version) -> MatchResult:
    from parley.texts.matching import match_provisions

    return match_provisions(q.plain(session, doc, old), q.plain(session, doc, new))


def comparison_of(
    session: Session, actor: Actor, doc: Document, versions: Sequence[Version]
) -> Comparison:
    """The N-column comparison; confirmed lineage joins rows across different ids."""
    pairs = [
        (a, b)
        for row, a, b in q.lineage(session, actor, versions)
        if a is not None and b is not None and a != b
    ]
    return compare(
        [q.plain(session, doc, v) for v in versions], lineage=lineage_keys(pairs) if pairs else None
    )


def diff_download(redline_: Redline, fmt: str, doc: Document) -> Download:
    name = _name(doc.key, redline_.old_label, "to", redline_.new_label)
    if fmt == "json":
        body = json.dumps(redline_to_dict(redline_), indent=1, ensure_ascii=False) + "\n"
        return Download(body.encode("utf-8"), "application/json", name + ".json")
    if fmt == "md":
        return Download(
            redline_to_markdown(redline_).encode("utf-8"),
            "text/markdown; charset=utf-8",
            name + ".md",
        )
    if fmt == "html":
        title = f"{doc.title}: {redline_.old_label} → {redline_.new_label}"
        return Download(
            standalone_html(title, redline_to_html(redline_)).encode("utf-8"),
            "text/html; charset=utf-8",
            name + ".html",
        )
    raise ValueError(f"format: one of {', '.join(DIFF_FORMATS)}")


def open_brackets(session: Session, actor: Actor, version: Version) -> tuple[PlainBracket, ...]:
    """The open brackets of a version that the actor can see, as the exports list them."""
    return tuple(
        PlainBracket(
            b.wid,
            b.bracket.label,
            tuple(PlainOption(o.option.key, o.option.text, o.proposer) for o in b.options),
        )
        for b in q.brackets(session, actor, [version])
        if b.is_open
    )


def version_download(
    session: Session,
    actor: Actor,
    doc: Document,
    version: Version,
    fmt: str,
    against: Version | None = None,
    language: str | None = None,
) -> Download:
    """Markdown, DOCX (tracked changes from ``against`` when given) or Akoma Ntoso XML, in
    ``language`` (default: the document's lead language; the file name then names it too).

    Each lists the options of the version's open brackets under their provision.
    """
    from parley.texts.akn import version_to_akn
    from parley.texts.docx_export import redline_to_docx, version_to_docx

    if language is not None and language not in q.version_languages(session, doc, version):
        raise ValueError(f"language: {version.label} has no text in {language}")
    plain = replace(
        q.plain(session, doc, version, language), brackets=open_brackets(session, actor, version)
    )
    lead = language is None or language == q.lead_language(doc)
    name = _name(doc.key, version.label, "" if lead else str(language))
    if fmt == "md":
        return Download(
            version_to_markdown(plain).encode("utf-8"), "text/markdown; charset=utf-8", name + ".md"
        )
    if fmt == "docx":
        if against is not None:
            changes = redline_of(session, actor, doc, against, version, language)
            body = redline_to_docx(
                changes,
                title=doc.title,
                author=plain.author or "Parley",
                date=version.created_at,
            )
            return Download(
                body,
                DOCX,
                _name(doc.key, against.label, "to", version.label, "" if lead else str(language))
                + ".docx",
            )
        return Download(version_to_docx(plain), DOCX, name + ".docx")
    if fmt == "akn":
        return Download(
            version_to_akn(plain, name=doc.key.lower()),
            "application/akn+xml",
            name + ".akn.xml",
        )
    raise ValueError(f"format: one of {', '.join(FORMATS)}")


def comparison_download(comparison: Comparison, fmt: str, doc: Document) -> Download:
    name = _name(doc.key, "comparison", *(v.label for v in comparison.columns))
    if fmt == "docx":
        from parley.texts.docx_export import comparison_to_docx

        return Download(comparison_to_docx(comparison, title=doc.title), DOCX, name + ".docx")
    if fmt == "html":
        page = standalone_html(doc.title, comparison_to_html(comparison, title=doc.title))
        return Download(page.encode("utf-8"), "text/html; charset=utf-8", name + ".html")
    raise ValueError("format: html or docx")


_STYLE = """
body{font-family:Georgia,serif;margin:2rem;max-width:110rem}
ins,.rl-ins{background:#dff3e4;color:#0b5d1e;text-decoration:underline}
del,.rl-del{background:#fbe3e3;color:#8a1c1c}
table.comparison{border-collapse:collapse;width:100%}
table.comparison td,table.comparison th{border:1px solid #bbb;padding:.4rem;vertical-align:top}
tr.cmp-differs{background:#fffbea}
.rl-row{margin:.8rem 0}.rl-moved{border-left:3px solid #7a5cc2;padding-left:.5rem}
.rl-deleted{opacity:.8}
"""


def standalone_html(title: str, fragment: str) -> str:
    """A complete HTML document around an engine's fragment (styles inline, no scripts)."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>\n{fragment}\n</body></html>\n"
    )
