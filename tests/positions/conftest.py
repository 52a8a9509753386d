"""The illustrative Miami scenario in a fresh database per test, on SQLite and PostgreSQL.

Each worker loads examples/miami/scenario.yaml once per backend into a template (with cheap
argon2 costs, and a web session for every demo user); tests get a copy: a file copy for SQLite,
``CREATE DATABASE ... TEMPLATE`` for PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import actor_for, start_session
from parley.authz import Actor
from parley.config import Settings
from parley.db import migrate
from parley.db.engine import create_db_engine, read_session, write_session
from parley.processes.models import Process
from parley.scenario.loader import load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]
MIAMI = ROOT / "examples" / "miami" / "scenario.yaml"
PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
KEY = "miami-2025"
USERS = ("mediator", "ukraine", "russia", "europe", "ukraine-viewer", "observer")
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _pg_problem() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


_PG_PROBLEM = _pg_problem()


def _pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _fill(engine: sa.Engine) -> dict[str, tuple[str, str]]:
    migrate.upgrade(engine)
    with (
        mock.patch("parley.auth.passwords._hasher", _FAST_HASHER),
        write_session(engine) as session,
    ):
        load_scenario(session, read_scenario(MIAMI), actor=Actor.system("test"))
    sessions = {}
    with write_session(engine) as session:
        for username in USERS:
            user = session.scalars(sa.select(User).where(User.username == username)).one()
            token, web = start_session(session, user, hours=12)
            sessions[username] = (token, web.csrf_token)
    return sessions


class Templates:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.run = uuid.uuid4().hex[:8]
        self.built: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
        # Dropping a PostgreSQL database takes seconds: done on a thread no test waits for.
        self.dropper = ThreadPoolExecutor(max_workers=1)
        self.drops: list[Future[None]] = []

    def drop(self, url: str) -> None:
        if url.startswith("postgresql"):
            name = url.rsplit("/", 1)[1]
            self.drops.append(
                self.dropper.submit(_pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )

    def new(self, backend: str, directory: Path) -> tuple[str, dict[str, tuple[str, str]]]:
        if backend not in self.built:
            if backend == "sqlite":
                path = self.tmp / "miami-template.db"
                engine = create_db_engine(f"sqlite:///{path}")
                sessions = _fill(engine)
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                engine.dispose()
                self.built[backend] = (str(path), sessions)
            else:
                name = f"parley_tpl_miami_{_worker()}_{self.run}"
                _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
                _pg_exec(f'CREATE DATABASE "{name}"')
                engine = create_db_engine(_pg_url(name))
                sessions = _fill(engine)
                engine.dispose()
                self.built[backend] = (name, sessions)
        location, sessions = self.built[backend]
        if backend == "sqlite":
            path = directory / f"miami-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(location, path)
            return f"sqlite:///{path}", sessions
        name = f"parley_miami_{_worker()}_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{location}"')
        return _pg_url(name), sessions

    def cleanup(self) -> None:
        for drop in self.drops:
            drop.result()
        self.dropper.shutdown()
        if "postgresql" in self.built:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.built["postgresql"][0]}" WITH (FORCE)')


@pytest.fixture(scope="session")
def miami_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    templates = Templates(tmp_path_factory.mktemp("miami"))
    yield templates
    templates.cleanup()


@dataclass
class Miami:
    """A fresh Miami database, its app, and signed-in clients for the demo users."""

    url: str
    app: FastAPI
    sessions: dict[str, tuple[str, str]]
    stack: ExitStack
    clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def engine(self) -> sa.Engine:
        engine: sa.Engine = self.app.state.engine
        return engine

    def client(self, username: str | None) -> TestClient:
        """A client signed in as ``username`` (None: anonymous)."""
        key = username or "anonymous"
        if key not in self.clients:
            client = TestClient(self.app, follow_redirects=False)
            if username is not None:
                client.cookies.set("parley_session", self.sessions[username][0])
            self.clients[key] = self.stack.enter_context(client)
        return self.clients[key]

    def csrf(self, username: str) -> dict[str, str]:
        return {"X-CSRF-Token": self.sessions[username][1]}

    def actor(self, username: str) -> Actor:
        with read_session(self.engine) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).one()
            return actor_for(session, user)

    def process_id(self) -> uuid.UUID:
        with read_session(self.engine) as session:
            return session.scalars(sa.select(Process.id).where(Process.key == KEY)).one()


def _require_backend(backend: str) -> None:
    if backend == "postgresql" and _PG_PROBLEM is not None:
        message = f"PostgreSQL not available: {_PG_PROBLEM}"
        if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: Templates, tmp_path: Path
) -> Iterator[Miami]:
    """The Miami scenario in a fresh database of its own, on each backend."""
    _require_backend(request.param)
    url, sessions = miami_templates.new(request.param, tmp_path)
    app = create_app(Settings(database_url=url, environment="development"))
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
    app.state.engine.dispose()
    miami_templates.drop(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _shared_miami(
    request: pytest.FixtureRequest,
    miami_templates: Templates,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, FastAPI, dict[str, tuple[str, str]]]]:
    _require_backend(request.param)
    url, sessions = miami_templates.new(request.param, tmp_path_factory.mktemp("shared-miami"))
    app = create_app(Settings(database_url=url, environment="development"))
    yield url, app, sessions
    app.state.engine.dispose()
    miami_templates.drop(url)


@pytest.fixture
def miami_ro(_shared_miami: tuple[str, FastAPI, dict[str, tuple[str, str]]]) -> Iterator[Miami]:
    """One Miami database per worker and backend, for tests that change nothing."""
    url, app, sessions = _shared_miami
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
