"""`parley checkpoint create | list | verify` end to end, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from operations.support import events, rechain
from parley.audit.models import AuditEvent
from parley.cli import app
from parley.db.engine import create_db_engine
from parley.operations.cli import read_checkpoint_file
from parley.operations.models import Checkpoint

runner = CliRunner()


def invoke(*args: str) -> tuple[int, Any, str]:
    result = runner.invoke(app, list(args))
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        data = None
    return result.exit_code, data, result.output


def test_checkpoints_are_signed_kept_and_verified(small_url: str, tmp_path: Path) -> None:
    code, run, output = invoke("checkpoint", "create", "--db", small_url)
    assert code == 0, output
    assert run["created"] == 8 and run["refused"] == []
    assert {c["space"] for c in run["checkpoints"]} >= {"system", "party:AAA", "public"}
    # Nothing changed: a second run signs nothing (a schedule can run it as often as it likes).
    code, again, _ = invoke("checkpoint", "create", "--db", small_url)
    assert code == 0 and again["created"] == 0 and again["unchanged"] == 8

    code, kept, _ = invoke("checkpoint", "list", "--db", small_url)
    assert code == 0 and len(kept["checkpoints"]) == 8
    assert kept["server_keys"][0]["key_id"] == kept["checkpoints"][0]["key_id"]
    code, mine, _ = invoke("checkpoint", "list", "--process", "small", "--db", small_url)
    assert code == 0 and "system" not in {c["chain"] for c in mine["checkpoints"]}
    assert len(mine["checkpoints"]) == 7
    file = tmp_path / "kept.json"
    file.write_text(json.dumps(kept))
    assert len(read_checkpoint_file(file)) == 8

    code, result, output = invoke("checkpoint", "verify", str(file), "--db", small_url)
    assert code == 0, output
    assert result["ok"] and result["checkpoints"] == 8 and result["problems"] == []

    # A database administrator rewrites a chain consistently: the chain alone hides it, but
    # `parley verify` checks the server's stored checkpoints by default…
    engine = create_db_engine(small_url)
    with Session(engine) as session, session.begin():
        chain = session.scalar(
            sa.select(AuditEvent.chain).where(AuditEvent.space == "party:AAA").limit(1)
        )
        first = events(session, chain)[0]
        first.changes = {**first.changes, "reason": [None, "A softer reason"]}
        session.flush()
        rechain(session, chain)
    engine.dispose()
    verified = runner.invoke(app, ["verify", "--db", small_url])
    assert verified.exit_code == 1 and "NOT HONOURED stored" in verified.output
    # …and so do the kept checkpoints, and the server will not sign the rewritten chain.
    code, result, output = invoke("checkpoint", "verify", str(file), "--db", small_url)
    assert code == 1, output
    assert result["breaks"] == [] and len(result["problems"]) == 1
    assert "party:AAA" in result["problems"][0] and "rewritten" in result["problems"][0]
    code, run, _ = invoke("checkpoint", "create", "--db", small_url)
    assert code == 1 and len(run["refused"]) == 1 and "party:AAA" in run["refused"][0]


def test_bad_input_is_named(small_url: str, tmp_path: Path) -> None:
    code, _, output = invoke("checkpoint", "create", "--process", "nope", "--db", small_url)
    assert code == 2 and "--process: no process 'nope'" in output
    file = tmp_path / "kept.json"
    for text, message in (
        ("{", "malformed JSON at line 1"),
        ('{"checkpoints": {}}', "checkpoints: expected a list"),
        ('[{"chain": "system"}]', "checkpoints[0].seq: required"),
        (
            '[{"chain": "system", "seq": 0, "head_hash": "", "at": "", "key_id": "", '
            '"signature": ""}]',
            "checkpoints[0].seq: expected a positive integer",
        ),
    ):
        file.write_text(text)
        code, _, output = invoke("checkpoint", "verify", str(file), "--db", small_url)
        assert code == 2 and message in output, output
    code, _, output = invoke("checkpoint", "verify", str(tmp_path / "none"), "--db", small_url)
    assert code == 2 and "cannot read" in output


def test_checkpoint_rows_are_scoped_like_the_events_they_describe(small_url: str) -> None:
    assert invoke("checkpoint", "create", "--db", small_url)[0] == 0
    engine = create_db_engine(small_url)
    with Session(engine) as session:
        rows = session.execute(
            sa.select(Checkpoint.chain, Checkpoint.process_id, Checkpoint.space)
        ).all()
    engine.dispose()
    for chain, process_id, space in rows:
        expected = "system" if process_id is None else f"{process_id}/{space}"
        assert chain == expected


def test_concurrent_runs_sign_each_chain_once(small_engine: sa.Engine) -> None:
    """Several workers may each run the schedule: they queue, and nothing is signed twice."""
    from concurrent.futures import ThreadPoolExecutor

    from parley.authz import Actor
    from parley.db.engine import write_session
    from parley.operations.checkpoints import create_checkpoints

    def run(_: int) -> int:
        with write_session(small_engine) as session:
            done = create_checkpoints(session, Actor.system("test"), secret="concurrent-secret")
            return len(done.created)

    with ThreadPoolExecutor(max_workers=3) as pool:
        created = sorted(pool.map(run, range(3)))
    assert created == [0, 0, 8]
    with Session(small_engine) as session:
        assert session.scalar(sa.select(sa.func.count(Checkpoint.id))) == 8
