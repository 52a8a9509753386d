"""The list of processes and each process's dashboard, with their JSON twins."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response

from parley.audit.chain import jsonable
from parley.authz import Actor
from parley.authz.scope import standing
from parley.authz.visibility import per_reader, visible_processes
from parley.processes.models import Process
from parley.records.kinds import KINDS, scoped
from parley.web.deps import (
    CurrentActor,
    Db,
    process_by_key,
)
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


def _processes(db: Db, actor: CurrentActor) -> list[Process]:
    return list(
        db.scalars(sa.select(Process).where(visible_processes(actor)).order_by(Process.key))
    )


def _process_json(p: Process) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "key": p.key,
        "title": p.title,
        "status": str(p.status),
        "start_date": jsonable(p.start_date),
        "published": p.published,
    }


@router.get("/", include_in_schema=False)
def home(request: Request, db: Db, actor: CurrentActor) -> Response:
    return render(request, "home.html", processes=_processes(db, actor))


@router.get(API, tags=["processes"])
def processes_api(db: Db, actor: CurrentActor) -> list[dict[str, Any]]:
    """Processes the caller may open: its own, and every published one."""
    return [_process_json(p) for p in _processes(db, actor)]


COUNTED = (
    "documents",
    "versions",
    "sessions",
    "statements",
    "commitments",
    "steps",
    "sticking-points",
    "sources",
)


def _counts(db: Db, actor: CurrentActor, process: Process) -> dict[str, int]:
    row = db.execute(_counts_statement(actor), {"process_id": process.id}).one()
    return {slug: value or 0 for slug, value in zip(COUNTED, row, strict=True)}


def _build_counts(actor: Actor) -> sa.Select[Any]:
    # One statement for every count: the dashboard is the most visited page.
    process_id: sa.BindParameter[Any] = sa.bindparam("process_id")
    columns = [
        sa.select(sa.func.count())
        .select_from(scoped(actor, KINDS[slug].model, process_id).subquery())
        .scalar_subquery()
        .label(slug.replace("-", "_"))
        for slug in COUNTED
    ]
    return sa.select(*columns)


# Built once for the readers who see alike, not on every visit.
_counts_statement = per_reader(_build_counts)


@router.get("/p/{key}", include_in_schema=False)
def dashboard(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    process = process_by_key(db, actor, key)
    membership = standing(actor, process.id)
    return render(
        request,
        "dashboard.html",
        process=process,
        counts=_counts(db, actor, process),
        membership=membership,
        kinds=KINDS,
    )


@router.get(API + "/{key}", tags=["processes"])
def dashboard_api(key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """A process with the number of records of each kind the caller can see."""
    process = process_by_key(db, actor, key)
    membership = standing(actor, process.id)
    return {
        **_process_json(process),
        "counts": _counts(db, actor, process),
        "my_party": membership.party_key if membership else None,
        "my_role": membership.role if membership else None,
    }
