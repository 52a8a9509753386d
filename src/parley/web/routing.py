"""The router and route class of every Parley package: plain handlers give their read
connection back, and a request only tries the routes whose fixed start its path has.

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
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi.routing import APIRoute, APIRouter
from sqlalchemy.orm import Session
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

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

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        # FastAPI tries the routes in turn through several layers of bookkeeping before it
        # reaches this route's regular expression; a path it does not match is refused at once.
        if scope["type"] == "http" and self.path_regex.match(get_route_path(scope)) is None:
            return Match.NONE, {}
        return super().matches(scope)


_GROUP = re.compile(r"\(\?P<\w+>")


class ParleyRouter(APIRouter):
    """A package's router. FastAPI asks each included router in turn whether a request is for
    it, and each router then tries all its routes; this one answers "no" at once, with one
    regular expression (its routes' paths together), when none of its routes' paths matches.
    That is the answer the trials would give: a route matches only where its path does.

    Included without a prefix (``parley.app.include_routers``): its routes' paths are whole.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("route_class", ReleasingRoute)
        super().__init__(**kwargs)
        self._paths: re.Pattern[str] | None = None
        self._paths_of = -1

    def _any_path(self) -> re.Pattern[str] | None:
        """One expression for every route's path (None: a route without one, try them all)."""
        if self._paths_of != len(self.routes):  # routes are added at import, then fixed
            patterns = [getattr(route, "path_regex", None) for route in self.routes]
            if all(isinstance(p, re.Pattern) for p in patterns):
                alternatives = [_GROUP.sub("(?:", p.pattern) for p in patterns]  # type: ignore[union-attr]
                self._paths = re.compile("|".join(f"(?:{a})" for a in alternatives))
            else:
                self._paths = None
            self._paths_of = len(self.routes)
        return self._paths

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            paths = self._any_path()
            if paths is not None and paths.match(get_route_path(scope)) is None:
                return Match.NONE, {}
        return super().matches(scope)
