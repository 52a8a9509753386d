"""Issue 17: meetings as events across a report, commitments that are commitments, statements
with every signatory, and merge candidates ranked by likelihood (pure engines)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from parley.intake import dates as dt
from parley.intake import money as mn
from parley.intake.extract import extract
from parley.intake.ranking import Candidate, rank, score


def _meetings(text: str, published: date) -> set[tuple[str | None, str | None]]:
    return {
        (m.date.isoformat() if m.date else None, m.place)
        for m in extract(text, published=published).meetings
    }


# ---------------------------------------------------------------- dates


def test_a_list_of_days_is_one_mention_per_day() -> None:
    found = dt.find_dates("consultations on 4, 5 and 6 December and on December 8 and 9, 2025")
    assert [(d.day, d.month) for d in found] == [(4, 12), (5, 12), (6, 12), (8, 12), (9, 12)]


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)), st.integers(0, 6))
def test_a_past_weekday_is_within_the_week_before_publication(published: date, wd: int) -> None:
    mention = dt.DateMention(0, 3, "Mon", (0, 3), weekday=wd)
    day = dt.resolve(mention, published, "past")
    assert day is not None and day.weekday() == wd
    assert published - timedelta(days=6) <= day <= published


# ---------------------------------------------------------------- meetings


def test_the_place_is_carried_to_later_mentions_and_the_dateline_is_context() -> None:
    text = (
        "Talks end in Florida\n\n"
        "MIAMI, Dec 7 (Wire) - Three days of talks between the delegations ended on Saturday.\n\n"
        "The delegations first met on Thursday and held a second day of talks on Friday.\n\n"
        "Earlier in the week, on Tuesday, the envoys held talks with Vladimir Putin at the "
        "Kremlin.\n"
    )
    assert _meetings(text, date(2025, 12, 7)) == {
        ("2025-12-06", "Miami"),
        ("2025-12-04", "Miami"),
        ("2025-12-05", "Miami"),
        ("2025-12-02", "Kremlin"),
    }


def test_a_reporting_date_is_not_the_meetings_date() -> None:
    text = (
        "Envoy briefs on talks\n\n"
        "Rustem Umerov said on Saturday that Thursday's meeting with the US envoys in Miami had "
        "been constructive.\n"
    )
    assert _meetings(text, date(2025, 12, 6)) == {("2025-12-04", "Miami")}


def test_the_second_day_follows_the_first_and_a_call_has_no_place() -> None:
    text = (
        "Berlin talks\n\n"
        "Friedrich Merz hosted the talks in Berlin on Sunday.\n\n"
        "The second day of talks brought more progress.\n\n"
        "Donald Trump spoke by phone with Emmanuel Macron on Monday.\n"
    )
    assert _meetings(text, date(2025, 12, 16)) == {
        ("2025-12-14", "Berlin"),
        ("2025-12-15", "Berlin"),
        ("2025-12-15", None),
    }


# ---------------------------------------------------------------- commitments


def _pledges(text: str) -> list[tuple[str | None, int, str]]:
    result = extract(text, published=date(2025, 12, 10))
    return [(c.donor, c.amount, c.currency) for c in result.commitments]


def test_each_offered_is_one_commitment_per_donor() -> None:
    assert _pledges("Japan and South Korea have each offered $1 billion to Ukraine.\n") == [
        ("Japan", 1_000_000_000, "USD"),
        ("South Korea", 1_000_000_000, "USD"),
    ]


def test_estimates_costs_assets_and_totals_are_not_commitments() -> None:
    text = (
        "Officials estimate the damage at $2 billion.\n\n"
        "The EU approved a plan on frozen assets worth 210 billion euros.\n\n"
        "Canada has committed more than $22 billion to Ukraine since 2022.\n\n"
        "The State Department approved a sale of equipment worth $105 million.\n"
    )
    assert _pledges(text) == []


def test_a_loan_in_two_currencies_is_one_commitment_with_its_instrument() -> None:
    result = extract(
        "Britain will lend Ukraine £2.26 billion, or about $2.9 billion, over 2025-26.\n\n"
        "Sweden will give military aid worth 40 billion kronor (€3.6 billion) in 2026.\n",
        published=date(2025, 12, 10),
    )
    uk, se = result.commitments
    assert (uk.donor, uk.amount, uk.currency, uk.alt_amount, uk.alt_currency) == (
        "United Kingdom",
        2_260_000_000,
        "GBP",
        2_900_000_000,
        "USD",
    )
    assert (uk.instrument, uk.period) == ("loan", "2025-2026")
    assert (se.currency, se.alt_currency, se.instrument) == ("SEK", "EUR", "military aid")


def test_the_donor_of_a_funded_grant_and_of_danish_kroner() -> None:
    assert _pledges(
        "The board approved a $700 million grant funded by Japan.\n\n"
        "Denmark will give 1.3 billion kroner ($200 million) for drones.\n"
    ) == [("Japan", 700_000_000, "USD"), ("Denmark", 1_300_000_000, "DKK")]


def test_money_reads_roubles_and_an_or_alternative() -> None:
    (m,) = mn.find_money("claims of 18.2 trillion roubles, or about $230 billion, in damages")
    assert (m.amount, m.currency, m.alt_amount, m.alt_currency) == (
        18_200_000_000_000,
        "RUB",
        230_000_000_000,
        "USD",
    )


# ---------------------------------------------------------------- statements


def test_a_joint_statement_has_every_signatory_its_date_and_place() -> None:
    text = (
        "Joint statement on the consultations\n\n"
        "The following joint statement was issued in Miami on Saturday by US Special Envoy Steve "
        "Witkoff, Jared Kushner and Rustem Umerov, Ukraine's chief negotiator:\n\n"
        "“Both sides agreed that progress depends on Russia.”\n"
    )
    result = extract(text, published=date(2025, 12, 8))
    (statement,) = result.statements
    assert statement.kind == "joint_statement"
    assert statement.people == ["Steve Witkoff", "Jared Kushner", "Rustem Umerov"]
    assert set(statement.parties) == {"United States", "Ukraine"}
    assert (statement.date, statement.place) == (date(2025, 12, 6), "Miami")
    (quote,) = result.quotes
    assert quote.speakers == statement.people and quote.kind == "joint_statement"


def test_a_communique_after_a_call_takes_the_calls_date_and_a_readout_its_government() -> None:
    text = (
        "Leaders confer\n\n"
        "On 25 November 2025, the leaders met by video conference.\n\n"
        "In a joint communique issued after the call, the United Kingdom, France, Germany and "
        "Italy said they would keep supporting Ukraine.\n\n"
        "According to the readout issued by the Kremlin on Wednesday, the sides talked.\n"
    )
    result = extract(text, published=date(2025, 11, 27))
    by_kind = {s.kind: s for s in result.statements}
    communique = by_kind["communique"]
    assert communique.parties == ["United Kingdom", "France", "Germany", "Italy"]
    assert (communique.date, communique.place) == (date(2025, 11, 25), None)
    assert by_kind["readout"].parties == ["Russia"] and by_kind["readout"].people == []
    assert by_kind["readout"].date == date(2025, 11, 26)


def test_talks_with_a_party_do_not_make_it_a_signatory() -> None:
    text = (
        "Statement\n\n"
        "Steve Witkoff and Rustem Umerov said in a joint statement that talks with Russia "
        "would continue.\n"
    )
    (statement,) = extract(text, published=date(2025, 12, 21)).statements
    assert set(statement.parties) == {"United States", "Ukraine"}


# ---------------------------------------------------------------- ranking


def test_candidates_are_ranked_by_likelihood_not_by_name() -> None:
    people = [
        Candidate("1", "Aaron Abbott", ("Aaron Abbott",)),
        Candidate("2", "Kushner, Jared", ("Jared Kushner",), party="United States"),
        Candidate("3", "Witkoff", ("Steven Witkoff", "Witkoff"), party="United States"),
    ]
    payload = {"name": "Steve Witkoff", "party": "United States"}
    assert [c.id for c in rank("person", payload, people)] == ["3", "2", "1"]
    meetings = [
        Candidate("a", "Geneva round", ("Geneva round",), day=date(2025, 11, 23), place="Geneva"),
        Candidate("b", "Miami round", ("Miami round",), day=date(2025, 12, 6), place="Miami"),
    ]
    assert rank("meeting", {"date": "2025-12-05", "place": "Miami"}, meetings)[0].id == "b"


@given(st.text(min_size=1, max_size=30), st.lists(st.text(max_size=30), max_size=6))
def test_ranking_is_a_permutation_and_an_exact_name_scores_highest(
    name: str, others: list[str]
) -> None:
    cands = [Candidate(str(i), o or "x", (o,)) for i, o in enumerate(others)]
    exact = Candidate("exact", name, (name,))
    ranked = rank("party", {"name": name}, [*cands, exact])
    assert sorted(c.id for c in ranked) == sorted(c.id for c in [*cands, exact])
    top = score("party", {"name": name}, ranked[0])
    assert score("party", {"name": name}, exact) == top
