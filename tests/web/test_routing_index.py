"""The routers' quick refusal (parley.web.routing.ParleyRouter, issue 18) gives FastAPI's answer:
every route's own path still reaches it, and a path no route has is refused by every router."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.routing import Match

from parley.app import create_app
from parley.web.routing import ParleyRouter, ReleasingRoute
from web.support import make_settings


def _app() -> FastAPI:
    return create_app(make_settings("sqlite://"))


def _routers() -> list[ParleyRouter]:
    from parley.app import include_routers

    found: list[ParleyRouter] = []
    probe = FastAPI()
    original = probe.include_router

    def collect(router: object, **kwargs: object) -> None:
        assert not kwargs.get("prefix"), "a ParleyRouter must be included without a prefix"
        assert isinstance(router, ParleyRouter)
        found.append(router)
        original(router, **kwargs)  # type: ignore[arg-type]

    probe.include_router = collect  # type: ignore[method-assign]
    include_routers(probe)
    return found


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": []}


def _example(path: str) -> str:
    return re.sub(r"\{[^}:]+(:path)?\}", lambda m: "a/b" if m.group(1) else "x1", path)


def test_every_router_answers_for_its_own_routes_and_no_other() -> None:
    routers = _routers()
    assert len(routers) >= 15
    for router in routers:
        for route in router.routes:
            assert isinstance(route, ReleasingRoute)
            path = _example(route.path)
            assert router._any_path() is not None
            assert router._any_path().match(path), (route.path, path)  # type: ignore[union-attr]
            method = sorted(route.methods or {"GET"})[0]
            assert route.matches(_scope(path, method))[0] is Match.FULL, route.path
        assert router._any_path().match("/nowhere/at-all") is None  # type: ignore[union-attr]


def test_a_route_refuses_a_path_it_does_not_have_and_the_app_still_routes() -> None:
    from fastapi.testclient import TestClient

    routers = _routers()
    route = next(r for router in routers for r in router.routes if r.path == "/p/{key}/texts")
    assert route.matches(_scope("/p/k/texts"))[0] is Match.FULL
    assert route.matches(_scope("/p/k/texts", "DELETE"))[0] is Match.PARTIAL
    assert route.matches(_scope("/p/k/textsx"))[0] is Match.NONE
    assert route.matches(_scope("/api/v1/health"))[0] is Match.NONE
    with TestClient(_app()) as client:
        assert client.get("/api/v1/health").status_code == 200
        assert client.get("/nowhere/at-all").status_code == 404
