"""``parley statement export|verify`` and ``parley export ics`` against a real database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from parley.cli import app
from parley.db.engine import write_session
from parley.sessions.cli import register
from parley.sessions.statements import approve_statement, seal_of
from sessions.conftest import Miami
from sessions.helpers import statement_id

if not any(g.name == "statement" for g in app.registered_groups):
    register(app)  # until the lead wires parley.sessions.cli into parley.cli

RUN = CliRunner()


def _sign_both(miami: Miami) -> None:
    import sqlalchemy as sa

    from parley.sessions.models import Statement

    sid = statement_id(miami.engine, "joint-miami")
    for persona, passphrase in (("ukraine", "ua-team-passphrase"), ("mediator", "us-passphrase-1")):
        with write_session(miami.engine) as s:
            statement = s.scalars(sa.select(Statement).where(Statement.id == sid)).one()
            approve_statement(
                s,
                actor=miami.actor(persona),
                process=miami.process,
                statement_id=sid,
                expected_hash=seal_of(s, statement),  # what the page shows the head
                passphrase=passphrase,
            )


def test_export_then_verify_a_signed_statement(miami_sqlite: Miami, tmp_path: Path) -> None:
    _sign_both(miami_sqlite)
    db = str(miami_sqlite.engine.url)
    out = tmp_path / "joint.json"
    result = RUN.invoke(app, ["statement", "export", "joint-miami", str(out), "--db", db])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["signatures"] == 2
    verified = RUN.invoke(app, ["statement", "verify", str(out), "--statement", "joint-miami"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["ok"] is True
    missing = RUN.invoke(app, ["statement", "export", "no-such", str(out), "--db", db])
    assert missing.exit_code == 2 and "KEY: no joint statement 'no-such'" in missing.output


def test_verify_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = RUN.invoke(app, ["statement", "verify", str(bad)])
    assert result.exit_code == 2 and "malformed JSON at line 1" in result.output
    bad.write_text(json.dumps({"format": "something-else"}), encoding="utf-8")
    result = RUN.invoke(app, ["statement", "verify", str(bad)])
    assert result.exit_code == 2 and "format: expected 'parley-bundle'" in result.output


def test_export_ics_per_user(miami_sqlite: Miami, tmp_path: Path) -> None:
    db = str(miami_sqlite.engine.url)
    texts = {}
    for user in ("russia", "ukraine", None):
        out = tmp_path / f"{user}.ics"
        args = ["export", "ics", str(out), "--db", db] + (["--user", user] if user else [])
        result = RUN.invoke(app, args)
        assert result.exit_code == 0, result.output
        texts[user] = out.read_text(encoding="utf-8")
    assert "US envoy meets the Russian envoy" in texts["russia"]
    assert "US envoy meets the Russian envoy" not in texts["ukraine"]
    assert "Miami round (separate" in texts["ukraine"]
    assert "Miami round (separate" not in texts[None]
    unknown = RUN.invoke(
        app, ["export", "ics", str(tmp_path / "x.ics"), "--db", db, "--user", "nobody"]
    )
    assert unknown.exit_code == 2 and "--user: no account 'nobody'" in unknown.output
