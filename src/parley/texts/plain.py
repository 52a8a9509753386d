"""The plain data the text engines work on: no database, no web.

The service layer turns rows into these frozen dataclasses and hands them to the engines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters XML 1.0 cannot carry (C0 controls but tab and newline, U+FFFE, U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

VERSION_KINDS = ("party_draft", "mediator_text", "compromise", "agreed", "signed")


@dataclass(frozen=True)
class PlainProvision:
    """One point of a version.

    ``wid`` is the permanent identity (Akoma Ntoso ``wId``) shared by every version of the
    point; ``number`` is display data ("7", "7a", "7.2", "7(a)") and is never used to match.
    """

    wid: str
    number: str
    heading: str | None
    text: str
    parent_wid: str | None = None


@dataclass(frozen=True)
class PlainOption:
    """One option of an open bracket: its key ("a"), text and proposing party's key."""

    key: str
    text: str
    proposer: str | None = None


@dataclass(frozen=True)
class PlainBracket:
    """An open bracket on a provision (by wid), with its options, for the exports."""

    wid: str
    label: str
    options: tuple[PlainOption, ...]


def option_line(option: PlainOption) -> str:
    """How the exports write an option: ``[Option a, proposed by UA: text]``.

    Square brackets, as negotiators write unagreed language on paper; the cross-language check
    counts them.
    """
    by = f", proposed by {option.proposer}" if option.proposer else ""
    return f"[Option {option.key}{by}: {' '.join(option.text.split())}]"


@dataclass(frozen=True)
class PlainVersion:
    document_title: str
    document_kind: str
    label: str
    kind: str  # party_draft | mediator_text | compromise | agreed | signed
    author: str
    provisions: tuple[PlainProvision, ...]
    date: str | None = None  # ISO 8601 date, e.g. "2025-11-30"
    frozen_hash: str | None = None
    # The text's language (ISO 639-1: en, uk, ru), when known; the exports name it.
    language: str | None = None
    # Open brackets, listed by the exports under their provision; not part of the content hash.
    brackets: tuple[PlainBracket, ...] = ()

    def option_lines(self, wid: str) -> list[str]:
        """The options of the open brackets on provision ``wid``, as the exports write them."""
        return [option_line(o) for b in self.brackets if b.wid == wid for o in b.options]


def depth_of(provision: PlainProvision, by_wid: dict[str, PlainProvision]) -> int:
    """How deep a provision sits: 0 for a top-level point, 1 for its sub-points, ..."""
    depth = 0
    seen: set[str] = set()
    current = provision
    while current.parent_wid is not None and current.parent_wid in by_wid:
        if current.parent_wid in seen:  # a cycle in bad data must not hang an export
            break
        seen.add(current.parent_wid)
        current = by_wid[current.parent_wid]
        depth += 1
    return depth


def xml_safe(text: str) -> str:
    """``text`` without the characters XML cannot carry; exports drop them, never fail."""
    return _XML_INVALID.sub("", text)
