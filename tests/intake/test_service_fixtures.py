"""Fixtures and helpers for the review-queue tests (imported by test_service*.py, test_views*.py).

``miami_url``: the illustrative Miami scenario, copied for each test from the template shared
by every package (tests/support/databases.py). ``small_url`` (tests/conftest.py)
is the small scenario. Helpers build actors for the scenario's users and run an intake.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db.engine import create_db_engine, read_session, write_session
from parley.intake.models import Proposal
from parley.intake.service import IntakeOutcome, intake_reports, process_named
from parley.intake.sources import from_text
from support.databases import MiamiDatabases

GOLD = Path(__file__).parent / "gold"
MIAMI_REPORT = GOLD / "01_miami_round.txt"
SYSTEM = Actor.system("test")


# Fixtures carry a name= so that test modules can import them (``from ... import
# miami_engine_fixture``) without their parameters shadowing the imported name. The Miami
# templates are shared by every package (``miami_templates``, tests/conftest.py).
@pytest.fixture(params=["sqlite", "postgresql"], name="miami_url")
def miami_url_fixture(
    request: pytest.FixtureRequest, miami_templates: MiamiDatabases, tmp_path: Path
) -> Iterator[str]:
    """A database with examples/miami/scenario.yaml loaded, on each backend."""
    url, _ = miami_templates.copy(request.param, tmp_path)
    yield url
    from parley.db.engine import dispose_engines

    dispose_engines()
    miami_templates.drop(url)


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
