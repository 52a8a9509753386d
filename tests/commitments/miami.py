"""The illustrative Miami scenario in a database, with signed-in clients, on both backends.

The templates are shared by every test package (``miami_templates`` in tests/conftest.py, see
tests/support/databases.py); a test gets a fresh copy (``miami``) or, when it only reads, one
shared copy per worker and backend (``shared_miami``).

The fixtures are defined here and imported by tests/commitments/conftest.py and by the
sequencing service and view tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    @property
    def owner_engine(self) -> sa.Engine:
        """The database owner's engine: sees every row, also behind row-level security (the
        app's own engine then sees only what the signed-in user's context allows)."""
        if "owner" not in self.__dict__:
            from parley.db.engine import create_db_engine

            engine = create_db_engine(self.url)
            self.stack.callback(engine.dispose)
            self.__dict__["owner"] = engine
        return self.__dict__["owner"]  # type: ignore[no-any-return]

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
            return stepped_up(actor_for(session, user))

    def process(self, session: Any) -> Process:
        return session.scalars(sa.select(Process).where(Process.key == KEY)).one()


_SHARED: dict[str, tuple[str, FastAPI, dict[str, tuple[str, str]]]] = {}


def _settings(url: str) -> Settings:
    return Settings(database_url=url, environment="development")


@pytest.fixture(params=["sqlite", "postgresql"])
def miami(
    request: pytest.FixtureRequest, miami_templates: MiamiDatabases, tmp_path: Path
) -> Iterator[Miami]:
    """A fresh Miami database of this test's own (for tests that change something)."""
    url, sessions = miami_templates.copy(request.param, tmp_path)
    app = create_app(_settings(url))
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
    miami_templates.drop(url, app.state.engine)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _shared_miami_db(
    request: pytest.FixtureRequest,
    miami_templates: MiamiDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, FastAPI, dict[str, tuple[str, str]]]:
    # Kept in a module dict: each package that re-exports this fixture would otherwise make
    # its own copy.
    if request.param not in _SHARED:
        url, sessions = miami_templates.copy(request.param, tmp_path_factory.mktemp("shared-miami"))
        _SHARED[request.param] = (url, create_app(_settings(url)), sessions)
        miami_templates.later.append(url)
    return _SHARED[request.param]


@pytest.fixture
def shared_miami(
    _shared_miami_db: tuple[str, FastAPI, dict[str, tuple[str, str]]],
) -> Iterator[Miami]:
    """One Miami database per worker and backend, for tests that only read."""
    url, app, sessions = _shared_miami_db
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-rls"])
def miami_web(
    request: pytest.FixtureRequest, miami_templates: MiamiDatabases, tmp_path: Path
) -> Iterator[Miami]:
    """A fresh Miami database for web tests, also behind PostgreSQL's row-level security
    (the app connected as a role that owns nothing, as tests/web does)."""
    from web.support import make_settings

    backend, _, wall = request.param.partition("-")
    url, sessions = miami_templates.copy(backend, tmp_path)
    app = create_app(make_settings(url, rls=wall == "rls"))
    with ExitStack() as stack:
        yield Miami(url, app, sessions, stack)
    miami_templates.drop(url, app.state.engine)
