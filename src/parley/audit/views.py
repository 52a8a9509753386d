"""The audit log of a process (the spaces the reader can see) and live updates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response, StreamingResponse

from parley.audit.chain import jsonable
from parley.audit.models import AuditEvent
from parley.audit.sentences import changes_of, record_names, sentence
from parley.authz import visible
from parley.processes.models import Process
from parley.web.deps import (
    Db,
    SignedIn,
    process_by_key,
)
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


def _masked(changes: dict[str, Any]) -> dict[str, Any]:
    """References inside an event may name records of narrower spaces (a public statement's
    session, a shared amendment's provision); the log shows that a reference changed, not the
    id, so no reader learns the id of a record it cannot see."""
    return {
        key: ["(reference)" if v else v for v in value]
        if key.endswith("_id") and isinstance(value, list)
        else value
        for key, value in changes.items()
    }


def _audit(
    db: Db, actor: Any, process: Process, page: int, size: int
) -> tuple[list[dict[str, Any]], Page]:
    query = sa.select(AuditEvent).where(
        AuditEvent.process_id == process.id, visible(actor, AuditEvent)
    )
    total = db.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    events = db.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    names = record_names(db, actor, process.id, events)
    items = [
        {
            "sentence": sentence(e, names),
            "when": e.at,
            "fields": changes_of(_masked(e.changes), process.time_zone),
            "at": jsonable(e.at),
            "actor": e.actor_name,
            "action": e.action,
            "space": e.space,
            "object_type": e.object_type,
            "object_id": e.object_id,
            "changes": _masked(e.changes),
            "seq": e.seq,
            "hash": e.hash,
        }
        for e in events
    ]
    return items, Page(page, size, total)


@router.get("/p/{key}/audit", include_in_schema=False)
def audit_page(request: Request, key: str, db: Db, actor: SignedIn, page: int = 1) -> Response:
    process = process_by_key(db, actor, key)
    items, pager = _audit(db, actor, process, max(page, 1), _page_size(request))
    return render(request, "audit.html", process=process, events=items, page=pager)


@router.get(API + "/{key}/audit", tags=["audit"])
def audit_api(request: Request, key: str, db: Db, actor: SignedIn, page: int = 1) -> dict[str, Any]:
    """Audit events of the spaces the caller can see, newest first."""
    process = process_by_key(db, actor, key)
    items, pager = _audit(db, actor, process, max(page, 1), _page_size(request))
    shown = ("sentence", "when", "fields")
    return {
        "items": [{k: v for k, v in i.items() if k not in shown} for i in items],
        **pager.as_json(),
    }


# ---------------------------------------------------------------- live updates


@router.get("/p/{key}/events", include_in_schema=False)
async def live_events(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    """Server-sent events: one `change` per audit event in a space the user can see."""
    from parley.audit.live import stream

    process = process_by_key(db, actor, key)
    db.commit()  # a stream lasts minutes: give the request's connection back to the pool now
    return StreamingResponse(
        stream(request, request.app.state.engine, actor, process.id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store"},
    )
