"""Language codes: ISO 639-1 (what users write, ``language: uk``) and ISO 639-2 (Akoma Ntoso).

Akoma Ntoso names an expression's language with the three-letter ISO 639-2 (terminology) code:
``/akn/int/bill/2025-12-22/plan20/ukr@2025-12-22``.
"""

from __future__ import annotations

import re

__all__ = ["ISO_639_2", "akn_language", "is_language_code", "language_name"]

# The languages of the region and of European diplomacy; others map through this table too
# once added (an unknown code is refused rather than guessed).
ISO_639_2 = {
    "ar": "ara",
    "be": "bel",
    "bg": "bul",
    "cs": "ces",
    "da": "dan",
    "de": "deu",
    "el": "ell",
    "en": "eng",
    "es": "spa",
    "et": "est",
    "fi": "fin",
    "fr": "fra",
    "hr": "hrv",
    "hu": "hun",
    "hy": "hye",
    "it": "ita",
    "ka": "kat",
    "kk": "kaz",
    "lt": "lit",
    "lv": "lav",
    "nl": "nld",
    "no": "nor",
    "pl": "pol",
    "pt": "por",
    "ro": "ron",
    "ru": "rus",
    "sk": "slk",
    "sl": "slv",
    "sq": "sqi",
    "sr": "srp",
    "sv": "swe",
    "tr": "tur",
    "uk": "ukr",
    "zh": "zho",
}

_CODE = re.compile(r"[a-z]{2}")


def is_language_code(value: str) -> bool:
    """Whether ``value`` is written like an ISO 639-1 code (two lower-case letters)."""
    return bool(_CODE.fullmatch(value))


def akn_language(code: str | None) -> str:
    """The ISO 639-2 code Akoma Ntoso wants for an ISO 639-1 ``code`` (``None`` → ``eng``).

    A three-letter code is passed through; an unknown two-letter code raises ``ValueError``.
    """
    if code is None:
        return "eng"
    if re.fullmatch(r"[a-z]{3}", code):
        return code
    try:
        return ISO_639_2[code]
    except KeyError:
        raise ValueError(f"language: no ISO 639-2 code known for {code!r}") from None


# Names shown to people; a code without one is shown as the code.
LANGUAGE_NAMES = {
    "en": "English",
    "uk": "Ukrainian",
    "ru": "Russian",
    "fr": "French",
    "de": "German",
}


def language_name(code: str) -> str:
    """The language's English name for pages ("uk" → "Ukrainian")."""
    return LANGUAGE_NAMES.get(code, code)
