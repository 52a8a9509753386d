"""Parse a numbered text (Markdown or plain text) into provisions.

The format, described for users in docs/texts.md:

* An optional front matter block (``---`` / ``key: value`` lines / ``---``) on the first line.
  ``language: uk`` names the text's language (a two-letter ISO 639-1 code, checked).
* An optional title: a Markdown heading without a number (``# Twenty-point plan``) or one plain
  line before the first point. Any other text before the first point is an error.
* Points: ``7.``, ``7)``, ``**7.**``, ``## 7. Heading`` (a Markdown heading: the rest of the
  line is the point's heading and the lines below are its text). ``7a.`` is a point inserted
  after 7 and is allowed; numbers must otherwise go up by one.
* Sub-points: dotted numbers ``7.1`` (any depth, ``7.1.2``), or letters ``(a)``, ``a)``,
  ``- (a)`` under the innermost numbered point, giving the number ``7(a)``.
* Text lines after a marker belong to that point. Lines of one paragraph are joined with a
  space, paragraphs with a blank line, and lines that start with a bullet (``-``, ``*``, ``+``)
  keep their own line. A line that should start with something that looks like a number is
  escaped the Markdown way: ``2025\\. was the year`` or ``\\(a) is kept as text``.
* Whole-line HTML comments (``<!-- ... -->``) are skipped.

Problems that make the text ambiguous are errors, collected with their line numbers and raised
together as :class:`NumberedTextError`: an empty point, a duplicate number, numbering that goes
backwards or skips, a sub-point whose parent is not the open point, text before the first point
other than a title, an unnumbered heading after the first point. A first point other than 1 is
only a warning (an excerpt may start at point 5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from parley.texts.languages import is_language_code
from parley.texts.plain import PlainProvision

__all__ = [
    "NumberedTextError",
    "ParsedText",
    "default_wid",
    "escape_line",
    "parse_numbered",
]

_HEADING = re.compile(r"^(#{1,6})[ \t]+(?P<rest>.*)$")
_BULLET = re.compile(r"^[-*+][ \t]+")
# One number form after any "#" prefix, bullet and "**" have been taken off.
_NUMBER = re.compile(
    r"""^(?:
        (?P<dotted>\d+(?:\.\d+)+[a-z]?)[.)]?
      | (?P<top>\d+[a-z]?)[.)]
      | \((?P<plet>[a-zа-яёґєії])\)
      | (?P<let>[a-zа-яёґєії])\)
    )""",
    re.VERBOSE,
)
# Where a backslash escapes a line that starts like a number: 2025\. was, a\) text.
_NUMBER_ESCAPE = re.compile(r"^\d+[a-z]?(?=\\[.)\\])")
_LETTER_ESCAPE = re.compile(r"^[a-zа-яёґєії](?=\\[)\\])")
_NUMBER_TO_ESCAPE = re.compile(r"^\d+[a-z]?(?=[.)\\])")
_LETTER_TO_ESCAPE = re.compile(r"^[a-zа-яёґєії](?=[)\\])")
# Characters a leading backslash may escape (CommonMark: any ASCII punctuation).
_ESCAPABLE = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


class NumberedTextError(ValueError):
    """The text could not be imported; ``errors`` are ``"line N: problem"`` strings."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass(frozen=True)
class ParsedText:
    title: str | None
    provisions: tuple[PlainProvision, ...]
    warnings: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    lines: tuple[int, ...] = ()  # the line each provision starts on, parallel to provisions

    @property
    def language(self) -> str | None:
        """The front matter's ``language:`` (ISO 639-1, checked by the parser), if any."""
        return self.metadata.get("language") or None


def _latin(number: str) -> str:
    """A Cyrillic sub-point letter as the Latin letter of the same place: 7(б) → 7(b)."""
    out = []
    for ch in number:
        at = _UK_LETTERS.find(ch)
        if at < 0:
            at = _RU_LETTERS.find(ch)
        out.append(chr(ord("a") + at) if 0 <= at < 26 else ch)
    return "".join(out)


