"""Fixtures and helpers for the review-queue tests (imported by test_service*.py, test_views*.py).

``miami_url``: the illustrative Miami scenario, loaded once per worker and backend into a
template (with cheap password hashing) and copied for each test. ``small_url`` (tests/conftest.py)
is the small scenario. Helpers build actors for the scenario's users and run an intake.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db import migrate
from parley.db.engine import create_db_engine, read_session, write_session
from parley.intake.models import Proposal
from parley.intake.service import IntakeOutcome, intake_reports, process_named
from parley.intake.sources import from_text
from parley.scenario.loader import load_scenario, read_scenario

ROOT = Path(__file__).resolve().parents[2]
MIAMI_SCENARIO = ROOT / "examples" / "miami" / "scenario.yaml"
PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
GOLD = Path(__file__).parent / "gold"
MIAMI_REPORT = GOLD / "01_miami_round.txt"
SYSTEM = Actor.system("test")
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def require_postgres() -> None:
    """Skip (or fail with PARLEY_REQUIRE_POSTGRES=1) without a PostgreSQL server."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return
    except psycopg.Error as exc:
        message = f"PostgreSQL not available at {PG_ADMIN}: {exc}"
    if os.environ.get("PARLEY_REQUIRE_POSTGRES") == "1":
        pytest.fail(message)
    pytest.skip(message)


class MiamiTemplates:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.sqlite: Path | None = None
        self.pg: str | None = None
        self.run = uuid.uuid4().hex[:8]

    @staticmethod
    def _fill(url: str) -> None:
        engine = create_db_engine(url)
        try:
            migrate.upgrade(engine)
            with (
                mock.patch("parley.auth.passwords._hasher", _FAST_HASHER),
                write_session(engine) as session,
            ):
                load_scenario(session, read_scenario(MIAMI_SCENARIO), actor=SYSTEM)
            if engine.dialect.name == "sqlite":
                with engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()

    def copy(self, backend: str, dest: Path) -> str:
        if backend == "sqlite":
            if self.sqlite is None:
                self.sqlite = self.tmp / "miami-template.db"
                self._fill(f"sqlite:///{self.sqlite}")
            shutil.copyfile(self.sqlite, dest)
            return f"sqlite:///{dest}"
        require_postgres()
        if self.pg is None:
            name = f"parley_tpl_miami_{_worker()}_{self.run}"
            _pg_exec(f'DROP DATABASE IF EXISTS "{name}"')
            _pg_exec(f'CREATE DATABASE "{name}"')
            self._fill(_pg_url(name))
            self.pg = name
        name = f"parley_test_{_worker()}_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{name}" TEMPLATE "{self.pg}"')
        return _pg_url(name)

    def cleanup(self) -> None:
        if self.pg is not None:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.pg}" WITH (FORCE)')


# Fixtures carry a name= so that test modules can import them (``from ... import
# miami_engine_fixture``) without their parameters shadowing the imported name.
@pytest.fixture(scope="session", name="miami_templates")
def miami_templates_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiamiTemplates]:
    templates = MiamiTemplates(tmp_path_factory.mktemp("miami"))
    yield templates
    templates.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"], name="miami_url")
def miami_url_fixture(
    request: pytest.FixtureRequest, miami_templates: MiamiTemplates, tmp_path: Path
) -> Iterator[str]:
    """A database with examples/miami/scenario.yaml loaded, on each backend."""
    url = miami_templates.copy(request.param, tmp_path / "miami.db")
    yield url
    if url.startswith("postgresql"):
        from parley.db.engine import dispose_engines

        dispose_engines()
        _pg_exec(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(name="miami_engine")
def miami_engine_fixture(miami_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(miami_url)
    yield engine
    engine.dispose()


def user_actor(engine: sa.Engine, username: str) -> Actor:
    with read_session(engine) as session:
        user = session.scalars(sa.select(User).where(User.username == username)).one()
        return actor_for(session, user)


def take_in(
    engine: sa.Engine,
    actor: Actor,
    key: str,
    text: str,
    space: str | None = None,
    **info: Any,
) -> IntakeOutcome:
    with write_session(engine) as session:
        process = process_named(session, key)
        assert process is not None
        [outcome] = intake_reports(
            session, actor=actor, process=process, sources=[from_text(text, **info)], space=space
        )
        return outcome


def proposals(
    engine: sa.Engine, source_id: uuid.UUID | None = None, kind: str | None = None
) -> list[Proposal]:
    """As the system sees them (tests check the rows, not what a user may read)."""
    with read_session(engine) as session:
        query = sa.select(Proposal).order_by(Proposal.start, Proposal.id)
        if source_id is not None:
            query = query.where(Proposal.source_id == source_id)
        if kind is not None:
            query = query.where(Proposal.kind == kind)
        return list(session.scalars(query))


def process_of(engine: sa.Engine, key: str) -> Any:
    with read_session(engine) as session:
        return process_named(session, key)
