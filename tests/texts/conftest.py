"""Fixtures for the text service tests: the small scenario, its people as actors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db.engine import read_session, write_session
from parley.processes.models import Process

# The Miami scenario served by the app (tests/sessions), for the bracket undo tests.
from sessions.conftest import miami, miami_sqlite, miami_web, miami_web_sqlite  # noqa: F401
from support.databases import stepped_up

# The canary scenario's fixtures (tests/web), for the texts pages' tests.
from web.conftest import _shared_database, canary, canary_templates, shared_canary  # noqa: F401

FIXTURES = Path(__file__).resolve().parent / "fixtures"
US_DRAFT = FIXTURES / "miami_us_draft.md"
COUNTER = FIXTURES / "miami_ua_eu_counter.md"


@dataclass
class World:
    """The small scenario (tests/scenario/small.yaml) and who acts in it."""

    engine: sa.Engine
    process: Process
    system: Actor
    med: Actor  # head of the mediator's team (MED)
    alpha: Actor  # head of AAA
    alpha_viewer: Actor  # read-only member of AAA
    beta: Actor  # head of BBB
    watcher: Actor  # observer of the process

    def write(self) -> object:
        return write_session(self.engine)

    def read(self) -> object:
        return read_session(self.engine)


@pytest.fixture
def world(small_engine: sa.Engine) -> Iterator[World]:
    with read_session(small_engine) as s:
        process = s.scalars(sa.select(Process).where(Process.key == "small")).one()
        users = {u.username: u for u in s.scalars(sa.select(User))}
        actors = {name: stepped_up(actor_for(s, users[name])) for name in users}
    yield World(
        engine=small_engine,
        process=process,
        system=Actor.system("test"),
        med=actors["med"],
        alpha=actors["alpha"],
        alpha_viewer=actors["alpha-viewer"],
        beta=actors["beta"],
        watcher=actors["watcher"],
    )
