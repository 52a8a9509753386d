"""The record verifies itself: every mutation made outside Parley is found by ``parley verify``.

Each test changes the database directly, as someone with write access to it would, and
checks that ``verify_all`` (and the ``parley verify`` command) reports it, by table, id and
space, on SQLite and on PostgreSQL. On the code before record states and the chain of chains,
each of these passed verification.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from typer.testing import CliRunner

from parley.audit.models import AuditEvent, AuditHead
from parley.audit.verify import Report, verify_all
from parley.authz import Actor
from parley.cli import app
from parley.db.engine import read_session, write_session
from parley.operations.checkpoints import create_checkpoints
from parley.positions.models import Position, PositionRevision

runner = CliRunner()
SECRET = "test-secret-for-checkpoints"


def _verify(engine: sa.Engine) -> Report:
    with read_session(engine) as session:
        return verify_all(session)


def _positions(engine: sa.Engine) -> list[Position]:
    with read_session(engine) as session:
        return list(session.scalars(sa.select(Position).order_by(Position.id)))


def _problems(report: Report) -> list[str]:
    return [str(p) for p in report.record_problems]


def test_the_untouched_scenario_verifies_with_every_record_checked(small_engine: sa.Engine) -> None:
    report = _verify(small_engine)
    assert report.ok, report.lines()
    assert report.records > 50
    with read_session(small_engine) as session:
        vouched = set(
            session.execute(
                sa.select(AuditEvent.object_type, AuditEvent.object_id).where(
                    AuditEvent.state.is_not(None)
                )
            ).all()
        )
    assert len(vouched) == report.records  # the loader audits every record it writes


def test_a_record_edited_outside_parley_is_named(small_engine: sa.Engine, small_url: str) -> None:
    target = _positions(small_engine)[0]
    with small_engine.begin() as conn:
        conn.execute(
            sa.update(Position.__table__)
            .where(Position.__table__.c.id == target.id)
            .values(reason="changed behind Parley's back")
        )
    report = _verify(small_engine)
    assert not report.ok
    [problem] = report.record_problems
    assert (problem.table, problem.object_id, problem.space) == (
        "positions",
        str(target.id),
        target.space,
    )
    assert "edited outside Parley" in problem.problem
    result = runner.invoke(app, ["verify", "--db", small_url])
    assert result.exit_code == 1
    assert "CHANGED OUTSIDE PARLEY table positions" in result.output
    assert str(target.id) in result.output and target.space in result.output


def test_a_record_inserted_outside_parley_is_named(small_engine: sa.Engine) -> None:
    # A second copy of a position's history entry (a table without a natural unique key).
    table = PositionRevision.__table__
    with small_engine.begin() as conn:
        row = dict(conn.execute(sa.select(table).limit(1)).mappings().one())
        row["id"] = uuid.uuid4()
        conn.execute(table.insert().values(row))
    report = _verify(small_engine)
    [problem] = report.record_problems
    assert (problem.table, problem.object_id) == ("position_revisions", str(row["id"]))
    assert problem.problem == "inserted outside Parley"
    assert problem.space == row.get("space")


def _revisions(engine: sa.Engine) -> list[PositionRevision]:
    with read_session(engine) as session:
        return list(session.scalars(sa.select(PositionRevision).order_by(PositionRevision.id)))


def test_a_record_deleted_outside_parley_is_named(small_engine: sa.Engine) -> None:
    target = _revisions(small_engine)[0]
    table = PositionRevision.__table__
    with small_engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.id == target.id))
    report = _verify(small_engine)
    assert [(p.table, p.object_id, p.problem) for p in report.record_problems] == [
        ("position_revisions", str(target.id), "deleted outside Parley")
    ]
    assert report.record_problems[0].space == target.space


def test_two_records_that_swap_contents_are_both_named(small_engine: sa.Engine) -> None:
    table = Position.__table__
    columns = ("stance", "reason", "priority")
    positions = _positions(small_engine)
    first = positions[0]
    second = next(p for p in positions if any(getattr(p, c) != getattr(first, c) for c in columns))
    with small_engine.begin() as conn:
        for one, other in ((first, second), (second, first)):
            conn.execute(
                sa.update(table)
                .where(table.c.id == one.id)
                .values({c: getattr(other, c) for c in columns})
            )
    report = _verify(small_engine)
    assert {p.object_id for p in report.record_problems} == {str(first.id), str(second.id)}


def test_reordered_events_are_found(small_engine: sa.Engine) -> None:
    with small_engine.begin() as conn:
        chain = conn.scalar(
            sa.select(AuditEvent.chain).where(AuditEvent.seq == 3).order_by(AuditEvent.chain)
        )
        rows = conn.execute(
            sa.select(AuditEvent.id, AuditEvent.seq)
            .where(AuditEvent.chain == chain, AuditEvent.seq.in_([2, 3]))
            .order_by(AuditEvent.seq)
        ).all()
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == rows[0].id).values(seq=-1))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == rows[1].id).values(seq=2))
        conn.execute(sa.update(AuditEvent).where(AuditEvent.id == rows[0].id).values(seq=3))
    report = _verify(small_engine)
    assert any(b.chain == chain for b in report.breaks)


def _chain(engine: sa.Engine, space: str) -> str:
    with read_session(engine) as session:
        return session.scalars(
            sa.select(AuditHead.chain).where(AuditHead.chain.like(f"%/{space}"))
        ).one()


def test_a_whole_chain_deleted_with_its_head_is_found(small_engine: sa.Engine) -> None:
    chain = _chain(small_engine, "party:AAA")
    with small_engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.chain == chain))
        conn.execute(sa.delete(AuditHead).where(AuditHead.chain == chain))
    report = _verify(small_engine)
    assert not report.ok
    assert any(b.chain == chain and "chain is gone" in b.problem for b in report.breaks)
    # And the records that chain vouched for now have no audit trail at all.
    assert any(p.space == "party:AAA" for p in report.record_problems)


def test_every_chain_deleted_is_found(small_engine: sa.Engine, small_url: str) -> None:
    with small_engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent))
        conn.execute(sa.delete(AuditHead))
    report = _verify(small_engine)
    assert not report.ok and report.chains == 0
    assert "the audit log is empty" in str(report.record_problems[0])
    result = runner.invoke(app, ["verify", "--db", small_url])
    assert result.exit_code == 1 and "audit log is empty" in result.output


def _truncate(engine: sa.Engine, chain: str, keep: int) -> None:
    """Delete the chain's events after #keep and move its head back: consistent again."""
    with engine.begin() as conn:
        conn.execute(sa.delete(AuditEvent).where(AuditEvent.chain == chain, AuditEvent.seq > keep))
        last = conn.scalar(
            sa.select(AuditEvent.hash).where(AuditEvent.chain == chain, AuditEvent.seq == keep)
        )
        conn.execute(
            sa.update(AuditHead).where(AuditHead.chain == chain).values(seq=keep, hash=last)
        )


