"""Live updates: the ``/p/{key}/events`` stream tells an open page that something it may see
has changed, so it can reload its parts.

What a page may learn is decided exactly as before, by one scoped query in SQL: the newest
audit event of the process in a space its user may read (``visible``, under row-level security
on PostgreSQL). What changed is *when* that query runs:

* **PostgreSQL**: a trigger sends ``NOTIFY parley_audit, '<process id>'`` for every new audit
  event (migration ``0011_h18_live_notify``). Each worker keeps **one** listening connection
  (:class:`Hub`); on a notification it runs the scoped query once per user with a page open on
  that process and wakes the pages whose answer moved. With nothing changing, open pages cost
  the database nothing (a keep-alive comment goes to the browser every
  :data:`KEEPALIVE_SECONDS`, without a query).
* **SQLite** (no notifications): each page polls, every :data:`POLL_SECONDS` after a change,
  backing off to :data:`IDLE_POLL_SECONDS` while nothing changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from fastapi.concurrency import run_in_threadpool

from parley.audit.chain import jsonable
from parley.audit.models import AuditEvent
from parley.authz import Actor, visible
from parley.authz.scope import reading_key
from parley.db.engine import read_session
from parley.db.rls import bind_actor

log = logging.getLogger(__name__)

CHANNEL = "parley_audit"
POLL_SECONDS = 2.0  # SQLite: right after a change
IDLE_POLL_SECONDS = 15.0  # SQLite: the slowest poll, after a quiet while
BACKOFF = 1.5  # SQLite: each quiet poll waits this much longer, up to IDLE_POLL_SECONDS
KEEPALIVE_SECONDS = 15.0  # PostgreSQL: a comment line, so proxies keep the stream open
RECONNECT_SECONDS = 2.0  # PostgreSQL: wait before listening again after a lost connection


class Disconnectable(Protocol):
    async def is_disconnected(self) -> bool: ...


def newest_visible(engine: sa.Engine, actor: Actor, process_id: uuid.UUID) -> datetime | None:
    """When the newest audit event of the process that ``actor`` may see was written."""
    with read_session(engine) as s:
        bind_actor(s, actor)  # row-level security: the stream's own session
        return s.scalar(
            sa.select(sa.func.max(AuditEvent.at)).where(
                AuditEvent.process_id == process_id, visible(actor, AuditEvent)
            )
        )


def _change(at: datetime) -> str:
    return f"event: change\ndata: {json.dumps({'at': jsonable(at)})}\n\n"


# ---------------------------------------------------------------- PostgreSQL: one listener


@dataclass(eq=False)
class Page:
    """One open page: who looks at which process, what it last saw, and its wake-up call."""

    actor: Actor
    process_id: uuid.UUID
    last: datetime | None
    changes: asyncio.Queue[datetime] = field(default_factory=asyncio.Queue)


class Hub:
    """A worker's single LISTEN connection, fanning notifications out to its open pages."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        query: Callable[[sa.Engine, Actor, uuid.UUID], datetime | None] = newest_visible,
    ) -> None:
        self.engine = engine
        self.query = query
        self.pages: dict[uuid.UUID, set[Page]] = {}
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = asyncio.Event()
        self._dirty: set[uuid.UUID] = set()
        self._running: set[uuid.UUID] = set()
        self.notifications = 0  # received, for tests and benchmarks

    # --- pages

    async def open(self, actor: Actor, process_id: uuid.UUID) -> Page:
        """Register a page (and start listening if this is the first); its current answer is
        read after the listener is ready, so a change in between is never missed."""
        self._ensure_listening()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), 10)
        page = Page(actor, process_id, None)
        self.pages.setdefault(process_id, set()).add(page)
        page.last = await run_in_threadpool(self.query, self.engine, actor, process_id)
        return page

    def close(self, page: Page) -> None:
        pages = self.pages.get(page.process_id)
        if pages is not None:
            pages.discard(page)
            if not pages:
                del self.pages[page.process_id]

    # --- the listener

    def _ensure_listening(self) -> None:
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._loop is loop:
            return
        self._loop = loop
        self._ready = asyncio.Event()
        self._task = loop.create_task(self._listen(), name="parley-live-listener")

    async def _listen(self) -> None:
        import psycopg

        url = self.engine.url.set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    if self._ready.is_set():  # a reconnect: changes may have been missed
                        for process_id in list(self.pages):
                            self.changed(process_id)
                    self._ready.set()
                    async for note in conn.notifies():
                        self.notifications += 1
                        with contextlib.suppress(ValueError):
                            self.changed(uuid.UUID(note.payload))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("live updates: the listening connection failed", exc_info=True)
                self._ready.set()  # pages still open; they catch up on the reconnect
                await asyncio.sleep(RECONNECT_SECONDS)

    def changed(self, process_id: uuid.UUID) -> None:
        """Something was written in ``process_id``: look again for its open pages (a burst of
        notifications while a look is running becomes one more look)."""
        if process_id not in self.pages:
            return
        if process_id in self._running:
            self._dirty.add(process_id)
            return
        self._running.add(process_id)
        asyncio.get_running_loop().create_task(self._look(process_id))

    async def _look(self, process_id: uuid.UUID) -> None:
        try:
            while True:
                self._dirty.discard(process_id)
                await self._wake(process_id)
                if process_id not in self._dirty:
                    return
        finally:
            self._running.discard(process_id)

    async def _wake(self, process_id: uuid.UUID) -> None:
        # One scoped query per user (pages of one user see the same), not one per page.
        by_user: dict[Any, list[Page]] = {}
        for page in list(self.pages.get(process_id, ())):
            by_user.setdefault(_actor_key(page.actor), []).append(page)
        for pages in by_user.values():
            try:
                newest = await run_in_threadpool(
                    self.query, self.engine, pages[0].actor, process_id
                )
            except Exception:
                log.warning("live updates: the scoped query failed", exc_info=True)
                continue
            for page in pages:
                if newest is not None and (page.last is None or newest > page.last):
                    page.last = newest
                    page.changes.put_nowait(newest)


