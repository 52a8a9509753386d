"""Extraction end to end on short reports, the Miami report, and warnings across sources."""

from datetime import date
from pathlib import Path

from parley.intake.extract import cross_source_warnings, extract
from parley.intake.gazetteer import Gazetteer

GOLD = Path(__file__).parent / "gold"
MIAMI = (GOLD / "01_miami_round.txt").read_text(encoding="utf-8")


def sentence(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


def test_the_miami_report_proposes_the_meeting_statements_and_pledge_and_flags_the_weekday() -> (
    None
):
    result = extract(MIAMI, published=date(2025, 12, 23))

    meeting = next(m for m in result.meetings if m.date == date(2025, 12, 22))
    assert meeting.place == "Miami"
    assert meeting.format == "proximity"
    assert "Steve Witkoff" in meeting.participants
    assert sentence(MIAMI, meeting.evidence).startswith(
        "On Sunday, December 22, 2025, Witkoff held separate sessions"
    )

    joint = [q for q in result.quotes if q.kind == "joint_statement"]
    assert len(joint) == 2
    assert all(q.speakers == ["Steve Witkoff", "Rustem Umerov"] for q in joint)
    assert joint[0].text.startswith("Most of the time went on timelines")

    (pledge,) = result.commitments
    assert (pledge.donor, pledge.recipient) == ("European Union", "Ukraine")
    assert (pledge.amount, pledge.currency, pledge.period) == (100_000_000_000, "USD", "2026-2027")
    assert sentence(MIAMI, pledge.evidence) == (
        "Over the next two years, the European Union has pledged to provide "
        "$100 billion to Ukraine."
    )

    weekday = [w for w in result.warnings if w.kind == "weekday_mismatch"]
    assert [(w.text, w.detail) for w in weekday] == [
        ("Sunday, December 22, 2025", "2025-12-22 was a Monday")
    ]
    assert sentence(MIAMI, weekday[0].evidence) == "Sunday, December 22, 2025"

    assert {d.name for d in result.documents} == {
        "20-point peace plan",
        "Multilateral security guarantee framework",
        "US security guarantee framework",
        "Economic and prosperity plan",
    }
    (demand,) = result.demands
    assert demand.party == "Russia" and demand.kind == "sticking_point"


def test_every_evidence_span_is_a_sentence_of_the_text() -> None:
    result = extract(MIAMI, published=date(2025, 12, 23)).to_dict()
    for field in ("meetings", "quotes", "documents", "commitments", "demands"):
        for item in result[field]:
            start, end = item["evidence"]
            assert 0 <= start < end <= len(MIAMI)
            piece = MIAMI[start:end]
            assert piece == piece.strip() and "\n\n" not in piece
            assert 0 < item["confidence"] <= 1
    for person in result["people"]:
        for start, end in person["mentions"]:
            assert MIAMI[start:end] in person["name"] or person["name"].endswith(MIAMI[start:end])


def test_tense_decides_which_side_of_publication_a_weekday_falls() -> None:
    text = (
        "Umerov will meet Witkoff in Miami on Thursday.\n\n"
        "Dmitriev met Witkoff in Geneva on Sunday.\n"
    )
    result = extract(text, published=date(2025, 12, 23))  # a Tuesday
    assert [(m.date, m.place) for m in result.meetings] == [
        (date(2025, 12, 25), "Miami"),
        (date(2025, 12, 21), "Geneva"),
    ]


def test_a_phone_call_has_no_place_and_the_call_format() -> None:
    text = "Trump and Putin spoke by phone on Thursday and agreed to meet in Budapest.\n"
    (call,) = extract(text, published=date(2025, 10, 17)).meetings
    assert (call.date, call.place, call.format) == (date(2025, 10, 16), None, "call")


def test_seats_of_government_map_to_parties_and_a_new_person_is_proposed_as_new() -> None:
    text = (
        "The Kremlin said Moscow was ready. Ambassador-at-large Marta Kovalenko, "
        "Ukraine's chief negotiator, "
        "flew to Brussels, and Kovalenko said Kyiv was hopeful.\n"
    )
    result = extract(text, published=date(2025, 12, 23))
    parties = {p.name: p for p in result.parties}
    assert len(parties["Russia"].mentions) == 2
    assert parties["Ukraine"].known and "European Union" in parties
    (new,) = [p for p in result.people if not p.known]
    assert (new.name, new.title, new.party) == ("Marta Kovalenko", "chief negotiator", "Ukraine")
    assert len(new.mentions) == 2


def test_a_title_that_contradicts_the_record_is_flagged() -> None:
    text = "Secretary of State Steve Witkoff met Vladimir Putin in Moscow on Tuesday.\n"
    result = extract(text, published=date(2025, 12, 3))
    (warning,) = result.warnings
    assert warning.kind == "title_mismatch"
    assert warning.text == "Secretary of State Steve Witkoff"
    assert "special envoy" in warning.detail


def test_an_empty_gazetteer_still_finds_people_but_as_new() -> None:
    text = "US Special Envoy Steve Witkoff met Rustem Umerov in Miami on Sunday.\n"
    result = extract(text, published=date(2025, 12, 23), gazetteer=Gazetteer())
    names = {p.name: p for p in result.people}
    assert names["Steve Witkoff"].title == "special envoy" and not names["Steve Witkoff"].known


def test_amounts_that_disagree_between_sources_are_flagged_once_each() -> None:
    a = extract(
        "The EU has pledged $100bn to Kyiv over the next two years.\n",
        published=date(2025, 12, 21),
    )
    b = extract(
        "EU leaders agreed to lend Ukraine 90 billion euros ($106 billion) for 2026-27.\n",
        published=date(2025, 12, 19),
    )
    c = extract(
        "The EU pledged €2.3bn for energy repairs in Ukraine.\n", published=date(2025, 7, 11)
    )
    same = extract(
        "The European Union pledged $100 billion to Kyiv, spread over the next two years.\n",
        published=date(2025, 12, 23),
    )
    warnings = cross_source_warnings([a, b, c, same])
    assert sorted(i for i, _ in warnings) == [0, 1, 1, 3]
    assert all(w.kind == "amount_mismatch" for _, w in warnings)
    assert "6%" in warnings[0][1].detail


def test_the_json_has_the_issue_shape() -> None:
    data = extract(MIAMI, published=date(2025, 12, 23)).to_dict()
    assert list(data) == [
        "source",
        "people",
        "parties",
        "meetings",
        "quotes",
        "documents",
        "commitments",
        "demands",
        "statements",
        "warnings",
    ]
    assert {"title", "published", "url"} <= set(data["source"])
    assert {"name", "title", "party", "mentions"} <= set(data["people"][0])
    assert {"date", "date_text", "place", "participants", "format", "evidence"} <= set(
        data["meetings"][0]
    )
    assert {"speaker", "text", "evidence"} <= set(data["quotes"][0])
    assert {"donor", "recipient", "amount", "currency", "period", "evidence"} <= set(
        data["commitments"][0]
    )
    assert {"kind", "text", "detail", "evidence"} <= set(data["warnings"][0])
