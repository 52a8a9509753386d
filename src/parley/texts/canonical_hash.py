"""Content hashes for frozen versions and statement texts (canonical JSON, then sha256)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def text_hash(text: str) -> str:
    """The hash a signatory approves: NFC-normalised UTF-8 text, sha256, hex."""
    return hashlib.sha256(_nfc(text).encode("utf-8")).hexdigest()


def version_hash(provisions: Iterable[tuple[str, str, str, str]]) -> str:
    """Hash of a version's provisions in order: (permanent id, number, heading, text)."""
    body = [
        {"wid": wid, "number": number, "heading": _nfc(heading), "text": _nfc(text)}
        for wid, number, heading, text in provisions
    ]
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
