"""Date expressions in news text, resolved against the publication date.

Rules (documented in docs/intake.md):

* an explicit date with a year is taken as written; its weekday, if given, is checked;
* an explicit date without a year ("on January 9") takes the year that puts it on the side of the
  publication date the tense asks for: the latest such date on or before publication for past
  tense, the earliest on or after it for future tense;
* a bare weekday ("on Thursday") is the latest such weekday on or before publication in the past
  tense ("met on Sunday"), the earliest on or after it in the future tense ("will meet on
  Thursday"); the publication day itself counts on both sides, as news usage does;
* "last Friday" is strictly before, "next Friday" strictly after;
* "today", "yesterday", "tomorrow" are relative to the publication date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}

_WD = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MON = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"

DATE_RE = re.compile(
    r"(?P<on>\b[Oo]n\s+)?(?:"
    # Sunday, December 22, 2025 / Dec. 4 / December 4th 2025
    rf"(?:(?P<wd1>{_WD}),?\s+)?(?P<mon1>{_MON})\.?\s+(?P<day1>{_DAY})\b(?:,?\s+(?P<year1>(?:19|20)\d\d)\b)?"
    # Tuesday 9 December 2025 / 22 December / the 4th of December
    rf"|(?:(?P<wd2>{_WD}),?\s+)?(?:the\s+)?(?P<day2>{_DAY})\s+(?:of\s+)?(?P<mon2>{_MON})\b\.?"
    r"(?:,?\s+(?P<year2>(?:19|20)\d\d)\b)?"
    # 15.12.2025 / 2025-12-15
    r"|\b(?P<day3>[0-3]?\d)\.(?P<mon3>[01]?\d)\.(?P<year3>(?:19|20)\d\d)\b"
    r"|\b(?P<year4>(?:19|20)\d\d)-(?P<mon4>[01]\d)-(?P<day4>[0-3]\d)\b"
    # last Friday / next Friday / on Friday
    rf"|(?P<rel>\b(?:[Ll]ast|[Nn]ext|[Tt]his)\s+)?(?P<wd5>{_WD})\b"
    r"|\b(?P<word>[Tt]oday|[Yy]esterday|[Tt]omorrow|[Tt]onight|[Ll]ast night|[Tt]his morning"
    r"|[Ee]arlier today|[Ll]ater today)\b"
    r")"
)


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str  # as written, with a leading "on" if present ("on Thursday")
    core: tuple[int, int]  # offsets without the leading "on"
    weekday: int | None = None  # 0 = Monday
    day: int | None = None
    month: int | None = None
    year: int | None = None
    relative: str | None = None  # "last" | "next" | "this" | "today" | "yesterday" | "tomorrow"

    @property
    def explicit(self) -> bool:
        return self.day is not None and self.month is not None


# "4, 5 and 6 December", "18 and 19 December 2025", "December 4 and 5": one mention per day.
LIST_RE = re.compile(
    rf"\b(?P<days>{_DAY}(?:\s*,\s*{_DAY})*\s*(?:and|&|-|–)\s*)(?P<last>{_DAY})\s+(?:of\s+)?"
    rf"(?P<mon>{_MON})\b\.?(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
    rf"|\b(?P<mon2>{_MON})\.?\s+(?P<days2>{_DAY}(?:\s*,\s*{_DAY})*\s*(?:and|&)\s*)"
    rf"(?P<last2>{_DAY})\b(?:,?\s+(?P<year2>(?:19|20)\d\d)\b)?"
)


def _list_dates(text: str, offset: int) -> list[DateMention]:
    out: list[DateMention] = []
    for m in LIST_RE.finditer(text):
        n = "" if m.group("mon") else "2"
        month = MONTHS[m.group(f"mon{n}").lower()]
        year = int(m.group(f"year{n}")) if m.group(f"year{n}") else None
        # The written pattern catches the day next to the month; the others are added here.
        days = [
            (m.start(f"days{n}") + d.start(), m.start(f"days{n}") + d.end())
            for d in re.finditer(_DAY, m.group(f"days{n}"))
        ]
        if n:
            days = days[1:] + [(m.start("last2"), m.end("last2"))]
        for a, b in days:
            day = int(re.sub(r"\D", "", text[a:b]))
            s, e = a + offset, b + offset
            out.append(DateMention(s, e, text[a:b], (s, e), None, day, month, year))
    return out


def find_dates(text: str, offset: int = 0) -> list[DateMention]:
    """Every date expression in `text`; offsets are shifted by `offset`."""
    out: list[DateMention] = _list_dates(text, offset)
    for m in DATE_RE.finditer(text):
        g = m.groupdict()
        on_len = len(g["on"]) if g["on"] else 0
        start, end = m.start() + offset, m.end() + offset
        core = (start + on_len, end)
        raw = m.group(0)
        if g["word"]:
            word = g["word"].lower()
            rel: str | None = {
                "yesterday": "yesterday",
                "last night": "yesterday",
                "tomorrow": "tomorrow",
            }.get(word, "today")
            out.append(DateMention(start, end, raw, core, relative=rel))
            continue
        if g["wd5"]:
            rel = g["rel"].strip().lower() if g["rel"] else None
            out.append(
                DateMention(start, end, raw, core, weekday=WEEKDAYS.index(g["wd5"]), relative=rel)
            )
            continue
        for n in "1234":
            if g.get(f"mon{n}"):
                mon_text = g[f"mon{n}"]
                month = int(mon_text) if mon_text.isdigit() else MONTHS[mon_text.lower()]
                day = int(re.sub(r"\D", "", g[f"day{n}"]))
                year = int(g[f"year{n}"]) if g.get(f"year{n}") else None
                wd_text = g.get(f"wd{n}")
                weekday = WEEKDAYS.index(wd_text) if wd_text else None
                if not 1 <= month <= 12:
                    break
                out.append(DateMention(start, end, raw.rstrip(), core, weekday, day, month, year))
                break
    if len(out) > 1:
        out.sort(key=lambda d: d.start)
    return out


def _valid(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def resolve(mention: DateMention, published: date | None, tense: str = "past") -> date | None:
    """The calendar date a mention refers to; `tense` is "past" or "future"."""
    if mention.explicit:
        assert mention.month is not None and mention.day is not None
        if mention.year is not None:
            return _valid(mention.year, mention.month, mention.day)
        if published is None:
            return None
        candidates = [
            d
            for y in (published.year - 1, published.year, published.year + 1)
            if (d := _valid(y, mention.month, mention.day)) is not None
        ]
        if not candidates:
            return None
        if tense == "future":
            after = [d for d in candidates if d >= published]
            return min(after) if after else None
        before = [d for d in candidates if d <= published]
        return max(before) if before else None
    if published is None:
        return None
    if mention.relative == "today":
        return published
    if mention.relative == "yesterday":
        return published - timedelta(days=1)
    if mention.relative == "tomorrow":
        return published + timedelta(days=1)
    if mention.weekday is None:
        return None
    back = (published.weekday() - mention.weekday) % 7
    forward = (mention.weekday - published.weekday()) % 7
    if mention.relative == "last":
        return published - timedelta(days=back or 7)
    if mention.relative == "next":
        return published + timedelta(days=forward or 7)
    if tense == "future":
        return published + timedelta(days=forward)
    return published - timedelta(days=back)


def weekday_mismatch(mention: DateMention, published: date | None) -> tuple[date, str] | None:
    """(date, actual weekday name) when a written weekday does not match its date."""
    if mention.weekday is None or not mention.explicit:
        return None
    when = resolve(mention, published, "past")
    if when is None and published is not None:
        when = resolve(mention, published, "future")
    if when is None or when.weekday() == mention.weekday:
        return None
    return when, WEEKDAYS[when.weekday()]
