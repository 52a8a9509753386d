"""A version as Markdown, in the numbered text format that :mod:`parley.texts.numbered` reads.

Exporting and importing again gives the same numbers, headings, texts and structure (the tests
check this); the metadata goes into a front matter block that Markdown viewers hide.
"""

from __future__ import annotations

from parley.texts.numbered import encode_html, escape_line
from parley.texts.plain import PlainProvision, PlainVersion, depth_of

__all__ = ["version_to_markdown"]


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _text_lines(text: str) -> list[str]:
    """Paragraphs become blank-line separated blocks; lines inside a paragraph stay lines."""
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        lines = [
            escape_line(encode_html(line.strip())) for line in paragraph.split("\n") if line.strip()
        ]
        if not lines:
            continue
        if out:
            out.append("")
        out.extend(lines)
    return out


def _marker(p: PlainProvision) -> str:
    if p.number.endswith(")") and "(" in p.number:
        return "(" + p.number.rsplit("(", 1)[1]  # "7(a)" is written "(a)" under point 7
    if "." in p.number:
        return p.number  # "7.1"
    return p.number + "."


def version_to_markdown(version: PlainVersion, *, metadata: bool = True) -> str:
    """Markdown for ``version``: front matter, ``# title``, then one block per provision.

    A provision with a heading is written ``## 7. Heading`` (``###`` and deeper for
    sub-points) with its text below; one without is written ``7. text``. Continuation lines are
    indented so the point renders as one list item; lines that would read as a new point are
    escaped with a backslash. The options of an open bracket follow their provision's text as
    bullet lines, ``- [Option a, proposed by UA: text]``.
    """
    out: list[str] = []
    if metadata:
        out.append("---")
        fields = {
            "document": version.document_title,
            "document_kind": version.document_kind,
            "language": version.language,
            "version": version.label,
            "kind": version.kind,
            "author": version.author,
            "date": version.date,
            "content_hash": version.frozen_hash,
        }
        out.extend(f"{k}: {_one_line(v)}" for k, v in fields.items() if v)
        out.append("---")
        out.append("")
    out.append("# " + escape_line(encode_html(_one_line(version.document_title or version.label))))
    by_wid = {p.wid: p for p in version.provisions}
    for p in version.provisions:
        out.append("")
        depth = depth_of(p, by_wid)
        indent = "   " * depth if p.heading is None else ""
        marker = _marker(p)
        lines = _text_lines(p.text)
        options = version.option_lines(p.wid)
        if options:  # bullet lines stay lines of this provision when read back
            lines += ([""] if lines else []) + [f"- {line}" for line in options]
        if p.heading is not None:
            level = "#" * min(2 + depth, 6)
            heading = escape_line(encode_html(_one_line(p.heading)))
            out.append(f"{level} {marker} {heading}".rstrip())
            if lines:
                out.append("")
                out.extend(lines)
            continue
        pad = indent + " " * (len(marker) + 1)
        first, *rest = lines or [""]
        out.append(f"{indent}{marker} {first}".rstrip())
        out.extend(f"{pad}{line}" if line else "" for line in rest)
    return "\n".join(out) + "\n"
