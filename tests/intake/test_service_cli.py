"""`parley intake FILE... --process KEY [--space S] [--db URL]`: sources and proposals stored."""

from __future__ import annotations

import json
import uuid

import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from intake.test_service_fixtures import GOLD, MIAMI_REPORT
from parley.db.engine import read_session
from parley.intake.models import Proposal, Source

runner = CliRunner()


def test_intake_into_a_process_stores_each_new_source_once(
    intake_app: typer.Typer, small_url: str
) -> None:
    args = ["intake", str(MIAMI_REPORT), "--process", "small", "--db", small_url]
    first = runner.invoke(intake_app, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    (data,) = [json.loads(line) for line in first.stdout.splitlines()]
    review = data["review"]
    assert review["status"] == "stored" and review["space"] == "public"
    assert review["kinds"]["meeting"] == 2 and review["kinds"]["warning"] >= 1
    assert data["meetings"][0]["date"] == "2025-12-22"  # the contract's shape, plus review

    again = runner.invoke(intake_app, [*args, "--format", "json"])
    assert again.exit_code == 0, again.output
    (dup,) = [json.loads(line) for line in again.stdout.splitlines()]
    assert dup["review"]["status"] == "duplicate"
    assert dup["review"]["duplicate_of"] == review["source_id"]
    assert "repeats stored source" in again.stderr

    # Into a delegation's own space, as a readable summary.
    private = runner.invoke(intake_app, [*args, "--space", "party:AAA"])
    assert private.exit_code == 0, private.output
    assert "in party:AAA" in private.stdout and "proposals" in private.stdout
    from parley.db.engine import create_db_engine

    engine = create_db_engine(small_url)
    try:
        with read_session(engine) as session:
            spaces = sorted(
                session.scalars(sa.select(Source.space).where(Source.title.like("Miami round%")))
            )
            assert spaces == ["party:AAA", "public"]
            count = session.scalar(
                sa.select(sa.func.count())
                .select_from(Proposal)
                .where(Proposal.source_id == uuid.UUID(review["source_id"]))
            )
            assert count == review["proposals"]
    finally:
        engine.dispose()


def test_intake_into_a_process_refuses_bad_input(intake_app: typer.Typer, small_url: str) -> None:
    base = ["intake", str(GOLD / "06_wire_eu_loan.txt")]
    result = runner.invoke(
        intake_app, [*base, "--process", "small", "--db", small_url, "--space", "party:ZZZ"]
    )
    assert result.exit_code == 2 and "--space:" in result.stderr and "ZZZ" in result.stderr
    result = runner.invoke(intake_app, [*base, "--process", "nope", "--db", small_url])
    assert result.exit_code == 2 and "no process 'nope'" in result.stderr
    result = runner.invoke(intake_app, [*base, "--space", "public"])
    assert result.exit_code == 2 and "--space and --db need --process" in result.stderr
