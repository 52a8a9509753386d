"""Find quoted passages by their marks, robust to the ways news text gets them wrong.

Handles curly “…”, straight "…", German „…“, guillemets «…», and single ‘…’ / '…' quotes (told
apart from apostrophes by what stands on either side). A quote left open at the end of a paragraph
is closed there (the multi-paragraph convention, or a lost closing mark); a closing mark with no
opening one makes the paragraph's start the start of the quote.
"""

from __future__ import annotations

from dataclasses import dataclass

_DOUBLE_OPEN = {"“": "”", "„": "“", "«": "»", '"': '"'}
_DOUBLE_CLOSE = {"”", "»"}
_SINGLE_OPEN = {"‘": "’", "'": "'"}
_BEFORE_OPEN = set(" \t([{—–-:/") | {"“", '"'}


@dataclass(frozen=True)
class QuoteSpan:
    start: int  # first character inside the marks
    end: int  # one past the last character inside the marks
    paragraph: int
    unclosed: bool = False  # ran to the end of its paragraph without a closing mark
    unopened: bool = False  # a closing mark without an opening one


def _is_letter(c: str) -> bool:
    return c.isalnum()


def _quote(text: str, start: int, end: int, paragraph: int, **flags: bool) -> QuoteSpan | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end - start < 2 or not any(c.isalpha() for c in text[start:end]):
        return None
    return QuoteSpan(start, end, paragraph, **flags)


def _scan_paragraph(text: str, lo: int, hi: int, paragraph: int) -> list[QuoteSpan]:
    out: list[QuoteSpan] = []
    open_at = -1  # index of the opening mark
    closer = ""
    single = False
    i = lo
    while i < hi:
        c = text[i]
        prev = text[i - 1] if i > lo else " "
        nxt = text[i + 1] if i + 1 < hi else " "
        if open_at < 0:
            if (
                c == '"'
                and not out
                and not prev.isspace()
                and prev not in _BEFORE_OPEN
                and (nxt.isspace() or nxt in ".,;:!?")
            ):
                # A straight mark that can only close: the opening one was lost.
                q = _quote(text, lo, i, paragraph, unopened=True)
                if q:
                    out.append(q)
            elif c in _DOUBLE_OPEN and (c != '"' or not _is_letter(prev) or not _is_letter(nxt)):
                open_at, closer, single = i, _DOUBLE_OPEN[c], False
            elif c in _SINGLE_OPEN and (prev in _BEFORE_OPEN or prev.isspace()) and _is_letter(nxt):
                open_at, closer, single = i, _SINGLE_OPEN[c], True
            elif c in _DOUBLE_CLOSE and not out:
                q = _quote(text, lo, i, paragraph, unopened=True)
                if q:
                    out.append(q)
        else:
            closes = False
            if single:
                # An apostrophe inside a word ("Russia’s", "don't") does not close a quote.
                closes = c == closer and not _is_letter(nxt) and not prev.isspace()
            elif (
                c == closer
                or (c in _DOUBLE_CLOSE and closer != '"')
                or (c == '"' and closer in "”“")
            ):
                closes = True
            elif c in "“«„" and closer == "”":
                # A new opening mark while one is open: the earlier quote lost its closing mark.
                q = _quote(text, open_at + 1, i, paragraph, unclosed=True)
                if q:
                    out.append(q)
                open_at, closer = i, _DOUBLE_OPEN[c]
                i += 1
                continue
            if closes:
                q = _quote(text, open_at + 1, i, paragraph)
                if q:
                    out.append(q)
                open_at = -1
        i += 1
    if open_at >= 0 and not single:
        q = _quote(text, open_at + 1, hi, paragraph, unclosed=True)
        if q:
            out.append(q)
    return out


def scan_quotes(text: str) -> list[QuoteSpan]:
    """Every quoted passage in `text`, in order."""
    out: list[QuoteSpan] = []
    lo = 0
    paragraph = 0
    while lo <= len(text):
        hi = text.find("\n", lo)
        if hi < 0:
            hi = len(text)
        if text[lo:hi].strip():
            out.extend(_scan_paragraph(text, lo, hi, paragraph))
            paragraph += 1
        lo = hi + 1
    return out
