"""Template databases for tests, on SQLite and PostgreSQL, and the Miami scenario in one.

A test package loads a scenario once per worker and backend into a *template*; each test then
gets a copy: a file copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL (about a
second, against tens of seconds to load a scenario). Copies are dropped on a background thread
so that no test waits for it. Names carry the xdist worker and a per-run id, so workers
(``-n 2 --dist loadgroup``) and concurrent runs never share or drop each other's databases.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Generic, TypeVar
from unittest import mock

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from parley.auth.models import User
from parley.auth.service import start_session
from parley.authz import Actor
from parley.db import migrate
from parley.db.engine import create_db_engine, write_session
from parley.scenario.loader import load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]
MIAMI_SCENARIO = ROOT / "examples" / "miami" / "scenario.yaml"
PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")

# Argon2id with small costs while building templates: the hash format (and the verify path) is
# the real one, only cheaper, so that sign-ins in tests take milliseconds, not 0.3 s.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

T = TypeVar("T")


def pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _probe() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


PG_PROBLEM = _probe()


def require_backend(backend: str) -> None:
    """Skip (or fail, with PARLEY_REQUIRE_POSTGRES=1) a PostgreSQL test without a server."""
    if backend != "postgresql" or PG_PROBLEM is None:
        return
    message = f"PostgreSQL not available at {PG_ADMIN}: {PG_PROBLEM}"
    if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (PARLEY_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


@contextlib.contextmanager
def fast_hashing() -> Iterator[None]:
    with mock.patch("parley.auth.passwords._hasher", FAST_HASHER):
        yield


class TemplateDatabases(Generic[T]):
    """Per-worker templates of one scenario, built on first use for each backend by ``fill``.

    ``fill(engine)`` migrates and loads the empty database it is given and returns what tests
    need to know about it (sessions, ids); :meth:`copy` hands that back with each copy.
    """

    def __init__(self, name: str, tmp: Path, fill: Callable[[sa.Engine], T]) -> None:
        self.name = name
        self.tmp = tmp
        self.fill = fill
        self.run = uuid.uuid4().hex[:8]
        self.built: dict[str, tuple[str, T]] = {}  # backend -> (file or database name, info)
        self.pg_tried = False
        self.dropper = ThreadPoolExecutor(max_workers=1)
        self.drops: list[Future[None]] = []
        self.later: list[str] = []  # copies that live until cleanup (shared per worker)

    def _pg_template(self) -> str:
        return f"parley_tpl_{self.name}_{worker()}_{self.run}"

    def template(self, backend: str) -> tuple[str, T]:
        """The template's location (file path or database name) and its ``fill`` result."""
        require_backend(backend)
        if backend not in self.built:
            self.built[backend] = self._build(backend)
        return self.built[backend]

    def _build(self, backend: str) -> tuple[str, T]:
        if backend == "sqlite":
            path = self.tmp / f"{self.name}-template.db"
            path.unlink(missing_ok=True)  # a failed earlier attempt
            engine = create_db_engine(f"sqlite:///{path}")
            try:
                info = self.fill(engine)
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                engine.dispose()
            return str(path), info
        name = self._pg_template()
        self.pg_tried = True
        pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg_exec(f'CREATE DATABASE "{name}"')
        engine = create_db_engine(pg_url(name))
        try:
            info = self.fill(engine)
        finally:
            engine.dispose()  # a template must have no connections left, or copying it fails
        return name, info

    def copy(self, backend: str, directory: Path) -> tuple[str, T]:
        """A fresh copy of the template: its URL, and what ``fill`` returned."""
        location, info = self.template(backend)
        if backend == "sqlite":
            path = directory / f"{self.name}-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(location, path)
            return f"sqlite:///{path}", info
        name = f"parley_{self.name}_{worker()}_{uuid.uuid4().hex[:10]}"
        try:
            pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{location}"')
        except psycopg.errors.InvalidCatalogName:
            # The template went away (another fixture instance cleaned up): build it again.
            self.built.pop(backend, None)
            location, info = self.template(backend)
            pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{location}"')
        return pg_url(name), info

    def drop(self, url: str, engine: sa.Engine | None = None) -> None:
        """Dispose of ``engine`` and drop the copy at ``url`` (in the background)."""
        if engine is not None:
            engine.dispose()
        if url.startswith("postgresql"):
            name = url.rsplit("/", 1)[1]
            self.drops.append(
                self.dropper.submit(pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )

    def cleanup(self) -> None:
        from parley.db.engine import dispose_engines

        dispose_engines()
        for drop in self.drops:
            drop.result()
        self.dropper.shutdown()
        for url in self.later:  # this may run at exit, when no new thread may start
            if url.startswith("postgresql"):
                pg_exec(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        if self.pg_tried:  # also after a failed build
            pg_exec(f'DROP DATABASE IF EXISTS "{self._pg_template()}" WITH (FORCE)')


Sessions = dict[str, tuple[str, str]]  # username -> (session cookie, CSRF token)


def fill_miami(engine: sa.Engine) -> Sessions:
    """examples/miami/scenario.yaml, with a web session for every demo account."""
    migrate.upgrade(engine)
    with fast_hashing(), write_session(engine) as session:
        load_scenario(session, read_scenario(MIAMI_SCENARIO), actor=Actor.system("test"))
    sessions: Sessions = {}
    with write_session(engine) as session:
        for user in session.scalars(sa.select(User)):
            token, web = start_session(session, user, hours=12)
            sessions[user.username] = (token, web.csrf_token)
    return sessions


MiamiDatabases = TemplateDatabases[Sessions]
_MIAMI: list[MiamiDatabases] = []


def miami_databases(factory: pytest.TempPathFactory) -> MiamiDatabases:
    """The one set of Miami templates of this test process, whichever package asks first.

    Module-level, not only a session fixture: packages re-export the fixtures under their own
    names, and each re-export would otherwise build its own templates.
    """
    if not _MIAMI:
        _MIAMI.append(TemplateDatabases("miami", factory.mktemp("miami"), fill_miami))
        atexit.register(_MIAMI[0].cleanup)
    return _MIAMI[0]


def stepped_up(actor: Actor) -> Actor:
    """The actor as a door passes it once the user proved who it is a moment ago (the web's
    step-up). Service tests act as that door; the doors themselves are tested over HTTP."""
    return dataclasses.replace(actor, stepped_up=True)
