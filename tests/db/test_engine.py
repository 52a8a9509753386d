"""SQLite runs in WAL mode, with synchronous=FULL and foreign keys enforced."""

from __future__ import annotations

from pathlib import Path

import pytest

from parley.config import Settings
from parley.db.engine import create_db_engine


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_placeholder_secret_is_refused_outside_development() -> None:
    with pytest.raises(ValueError, match="PARLEY_SECRET_KEY"):
        Settings(environment="production", secret_key="change-me")
    assert Settings(environment="production", secret_key="x" * 40).secret_key == "x" * 40


def test_database_defaults_to_var_in_the_working_directory(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARLEY_DATABASE_URL", raising=False)
    assert Settings().database_url == f"sqlite:///{tmp_path / 'var' / 'parley.db'}"