def _actor_key(actor: Actor) -> Any:
    """Pages whose actors have this key see exactly the same events."""
    return reading_key(actor)


def hub_for(app: Any, engine: sa.Engine) -> Hub:
    hub: Hub | None = getattr(app.state, "live_hub", None)
    if hub is None or hub.engine is not engine:
        hub = app.state.live_hub = Hub(engine)
    return hub


async def pushed(
    request: Disconnectable, hub: Hub, actor: Actor, process_id: uuid.UUID
) -> AsyncIterator[str]:
    """PostgreSQL: the stream of one page, woken by the hub."""
    page = await hub.open(actor, process_id)
    try:
        yield "retry: 5000\n\n"
        while not await request.is_disconnected():
            try:
                at = await asyncio.wait_for(page.changes.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            while not page.changes.empty():  # a burst: tell the page once
                at = page.changes.get_nowait()
            yield _change(at)
    finally:
        hub.close(page)


# ---------------------------------------------------------------- SQLite: polling


async def polled(
    request: Disconnectable,
    newest: Callable[[], Awaitable[datetime | None]],
    *,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[str]:
    """SQLite: the stream of one page, polling less often while nothing changes."""
    last = await newest()
    yield "retry: 5000\n\n"
    wait = POLL_SECONDS
    while not await request.is_disconnected():
        await sleep(wait)
        current = await newest()
        if current is not None and (last is None or current > last):
            last = current
            wait = POLL_SECONDS
            yield _change(current)
        else:
            wait = min(wait * BACKOFF, IDLE_POLL_SECONDS)


# ---------------------------------------------------------------- the endpoint's body


def stream(
    request: Any, engine: sa.Engine, actor: Actor, process_id: uuid.UUID
) -> AsyncIterator[str]:
    """The event stream of one page open on ``process_id`` (``engine``: the request's)."""
    if engine.dialect.name == "postgresql":
        return pushed(request, hub_for(request.app, engine), actor, process_id)

    async def newest() -> datetime | None:  # never block the event loop on the database
        return await run_in_threadpool(newest_visible, engine, actor, process_id)

    return polled(request, newest)
