"""The review queue's services on SQLite and PostgreSQL: storing reports once, proposing,
accepting into records with evidence, merging, editing, rejecting, and who may do what."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from intake.test_service_fixtures import (
    MIAMI_REPORT,
    SYSTEM,
    miami_engine_fixture,  # noqa: F401  (a fixture)
    miami_url_fixture,  # noqa: F401  (a fixture)
    process_of,
    proposals,
    take_in,
    user_actor,
)
from parley.audit.models import AuditEvent
from parley.authz import Actor, NotFound
from parley.authz.permissions import Forbidden
from parley.commitments.models import Commitment
from parley.db.engine import read_session, write_session
from parley.intake.gazetteer_db import gazetteer_data, readable_by_all_of
from parley.intake.models import Evidence, Proposal, ProposalStatus, Source
from parley.intake.review import (
    AlreadyReviewed,
    ReviewError,
    ReviewResult,
    accept_proposal,
    bulk_review,
    edit_proposal,
    merge_proposal,
    reject_proposal,
)
from parley.intake.service import IntakeError, check_space
from parley.positions.models import StickingPoint
from parley.processes.models import Person, PersonTitle
from parley.sessions.models import Meeting, MeetingParticipant, Statement, StatementSpeaker

REPORT = MIAMI_REPORT.read_text(encoding="utf-8")


def _accept(engine: sa.Engine, actor: Actor, key: str, proposal: Proposal) -> ReviewResult:
    with write_session(engine) as session:
        return accept_proposal(
            session, actor=actor, process=process_of(engine, key), proposal_id=proposal.id
        )


def _one(engine: sa.Engine, source_id: object, of: str, /, **match: object) -> Proposal:
    """The one proposal of kind ``of`` whose payload has the ``match`` values."""
    found = [
        p
        for p in proposals(engine, source_id, of)
        if all(p.payload.get(k) == v for k, v in match.items())
    ]
    assert len(found) == 1, (of, match, [p.payload for p in proposals(engine, source_id, of)])
    return found[0]


# ---------------------------------------------------------------- intake


def test_the_miami_report_proposes_meeting_statements_pledge_and_warns_of_the_weekday(
    small_engine: sa.Engine,
) -> None:
    outcome = take_in(small_engine, SYSTEM, "small", REPORT)
    assert outcome.status == "stored" and outcome.space == "public"
    sid = outcome.source_id
    with read_session(small_engine) as session:
        source = session.get(Source, sid)
        assert source is not None and source.text.startswith("Miami round ends")
        assert source.published_on == date(2025, 12, 23) and source.space == "public"

    meeting = _one(small_engine, sid, "meeting", date="2025-12-22")
    assert meeting.payload["place"] == "Miami" and meeting.payload["format"] == "proximity"
    assert "December 22, 2025" in source.text[meeting.start : meeting.end]

    quotes = {p.payload["text"]: p for p in proposals(small_engine, sid, "quote")}
    assert quotes["historic"].payload["speaker"] == "Volodymyr Zelenskyy"
    joint = next(q for t, q in quotes.items() if t.startswith("Most of the time"))
    assert joint.payload["speaker"] == "Steve Witkoff"
    assert joint.payload["kind"] == "joint_statement"

    pledge = _one(small_engine, sid, "commitment")
    assert (pledge.payload["amount"], pledge.payload["currency"]) == (100000000000, "USD")
    assert pledge.payload["period"] == "2026-2027"
    assert "$100 billion" in source.text[pledge.start : pledge.end]

    weekday = _one(small_engine, sid, "warning", kind="weekday_mismatch")
    assert weekday.payload["detail"] == "2025-12-22 was a Monday"
    assert source.text[weekday.start : weekday.end] == "Sunday, December 22, 2025"
    assert weekday.status == ProposalStatus.PENDING and weekday.space == "public"
    for p in proposals(small_engine, sid):
        assert 0 <= p.start < p.end <= len(source.text) and 0 <= p.confidence <= 1


def test_a_report_is_stored_once_per_space_exact_or_near_copy(small_engine: sa.Engine) -> None:
    first = take_in(small_engine, SYSTEM, "small", REPORT)
    again = take_in(small_engine, SYSTEM, "small", REPORT)
    assert again.status == "duplicate" and again.duplicate_of == first.source_id
    near = REPORT.replace("Miami round ends", "Talks in Miami end") + "\n(c) Illustrative Wire\n"
    reworded = take_in(small_engine, SYSTEM, "small", near)
    assert reworded.status == "duplicate" and reworded.duplicate_of == first.source_id
    # A delegation's private copy is its own: the public one neither blocks nor shows in it.
    alpha = user_actor(small_engine, "alpha")
    private = take_in(small_engine, alpha, "small", REPORT)
    assert private.status == "stored" and private.space == "party:AAA"
    with read_session(small_engine) as session:
        assert (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Source)
                .where(Source.content_hash == session.get(Source, first.source_id).content_hash)
            )
            == 2
        )
        count = session.scalar(
            sa.select(sa.func.count())
            .select_from(Proposal)
            .where(Proposal.source_id == first.source_id)
        )
    assert count == first.proposals  # the duplicates added no proposals


def test_the_gazetteer_only_uses_records_every_reader_of_the_space_sees(
    miami_engine: sa.Engine,
) -> None:
    assert readable_by_all_of("public", ["UA", "RU"]) == ["public"]
    assert set(readable_by_all_of("party:UA", ["UA", "RU"])) == {
        "public",
        "participants",
        "party:UA",
        "party:UA+mediator",
    }
    assert "party:RU+mediator" in readable_by_all_of("mediator", ["UA", "RU"])
    with write_session(miami_engine) as session:
        process = process_of(miami_engine, "miami-2025")
        session.add(
            Person(
                process_id=process.id,
                key="secret-envoy",
                name="Orla Quayle",
                aliases=[],
                space="mediator",
            )
        )
    with read_session(miami_engine) as session:
        public = gazetteer_data(session, actor=SYSTEM, process_id=process.id, space="public")
        mediator = gazetteer_data(session, actor=SYSTEM, process_id=process.id, space="mediator")
        ukraine = user_actor(miami_engine, "ukraine")
        own = gazetteer_data(session, actor=ukraine, process_id=process.id, space="party:UA")
    names = {p["name"] for p in public["people"]}
    assert "Steve Witkoff" in names and "Orla Quayle" not in names
    assert "Orla Quayle" in {p["name"] for p in mediator["people"]}
    assert "Orla Quayle" not in {p["name"] for p in own["people"]}
    russia = next(p for p in public["parties"] if p["name"] == "Russia")
    assert "the Kremlin" in russia["aliases"] and "Russian" in russia["adjectives"]
    witkoff = next(p for p in public["people"] if p["name"] == "Steve Witkoff")
    assert witkoff["titles"] == ["US Special Envoy"] and witkoff["party"] == "United States"
    assert "20-point peace plan" in {d["name"] for d in public["documents"]}


def test_intake_into_the_miami_record_knows_its_people_parties_documents_and_pledges(
    miami_engine: sa.Engine,
) -> None:
    outcome = take_in(miami_engine, SYSTEM, "miami-2025", REPORT)
    sid = outcome.source_id
    pledge = _one(miami_engine, sid, "commitment")
    assert pledge.payload["donor"] == "European Union" and pledge.payload["recipient"] == "Ukraine"
    assert _one(miami_engine, sid, "person", name="Steve Witkoff").payload["known"] is True
    assert _one(miami_engine, sid, "document", name="20-point peace plan").payload["known"]
    assert _one(miami_engine, sid, "warning", kind="weekday_mismatch")
    # The record says Umerov is Secretary of the NSDC; the report calls him chief negotiator.
    mismatch = [
        w.payload["text"]
        for w in proposals(miami_engine, sid, "warning")
        if w.payload["kind"] == "title_mismatch"
    ]
    assert any("Umerov" in text for text in mismatch)

    # A second report that gives the stored pledge differently is flagged.
    other = (
        "EU agrees Ukraine package\nPublished 24 December 2025\n\n"
        "The European Union pledged 90 billion euros ($120 billion) to Ukraine for 2026-27, "
        "officials said. This illustrative report was written for Parley.\n"
    )
    outcome = take_in(miami_engine, SYSTEM, "miami-2025", other)
    warning = _one(miami_engine, outcome.source_id, "warning", kind="amount_mismatch")
    assert "Miami round ends" in warning.payload["detail"]


# ---------------------------------------------------------------- accepting


def test_accepting_creates_records_linked_to_the_source_by_the_exact_span(
    small_engine: sa.Engine,
) -> None:
    sid = take_in(small_engine, SYSTEM, "small", REPORT).source_id
    # People first, so that the meeting and the statements find them.
    for name in ("Steve Witkoff", "Volodymyr Zelenskyy"):
        result = _accept(
            small_engine, SYSTEM, "small", _one(small_engine, sid, "person", name=name)
        )
        assert result.created and result.record_type == "people"
    meeting = _one(small_engine, sid, "meeting", date="2025-12-22")
    quote = _one(small_engine, sid, "quote", text="historic")
    joint = next(
        q for q in proposals(small_engine, sid, "quote") if q.payload["kind"] == "joint_statement"
    )
    pledge = _one(small_engine, sid, "commitment")
    demand = _one(small_engine, sid, "demand")
    results = {
        p.kind + str(p.start): _accept(small_engine, SYSTEM, "small", p)
        for p in (meeting, quote, joint, pledge, demand)
    }
    assert all(r.status == "accepted" and r.created for r in results.values())

    with read_session(small_engine) as session:
        source = session.get(Source, sid)
        talk = session.get(Meeting, results[f"meeting{meeting.start}"].record_id)
        assert talk.place == "Miami" and talk.format == "proximity" and talk.status == "held"
        assert talk.starts_at.date() == date(2025, 12, 22) and talk.space == "public"
        participants = session.scalars(
            sa.select(MeetingParticipant.person_id).where(MeetingParticipant.session_id == talk.id)
        ).all()
        witkoff = session.scalars(sa.select(Person).where(Person.name == "Steve Witkoff")).one()
        assert witkoff.id in participants
        assert session.scalars(
            sa.select(PersonTitle.title).where(PersonTitle.person_id == witkoff.id)
        ).all() == ["special envoy"]

        said = session.get(Statement, results[f"quote{quote.start}"].record_id)
        assert said.text == "historic" and said.kind == "unilateral" and said.status == "published"
        assert said.made_on == date(2025, 12, 23)
        zelenskyy = session.scalars(
            sa.select(Person).where(Person.name == "Volodymyr Zelenskyy")
        ).one()
        assert session.scalars(
            sa.select(StatementSpeaker.person_id).where(StatementSpeaker.statement_id == said.id)
        ).all() == [zelenskyy.id]
        both = session.get(Statement, results[f"quote{joint.start}"].record_id)
        assert both.kind == "press"  # a reported joint statement, with both speakers
        assert len(
            session.scalars(
                sa.select(StatementSpeaker).where(StatementSpeaker.statement_id == both.id)
            ).all()
        ) == len(joint.payload["speakers"])

        commitment = session.get(Commitment, results[f"commitment{pledge.start}"].record_id)
        assert commitment.amount == Decimal(100000000000) and commitment.currency == "USD"
        assert (commitment.period_start, commitment.period_end) == (
            date(2026, 1, 1),
            date(2027, 12, 31),
        )
        assert commitment.kind == "pledge" and commitment.status == "pledged"
        point = session.get(StickingPoint, results[f"demand{demand.start}"].record_id)
        assert "Donbas" in point.name and point.is_open

        for p in (meeting, quote, pledge, demand):
            link = session.get(Evidence, results[p.kind + str(p.start)].evidence_id)
            assert (link.source_id, link.start, link.end) == (sid, p.start, p.end)
            assert (
                link.space == "public"
                and link.object_id == results[p.kind + str(p.start)].record_id
            )
        assert "$100 billion" in source.text[pledge.start : pledge.end]
        reviewed = session.get(Proposal, pledge.id)
        assert reviewed.status == "accepted" and reviewed.record_id == commitment.id
        actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert {
        "intake:source:create",
        "intake:proposal:create",
        "intake:proposal:accept",
        "intake:evidence:link",
        "session:create",
        "statement:create",
        "commitment:create",
        "process:person:create",
        "position:sticking-point:create",
    } <= actions


def test_accepting_into_the_miami_record_updates_what_it_matches(miami_engine: sa.Engine) -> None:
    ukraine = user_actor(miami_engine, "ukraine")
    outcome = take_in(miami_engine, ukraine, "miami-2025", REPORT)
    assert outcome.space == "party:UA"
    pledge = _accept(
        miami_engine, ukraine, "miami-2025", _one(miami_engine, outcome.source_id, "commitment")
    )
    meeting = _accept(
        miami_engine,
        ukraine,
        "miami-2025",
        _one(miami_engine, outcome.source_id, "meeting", date="2025-12-22"),
    )
    person = _accept(
        miami_engine,
        ukraine,
        "miami-2025",
        _one(miami_engine, outcome.source_id, "person", name="Rustem Umerov"),
    )
    with read_session(miami_engine) as session:
        eu = session.scalars(sa.select(Commitment).where(Commitment.key == "eu-100bn")).one()
        round_ = session.scalars(sa.select(Meeting).where(Meeting.key == "miami-round")).one()
        assert (pledge.record_id, pledge.created) == (eu.id, False)
        assert (meeting.record_id, meeting.created) == (round_.id, False)
        # Umerov is a public person: Ukraine may not change him, only link its evidence.
        assert person.read_only and not person.created and "title" not in person.filled
        link = session.get(Evidence, pledge.evidence_id)
        assert link.space == "party:UA" and link.object_type == "commitments"


def test_merging_adds_evidence_fills_empty_fields_and_keeps_the_name_as_alias(
    small_engine: sa.Engine,
) -> None:
    sid = take_in(small_engine, SYSTEM, "small", REPORT).source_id
    with read_session(small_engine) as session:
        envoy = session.scalars(sa.select(Person).where(Person.key == "envoy")).one()
        round1 = session.scalars(sa.select(Meeting).where(Meeting.key == "round1")).one()
    process = process_of(small_engine, "small")
    with write_session(small_engine) as session:
        result = merge_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=_one(small_engine, sid, "person", name="Steve Witkoff").id,
            record_id=envoy.id,
        )
    assert result.status == "merged" and result.record_id == envoy.id and not result.created
    with read_session(small_engine) as session:
        merged = session.get(Person, envoy.id)
        assert "Steve Witkoff" in merged.aliases and merged.name == "Ada Envoy"
        titles = session.scalars(
            sa.select(PersonTitle.title).where(PersonTitle.person_id == envoy.id)
        ).all()
        assert set(titles) == {"Special Envoy"}  # "special envoy" is held already
    # round1 is in participants: a public proposal may not point at it.
    with (
        pytest.raises(ReviewError, match="record_id: that record is in a narrower space"),
        write_session(small_engine) as session,
    ):
        merge_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=_one(small_engine, sid, "meeting", date="2025-12-22").id,
            record_id=round1.id,
        )
    with (
        pytest.raises(ReviewError, match="record_id: no such record"),
        write_session(small_engine) as session,
    ):
        merge_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=_one(small_engine, sid, "demand").id,
            record_id=envoy.id,
        )


def test_editing_before_accepting_and_reviewing_only_once(small_engine: sa.Engine) -> None:
    sid = take_in(small_engine, SYSTEM, "small", REPORT).source_id
    process = process_of(small_engine, "small")
    meeting = _one(small_engine, sid, "meeting", date="2025-12-20")
    with pytest.raises(ReviewError, match="^date: "), write_session(small_engine) as session:
        edit_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=meeting.id,
            changes={"date": "not a date"},
        )
    with pytest.raises(ReviewError, match="^colour: "), write_session(small_engine) as session:
        edit_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=meeting.id,
            changes={"colour": "red"},
        )
    with write_session(small_engine) as session:
        edit_proposal(
            session, actor=SYSTEM, process=process, proposal_id=meeting.id, changes={"date": None}
        )
    with pytest.raises(ReviewError, match="^date: the meeting has no date"):
        _accept(small_engine, SYSTEM, "small", meeting)
    with write_session(small_engine) as session:
        edit_proposal(
            session,
            actor=SYSTEM,
            process=process,
            proposal_id=meeting.id,
            changes={"date": "2025-12-21", "place": "Hallandale Beach", "format": "bilateral"},
        )
    result = _accept(small_engine, SYSTEM, "small", meeting)
    with read_session(small_engine) as session:
        talk = session.get(Meeting, result.record_id)
        assert (talk.place, talk.format, talk.starts_at.date()) == (
            "Hallandale Beach",
            "bilateral",
            date(2025, 12, 21),
        )
        events = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "intake:proposal:edit", AuditEvent.object_id == str(meeting.id)
            )
        ).all()
        assert events and events[-1].changes["payload"][1]["place"] == "Hallandale Beach"
    with pytest.raises(AlreadyReviewed):
        _accept(small_engine, SYSTEM, "small", meeting)
    demand = _one(small_engine, sid, "demand")
    with write_session(small_engine) as session:
        assert (
            reject_proposal(session, actor=SYSTEM, process=process, proposal_id=demand.id).status
            == "rejected"
        )
    with pytest.raises(AlreadyReviewed), write_session(small_engine) as session:
        reject_proposal(session, actor=SYSTEM, process=process, proposal_id=demand.id)


def test_bulk_accept_takes_people_first_and_reports_each_failure(small_engine: sa.Engine) -> None:
    sid = take_in(small_engine, SYSTEM, "small", REPORT).source_id
    wanted = [p for p in proposals(small_engine, sid) if p.kind in ("quote", "person")]
    meeting = _one(small_engine, sid, "meeting", date="2025-12-22")
    process = process_of(small_engine, "small")
    with write_session(small_engine) as session:
        edit_proposal(
            session, actor=SYSTEM, process=process, proposal_id=meeting.id, changes={"date": None}
        )
    ids = [str(p.id) for p in reversed(wanted)] + [str(meeting.id), "not-an-id", str(wanted[0].id)]
    with write_session(small_engine) as session:
        results = bulk_review(
            session, actor=SYSTEM, process=process, proposal_ids=ids, action="accept"
        )
    by_id = {r["id"]: r for r in results}
    assert by_id["not-an-id"] == {"id": "not-an-id", "status": "error", "error": "not found"}
    assert by_id[str(meeting.id)]["error"].startswith("date: the meeting has no date")
    done = [r["kind"] for r in results if r["status"] == "accepted"]
    assert done == sorted(done, key=lambda k: k != "person") and len(done) == len(wanted)
    assert all(by_id[str(p.id)]["status"] == "accepted" for p in wanted)
    with read_session(small_engine) as session:
        # Every quote found its speakers, because the people were accepted first.
        assert session.scalar(sa.select(sa.func.count()).select_from(StatementSpeaker)) >= 5
        assert (
            session.get(Proposal, meeting.id).status == "pending"
        )  # its failure undid nothing else


# ---------------------------------------------------------------- who may do what


def test_denials_viewer_other_party_and_spaces(small_engine: sa.Engine) -> None:
    alpha = user_actor(small_engine, "alpha")
    viewer = user_actor(small_engine, "alpha-viewer")
    beta = user_actor(small_engine, "beta")
    med = user_actor(small_engine, "med")
    process = process_of(small_engine, "small")
    with pytest.raises(Forbidden), write_session(small_engine) as session:
        check_space(session, viewer, process, None)
    with pytest.raises(Forbidden), write_session(small_engine) as session:
        check_space(session, alpha, process, "public")  # a delegation does not publish
    with pytest.raises(IntakeError, match="^space: "), write_session(small_engine) as session:
        check_space(session, alpha, process, "party:ZZZ")
    with write_session(small_engine) as session:
        assert check_space(session, med, process, None) == "public"
        assert check_space(session, alpha, process, None) == "party:AAA"

    sid = take_in(small_engine, alpha, "small", REPORT).source_id
    pledge = _one(small_engine, sid, "commitment")
    assert pledge.space == "party:AAA"
    for outsider in (beta, med):  # neither Beta nor the mediator can see Alpha's own space
        with pytest.raises(NotFound), write_session(small_engine) as session:
            accept_proposal(session, actor=outsider, process=process, proposal_id=pledge.id)
    with pytest.raises(Forbidden), write_session(small_engine) as session:
        accept_proposal(session, actor=viewer, process=process, proposal_id=pledge.id)
    with write_session(small_engine) as session:
        results = bulk_review(
            session, actor=beta, process=process, proposal_ids=[str(pledge.id)], action="reject"
        )
    assert results == [{"id": str(pledge.id), "status": "error", "error": "not found"}]
    result = _accept(small_engine, alpha, "small", pledge)
    with read_session(small_engine) as session:
        assert session.get(Commitment, result.record_id).space == "party:AAA"
        chains = set(
            session.scalars(
                sa.select(AuditEvent.chain).where(AuditEvent.object_id == str(pledge.id))
            )
        )
    assert chains == {f"{process.id}/party:AAA"}  # audited in Alpha's own chain only


# ---------------------------------------------------------------- issue 17


def test_a_joint_statement_is_proposed_and_accepted_with_every_signatory(
    miami_engine: sa.Engine,
) -> None:
    sid = take_in(miami_engine, SYSTEM, "miami-2025", REPORT).source_id
    statement = _one(miami_engine, sid, "statement")
    assert statement.payload["people"] == ["Steve Witkoff", "Rustem Umerov"]
    assert set(statement.payload["parties"]) == {"United States", "Ukraine"}
    # dated by the meeting it follows, not by the report
    assert (statement.payload["date"], statement.payload["place"]) == ("2025-12-22", "Miami")
    result = _accept(miami_engine, SYSTEM, "miami-2025", statement)
    assert result.status == "accepted" and result.created and result.record_type == "statements"
    with read_session(miami_engine) as session:
        record = session.get(Statement, result.record_id)
        assert record.kind == "joint" and record.made_on == date(2025, 12, 22)
        assert record.place == "Miami" and "joint statement" in record.text
        speakers = session.scalars(
            sa.select(StatementSpeaker).where(StatementSpeaker.statement_id == record.id)
        ).all()
        assert len([s for s in speakers if s.person_id]) == 2
        assert len([s for s in speakers if s.party_id]) == 2
        link = session.scalars(sa.select(Evidence).where(Evidence.object_id == record.id)).one()
        assert (link.start, link.end) == (statement.start, statement.end)
        actions = set(session.scalars(sa.select(AuditEvent.action)))
    assert {"statement:create", "statement:speaker:add", "intake:proposal:accept"} <= actions


def test_merge_candidates_come_most_likely_first(small_engine: sa.Engine) -> None:
    from parley.intake.queries import proposal_detail

    sid = take_in(small_engine, SYSTEM, "small", REPORT).source_id
    process = process_of(small_engine, "small")
    with write_session(small_engine) as session:
        for key, name, aliases in (
            ("aaron", "Aaron Abbott", []),
            ("witkoff2", "S. Witkoff", ["Steven Witkoff"]),
        ):
            session.add(
                Person(process_id=process.id, space="public", key=key, name=name, aliases=aliases)
            )
    proposal = _one(small_engine, sid, "person", name="Steve Witkoff")
    with read_session(small_engine) as session:
        _p, _s, item = proposal_detail(
            session, actor=SYSTEM, process=process, proposal_id=proposal.id
        )
    labels = [c["label"] for c in item["candidates"]]
    assert labels[0] == "S. Witkoff" and "Aaron Abbott" in labels
    assert labels.index("Aaron Abbott") > 0
