"""Form posts do their database work in the thread pool, never on the event loop.

An ``async def`` handler runs on the event loop, so each query it makes stalls every other
request. The form routes are plain functions that get the form from the ``Form`` dependency;
these tests watch every SQL statement the app's engine runs and fail if one runs on the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from web.support import KEY, Canary

PAGE = f"/p/{KEY}"
NOWHERE = "00000000-0000-4000-8000-00000000000f"  # fixed: xdist workers must collect the same ids

# (path, form fields, the status that shows the handler ran its queries)
FORM_POSTS: list[tuple[str, dict[str, Any], int]] = [
    (f"{PAGE}/constraints", {"key": "bad", "from_ref": "x", "to_ref": "x"}, 422),
    (f"{PAGE}/constraints/{NOWHERE}/edit", {"max_days": "3"}, 404),
    (f"{PAGE}/milestones", {"key": "m", "title": "t", "on_date": "not a date"}, 422),
    (f"{PAGE}/milestones/{NOWHERE}/edit", {"title": "t"}, 404),
    (f"{PAGE}/review/bulk", {"action": "reject"}, 200),
    (f"{PAGE}/review/{NOWHERE}/edit", {"then": "accept"}, 404),
    (f"{PAGE}/review/{NOWHERE}/accept", {}, 404),
    (f"{PAGE}/review/{NOWHERE}/merge", {"record_id": ""}, 404),
    (f"{PAGE}/intake", {"text": ""}, 422),
    (f"{PAGE}/joint-statements", {"key": "js", "title": "", "text": ""}, 422),
    (f"{PAGE}/notes", {"title": ""}, 422),
]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def loop_queries(shared_canary: Canary) -> Iterator[list[str]]:
    """The statements the app's engine runs on an event loop thread, as they happen."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if _on_event_loop():
            seen.append(statement)

    engine = shared_canary.app.state.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(engine, "before_cursor_execute", note)


def test_the_watch_sees_a_query_made_on_the_event_loop(
    shared_canary: Canary, loop_queries: list[str]
) -> None:
    async def query() -> None:
        with shared_canary.app.state.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    # A thread of its own: where a browser test ran, Playwright's loop occupies this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, query()).result()
    assert "SELECT 1" in loop_queries


@pytest.mark.parametrize(
    ("path", "fields", "status"), FORM_POSTS, ids=[p for p, _, _ in FORM_POSTS]
)
def test_a_form_post_queries_off_the_event_loop(
    shared_canary: Canary, loop_queries: list[str], path: str, fields: dict[str, Any], status: int
) -> None:
    client = shared_canary.client("mediator")
    token = shared_canary.csrf("mediator")["X-CSRF-Token"]
    response = client.post(path, data={**fields, "csrf_token": token})
    assert response.status_code == status, response.text
    assert loop_queries == []
