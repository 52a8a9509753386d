"""Dates resolved against the publication date, with tense; weekday checks."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.intake.dates import WEEKDAYS, find_dates, resolve, weekday_mismatch

TUESDAY = date(2025, 12, 23)


def one(text: str):
    found = find_dates(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "tense", "expected"),
    [
        ("met on Sunday", "past", date(2025, 12, 21)),
        ("will meet on Thursday", "future", date(2025, 12, 25)),
        ("talks on Tuesday", "past", TUESDAY),  # the publication day counts
        ("talks on Tuesday", "future", TUESDAY),
        ("last Tuesday", "past", date(2025, 12, 16)),
        ("next Tuesday", "future", date(2025, 12, 30)),
        ("today", "past", TUESDAY),
        ("yesterday", "past", date(2025, 12, 22)),
        ("tomorrow", "future", date(2025, 12, 24)),
        ("on December 22, 2025", "past", date(2025, 12, 22)),
        ("on 22 December 2025", "past", date(2025, 12, 22)),
        ("on Jan. 9", "future", date(2026, 1, 9)),  # the year rolls over for a future date
        ("on 20 December", "past", date(2025, 12, 20)),
        ("15.12.2025", "past", date(2025, 12, 15)),
        ("2025-12-15", "past", date(2025, 12, 15)),
    ],
)
def test_resolution_against_the_publication_date(text: str, tense: str, expected: date) -> None:
    assert resolve(one(text), TUESDAY, tense) == expected


def test_a_wrong_weekday_is_caught_and_a_right_one_is_not() -> None:
    wrong = one("On Sunday, December 22, 2025, the envoys met.")
    assert weekday_mismatch(wrong, None) == (date(2025, 12, 22), "Monday")
    right = one("Tuesday, December 30, 2025")
    assert weekday_mismatch(right, None) is None
    no_year = one("on Tuesday, Jan. 6")
    assert weekday_mismatch(no_year, date(2026, 1, 9)) is None


def test_numbers_that_are_not_dates_are_ignored() -> None:
    assert find_dates("1,200 prisoners and 20-point plans in 1995, at 3 a.m.") == []


def test_relative_dates_need_a_publication_date() -> None:
    assert resolve(one("on Thursday"), None) is None
    assert resolve(one("on December 22, 2025"), None) == date(2025, 12, 22)


def reference(published: date, weekday: int, tense: str) -> date:
    """Walk day by day: the nearest day with that weekday on the tense's side of publication."""
    step = 1 if tense == "future" else -1
    day = published
    while day.weekday() != weekday:
        day += timedelta(days=step)
    return day


@settings(max_examples=400, derandomize=True)
@given(
    published=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    weekday=st.integers(0, 6),
    tense=st.sampled_from(["past", "future"]),
)
def test_weekday_resolution_matches_a_day_by_day_walk(
    published: date, weekday: int, tense: str
) -> None:
    mention = one(f"on {WEEKDAYS[weekday]}")
    got = resolve(mention, published, tense)
    assert got == reference(published, weekday, tense)
    assert abs((got - published).days) <= 6


@settings(max_examples=300, derandomize=True)
@given(
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), wrong=st.integers(1, 6)
)
def test_every_written_weekday_is_checked(day: date, wrong: int) -> None:
    written = WEEKDAYS[(day.weekday() + wrong) % 7]
    mention = one(f"{written}, {day.strftime('%B')} {day.day}, {day.year}")
    assert weekday_mismatch(mention, None) == (day, WEEKDAYS[day.weekday()])
    same = one(f"{WEEKDAYS[day.weekday()]} {day.day} {day.strftime('%B')} {day.year}")
    assert weekday_mismatch(same, None) is None
