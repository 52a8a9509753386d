"""The audit chain: every tampering with a stored event makes verification fail."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from parley.audit.models import AuditEvent
from parley.audit.verify import verify_all
from parley.cli import app
from parley.db.engine import read_session

runner = CliRunner()


def _verify(engine: sa.Engine):  # type: ignore[no-untyped-def]
    with read_session(engine) as session:
        return verify_all(session)


def _first_position_event(engine: sa.Engine) -> AuditEvent:
    with read_session(engine) as session:
        return session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "position:create")
            .order_by(AuditEvent.chain, AuditEvent.seq)
        ).first()


def test_a_loaded_scenario_verifies(small_engine: sa.Engine, small_url: str) -> None:
    report = _verify(small_engine)
    assert report.ok
    assert report.chains >= 5
    result = runner.invoke(app, ["verify", "--db", small_url])
    assert result.exit_code == 0, result.output


def test_each_space_has_its_own_chain(small_engine: sa.Engine) -> None:
    with read_session(small_engine) as session:
        spaces = set(session.scalars(sa.select(AuditEvent.space).distinct()))
    assert {"party:AAA", "party:AAA+mediator", "party:BBB", "participants", "public"} <= spaces


def test_altered_content_is_named(small_engine: sa.Engine, small_url: str) -> None:
    target = _first_position_event(small_engine)
    with small_engine.begin() as conn:
        conn.execute(
            sa.update(AuditEvent)
            .where(AuditEvent.id == target.id)
            .values(changes={"stance": [None, "accept"]})
        )
    report = _verify(small_engine)
    assert not report.ok
    assert report.breaks[0].event_id == str(target.id)
    assert "altered" in report.breaks[0].problem
    result = runner.invoke(app, ["verify", "--db", small_url])
    assert result.exit_code == 1
    assert str(target.id) in result.output
    assert target.space in result.output


def test_a_deleted_event_is_detected(small_engine: sa.Engine) -> None:
    target = _first_position_event(small_engine)
    with small_engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id == target.id))
    report = _verify(small_engine)
    assert not report.ok
    assert report.breaks[0].chain == target.chain


def test_reordered_events_are_detected(small_engine: sa.Engine) -> None:
    with read_session(small_engine) as session:
        chain = session.scalars(
            sa.select(AuditEvent.chain).where(AuditEvent.seq == 3).order_by(AuditEvent.chain)
        ).first()
        first, second = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.chain == chain, AuditEvent.seq.in_([2, 3]))
            .order_by(AuditEvent.seq)
        ).all()
    with small_engine.begin() as conn:  # swap the positions of two events
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == first.id).values(seq=-1))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == second.id).values(seq=2))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == first.id).values(seq=3))
    report = _verify(small_engine)
    assert not report.ok
    assert report.breaks[0].chain == chain


def test_a_truncated_chain_is_detected(small_engine: sa.Engine) -> None:
    with read_session(small_engine) as session:
        last = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.space == "participants")
            .order_by(AuditEvent.seq.desc())
        ).first()
    with small_engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.id == last.id))
    report = _verify(small_engine)
    assert not report.ok
    assert "truncated" in report.breaks[0].problem
