"""The hash of a statement text that signatories approve (versions: see texts.canonical)."""

from __future__ import annotations

import hashlib
import unicodedata


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def text_hash(text: str) -> str:
    """The hash a signatory approves: NFC-normalised UTF-8 text, sha256, hex."""
    return hashlib.sha256(_nfc(text).encode("utf-8")).hexdigest()
