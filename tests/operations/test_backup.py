"""Backups and restores verify themselves: restored elsewhere, verified, every table compared."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from operations.support import drop_postgres, pg_exec, pg_url
from parley.authz import Actor
from parley.cli import app
from parley.db import migrate
from parley.db.engine import create_db_engine, is_sqlite, write_session
from parley.operations import backup as ops
from parley.operations.checkpoints import create_checkpoints

runner = CliRunner()


def invoke(*args: str) -> tuple[int, dict[str, Any] | None, str]:
    result = runner.invoke(app, list(args))
    try:
        data = json.loads(result.stdout)
    except json.JSONDecodeError:
        data = None
    return result.exit_code, data, result.output


@pytest.fixture
def empty_target(small_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it yet, on the backend of ``small_url``."""
    if is_sqlite(small_url):
        yield f"sqlite:///{tmp_path / 'restored' / 'parley.db'}"
        return
    name = f"parley_restore_{uuid.uuid4().hex[:10]}"
    pg_exec(f'CREATE DATABASE "{name}"')
    yield pg_url(name)
    drop_postgres(pg_url(name))


@pytest.fixture
def small_sqlite(databases: Any, tmp_path: Path) -> str:
    """The small scenario on SQLite only, for checks whose code is the same on both backends."""
    url: str = databases.sqlite("small", tmp_path / "small.db")
    return url


def _checkpointed(url: str) -> None:
    engine = create_db_engine(url)
    with write_session(engine) as session:
        create_checkpoints(session, Actor.system("test"), secret="backup-test-secret")
    engine.dispose()


def test_a_backup_restores_verifies_and_matches_its_source_table_by_table(
    small_url: str, empty_target: str, tmp_path: Path
) -> None:
    _checkpointed(small_url)
    out = tmp_path / "backups" / "parley.backup"
    code, report, output = invoke("backup", str(out), "--db", small_url)
    assert code == 0, output
    assert report is not None and report["ok"] and report["problems"] == []
    assert report["audit"]["ok"] and report["audit"]["chains"] == 8
    assert report["audit"]["checkpoints"] == {"ok": True, "checked": 8, "problems": []}
    assert report["tables"] > 40 and report["rows"] > 100
    assert all(t["same"] for t in report["compared"].values())
    # The manifest holds the very figures of the source, taken in the backup's snapshot.
    manifest = json.loads(ops.manifest_path(out).read_text())
    assert manifest["tables"] == ops.figures_of(small_url)["tables"]
    assert manifest["sha256"] == ops.file_sha256(out)

    # A second backup to the same file is refused unless asked for.
    code, _, output = invoke("backup", str(out), "--db", small_url)
    assert code == 2 and "exists" in output

    code, report, output = invoke("restore", str(out), "--db", empty_target)
    assert code == 0, output
    assert report is not None and report["ok"] and report["audit"]["events"] > 50
    assert ops.figures_of(empty_target)["tables"] == manifest["tables"]
    assert runner.invoke(app, ["verify", "--db", empty_target]).exit_code == 0

    # The target is no longer empty: restoring again needs --force, which replaces it.
    code, _, output = invoke("restore", str(out), "--db", empty_target)
    assert code == 2 and "not empty" in output
    code, report, output = invoke("restore", str(out), "--db", empty_target, "--force")
    assert code == 0, output


def test_a_backup_that_does_not_match_its_source_fails(
    small_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Proof that the comparison can fail: the scratch copy silently loses one row."""
    real_figures = ops.figures_of

    def lossy(url: str) -> dict[str, Any]:
        engine = create_db_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "DELETE FROM notes WHERE id IN (SELECT id FROM notes ORDER BY id LIMIT 1)"
            )
        engine.dispose()
        return real_figures(url)

    engine = create_db_engine(small_url)
    with write_session(engine) as session:
        from parley.audit.records import audited_add
        from parley.notes.models import Note
        from parley.processes.models import Process

        pid = session.scalar(sa.select(Process.id))
        note = Note(process_id=pid, title="Illustrative note", space="participants")
        audited_add(session, note, actor=Actor.system("test"), action="note:create")
    engine.dispose()
    monkeypatch.setattr(ops, "figures_of", lossy)
    out = tmp_path / "lossy.backup"
    code, report, output = invoke("backup", str(out), "--db", small_url)
    assert code == 1, output
    assert report is not None and report["problems"] == ["table notes: 1 rows expected, 0 found"]
    assert not report["compared"]["notes"]["same"]
    assert not ops.manifest_path(out).exists()  # an unverified backup gets no manifest


def test_a_restore_that_differs_from_the_backup_fails(
    small_sqlite: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "parley.backup"
    assert invoke("backup", str(out), "--db", small_sqlite)[0] == 0
    real = ops._sqlite_restore

    def tampering_restore(file: Path, url: str) -> None:
        real(file, url)
        engine = create_db_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE parties SET name = 'Renamed' WHERE key = 'AAA'")
        engine.dispose()

    monkeypatch.setattr(ops, "_sqlite_restore", tampering_restore)
    code, report, output = invoke("restore", str(out), "--db", f"sqlite:///{tmp_path / 'r.db'}")
    assert code == 1, output
    assert report is not None
    assert report["problems"] == ["table parties: same row count, different content"]


def test_restore_refuses_a_backup_file_that_changed_since_it_was_verified(
    small_sqlite: str, tmp_path: Path
) -> None:
    empty_target = f"sqlite:///{tmp_path / 'restored.db'}"
    out = tmp_path / "parley.backup"
    assert invoke("backup", str(out), "--db", small_sqlite)[0] == 0
    with out.open("ab") as handle:
        handle.write(b"\0")
    code, _, output = invoke("restore", str(out), "--db", empty_target)
    assert code == 2 and "differs from what its manifest records" in output
    # Without its manifest, a backup is compared with itself restored to a scratch database.
    out.write_bytes(out.read_bytes()[:-1])
    ops.manifest_path(out).unlink()
    code, report, output = invoke("restore", str(out), "--db", empty_target)
    assert code == 0 and report is not None and report["manifest"] is None, output


def test_restore_refuses_what_is_not_a_backup(small_sqlite: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.backup"
    junk.write_text("not a database")
    code, _, output = invoke("restore", str(junk), "--db", f"sqlite:///{tmp_path / 'new.db'}")
    assert code == 2 and "not a SQLite database" in output
    code, _, output = invoke("restore", str(tmp_path / "missing"), "--db", small_sqlite)
    assert code == 2 and "no such file" in output


def test_without_pg_dump_on_the_path_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ops.BackupError, match="pg_dump not found on PATH: install"):
        ops._tool("pg_dump")


def test_upgrades_are_rehearsed_on_a_restored_copy(tmp_path: Path) -> None:
    """docs/operations.md's upgrade steps: back up, restore to scratch, upgrade there, verify."""
    old = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_db_engine(old)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    out = tmp_path / "before-upgrade.backup"
    code, report, output = invoke("backup", str(out), "--db", old)
    assert code == 0, output
    assert report is not None and report["compared"]["alembic_version"]["same"]
    copy = f"sqlite:///{tmp_path / 'rehearsal.db'}"
    assert invoke("restore", str(out), "--db", copy)[0] == 0
    assert runner.invoke(app, ["db", "upgrade", "--db", copy]).exit_code == 0
    assert runner.invoke(app, ["verify", "--db", copy]).exit_code == 0
    # The production database is untouched by the rehearsal.
    engine = create_db_engine(old)
    assert migrate.current_revision(engine) == "0001"
    engine.dispose()
