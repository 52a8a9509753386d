"""The illustrative Miami scenario in a fresh database per test, on SQLite and PostgreSQL.

The templates are shared by every test package (``miami_templates`` in tests/conftest.py, see
tests/support/databases.py): loaded once per worker and backend with a cheap argon2, then
copied for each test; ``miami`` also gives each persona's actor, as a web request would build it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db.engine import create_db_engine, read_session, write_session
from parley.processes.models import Process
from support.databases import MiamiDatabases, stepped_up

PERSONAS = (
    "mediator",
    "ukraine",
    "russia",
    "europe",
    "ukraine-viewer",
    "russia-viewer",
    "observer",
)


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
            u.username: stepped_up(actor_for(s, u))
            for u in s.scalars(sa.select(User).where(User.username.in_(PERSONAS)))
        }
    actors["anonymous"] = Actor.anonymous()
    return Miami(engine, process, actors)


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: MiamiDatabases, tmp_path: Path
) -> Iterator[Miami]:
    """The Miami scenario in a fresh database, on each backend."""
    url, _ = miami_templates.copy(request.param, tmp_path)
    data = _open(url)
    yield data
    miami_templates.drop(url, data.engine)


@pytest.fixture
def miami_sqlite(miami_templates: MiamiDatabases, tmp_path: Path) -> Iterator[Miami]:
    """The Miami scenario on SQLite only (for checks that do not depend on the backend)."""
    url, _ = miami_templates.copy("sqlite", tmp_path)
    data = _open(url)
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
