"""Route installation. Capability packages add their HTML views and JSON APIs here."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

from parley.authz import Actor
from parley.authz.visibility import visible_processes
from parley.db.engine import read_session
from parley.processes.models import Process


def _processes(request: Request) -> list[Process]:
    actor = Actor.anonymous()
    with read_session(request.app.state.engine) as session:
        return list(
            session.scalars(sa.select(Process).where(visible_processes(actor)).order_by(Process.key))
        )


def install(app: FastAPI) -> None:
    @app.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/v1/processes")
    def list_processes(request: Request) -> list[dict[str, str]]:
        return [{"key": p.key, "title": p.title} for p in _processes(request)]

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> str:
        items = "".join(f"<li>{escape(p.title)}</li>" for p in _processes(request))
        return f"<!doctype html><title>Parley</title><h1>Parley</h1><ul>{items}</ul>"
