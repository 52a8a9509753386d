"""Shared fixtures: real SQLite files and a real PostgreSQL server, one fresh database a test.

Each worker migrates (and loads the small scenario into) a template once; tests then get a
copy: a file copy for SQLite, ``CREATE DATABASE ... TEMPLATE`` for PostgreSQL.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from parley.authz import Actor
from parley.db import migrate
from parley.db.engine import create_db_engine, write_session
from parley.scenario.loader import load_scenario, read_scenario
from support.databases import (
    PG_ADMIN,
    PG_PROBLEM,
    MiamiDatabases,
    miami_databases,
    pg_exec,
    pg_url,
    require_backend,
    worker,
)

ROOT = Path(__file__).resolve().parent.parent
SMALL_SCENARIO = ROOT / "tests" / "scenario" / "small.yaml"


def pytest_report_header() -> list[str]:
    if PG_PROBLEM:
        return [f"!!! PostgreSQL tests SKIPPED: no server at {PG_ADMIN}: {PG_PROBLEM}"]
    return [f"PostgreSQL: {PG_ADMIN}"]


class Databases:
    """Per-worker templates: 'empty' (migrated) and 'small' (the small scenario loaded)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite_templates: dict[str, Path] = {}
        self.pg_templates: dict[str, str] = {}
        self.run = uuid.uuid4().hex[:8]

    def _fill(self, engine: sa.Engine, content: str) -> None:
        migrate.upgrade(engine)
        if content == "small":
            data = read_scenario(SMALL_SCENARIO)
            with write_session(engine) as session:
                load_scenario(session, data, actor=Actor.system("test"))

    def sqlite(self, content: str, dest: Path) -> str:
        if content not in self.sqlite_templates:
            path = self.tmp / f"template-{content}.db"
            engine = create_db_engine(f"sqlite:///{path}")
            self._fill(engine, content)
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self.sqlite_templates[content] = path
        shutil.copyfile(self.sqlite_templates[content], dest)
        return f"sqlite:///{dest}"

    def postgres(self, content: str) -> str:
        require_backend("postgresql")
        if content not in self.pg_templates:
            name = f"parley_tpl_{content}_{worker()}_{self.run}"
            pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
            pg_exec(f'CREATE DATABASE "{name}"')
            engine = create_db_engine(pg_url(name))
            self._fill(engine, content)
            engine.dispose()
            self.pg_templates[content] = name
        name = f"parley_test_{worker()}_{uuid.uuid4().hex[:10]}"
        pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg_templates[content]}"')
        return pg_url(name)

    def cleanup(self) -> None:
        for name in self.pg_templates.values():
            pg_exec(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    dbs = Databases(tmp_path_factory.mktemp("templates"))
    yield dbs
    if PG_PROBLEM is None:
        dbs.cleanup()


def _database(
    request: pytest.FixtureRequest, databases: Databases, tmp_path: Path, content: str
) -> Iterator[str]:
    backend = request.param
    if backend == "sqlite":
        yield databases.sqlite(content, tmp_path / f"{content}.db")
        return
    url = databases.postgres(content)
    yield url
    from parley.db.engine import dispose_engines

    dispose_engines()
    pg_exec(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, databases: Databases, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database on each backend."""
    yield from _database(request, databases, tmp_path, "empty")


@pytest.fixture(params=["sqlite", "postgresql"])
def small_url(
    request: pytest.FixtureRequest, databases: Databases, tmp_path: Path
) -> Iterator[str]:
    """A database with tests/scenario/small.yaml loaded, on each backend."""
    yield from _database(request, databases, tmp_path, "small")


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def small_engine(small_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(small_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def miami_templates(tmp_path_factory: pytest.TempPathFactory) -> MiamiDatabases:
    """The Miami scenario's templates, one set a worker for every package (tests/support)."""
    return miami_databases(tmp_path_factory)