def test_a_truncated_chain_with_its_head_moved_back_is_found(small_engine: sa.Engine) -> None:
    chain = _chain(small_engine, "party:AAA")
    with read_session(small_engine) as session:
        length = session.get(AuditHead, chain).seq
    _truncate(small_engine, chain, length - 1)
    report = _verify(small_engine)
    # The chain itself is consistent again; the record its last event created is not vouched for.
    assert not report.breaks
    assert [p.problem for p in report.record_problems] == ["inserted outside Parley"]


def test_a_truncation_that_also_removes_the_records_is_found_by_the_stored_checkpoints(
    small_engine: sa.Engine,
) -> None:
    with write_session(small_engine) as session:
        create_checkpoints(session, Actor.system("test"), secret=SECRET)
    chain = _chain(small_engine, "party:AAA")
    with read_session(small_engine) as session:
        last = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq.desc())
        ).first()
    assert last.object_type == "position_revisions"  # a record only this event vouches for
    _truncate(small_engine, chain, last.seq - 1)
    table = PositionRevision.__table__
    with small_engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.id == uuid.UUID(last.object_id)))
    report = _verify(small_engine)
    assert not report.breaks and not report.record_problems  # a clean rollback of history…
    assert report.checkpoints > 0
    assert any(chain in p for p in report.checkpoint_problems)  # …that the server had signed


