"""Live updates (parley.audit.live): a page hears of a change it may see and of nothing else, on
PostgreSQL through one LISTEN connection per worker, on SQLite by polling; idle pages on
PostgreSQL cost no query."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa

from parley.audit import live
from parley.audit.service import record
from parley.auth.models import User
from parley.auth.service import actor_for
from parley.authz import Actor
from parley.db.engine import read_session, write_session
from parley.processes.models import Process

T = TypeVar("T")


class Page:
    """A browser tab: connected until closed, or until ``checks`` disconnection checks."""

    def __init__(self, checks: int = 1 << 30) -> None:
        self.checks = checks
        self.closed = False
        self.app = SimpleNamespace(state=SimpleNamespace())

    async def is_disconnected(self) -> bool:
        self.checks -= 1
        return self.closed or self.checks < 0


def _actor(engine: sa.Engine, username: str) -> Actor:
    with read_session(engine) as s:
        user = s.scalars(sa.select(User).where(User.username == username)).one()
        return actor_for(s, user)


def _process(engine: sa.Engine) -> uuid.UUID:
    with read_session(engine) as s:
        return s.scalars(sa.select(Process.id).where(Process.key == "small")).one()


def _write(engine: sa.Engine, process_id: uuid.UUID, space: str) -> None:
    with write_session(engine) as s:
        record(
            s,
            actor=Actor.system("test:live"),
            process_id=process_id,
            space=space,
            action="test:live",
            object_type="test",
            object_id=uuid.uuid4(),
            changes={},
        )


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: a browser test earlier in this worker may leave
    Playwright's event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _drain(events: AsyncIterator[str]) -> list[str]:
    return [e async for e in events]


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_SECONDS", 0.3)
    monkeypatch.setattr(live, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(live, "IDLE_POLL_SECONDS", 0.1)


def test_a_page_hears_of_changes_it_may_see_and_of_no_other(small_engine: sa.Engine) -> None:
    """alpha (delegation AAA) and beta (BBB) each have the process open: a change in beta's
    own space reaches beta's page only; a public one reaches both."""
    process_id = _process(small_engine)
    alpha, beta = _actor(small_engine, "alpha"), _actor(small_engine, "beta")

    async def scenario() -> tuple[list[str], list[str]]:
        app_state = SimpleNamespace(state=SimpleNamespace())
        pages = {"alpha": Page(), "beta": Page()}
        for page in pages.values():
            page.app = app_state  # one worker: the pages share its hub
        streams = {
            name: live.stream(page, small_engine, actor, process_id)
            for (name, page), actor in zip(pages.items(), (alpha, beta), strict=True)
        }
        # Each page is open (its first line sent) before anything is written.
        firsts = {name: await anext(s) for name, s in streams.items()}
        assert set(firsts.values()) == {"retry: 5000\n\n"}
        tasks = {name: asyncio.create_task(_drain(s)) for name, s in streams.items()}
        await asyncio.sleep(0.3)
        await asyncio.to_thread(_write, small_engine, process_id, "party:BBB")
        await asyncio.sleep(1.0)
        await asyncio.to_thread(_write, small_engine, process_id, "public")
        await asyncio.sleep(1.5)
        for page in pages.values():
            page.closed = True
        done = {name: await task for name, task in tasks.items()}
        return done["alpha"], done["beta"]

    alpha_saw, beta_saw = _run(scenario())
    changes = {
        "alpha": [e for e in alpha_saw if e.startswith("event: change")],
        "beta": [e for e in beta_saw if e.startswith("event: change")],
    }
    assert len(changes["beta"]) == 2, beta_saw  # its own space, then the public change
    assert len(changes["alpha"]) == 1, alpha_saw  # the public change only


def test_idle_pages_on_postgresql_cost_no_query(small_engine: sa.Engine) -> None:
    """Many open pages, nothing written: after each page's first look the hub runs no query;
    one change then costs one query per user, not one per page."""
    if small_engine.dialect.name != "postgresql":
        pytest.skip("SQLite polls (and backs off while idle)")
    process_id = _process(small_engine)
    actors = [_actor(small_engine, name) for name in ("alpha", "beta", "med")]
    queries: list[Any] = []

    def counted(engine: sa.Engine, actor: Actor, pid: uuid.UUID) -> Any:
        queries.append(actor.name)
        return live.newest_visible(engine, actor, pid)

    async def scenario() -> tuple[int, int, int]:
        hub = live.Hub(small_engine, query=counted)
        pages = [await hub.open(actors[i % 3], process_id) for i in range(30)]
        opened = len(queries)
        await asyncio.sleep(1.5)  # idle
        idle = len(queries) - opened
        await asyncio.to_thread(_write, small_engine, process_id, "public")
        for page in pages:
            await asyncio.wait_for(page.changes.get(), 10)
        after_change = len(queries) - opened - idle
        assert hub._task is not None
        hub._task.cancel()
        return opened, idle, after_change

    opened, idle, after_change = _run(scenario())
    assert opened == 30
    assert idle == 0
    assert after_change == 3


def test_sqlite_polls_less_often_while_nothing_changes() -> None:
    waits: list[float] = []

    async def newest() -> None:
        return None

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def scenario() -> list[str]:
        return await _drain(live.polled(Page(checks=8), newest, sleep=sleep))

    assert _run(scenario()) == ["retry: 5000\n\n"]
    assert waits[0] == live.POLL_SECONDS
    assert waits == sorted(waits) and waits[-1] == live.IDLE_POLL_SECONDS
