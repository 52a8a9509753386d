"""Amounts normalised to integers with ISO currency codes; periods as year ranges."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.intake.money import find_money, find_period


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("€90 billion", 90_000_000_000, "EUR"),
        ("$100bn", 100_000_000_000, "USD"),
        ("£2.5bn", 2_500_000_000, "GBP"),
        ("€700m", 700_000_000, "EUR"),
        ("$500 million", 500_000_000, "USD"),
        ("90 billion euros", 90_000_000_000, "EUR"),
        ("1.5 billion pounds", 1_500_000_000, "GBP"),
        ("NOK 85 billion", 85_000_000_000, "NOK"),
        ("C$2 billion", 2_000_000_000, "CAD"),
        ("US$4.25 billion", 4_250_000_000, "USD"),
        ("$1,200,000", 1_200_000, "USD"),
    ],
)
def test_amount_formats(text: str, amount: int, currency: str) -> None:
    (money,) = find_money(f"They pledged {text} on Friday.")
    assert (money.amount, money.currency) == (amount, currency)


def test_both_figures_are_kept() -> None:
    (money,) = find_money("to lend Ukraine 90 billion euros ($106 billion) for 2026-27")
    assert (money.amount, money.currency) == (90_000_000_000, "EUR")
    assert (money.alt_amount, money.alt_currency) == (106_000_000_000, "USD")
    assert money.text == "90 billion euros ($106 billion)"
    (approx,) = find_money("NOK 85 billion (about $8.4bn) for Ukraine")
    assert approx.alt_amount == 8_400_000_000


def test_counts_are_not_money() -> None:
    assert find_money("exchange 1,200 prisoners and cap the army at 600,000 troops") == []


@pytest.mark.parametrize(
    ("text", "published", "period"),
    [
        ("over the next two years", date(2025, 12, 23), "2026-2027"),
        ("over the next three years", date(2026, 2, 4), "2026-2028"),
        ("for 2026-27", date(2025, 12, 19), "2026-2027"),
        ("for 2026–2028", date(2025, 12, 19), "2026-2028"),
        ("in 2026", date(2025, 12, 9), "2026"),
        ("next year", date(2025, 12, 11), "2026"),
        ("this year", date(2025, 7, 11), "2025"),
    ],
)
def test_periods(text: str, published: date, period: str) -> None:
    found = find_period(f"the money {text}.", published)
    assert found is not None and found[0] == period


@settings(max_examples=400, derandomize=True)
@given(
    whole=st.integers(1, 999),
    tenths=st.integers(0, 9),
    scale=st.sampled_from([("billion", 10**9), ("bn", 10**9), ("million", 10**6), ("m", 10**6)]),
    symbol=st.sampled_from([("$", "USD"), ("€", "EUR"), ("£", "GBP")]),
)
def test_any_written_amount_parses_back_exactly(
    whole: int, tenths: int, scale: tuple, symbol: tuple
) -> None:
    word, factor = scale
    sym, code = symbol
    space = " " if len(word) > 2 else ""
    (money,) = find_money(f"A pledge of {sym}{whole}.{tenths}{space}{word} was made.")
    assert money.currency == code
    assert money.amount == (whole * 10 + tenths) * factor // 10