def test_a_forged_chain_that_vouches_for_an_edit_is_found(small_engine: sa.Engine) -> None:
    """Writing a well-formed new chain for an edited record does not make it pass."""
    from parley.audit.service import record

    target = _positions(small_engine)[0]
    with write_session(small_engine) as session:
        obj = session.get(Position, target.id)
        obj.reason = "forged"
        session.flush()
        record(
            session,
            actor=Actor.system("forger"),
            process_id=obj.process_id,
            space="forged-space",
            action="position:update",
            object_type="positions",
            object_id=obj.id,
            changes={"reason": [target.reason, "forged"]},
        )
    # The forger also removes the chain's opening (the system chain's newest event).
    _drop_last_system_event(small_engine)
    report = _verify(small_engine)
    assert any("never opened" in b.problem for b in report.breaks), report.lines()


def _drop_last_system_event(engine: sa.Engine) -> None:
    with read_session(engine) as session:
        length = session.get(AuditHead, "system").seq
    _truncate(engine, "system", length - 1)


def test_the_miami_scenario_verifies_clean(tmp_path: object) -> None:
    from pathlib import Path

    from parley.db import migrate
    from parley.db.engine import create_db_engine
    from parley.scenario.loader import load_scenario, read_scenario

    root = Path(__file__).resolve().parents[2]
    engine = create_db_engine(f"sqlite:///{tmp_path}/miami.db")
    migrate.upgrade(engine)
    with write_session(engine) as session:
        load_scenario(
            session, read_scenario(root / "examples/miami/scenario.yaml"), actor=Actor.system("t")
        )
    report = _verify(engine)
    engine.dispose()
    assert report.ok, report.lines()
    assert report.records > 500


def test_a_deletion_through_parley_leaves_a_tombstone(small_engine: sa.Engine) -> None:
    from parley.audit.chain import TOMBSTONE
    from parley.audit.records import audited_delete

    target = _revisions(small_engine)[0]
    with write_session(small_engine) as session:
        audited_delete(
            session,
            session.get(PositionRevision, target.id),
            actor=Actor.system("test"),
            action="position:revision:delete",
        )
    assert _verify(small_engine).ok
    with read_session(small_engine) as session:
        newest = session.scalars(
            sa.select(AuditEvent.state)
            .where(AuditEvent.object_id == str(target.id))
            .order_by(AuditEvent.at.desc())
        ).first()
    assert newest == TOMBSTONE
    # Putting it back by hand is found.
    with small_engine.begin() as conn:
        row = {c.name: getattr(target, c.key) for c in PositionRevision.__table__.columns}
        conn.execute(PositionRevision.__table__.insert().values(row))
    assert "restored outside Parley" in _problems(_verify(small_engine))[0]


def test_a_constraint_deleted_through_its_service_still_verifies(small_engine: sa.Engine) -> None:
    """Every service deletion writes its event after the row is gone (the tombstone)."""
    from parley.processes.models import Process
    from parley.sequencing.models import TemporalConstraint
    from parley.sequencing.service import remove_constraint

    with write_session(small_engine) as session:
        process = session.scalars(sa.select(Process)).one()
        target = session.scalars(sa.select(TemporalConstraint)).first()
        assert target is not None
        remove_constraint(
            session, actor=Actor.system("test"), process=process, constraint_id=target.id
        )
    report = _verify(small_engine)
    assert report.ok, report.lines()
