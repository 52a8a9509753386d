"""The illustrative Miami scenario in a database, with signed-in clients, on both backends.

Each worker loads examples/miami/scenario.yaml once per backend into a template (with a cheap
password hasher and a web session per demo account); a test then gets a fresh copy (``miami``)
or, when it only reads, one shared copy per worker and backend (``shared_miami``).

The fixtures are defined here and imported by tests/commitments/conftest.py and by the
sequencing service and view tests.
"""

from __future__ import annotations

import atexit
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
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
USERS = (
    "mediator",
    "ukraine",
    "russia",
    "europe",
    "ukraine-viewer",
    "russia-viewer",
    "europe-viewer",
    "observer",
)
_FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _pg_problem() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


_PG_PROBLEM = _pg_problem()


def _pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _require(backend: str) -> None:
    if backend != "postgresql" or _PG_PROBLEM is None:
        return
    message = f"PostgreSQL not available at {PG_ADMIN}: {_PG_PROBLEM}"
    if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
        pytest.fail(message + " (PARLEY_REQUIRE_POSTGRES=1)")
    pytest.skip(message)


def _fill(engine: sa.Engine) -> dict[str, tuple[str, str]]:
    migrate.upgrade(engine)
    with mock.patch("parley.auth.passwords._hasher", _FAST), write_session(engine) as session:
        load_scenario(session, read_scenario(MIAMI), actor=Actor.system("test"))
    sessions = {}
    with write_session(engine) as session:
        for username in USERS:
            user = session.scalars(sa.select(User).where(User.username == username)).one()
            token, web = start_session(session, user, hours=12)
            sessions[username] = (token, web.csrf_token)
    return sessions


class MiamiTemplates:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.run = uuid.uuid4().hex[:8]
        self.built: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {}
        # Dropping a PostgreSQL database takes a moment: do it off the test's critical path.
        self.dropper = ThreadPoolExecutor(max_workers=1)
        self.drops: list[Future[None]] = []
        self.later: list[str] = []  # shared databases, dropped at exit

    def template(self, backend: str) -> tuple[str, dict[str, tuple[str, str]]]:
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
        return self.built[backend]

    def copy(self, backend: str, directory: Path) -> tuple[str, dict[str, tuple[str, str]]]:
        location, sessions = self.template(backend)
        if backend == "sqlite":
            path = directory / f"miami-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(location, path)
            return f"sqlite:///{path}", sessions
        name = f"parley_miami_{_worker()}_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{location}"')
        return _pg_url(name), sessions

    def drop(self, url: str) -> None:
        if url.startswith("postgresql"):
            name = url.rsplit("/", 1)[1]
            self.drops.append(
                self.dropper.submit(_pg_exec, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            )

    def cleanup(self) -> None:
        from parley.db.engine import dispose_engines

        dispose_engines()
        for drop in self.drops:
            drop.result()
        self.dropper.shutdown()
        for url in self.later:  # at exit no new thread may start: drop in this one
            if url.startswith("postgresql"):
                _pg_exec(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        if "postgresql" in self.built:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.built["postgresql"][0]}" WITH (FORCE)')


@dataclass
class Miami:
    """A Miami database, its app, and clients signed in as the scenario's demo accounts."""

    url: str
    app: FastAPI
    sessions: dict[str, tuple[str, str]]
    stack: ExitStack
    clients: dict[str, TestClient] = field(default_factory=dict)

    @property
    def engine(self) -> sa.Engine:
        return self.app.state.engine  # type: ignore[no-any-return]

    def client(self, username: str | None) -> TestClient:
        """``None`` is anonymous. Server errors raise, so a test shows their traceback."""
        key = username or "(anonymous)"
        if key not in self.clients:
            client = TestClient(self.app, follow_redirects=False)
            if username is not None:
                client.cookies.set("parley_session", self.sessions[username][0])
            self.clients[key] = self.stack.enter_context(client)
        return self.clients[key]

    def csrf(self, username: str) -> dict[str, str]:
        return {"X-CSRF-Token": self.sessions[username][1]}

    def form(self, username: str, **fields: Any) -> dict[str, Any]:
        return {"csrf_token": self.sessions[username][1], **fields}

    def actor(self, username: str | None) -> Actor:
        if username is None:
            return Actor.anonymous()
        with read_session(self.engine) as session:
            user = session.scalars(sa.select(User).where(User.username == username)).one()
            return actor_for(session, user)

    def process(self, session: Any) -> Process:
        return session.scalars(sa.select(Process).where(Process.key == KEY)).one()


_STATE: dict[Any, Any] = {}


def _templates(factory: pytest.TempPathFactory) -> MiamiTemplates:
    """One set of templates per test process, however many modules import these fixtures
    (each import registers the fixtures anew, so a session-scoped fixture alone would build
    the templates once per module)."""
    if "templates" not in _STATE:
        templates = MiamiTemplates(factory.mktemp("miami"))
        _STATE["templates"] = templates
        atexit.register(templates.cleanup)
    return _STATE["templates"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def miami_templates(tmp_path_factory: pytest.TempPathFactory) -> MiamiTemplates:
    return _templates(tmp_path_factory)


def _settings(url: str) -> Settings:
    return Settings(database_url=url, environment="development")


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: MiamiTemplates, tmp_path: Path
) -> Iterator[Miami]:
    """A fresh Miami database of this test's own (for tests that change something)."""
    _require(request.param)
    url, sessions = miami_templates.copy(request.param, tmp_path)
    app = create_app(_settings(url))
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
    app.state.engine.dispose()
    miami_templates.drop(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _shared_miami_db(
    request: pytest.FixtureRequest,
    miami_templates: MiamiTemplates,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, FastAPI, dict[str, tuple[str, str]]]:
    _require(request.param)
    key = ("shared", request.param)
    if key not in _STATE:
        url, sessions = miami_templates.copy(request.param, tmp_path_factory.mktemp("shared-miami"))
        _STATE[key] = (url, create_app(_settings(url)), sessions)
        miami_templates.later.append(url)
    return _STATE[key]  # type: ignore[no-any-return]


@pytest.fixture
def shared_miami(
    _shared_miami_db: tuple[str, FastAPI, dict[str, tuple[str, str]]],
) -> Iterator[Miami]:
    """One Miami database per worker and backend, for tests that only read."""
    url, app, sessions = _shared_miami_db
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
