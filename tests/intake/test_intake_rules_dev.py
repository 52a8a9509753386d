"""Issue 17, second round: the rule patterns learned from the (former) held-out set
`tests/intake/heldout40`, now a development set. Every sentence here is written for this test
(illustrative); none is taken from a set that is scored."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from parley.intake.extract import extract
from parley.intake.people import normalise_title


def _meetings(text: str, published: date) -> set[tuple[str | None, str | None]]:
    return {
        (m.date.isoformat() if m.date else None, m.place)
        for m in extract(text, published=published).meetings
    }


def _pledges(text: str, published: date = date(2025, 12, 10)) -> list[tuple[str | None, int, str]]:
    return [(c.donor, c.amount, c.currency) for c in extract(text, published=published).commitments]


def _quotes(text: str) -> list[tuple[str, list[str]]]:
    return [(q.text, q.speakers) for q in extract(text, published=date(2025, 12, 10)).quotes]


# ---------------------------------------------------------------- meetings


def test_time_spent_with_someone_is_a_meeting() -> None:
    text = (
        "Envoys see Putin\n\n"
        "The two envoys spent four hours with Vladimir Putin in Moscow on Monday.\n"
    )
    assert _meetings(text, date(2025, 12, 10)) == {("2025-12-08", "Moscow")}
    sat = "Talks\n\nOn Tuesday, Marco Rubio sat with Rustem Umerov in Geneva.\n"
    assert _meetings(sat, date(2025, 12, 10)) == {("2025-12-09", "Geneva")}


def test_briefing_by_phone_is_a_call_and_a_briefing_in_person_is_no_meeting() -> None:
    call = "Call\n\nUmerov briefed Volodymyr Zelenskyy by phone on Tuesday.\n"
    assert _meetings(call, date(2025, 12, 10)) == {("2025-12-09", None)}
    briefing = (
        "Return\n\n"
        "Kirill Dmitriev, who met the envoys in Miami on Sunday, briefed Putin on Tuesday.\n"
    )
    assert _meetings(briefing, date(2025, 12, 10)) == {("2025-12-07", "Miami")}


def test_would_meet_is_ahead_and_a_past_verb_keeps_its_date_in_a_future_sentence() -> None:
    ahead = "Readout\n\nThe leaders agreed that their advisers would meet in Paris on Sunday.\n"
    assert _meetings(ahead, date(2025, 12, 10)) == {("2025-12-14", "Paris")}
    past = (
        "Update\n\nTalks will go on, and the advisers, who met the delegations in Rome on "
        "Monday, will be kept informed.\n"
    )
    assert _meetings(past, date(2025, 12, 10)) == {("2025-12-08", "Rome")}


def test_a_present_tense_meeting_verb_previews_a_meeting() -> None:
    text = "The week ahead\n\nMinisters gather in Warsaw for talks on Thursday.\n"
    assert _meetings(text, date(2025, 12, 13)) == {("2025-12-18", "Warsaw")}


def test_publishing_dates_and_talks_with_a_time_of_their_own_are_not_meeting_dates() -> None:
    issued = (
        "Readout\n\nAccording to a readout issued by the ministry on Wednesday, the sides "
        "discussed the content of the talks.\n"
    )
    assert _meetings(issued, date(2025, 12, 10)) == set()
    weekend = "Wire\n\nThe Kremlin said on Tuesday that weekend talks in Riyadh had been useful.\n"
    assert _meetings(weekend, date(2025, 12, 10)) == set()


def test_a_region_joins_the_city_of_the_same_day() -> None:
    text = (
        "Leaders to meet in Florida on Sunday\n\n"
        "Donald Trump will host Volodymyr Zelenskyy at Mar-a-Lago on Sunday.\n"
    )
    assert _meetings(text, date(2025, 12, 27)) == {("2025-12-28", "Mar-a-Lago")}
    travel = (
        "Envoy in Miami for talks\n\n"
        "He arrived in Florida on Friday, and the first meeting took place on Saturday.\n"
    )
    assert _meetings(travel, date(2025, 12, 21)) == {("2025-12-20", "Miami")}


def test_a_place_beside_the_same_date_elsewhere_and_a_recalled_place_as_last_resorts() -> None:
    beside = (
        "Statement\n\nThe leaders issued a statement in Rome on 3 December 2025.\n\n"
        "It was agreed after they met Volodymyr Zelenskyy at the palace on Wednesday.\n"
    )
    assert _meetings(beside, date(2025, 12, 4)) == {("2025-12-03", "Rome")}
    recalled = (
        "What was agreed\n\nLast week's meetings in Helsinki were long.\n\n"
        "Over Monday and Tuesday, the envoys sat with Zelenskyy at the chancery.\n"
    )
    assert _meetings(recalled, date(2025, 12, 13)) == {
        ("2025-12-08", "Helsinki"),
        ("2025-12-09", "Helsinki"),
    }


# ---------------------------------------------------------------- commitments


def test_a_recipient_or_counterpart_is_never_the_donor() -> None:
    text = (
        "Summit\n\nThe European Council agreed to provide Ukraine with a loan of EUR 40 billion "
        "for 2026 and 2027.\n"
    )
    assert _pledges(text) == [("European Union", 40_000_000_000, "EUR")]


def test_a_coordinated_amount_keeps_the_verbs_donor() -> None:
    text = (
        "Aid\n\nThe minister said Sweden will provide €1 billion in military aid to Ukraine and "
        "a loan of €300 million.\n"
    )
    assert _pledges(text) == [("Sweden", 1_000_000_000, "EUR"), ("Sweden", 300_000_000, "EUR")]


def test_a_baseline_and_a_total_with_its_parts_are_not_commitments() -> None:
    up = (
        "Budget\n\n"
        "Italy will increase its support to 3 billion euros next year, up from about 2 billion "
        "euros.\n"
    )
    assert _pledges(up) == [("Italy", 3_000_000_000, "EUR")]
    parts = (
        "Bank\n\nThe World Bank approved $900 million for Ukraine, including a $600 million "
        "grant funded by Norway and a $300 million loan guaranteed by Canada.\n"
    )
    assert sorted(_pledges(parts)) == [
        ("Canada", 300_000_000, "USD"),
        ("Norway", 600_000_000, "USD"),
    ]


def test_a_bare_dollar_in_a_release_from_ottawa_or_canberra_is_the_local_dollar() -> None:
    ottawa = (
        "Canada announces aid\nOttawa, 2 December 2025\n\n"
        "Canada will provide $300 million to Ukraine.\n"
    )
    assert _pledges(ottawa) == [("Canada", 300_000_000, "CAD")]
    wire = "Aid round-up\n\nWASHINGTON (Wire) - Canada will provide $300 million to Ukraine.\n"
    assert _pledges(wire) == [("Canada", 300_000_000, "USD")]
    canberra = "Canberra, 2 December 2025\n\nAustralia will give Ukraine $50 million.\n"
    assert _pledges(canberra) == [("Australia", 50_000_000, "AUD")]


def test_a_lenders_programme_is_a_commitment() -> None:
    text = (
        "Fund\n\nThe International Monetary Fund reached an agreement with Ukraine on a "
        "programme worth about $5 billion.\n"
    )
    assert _pledges(text) == [("International Monetary Fund", 5_000_000_000, "USD")]


def test_a_headline_figure_the_body_calls_a_sale_is_dropped() -> None:
    text = (
        "US approves $80 million sale to Ukraine\n\n"
        "WASHINGTON (Wire) - The State Department approved a possible sale of spare parts to "
        "Ukraine worth $80 million, to be paid for by Denmark.\n"
    )
    assert _pledges(text) == []


# ---------------------------------------------------------------- people and quotes


def test_a_title_with_the_offices_country_before_the_name() -> None:
    text = (
        "Readout\n\nPresident of Finland Alexander Stubb met Minister for Foreign Affairs of "
        "Ukraine Andrii Sybiha.\n"
    )
    people = {p.name: p.title for p in extract(text, published=date(2025, 12, 10)).people}
    assert people["Alexander Stubb"] == "president"
    assert people["Andrii Sybiha"] == "foreign minister"


@given(st.sampled_from(["Ukraine", "Moldova", "Georgia", "Armenia"]))
def test_a_possessive_inside_a_title_reads_as_the(country: str) -> None:
    assert normalise_title(f"head of {country}'s presidential office") == (
        "head of the presidential office"
    )
    assert normalise_title(f"secretary of {country}'s national security and defence council") == (
        "security council secretary"
    )


def test_then_before_an_apposition_title() -> None:
    text = (
        "Recap\n\nThe talks brought together Andriy Yermak, then head of the presidential "
        "office, and Marco Rubio.\n"
    )
    people = {p.name: p.title for p in extract(text, published=date(2025, 12, 10)).people}
    assert people["Andriy Yermak"] == "head of the presidential office"


def test_a_title_anaphor_means_the_latest_subject_who_holds_it() -> None:
    text = (
        "Readout\n\nPresident of Ukraine Volodymyr Zelenskyy said he will meet President of "
        "the United States Donald Trump on Sunday.\n\n"
        '"Much can be settled this year," the President said.\n'
    )
    assert _quotes(text) == [("Much can be settled this year,", ["Volodymyr Zelenskyy"])]


def test_a_question_quote_takes_the_attribution_that_follows() -> None:
    text = 'Brussels\n\n"If not now, when?" Kaja Kallas said after the meeting.\n'
    assert _quotes(text) == [("If not now, when?", ["Kaja Kallas"])]


def test_coordinated_parties_all_speak() -> None:
    text = (
        'US, Ukraine say talks made "real progress"\n\n'
        "GENEVA, Nov 24 (Wire) - The United States and Ukraine said on Monday they had made "
        '"real progress".\n'
    )
    speakers = [sorted(s) for _t, s in _quotes(text)]
    assert speakers == [["Ukraine", "United States"], ["Ukraine", "United States"]]