def default_wid(number: str) -> str:
    """A permanent id derived from the number at import: ``7`` → ``p7``, ``7(a)`` → ``p7-a``
    (a Cyrillic sub-point by the Latin letter of its place: ``7(б)`` → ``p7-b``)."""
    return "p" + _latin(number).replace("(", "-").replace(")", "")


@dataclass
class _Marker:
    number: str
    kind: str  # top | dotted | letter
    heading_mode: bool
    rest: str


def _match_marker(stripped: str) -> _Marker | None:
    heading_mode = False
    body = stripped
    m = _HEADING.match(body)
    if m:
        heading_mode = True
        body = m.group("rest")
    bullet = _BULLET.match(body)
    if bullet and not heading_mode:
        body = body[bullet.end() :]
    bold = ""
    for b in ("**", "__"):
        if body.startswith(b):
            bold, body = b, body[2:]
            break
    n = _NUMBER.match(body)
    if not n:
        return None
    if bullet and not heading_mode and not (n.group("plet") or n.group("let")):
        return None  # "- 7. foo" is a bullet line of text, not a point
    after = body[n.end() :]
    if bold:
        if not after.startswith(bold):
            return None
        after = after[len(bold) :]
    if after and after[0] not in " \t":
        return None  # "7.text" or "1.5%" is text
    if n.group("dotted"):
        number, kind = n.group("dotted"), "dotted"
    elif n.group("top"):
        number, kind = n.group("top"), "top"
    else:
        number, kind = (n.group("plet") or n.group("let")), "letter"
    return _Marker(number=number, kind=kind, heading_mode=heading_mode, rest=after.strip())


def _unescape(line: str) -> str:
    m = _NUMBER_ESCAPE.match(line) or _LETTER_ESCAPE.match(line)
    if m:
        line = line[: m.end()] + line[m.end() + 1 :]
    elif len(line) > 1 and line[0] == "\\" and line[1] in _ESCAPABLE:
        line = line[1:]
    return decode_html(line)


def encode_html(text: str) -> str:
    """``&``, ``<`` and ``>`` as entities: Markdown renders text, never HTML (issue #14)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decode_html(text: str) -> str:
    """The inverse of :func:`encode_html` (and how Markdown reads these three entities)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def escape_line(line: str) -> str:
    """Escape one line of text so that :func:`parse_numbered` reads it back as text.

    The exact inverse of the parser's unescaping; the Markdown export uses it on every line.
    """
    if not line:
        return line
    m = _NUMBER_TO_ESCAPE.match(line) or _LETTER_TO_ESCAPE.match(line)
    if m:
        return line[: m.end()] + "\\" + line[m.end() :]
    if (
        line[0] == "\\"
        or line.startswith("<!--")
        or _HEADING.match(line)
        or _match_marker(line) is not None
    ):
        return "\\" + line
    return line


# Lettered sub-points in Ukrainian (а, б, в, г, ґ, д, ...) and Russian (а, б, в, г, д, е, ж,
# з, и, к, ...): drafting habits differ on ґ, є, ї, й, ё, so any of these orders is accepted.
_UK_LETTERS = "абвгґдеєжзиіїйклмнопрстуфхцчшщюя"
_RU_LETTERS = "абвгдеёжзийклмнопрстуфхцчшщэюя"
_SKIPPABLE = "ґєїйёиі"


def _letters_after(previous: str | None) -> set[str]:
    """The letters a sub-point may have after ``previous`` (None: the first sub-point)."""
    if previous is None:
        return {"a", "а"}
    if "a" <= previous <= "z":
        return {chr(ord(previous) + 1)}
    allowed: set[str] = set()
    for order in (_UK_LETTERS, _RU_LETTERS):
        at = order.find(previous)
        while 0 <= at < len(order) - 1:
            at += 1
            allowed.add(order[at])
            if order[at] not in _SKIPPABLE:
                break
    return allowed


