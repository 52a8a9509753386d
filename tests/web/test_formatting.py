"""Human formatting: one date format in the process's time zone, relative time, spaces in
words, money with its currency; never ISO strings or microseconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from parley.web import formatting as f

PARTIES = {"UA": "Ukraine", "RU": "Russia", "US": "United States"}


def test_a_time_reads_in_the_process_time_zone_with_its_abbreviation() -> None:
    when = datetime(2025, 12, 20, 19, 0, 0, 123456, tzinfo=UTC)
    assert f.format_datetime(when, "America/New_York") == "Sat 20 Dec 2025, 14:00 EST"
    assert f.format_datetime(when, "Europe/Kyiv") == "Sat 20 Dec 2025, 21:00 EET"
    assert f.format_datetime(when) == "Sat 20 Dec 2025, 19:00 UTC"


def test_a_naive_time_is_taken_as_utc_and_an_unknown_zone_falls_back_to_utc() -> None:
    naive = datetime(2025, 7, 4, 8, 30)
    assert f.format_datetime(naive, "Nowhere/Atlantis") == "Fri 4 Jul 2025, 08:30 UTC"
    assert f.format_date(date(2025, 12, 20)) == "Sat 20 Dec 2025"
    assert f.format_datetime(None) == "" and f.format_date(None) == ""


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1)))
def test_no_iso_string_or_microseconds_ever_show(value: datetime) -> None:
    text = f.format_datetime(value.replace(tzinfo=UTC), "Asia/Tokyo")
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} JST", text), text
    assert "." not in text and "+" not in text


def test_relative_time_in_words() -> None:
    now = datetime(2025, 12, 20, 12, 0, tzinfo=UTC)
    assert f.relative(now - timedelta(hours=3), now) == "3 hours ago"
    assert f.relative(now + timedelta(days=2, hours=1), now) == "in 2 days"
    assert f.relative(now - timedelta(minutes=1), now) == "1 minute ago"
    assert f.relative(now - timedelta(seconds=20), now) == "just now"


def test_the_time_element_carries_the_machine_time_and_the_relative_one_beside() -> None:
    now = datetime(2025, 12, 20, 22, 0, tzinfo=UTC)
    html = f.time_html(datetime(2025, 12, 20, 19, 0, tzinfo=UTC), "America/New_York",
                       with_relative=True, now=now)  # fmt: skip
    assert '<time datetime="2025-12-20T19:00:00+00:00">Sat 20 Dec 2025, 14:00 EST</time>' in html
    assert "3 hours ago" in html


def test_spaces_read_as_words_with_party_names() -> None:
    words = {s: f.space_words(s, PARTIES)[0] for s in
             ("public", "participants", "party:UA", "party:UA+mediator", "mediator")}  # fmt: skip
    assert words == {
        "public": "Public",
        "participants": "All participants",
        "party:UA": "Ukraine only",
        "party:UA+mediator": "Ukraine + mediator",
        "mediator": "Mediator only",
    }
    assert f.space_words("party:XX", PARTIES)[0] == "XX only"  # unknown key: shown as it is


def test_a_space_badge_is_coloured_by_breadth_and_escapes_names() -> None:
    badge = f.space_badge("party:EV+mediator", {"EV": "<b>Evil</b>"})
    assert "space-shared" in badge and "&lt;b&gt;Evil&lt;/b&gt; + mediator" in badge
    assert "space-public" in f.space_badge("public")
    assert "space-private" in f.space_badge("party:UA", PARTIES)


def test_money_with_its_currency() -> None:
    assert f.money(Decimal("20000000000.00"), "EUR") == "€20,000,000,000"
    assert f.money(Decimal("1234.5"), "usd") == "US$1,234.50"
    assert f.money(20_000_000_000, "EUR", compact=True) == "€20 bn"
    assert f.money(1_500_000, "SEK", compact=True) == "SEK 1.5 m"
    assert f.money(-5, "GBP") == "−£5"
    assert f.money(None, "EUR") == "" and f.money(12) == "12"


@given(st.decimals(min_value=0, max_value=10**15, places=2, allow_nan=False))
def test_money_never_loses_the_currency_or_shows_an_exponent(amount: Decimal) -> None:
    text = f.money(amount, "UAH")
    assert text.startswith("₴") and "E" not in text
    assert Decimal(text[1:].replace(",", "")) == amount
