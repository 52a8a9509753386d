"""Human formatting for pages: dates in one format, relative time, spaces in words, money.

Pure functions (no database, no request), registered as Jinja filters in
:mod:`parley.web.templating`. Pages never show ISO strings, microseconds or space keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def zone(name: str | None) -> ZoneInfo:
    """The named time zone; UTC for none or an unknown name (a page must still render)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _aware(value: datetime) -> datetime:
    # SQLite hands timestamps back naive; Parley stores them in UTC.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def parsed(value: object) -> object:
    """An ISO date or date-time string (as the JSON of a record carries) as a date or datetime;
    anything else unchanged."""
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def format_date(value: date | datetime | None, tz: str | None = None) -> str:
    """``Sat 20 Dec 2025`` (a datetime is first moved into ``tz``)."""
    value = parsed(value)  # type: ignore[assignment]
    if value is None or value == "":
        return ""
    if not isinstance(value, date):
        return str(value)
    if isinstance(value, datetime):
        value = _aware(value).astimezone(zone(tz))
    return f"{DAYS[value.weekday()]} {value.day} {MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime | date | None, tz: str | None = None) -> str:
    """``Sat 20 Dec 2025, 14:00 EST``: minutes, the zone's abbreviation, never microseconds."""
    value = parsed(value)  # type: ignore[assignment]
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        return format_date(value)
    local = _aware(value).astimezone(zone(tz))
    return f"{format_date(local)}, {local:%H:%M} {local.tzname() or ''}".rstrip()


def _unit(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def relative(value: datetime | None, now: datetime | None = None) -> str:
    """``3 hours ago``, ``in 2 days``, ``just now``; shown only beside the exact time."""
    if value is None:
        return ""
    now = _aware(now or datetime.now(UTC))
    delta = _aware(value) - now
    seconds = abs(delta.total_seconds())
    if seconds < 60:
        return "just now"
    for size, word in ((86400 * 365, "year"), (86400 * 30, "month"), (86400 * 7, "week"),
                       (86400, "day"), (3600, "hour"), (60, "minute")):  # fmt: skip
        if seconds >= size:
            text = _unit(int(seconds // size), word)
            return f"in {text}" if delta > timedelta(0) else f"{text} ago"
    return "just now"  # pragma: no cover - the loop always returns


def time_html(
    value: datetime | date | None,
    tz: str | None = None,
    *,
    with_relative: bool = False,
    now: datetime | None = None,
) -> Markup:
    """A ``<time>`` element with the exact time, and the relative one beside it if asked."""
    value = parsed(value)  # type: ignore[assignment]
    if value is None or value == "":
        return Markup("")
    if not isinstance(value, date):
        return Markup("{}").format(value)
    machine = _aware(value).isoformat() if isinstance(value, datetime) else value.isoformat()
    text = format_datetime(value, tz)
    html = Markup('<time datetime="{}">{}</time>').format(machine, text)
    if with_relative and isinstance(value, datetime):
        html += Markup(' <span class="text-body-secondary small">· {}</span>').format(
            relative(value, now)
        )
    return html


# ---------------------------------------------------------------- spaces


def space_words(space: str | None, parties: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(words, tone) for a space: ``Ukraine + mediator`` and the badge colour's name.

    ``parties`` maps party keys to names; a key without a name is shown as it is.
    """
    names = parties or {}
    text = (space or "").strip()
    if text == "public":
        return "Public", "public"
    if text == "participants":
        return "All participants", "participants"
    if text == "mediator":
        return "Mediator only", "mediator"
    if text.startswith("party:"):
        rest = text[len("party:") :]
        if rest.endswith("+mediator"):
            key = rest[: -len("+mediator")]
            return f"{names.get(key, key)} + mediator", "shared"
        return f"{names.get(rest, rest)} only", "private"
    return text or "Unknown space", "private"


SPACE_HINTS = {
    "public": "Anyone who can open the process, and everyone once it is published",
    "participants": "Every delegation and the mediator's team",
    "mediator": "The mediator's team only",
    "shared": "One delegation and the mediator's team",
    "private": "One delegation only",
}


def space_badge(space: str | None, parties: Mapping[str, str] | None = None) -> Markup:
    """A coloured badge that says in words who can read a record."""
    words, tone = space_words(space, parties)
    return Markup(
        '<span class="badge space-badge space-{tone}" title="{hint}">'
        '<i class="bi {icon}" aria-hidden="true"></i> {words}</span>'
    ).format(
        tone=tone,
        hint=SPACE_HINTS[tone],
        icon="bi-globe2" if tone == "public" else "bi-lock",
        words=words,
    )


# ---------------------------------------------------------------- money

SYMBOLS = {"USD": "US$", "EUR": "€", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "UAH": "₴"}


def _number(amount: Decimal, places: int) -> str:
    return f"{amount:,.{places}f}"


def money(amount: object, currency: str | None = None, *, compact: bool = False) -> str:
    """``€20,000,000`` or, compact, ``€20 m``; cents only when there are any.

    A missing amount gives an empty string; an unknown currency code is written before the
    number (``SEK 1,500``)."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    code = (currency or "").upper()
    prefix = SYMBOLS.get(code, f"{code} " if code else "")
    sign = "−" if value < 0 else ""
    value = abs(value)
    if compact:
        for size, word in ((Decimal(10**12), "tn"), (Decimal(10**9), "bn"), (Decimal(10**6), "m")):
            if value >= size:
                scaled = (value / size).quantize(Decimal("0.1"))
                text = _number(scaled, 0 if scaled == scaled.to_integral() else 1)
                return f"{sign}{prefix}{text} {word}"
    places = 0 if value == value.to_integral() else 2
    return f"{sign}{prefix}{_number(value, places)}"