def _letter_next(previous: str | None) -> str:
    """The usual next letter (for messages): "a", or the one after ``previous``."""
    if previous is None:
        return "a"
    if "a" <= previous <= "z":
        return chr(ord(previous) + 1)
    at = _UK_LETTERS.find(previous)
    return _UK_LETTERS[at + 1] if 0 <= at < len(_UK_LETTERS) - 1 else previous


def _split_top(number: str) -> tuple[int, str]:
    m = re.fullmatch(r"(\d+)([a-z]?)", number)
    assert m is not None
    return int(m.group(1)), m.group(2)


def _sequence_problem(previous: str | None, current: str, parent: str | None) -> str:
    """Why ``current`` cannot follow ``previous`` among siblings, or "" when it can.

    ``previous`` and ``current`` are last components ("7", "7a"). For dotted sub-points
    ``parent`` is the parent's number and the first sibling must be 1; top-level points may
    start anywhere (the caller warns).
    """
    prefix = f"{parent}." if parent else ""
    n, s = _split_top(current)
    if previous is None:
        if parent is not None and current != "1":
            return f"follows {parent} (its first sub-point is {parent}.1)"
        return ""
    pn, ps = _split_top(previous)
    if s:
        if n != pn:
            return f"follows {prefix}{previous} (an inserted point repeats the number before it)"
        if s != _letter_next(ps or None):
            return f"follows {prefix}{previous}"
        return ""
    if n <= pn:
        return f"goes backwards after {prefix}{previous}"
    if n != pn + 1:
        return f"follows {prefix}{previous}"
    return ""


@dataclass
class _Building:
    number: str
    heading: str | None
    parent_number: str | None
    line: int
    paragraphs: list[list[str]] = field(default_factory=list)
    open_paragraph: bool = False
    children: int = 0

    def add_line(self, line: str) -> None:
        if not self.open_paragraph:
            self.paragraphs.append([line])
            self.open_paragraph = True
        elif _BULLET.match(line):
            self.paragraphs[-1].append(line)
        else:
            self.paragraphs[-1][-1] += " " + line

    def text(self) -> str:
        return "\n\n".join("\n".join(p) for p in self.paragraphs)


def _front_matter(lines: list[str], errors: list[str]) -> tuple[dict[str, str], int]:
    if not lines or lines[0].strip() != "---":
        return {}, 0
    metadata: dict[str, str] = {}
    for i in range(1, len(lines)):
        raw = lines[i].strip()
        if raw == "---":
            return metadata, i + 1
        if not raw:
            continue
        key, sep, value = raw.partition(":")
        if not sep or not key.strip():
            errors.append(f"line {i + 1}: front matter line is not 'key: value'")
            continue
        metadata[key.strip()] = value.strip()
        if key.strip() == "language" and not is_language_code(value.strip()):
            errors.append(
                f"line {i + 1}: language {value.strip()!r} is not a two-letter ISO 639-1 code"
                " (en, uk, ru, ...)"
            )
    errors.append("line 1: front matter is not closed with '---'")
    return metadata, len(lines)


