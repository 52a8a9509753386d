"""Checkpoints of the audit chains a delegation can see: an HTML page and its JSON twin.

A delegation fetches the signed checkpoints of its chains (GET) or asks the server to sign the
current heads now (POST), and keeps the answer outside the server; ``parley checkpoint verify``
later proves the log still extends them. Every chain shown is one of a space the caller can
see: checkpoints are read through ``visible`` like the events they describe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from parley.authz import PUBLIC, Actor, Permission, require
from parley.authz.scope import is_member
from parley.operations.checkpoints import (
    CheckpointRun,
    create_checkpoints,
    document,
    latest_checkpoints,
)
from parley.processes.models import Process
from parley.web.deps import Csrf, Db, SignedIn, process_by_key, request_write_session
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    # The shared renderer: the layout's navigation, account menu and filters on this page too.
    return render(request, name, status_code=status_code, **context)


@dataclass(frozen=True)
class _InProcess:
    """What ``authz.can`` needs to decide a process-level permission."""

    process_id: Any
    space: str = PUBLIC


def _take(request: Request, actor: Actor, process: Process) -> tuple[CheckpointRun, dict[str, Any]]:
    """Sign what changed; answer with the run and the newest checkpoints, as of after it."""
    # Anyone with a place in the process (viewers and observers too) may have the chains
    # they can see checkpointed: it changes no record, and it is how they keep evidence.
    require(actor, Permission.PROCESS_AUDIT_READ, _InProcess(process.id))
    with request_write_session(request) as session:
        run = create_checkpoints(
            session,
            actor,
            secret=request.app.state.settings.secret_key,
            process_id=process.id,
        )
        return run, _current(session, actor, process)


def _current(db: Session, actor: Actor, process: Process) -> dict[str, Any]:
    return document(db, latest_checkpoints(db, actor, process.id))


def _count(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


@router.get(API + "/{key}/checkpoints", tags=["audit"])
def checkpoints_api(key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """The newest signed checkpoint of each audit chain the caller can see in the process.

    Keep the answer: ``parley checkpoint verify FILE`` (or ``parley verify --checkpoints``)
    proves later that the log still extends every checkpoint in it.
    """
    process = process_by_key(db, actor, key)
    return _current(db, actor, process)


@router.post(API + "/{key}/checkpoints", tags=["audit"], dependencies=[Csrf])
def checkpoints_create_api(request: Request, key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """Sign the current head of each chain the caller can see (those that changed), then
    answer like GET, with ``created`` and ``refused`` (chains that no longer extend their
    previous checkpoint are not signed)."""
    process = process_by_key(db, actor, key)
    run, current = _take(request, actor, process)
    return {"created": len(run.created), "refused": [str(p) for p in run.refused], **current}


@router.get("/p/{key}/checkpoints", include_in_schema=False)
def checkpoints_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    data = _current(db, actor, process)
    return _render(
        request,
        "operations/checkpoints.html",
        process=process,
        checkpoints=data["checkpoints"],
        keys=data["server_keys"],
        can_take=is_member(actor, process.id),
        taken=_count(request.query_params.get("taken")),
        refused=_count(request.query_params.get("refused")),
    )


@router.post("/p/{key}/checkpoints", include_in_schema=False, dependencies=[Csrf])
def checkpoints_create_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    run, _ = _take(request, actor, process)
    query = f"taken={len(run.created)}&refused={len(run.refused)}"
    return RedirectResponse(f"/p/{key}/checkpoints?{query}", status_code=303)
