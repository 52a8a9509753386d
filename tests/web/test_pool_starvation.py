"""A burst of requests on a small pool and a small thread pool finishes instead of starving.

FastAPI validates a plain handler's response in a second trip to its thread pool. Before
parley.web.routing, a request held its read connection across that trip, so with every thread
waiting for a connection and every connection held by a request waiting for a thread, the pool
timed out and the requests failed with 500s. The burst below reproduced that within seconds.
"""

from __future__ import annotations

import functools
import inspect
from concurrent.futures import ThreadPoolExecutor

import anyio
import httpx
import sqlalchemy as sa
from fastapi.routing import APIRoute

from parley.db import engine as engine_module
from web.support import KEY, PERSONAS, Canary

CONVERGENCE = f"/api/v1/processes/{KEY}/convergence"


def _small_engine(url: str, monkeypatch) -> sa.Engine:  # type: ignore[no-untyped-def]
    create = functools.partial(sa.create_engine, pool_size=1, max_overflow=0, pool_timeout=3)
    monkeypatch.setattr(engine_module.sa, "create_engine", create)
    small = engine_module.create_db_engine(url)
    monkeypatch.undo()
    return small


def test_a_burst_on_one_thread_and_one_connection_is_served(canary: Canary, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    small = _small_engine(canary.url, monkeypatch)
    canary.app.state.engine = small
    username = PERSONAS["mediator"].username
    assert username is not None
    cookie = canary.template.sessions[username][0]

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 1
        transport = httpx.ASGITransport(app=canary.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", cookies={"parley_session": cookie}
        ) as client:
            statuses: list[int] = []

            async def one() -> None:
                statuses.append((await client.get(CONVERGENCE)).status_code)

            async with anyio.create_task_group() as group:
                for _ in range(6):
                    group.start_soon(one)
            return statuses

    try:
        # A thread of its own: where a browser test ran, Playwright's loop occupies this one.
        with ThreadPoolExecutor(max_workers=1) as pool:
            statuses = pool.submit(anyio.run, burst).result()
    finally:
        small.dispose()
    assert statuses == [200] * 6


def test_every_plain_handler_gives_its_read_connection_back(canary: Canary) -> None:
    """Every router uses parley.web.routing.ReleasingRoute, so no plain handler is missed."""
    endpoints = []
    for route in canary.app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:  # an included router (FastAPI resolves them lazily)
            endpoints += [(context.path, context.endpoint) for context in contexts()]
        elif isinstance(route, APIRoute):
            endpoints.append((route.path, route.endpoint))
    plain = [(path, call) for path, call in endpoints if not inspect.iscoroutinefunction(call)]
    assert len(plain) > 150  # most handlers are plain functions, in every router
    missed = [path for path, call in plain if not getattr(call, "releases_read_connection", 0)]
    assert missed == []