def parse_numbered(text: str, *, wid_for: Callable[[str], str] = default_wid) -> ParsedText:
    """Parse a numbered text into provisions, or raise :class:`NumberedTextError`.

    ``wid_for`` turns a point's number into its permanent id; the service may pass its own
    (for example to keep the ids of the version the text was derived from).
    """
    errors: list[str] = []
    warnings: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    metadata, start = _front_matter(lines, errors)

    title: str | None = None
    title_line = 0
    preamble_reported = False
    built: list[_Building] = []
    seen: dict[str, int] = {}
    chain: list[str] = []  # open numbered points from the top level down: ["7", "7.1"]
    last_top: str | None = None
    last_child: dict[str, str] = {}  # parent number -> last dotted component under it
    last_letter: dict[str, str] = {}  # parent number -> last letter under it
    by_number: dict[str, _Building] = {}
    in_comment = False

    for index in range(start, len(lines)):
        lineno = index + 1
        stripped = lines[index].strip()
        if in_comment:
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if not stripped:
            if built:
                built[-1].open_paragraph = False
            continue
        marker = _match_marker(stripped)
        if marker is None:
            heading = _HEADING.match(stripped)
            if not built:
                if title is None and not preamble_reported:
                    title = _unescape(heading.group("rest") if heading else stripped).strip()
                    title_line = lineno
                elif not preamble_reported:
                    errors.append(
                        f"line {lineno}: text before the first point "
                        f"(only a title, on line {title_line}, may come first)"
                    )
                    preamble_reported = True
                continue
            if heading:
                errors.append(
                    f"line {lineno}: heading without a point number "
                    f"(write '{heading.group(1)} 8. {heading.group('rest')}' or drop the heading)"
                )
                continue
            built[-1].add_line(_unescape(stripped))
            continue

        problem = ""
        parent: str | None = None
        if marker.kind == "top":
            number = marker.number
            if number not in seen:
                problem = _sequence_problem(last_top, number, None)
                if last_top is None and number != "1":
                    warnings.append(f"line {lineno}: numbering starts at {number}, not 1")
            last_top = number
            chain = [number]
        elif marker.kind == "dotted":
            number = marker.number
            head, _, last = number.rpartition(".")
            parent = head
            if parent not in chain:
                problem = f"is not under point {parent}" if number not in seen else ""
                if parent not in by_number:
                    parent = chain[-1] if chain else None
            elif number not in seen:
                problem = _sequence_problem(last_child.get(head), last, head)
            if head in chain:
                chain = chain[: chain.index(head) + 1] + [number]
            last_child[head] = last
        else:
            if not chain:
                errors.append(f"line {lineno}: sub-point ({marker.number}) before any point")
                chain = ["?"]
            parent = chain[-1]
            number = f"{parent}({marker.number})"
            previous = last_letter.get(parent)
            if number not in seen and marker.number not in _letters_after(previous):
                if previous is None:
                    opening = "a" if "a" <= marker.number <= "z" else "а"
                    problem = f"starts at ({marker.number}) instead of ({opening})"
                else:
                    problem = f"follows ({previous})"
            last_letter[parent] = marker.number

        if number in seen:
            first = seen[number]
            errors.append(f"line {lineno}: point {number} appears twice (first on line {first})")
        elif problem:
            errors.append(f"line {lineno}: point {number} {problem}")
        seen.setdefault(number, lineno)

        item = _Building(
            number=number,
            heading=(marker.rest or None) if marker.heading_mode else None,
            parent_number=parent,
            line=lineno,
        )
        if marker.heading_mode and item.heading is not None:
            item.heading = _unescape(item.heading)
        if not marker.heading_mode and marker.rest:
            item.add_line(_unescape(marker.rest))
        if marker.heading_mode:
            item.open_paragraph = False
        if parent is not None and parent in by_number:
            by_number[parent].children += 1
        by_number.setdefault(number, item)
        built.append(item)

    if in_comment:
        errors.append("end of text: an HTML comment ('<!--') is not closed")
    if not built and not errors:
        errors.append(f"line {len(lines)}: no numbered points found (a point starts like '1. ')")
    for item in built:
        if not item.paragraphs and item.children == 0:
            errors.append(f"line {item.line}: point {item.number} is empty")
    if errors:
        errors.sort(key=_line_key)
        raise NumberedTextError(errors)

    wids = {item.number: wid_for(item.number) for item in built}
    provisions = tuple(
        PlainProvision(
            wid=wids[item.number],
            number=item.number,
            heading=item.heading,
            text=item.text(),
            parent_wid=wids.get(item.parent_number) if item.parent_number else None,
        )
        for item in built
    )
    if len(set(wids.values())) != len(wids):
        raise NumberedTextError(["line 1: two points were given the same id by wid_for"])
    return ParsedText(
        title=title,
        provisions=provisions,
        warnings=tuple(warnings),
        metadata=metadata,
        lines=tuple(item.line for item in built),
    )


def _line_key(message: str) -> int:
    m = re.match(r"line (\d+):", message)
    return int(m.group(1)) if m else 1 << 30
