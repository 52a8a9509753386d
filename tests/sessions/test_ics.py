"""iCalendar output against RFC 5545, with a small unfolding parser as the reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.exports.ics import CalendarEvent, calendar, escape_text, fold

STAMP = datetime(2025, 12, 23, 12, 0, tzinfo=UTC)


def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    lines: list[str] = []
    for raw in text[:-2].split("\r\n"):
        if raw.startswith(" "):
            lines[-1] += raw[1:]
        else:
            lines.append(raw)
    return lines


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            out.append({"n": "\n", "N": "\n"}.get(value[i + 1], value[i + 1]))
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def test_a_session_in_miami_is_written_in_utc_with_escaped_text() -> None:
    miami = timezone(timedelta(hours=-5))
    text = calendar(
        [
            CalendarEvent(
                uid="session-1@parley",
                summary="Miami round; separate sessions, each delegation",
                start=datetime(2025, 12, 22, 9, 0, tzinfo=miami),
                end=datetime(2025, 12, 22, 20, 0, tzinfo=miami),
                location="Miami, Florida",
                description="Format: proximity\nStatus: held",
                status="CONFIRMED",
            ),
            CalendarEvent(
                uid="milestone-1@parley", summary="Framework deadline", start=date(2026, 1, 31)
            ),
        ],
        name="Talks",
        stamp=STAMP,
    )
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and lines.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20251222T140000Z" in lines and "DTEND:20251223T010000Z" in lines
    assert "SUMMARY:Miami round\\; separate sessions\\, each delegation" in lines
    assert "LOCATION:Miami\\, Florida" in lines
    assert "DESCRIPTION:Format: proximity\\nStatus: held" in lines
    assert "DTSTART;VALUE=DATE:20260131" in lines and "DTEND;VALUE=DATE:20260201" in lines
    assert "DTSTAMP:20251223T120000Z" in lines
    assert all(len(raw.encode()) <= 75 for raw in text.split("\r\n"))


@settings(max_examples=300, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_folding_and_escaping_round_trip_any_text(value: str) -> None:
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold(line)
    for raw in folded.split("\r\n"):
        assert len(raw.encode("utf-8")) <= 75
    assert unfold(folded + "\r\n") == [line]
    expected = value.replace("\r\n", "\n").replace("\r", "\n")
    assert unescape(line[len("DESCRIPTION:") :]) == expected
