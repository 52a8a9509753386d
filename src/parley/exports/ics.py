"""iCalendar (RFC 5545) output, written by hand: sessions and deadlines as VEVENTs.

Pure: plain dataclasses in, text out. Lines end in CRLF and are folded at 75 octets without
splitting a UTF-8 character (3.1); TEXT values escape backslash, semicolon, comma and newlines
(3.3.11); times are written in UTC with the ``Z`` suffix (3.3.5, form #2), so no VTIMEZONE is
needed; all-day deadlines are ``VALUE=DATE`` with an exclusive DTEND on the next day (3.6.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

PRODID = "-//Parley//Parley calendar//EN"


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    summary: str
    start: datetime | date
    end: datetime | date | None = None
    location: str = ""
    description: str = ""
    status: str = "CONFIRMED"  # TENTATIVE | CONFIRMED | CANCELLED
    url: str = ""
    categories: tuple[str, ...] = ()


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, continuation lines starting with
    one space (which counts towards their 75), never inside a UTF-8 sequence."""
    out: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = "", 0, 74
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _when(name: str, value: datetime | date) -> str:
    if isinstance(value, datetime):
        return f"{name}:{_utc(value)}"
    return f"{name};VALUE=DATE:{value.strftime('%Y%m%d')}"


def _event(event: CalendarEvent, stamp: datetime) -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{_utc(stamp)}"]
    lines.append(_when("DTSTART", event.start))
    end = event.end
    if end is None and not isinstance(event.start, datetime):
        end = event.start + timedelta(days=1)
    if end is not None:
        lines.append(_when("DTEND", end))
    lines.append(f"SUMMARY:{escape_text(event.summary)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.categories:
        lines.append("CATEGORIES:" + ",".join(escape_text(c) for c in event.categories))
    lines.append(f"STATUS:{event.status}")
    if event.url:
        lines.append(f"URL:{event.url}")
    lines.append("END:VEVENT")
    return lines


def calendar(events: Iterable[CalendarEvent], *, name: str, stamp: datetime) -> str:
    """A VCALENDAR of ``events`` (in the order given); ``stamp`` is every DTSTAMP."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines.extend(_event(event, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


__all__ = ["CalendarEvent", "calendar", "escape_text", "fold"]
