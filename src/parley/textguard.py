"""Text shown as signed must be exactly the text that was signed.

Bidirectional controls can make a text display differently from what its bytes say, and
zero-width characters make two texts that look the same hash differently. Texts that are
approved, signed or frozen refuse both, with an error naming the field and the first offending
character: joint statements and minutes (``parley.sessions``), and the texts of versions, with
what becomes them — imported numbered texts, amendments, bracket options (``parley.texts``).
"""

from __future__ import annotations

import unicodedata

from parley.errors import InputError

# U+202A-U+202E (embeddings, overrides), U+2066-U+2069 (isolates), LRM, RLM, ALM.
BIDI_CONTROLS = frozenset(
    [
        *map(chr, range(0x202A, 0x202F)),
        *map(chr, range(0x2066, 0x206A)),
        "\u200e",
        "\u200f",
        "\u061c",
    ]
)
# Zero-width space, non-joiner, joiner, word joiner, byte-order mark (zero-width no-break space).
ZERO_WIDTH = frozenset(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
HIDDEN = BIDI_CONTROLS | ZERO_WIDTH


class HiddenCharacter(InputError):
    """A text holds a character that changes how it displays, or that cannot be seen."""


def hidden_characters(text: str) -> list[tuple[int, str]]:
    """(offset, character) of every hidden character in ``text``."""
    return [(i, c) for i, c in enumerate(text) if c in HIDDEN]


def require_visible_text(text: str, *, field: str, where: str = "") -> str:
    """``text`` unchanged when it holds no bidirectional control or zero-width character; else
    :class:`HiddenCharacter` naming ``field``, the character and where it is (``where``, e.g.
    "in point 3", says which part of the field when the field holds several)."""
    found = hidden_characters(text)
    if found:
        offset, char = found[0]
        kind = "bidirectional control" if char in BIDI_CONTROLS else "zero-width character"
        name = unicodedata.name(char, "UNNAMED")
        line = text.count("\n", 0, offset) + 1
        column = offset - text.rfind("\n", 0, offset)
        raise HiddenCharacter(
            f"{kind} U+{ord(char):04X} {name} {where + ' ' if where else ''}"
            f"at line {line}, character {column} "
            f"(remove it: signed text must display exactly as stored)",
            field=field,
        )
    return text


__all__ = [
    "BIDI_CONTROLS",
    "HIDDEN",
    "ZERO_WIDTH",
    "HiddenCharacter",
    "hidden_characters",
    "require_visible_text",
]
