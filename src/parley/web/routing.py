"""The route class of every Parley router: plain handlers give their read connection back.

FastAPI runs a plain (``def``) handler in its thread pool and then, when the route has a response
model, validates what it returned in a *second* trip to the thread pool. A request whose handler
had read from the database held its pooled connection across that second wait. Under load the
threads could all be waiting for a connection while the connections were all held by requests
waiting for a thread: the pool then timed out (500s) instead of serving. Ending the read
transaction as the handler returns breaks that cycle; the objects it loaded stay usable
(``expire_on_commit=False``).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

# The request's read session (set by parley.web.deps.get_db); thread-pool calls see a copy of the
# request's context, so a handler's thread finds its own request's session here.
current_read_session: ContextVar[Session | None] = ContextVar("parley_read_session", default=None)


def end_read_transaction() -> None:
    session = current_read_session.get()
    if session is not None and session.in_transaction():
        # A read session never has pending changes (writes go through request_write_session),
        # so this only ends its transaction and returns the connection to the pool.
        session.commit()


def releasing_read_connection(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, ending the request's read transaction as it returns (plain handlers only)."""
    if inspect.iscoroutinefunction(endpoint) or inspect.isasyncgenfunction(endpoint):
        return endpoint  # runs on the event loop: no second trip to the thread pool to wait for

    @functools.wraps(endpoint)
    def handler(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            end_read_transaction()

    handler.releases_read_connection = True  # type: ignore[attr-defined]
    return handler


class ReleasingRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, releasing_read_connection(endpoint), **kwargs)
