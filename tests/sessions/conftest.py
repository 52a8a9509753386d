"""The illustrative Miami scenario in a fresh database per test, on SQLite and PostgreSQL.

Loaded once per worker and backend into a template (with a cheap argon2 so that the eight demo
accounts do not cost seconds), then copied for each test; ``miami`` also gives each persona's
actor, as a web request would build it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db import migrate
from parley.db.engine import create_db_engine, read_session, write_session
from parley.processes.models import Process
from parley.scenario.loader import load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]
MIAMI = ROOT / "examples" / "miami" / "scenario.yaml"
PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
PERSONAS = (
    "mediator",
    "ukraine",
    "russia",
    "europe",
    "ukraine-viewer",
    "russia-viewer",
    "observer",
)
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _fill(url: str) -> None:
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    with mock.patch("parley.auth.passwords._hasher", _FAST), write_session(engine) as session:
        load_scenario(session, read_scenario(MIAMI), actor=Actor.system("test"))
    if url.startswith("sqlite"):
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def _pg_problem() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


_PG_PROBLEM = _pg_problem()


class MiamiTemplates:
    """One loaded template a backend; each test gets a copy (a file, or CREATE ... TEMPLATE)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.run = uuid.uuid4().hex[:8]
        self.built: dict[str, str] = {}
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "main")

    def new(self, backend: str, directory: Path) -> str:
        if backend == "sqlite":
            if backend not in self.built:
                path = self.tmp / "miami-template.db"
                _fill(f"sqlite:///{path}")
                self.built[backend] = str(path)
            dest = directory / f"miami-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(self.built[backend], dest)
            return f"sqlite:///{dest}"
        if _PG_PROBLEM is not None:
            message = f"PostgreSQL not available at {PG_ADMIN}: {_PG_PROBLEM}"
            if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
                pytest.fail(message)
            pytest.skip(message)
        if backend not in self.built:
            name = f"parley_tpl_miami_{self.worker}_{self.run}"
            _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
            _pg_exec(f'CREATE DATABASE "{name}"')
            _fill(_pg_url(name))
            self.built[backend] = name
        name = f"parley_miami_{self.worker}_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.built[backend]}"')
        return _pg_url(name)

    def cleanup(self) -> None:
        if "postgresql" in self.built:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.built["postgresql"]}" WITH (FORCE)')


_SHARED: list[MiamiTemplates] = []  # one set of templates a worker, also for tests/timeline
_DROPPER = ThreadPoolExecutor(max_workers=1)  # dropping a copy never holds a test up


@pytest.fixture(scope="session")
def miami_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiamiTemplates]:
    if not _SHARED:
        _SHARED.append(MiamiTemplates(tmp_path_factory.mktemp("miami")))
    yield _SHARED[0]
    if _SHARED:
        _DROPPER.shutdown(wait=True)
        _SHARED.pop().cleanup()


@dataclass
class Miami:
    """A fresh Miami database: its engine, the process, and each persona's actor."""

    engine: sa.Engine
    process: Process
    actors: dict[str, Actor]

    def actor(self, name: str) -> Actor:
        return self.actors[name]


def _open(url: str) -> Miami:
    engine = create_db_engine(url)
    with read_session(engine) as s:
        process = s.scalars(sa.select(Process).where(Process.key == "miami-2025")).one()
        actors = {
            u.username: actor_for(s, u)
            for u in s.scalars(sa.select(User).where(User.username.in_(PERSONAS)))
        }
    actors["anonymous"] = Actor.anonymous()
    return Miami(engine, process, actors)


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: MiamiTemplates, tmp_path: Path
) -> Iterator[Miami]:
    """The Miami scenario in a fresh database, on each backend."""
    url = miami_templates.new(request.param, tmp_path)
    data = _open(url)
    yield data
    data.engine.dispose()
    if url.startswith("postgresql"):
        _DROPPER.submit(_pg_exec, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture
def miami_sqlite(miami_templates: MiamiTemplates, tmp_path: Path) -> Iterator[Miami]:
    """The Miami scenario on SQLite only (for checks that do not depend on the backend)."""
    data = _open(miami_templates.new("sqlite", tmp_path))
    yield data
    data.engine.dispose()


@dataclass
class MiamiWeb:
    """The Miami database served by the app, with a signed-in client per persona."""

    miami: Miami
    app: Any
    sessions: dict[str, tuple[str, str]]  # username -> (cookie, csrf)
    stack: ExitStack

    def client(self, persona: str) -> TestClient:
        client = TestClient(self.app, follow_redirects=False, raise_server_exceptions=False)
        if persona in self.sessions:
            client.cookies.set("parley_session", self.sessions[persona][0])
        return self.stack.enter_context(client)

    def csrf(self, persona: str) -> dict[str, str]:
        return {"X-CSRF-Token": self.sessions[persona][1]} if persona in self.sessions else {}


@pytest.fixture
def miami_web(miami: Miami) -> Iterator[MiamiWeb]:
    """The app over a fresh Miami database, on each backend."""
    yield from _web(miami)


@pytest.fixture
def miami_web_sqlite(miami_sqlite: Miami) -> Iterator[MiamiWeb]:
    """The same on SQLite only (for flows whose SQL the two-backend tests already cover)."""
    yield from _web(miami_sqlite)


def _web(miami: Miami) -> Iterator[MiamiWeb]:
    from parley.app import create_app
    from parley.auth.service import start_session
    from parley.config import Settings

    app = create_app(
        Settings(
            database_url=str(miami.engine.url.render_as_string(False)), environment="development"
        )
    )
    sessions = {}
    with write_session(miami.engine) as s:
        for user in s.scalars(sa.select(User).where(User.username.in_(PERSONAS))):
            token, web = start_session(s, user, hours=2)
            sessions[user.username] = (token, web.csrf_token)
    with ExitStack() as stack:
        yield MiamiWeb(miami, app, sessions, stack)
    app.state.engine.dispose()
