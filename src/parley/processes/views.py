"""The list of processes and each process's dashboard, with their JSON twins."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import Response

from parley.audit.chain import jsonable
from parley.audit.sentences import record_names, sentence
from parley.authz import Actor
from parley.authz.scope import actor_party, standing
from parley.authz.visibility import per_reader, visible_processes
from parley.processes import inbox
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
        "time_zone": p.time_zone,
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

# The process's parts on the home page, grouped as the sections are, with an icon each.
PARTS = (
    ("Texts", "file-earmark-text", ("documents", "versions", "amendments", "brackets")),
    ("Positions", "signpost-split", ("sticking-points",)),
    ("Meetings", "people", ("sessions", "rooms", "minutes")),
    ("Statements", "megaphone", ("statements",)),
    ("Plan", "calendar3-range", ("steps", "milestones", "constraints", "status-claims")),
    ("Ledger", "journal-check", ("commitments", "fulfilment-events")),
    ("Record", "clock-history", ("sources", "parties", "people", "notes")),
)
PART_SLUGS = tuple(slug for _, _, slugs in PARTS for slug in slugs)


def _counts_of(slugs: tuple[str, ...]) -> Any:
    """The statement counting ``slugs`` for a reader, built once for the readers who see alike."""

    def build(actor: Actor) -> sa.Select[Any]:
        process_id: sa.BindParameter[Any] = sa.bindparam("process_id")
        columns = [
            sa.select(sa.func.count())
            .select_from(scoped(actor, KINDS[slug].model, process_id).subquery())
            .scalar_subquery()
            .label(slug.replace("-", "_"))
            for slug in slugs
        ]
        return sa.select(*columns)

    return per_reader(build)


# One statement for every count: the home page is the most visited page.
_COUNT_STATEMENTS = {slugs: _counts_of(slugs) for slugs in (COUNTED, PART_SLUGS)}


def _counts(
    db: Db, actor: CurrentActor, process: Process, slugs: tuple[str, ...] = COUNTED
) -> dict[str, int]:
    row = db.execute(_COUNT_STATEMENTS[slugs](actor), {"process_id": process.id}).one()
    return {slug: value or 0 for slug, value in zip(slugs, row, strict=True)}


def _changes(db: Db, actor: CurrentActor, process: Process) -> list[dict[str, Any]]:
    events = inbox.recent_events(db, actor, process)
    names = record_names(db, actor, process.id, events)
    out = []
    for e in events:
        who, what, name = sentence(e, names)
        out.append({"who": who, "what": what, "name": name, "at": e.at, "space": e.space})
    return out


@router.get("/p/{key}", include_in_schema=False)
def dashboard(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    process = process_by_key(db, actor, key)
    membership = standing(actor, process.id)
    signed_in = actor.user_id is not None
    items = inbox.waiting(db, actor, process) if signed_in else []
    return render(
        request,
        "dashboard.html",
        process=process,
        counts=_counts(db, actor, process, PART_SLUGS),
        parts=PARTS,
        membership=membership,
        my_party=actor_party(actor, process.id),
        kinds=KINDS,
        items=items,
        inbox_count=len(items) or None,
        meetings=inbox.next_meetings(db, actor, process),
        changes=_changes(db, actor, process) if membership else [],
    )


@router.get(API + "/{key}/inbox", tags=["processes"])
def inbox_api(key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """What waits for the caller in the process: joint statements to sign, minutes to approve,
    amendments to decide or review, its delegation's drafts to table, intake to review."""
    process = process_by_key(db, actor, key)
    return {"items": [item.as_json() for item in inbox.waiting(db, actor, process)]}


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
