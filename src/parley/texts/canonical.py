"""The canonical encoding of a version's provisions and its SHA-256 content hash.

A frozen version is identified by ``content_hash(version.provisions)``; signatures are over
that hex string. The encoding is part of the record and must never change silently: a new
encoding gets a new ``format`` value and old hashes keep verifying with the old one.

Encoding ``parley.provisions/1`` (documented in docs/texts.md):

* a JSON object ``{"format": "parley.provisions/1", "provisions": [...]}``;
* provisions in reading order, each an object with exactly the keys ``heading``, ``number``,
  ``parent_wid``, ``text``, ``wid``;
* every string NFC-normalised, line endings ``\\r\\n`` and ``\\r`` turned into ``\\n``; an empty
  heading is ``null`` (the same as no heading), as is a missing parent;
* keys sorted, no whitespace between tokens (``separators=(",", ":")``), non-ASCII characters
  written as themselves (``ensure_ascii=False``), encoded as UTF-8.

The hash is the lowercase hex SHA-256 of those bytes. Nothing else (title, label, author,
date) is covered: two versions with the same provisions have the same hash.

Encoding ``parley.languages/1``, for a version with texts in more than one authentic language:
``{"format": "parley.languages/1", "lead": "en", "languages": {"en": [...], "uk": [...]}}``,
each list the provisions of that language encoded as above (its own numbers, headings and texts,
the shared permanent ids). A version with its lead language alone keeps the
``parley.provisions/1`` hash, so every signature made before languages existed still verifies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from parley.texts.plain import PlainProvision, PlainVersion

__all__ = [
    "FORMAT",
    "LANGUAGES_FORMAT",
    "canonical_bytes",
    "content_hash",
    "languages_hash",
    "verify_content_hash",
]

FORMAT = "parley.provisions/1"
LANGUAGES_FORMAT = "parley.languages/1"


def _norm(value: str | None, *, empty_is_null: bool = False) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    if empty_is_null and value == "":
        return None
    return value


def _provisions(source: PlainVersion | Iterable[PlainProvision]) -> Iterable[PlainProvision]:
    return source.provisions if isinstance(source, PlainVersion) else source


def _items(source: PlainVersion | Iterable[PlainProvision]) -> list[dict[str, Any]]:
    return [
        {
            "wid": _norm(p.wid),
            "number": _norm(p.number),
            "heading": _norm(p.heading, empty_is_null=True),
            "text": _norm(p.text),
            "parent_wid": _norm(p.parent_wid, empty_is_null=True),
        }
        for p in _provisions(source)
    ]


def canonical_bytes(source: PlainVersion | Iterable[PlainProvision]) -> bytes:
    """The canonical UTF-8 JSON encoding of the provisions (of a version), in order."""
    document = {"format": FORMAT, "provisions": _items(source)}
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Lone surrogates cannot be UTF-8: refusing them beats hashing a lossy replacement.
    return encoded.encode("utf-8", errors="strict")


def content_hash(source: PlainVersion | Iterable[PlainProvision]) -> str:
    """Lowercase hex SHA-256 of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(source)).hexdigest()


def languages_bytes(lead: str, texts: Mapping[str, Iterable[PlainProvision]]) -> bytes:
    """The canonical encoding of a version's texts in several languages (``lead`` among them)."""
    document = {
        "format": LANGUAGES_FORMAT,
        "lead": lead,
        "languages": {lang: _items(provisions) for lang, provisions in texts.items()},
    }
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return encoded.encode("utf-8", errors="strict")


def languages_hash(lead: str, texts: Mapping[str, Iterable[PlainProvision]]) -> str:
    """The content hash of a version's authentic texts: ``parley.provisions/1`` of the lead
    language when it is the only one with a text, else SHA-256 of :func:`languages_bytes`."""
    present = {lang: list(p) for lang, p in texts.items() if lang == lead or list(p)}
    if set(present) <= {lead}:
        return content_hash(present.get(lead, []))
    return hashlib.sha256(languages_bytes(lead, present)).hexdigest()


def verify_content_hash(version: PlainVersion) -> bool:
    """True when the version is frozen and its provisions still hash to ``frozen_hash``."""
    if version.frozen_hash is None:
        return False
    return hmac.compare_digest(content_hash(version), version.frozen_hash.lower())
