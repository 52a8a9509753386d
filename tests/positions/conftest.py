"""The illustrative Miami scenario in a fresh database per test, on SQLite and PostgreSQL.

The templates are shared by every test package (``miami_templates`` in tests/conftest.py, see
tests/support/databases.py): loaded once per worker and backend, with cheap argon2 costs and a
web session for every demo user; tests get a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.config import Settings
from parley.db.engine import read_session
from parley.processes.models import Process
from support.databases import MiamiDatabases, stepped_up

KEY = "miami-2025"
USERS = ("mediator", "ukraine", "russia", "europe", "ukraine-viewer", "observer")


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
            return stepped_up(actor_for(session, user))

    def process_id(self) -> uuid.UUID:
        with read_session(self.engine) as session:
            return session.scalars(sa.select(Process.id).where(Process.key == KEY)).one()


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: MiamiDatabases, tmp_path: Path
) -> Iterator[Miami]:
    """The Miami scenario in a fresh database of its own, on each backend."""
    url, sessions = miami_templates.copy(request.param, tmp_path)
    app = create_app(Settings(database_url=url, environment="development"))
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
    miami_templates.drop(url, app.state.engine)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _shared_miami(
    request: pytest.FixtureRequest,
    miami_templates: MiamiDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, FastAPI, dict[str, tuple[str, str]]]]:
    url, sessions = miami_templates.copy(request.param, tmp_path_factory.mktemp("shared-miami"))
    app = create_app(Settings(database_url=url, environment="development"))
    yield url, app, sessions
    miami_templates.drop(url, app.state.engine)


@pytest.fixture
def miami_ro(_shared_miami: tuple[str, FastAPI, dict[str, tuple[str, str]]]) -> Iterator[Miami]:
    """One Miami database per worker and backend, for tests that change nothing."""
    url, app, sessions = _shared_miami
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
