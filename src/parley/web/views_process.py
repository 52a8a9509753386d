"""Process pages and their JSON twins: dashboard, record lists and details, positions,
release, audit log and live updates. Every read is scoped through ``authz``."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from parley.audit.chain import jsonable
from parley.audit.models import AuditEvent
from parley.authz import NotFound, get_visible, visible
from parley.authz.visibility import SCOPED, visible_processes, visible_provision_ids
from parley.positions.models import Position, PositionRevision, Stance
from parley.positions.service import PositionError, record_position, release
from parley.processes.models import Party, Process
from parley.texts.models import Bracket, BracketOption, Document, Provision, ProvisionText, Version
from parley.web.deps import (
    Csrf,
    CurrentActor,
    Db,
    SignedIn,
    StepUp,
    process_by_key,
    request_write_session,
)
from parley.web.kinds import KINDS, Kind, page_of, scoped, serialise
from parley.web.pagination import Page
from parley.web.routing import ReleasingRoute
from parley.web.templating import render

router = APIRouter(route_class=ReleasingRoute)
API = "/api/v1/processes"


def _kind(slug: str) -> Kind:
    if slug not in KINDS:
        raise NotFound("page")
    return KINDS[slug]


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


# ---------------------------------------------------------------- processes and dashboard


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
    # One statement for every count: the dashboard is the most visited page.
    columns = [
        sa.select(sa.func.count())
        .select_from(scoped(actor, KINDS[slug].model, process.id).subquery())
        .scalar_subquery()
        .label(slug.replace("-", "_"))
        for slug in COUNTED
    ]
    row = db.execute(sa.select(*columns)).one()
    return {slug: value or 0 for slug, value in zip(COUNTED, row, strict=True)}


@router.get("/p/{key}", include_in_schema=False)
def dashboard(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    process = process_by_key(db, actor, key)
    membership = actor.membership(process.id)
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
    membership = actor.membership(process.id)
    return {
        **_process_json(process),
        "counts": _counts(db, actor, process),
        "my_party": membership.party_key if membership else None,
        "my_role": membership.role if membership else None,
    }


# ---------------------------------------------------------------- positions


def _party_names(db: Db, process: Process) -> dict[uuid.UUID, str]:
    rows = db.execute(
        sa.select(Party.id, Party.key)
        .where(Party.process_id == process.id)
        .execution_options(authz_internal=True)
    ).all()
    return dict(rows)  # party names are listed to every participant (space public)


def _positions(
    db: Db, actor: CurrentActor, process: Process, page: int = 1, size: int = 10_000
) -> tuple[list[dict[str, Any]], Page]:
    query = (
        sa.select(Position, Provision.wid, Document.key, BracketOption.key)
        .join(Provision, Provision.id == Position.provision_id)
        .join(Document, Document.id == Provision.document_id)
        .outerjoin(BracketOption, BracketOption.id == Position.option_id)
        .where(Position.process_id == process.id, visible(actor, Position))
        .execution_options(**{SCOPED: True})
    )
    total = (
        db.scalar(
            sa.select(sa.func.count())
            .select_from(Position)
            .where(Position.process_id == process.id, visible(actor, Position))
            .execution_options(**{SCOPED: True})
        )
        or 0
    )
    rows = db.execute(
        query.order_by(Document.key, Provision.wid, BracketOption.key, Position.party_id)
        .limit(size)
        .offset((page - 1) * size)
    ).all()
    parties = _party_names(db, process)
    out = []
    for position, wid, doc_key, option_key in rows:
        out.append(
            {
                "id": str(position.id),
                "party": parties.get(position.party_id),
                "provision": f"{doc_key}/{wid}",
                "option": option_key,
                "stance": str(position.stance),
                "priority": position.priority,
                "utility": position.utility,
                "fallback_text": position.fallback_text,
                "reason": position.reason,
                "space": position.space,
                "updated_at": jsonable(position.updated_at),
            }
        )
    return out, Page(page, size, total)


def _choices(db: Db, actor: CurrentActor, process: Process) -> list[dict[str, Any]]:
    """Provisions and bracket options the actor can take a position on."""
    docs = db.scalars(scoped(actor, Document, process.id).order_by(Document.key)).all()
    # Only provisions of versions the actor can see: one that only another party's private
    # draft contains must not be offered (its permanent id would leak).
    provisions = db.execute(
        sa.select(Provision.id, Provision.wid, Provision.document_id)
        .where(
            Provision.document_id.in_([d.id for d in docs]),
            Provision.id.in_(visible_provision_ids(actor, process_id=process.id)),
        )
        .order_by(Provision.wid)
        .execution_options(**{SCOPED: True})
    ).all()
    doc_keys = {d.id: d.key for d in docs}
    brackets = db.scalars(scoped(actor, Bracket, process.id)).all()
    options = db.execute(
        sa.select(BracketOption.id, BracketOption.key, BracketOption.bracket_id).where(
            BracketOption.bracket_id.in_([b.id for b in brackets])
        )
    ).all()
    by_provision: dict[uuid.UUID, list[dict[str, str]]] = {}
    bracket_provision = {b.id: b.provision_id for b in brackets}
    bracket_key = {b.id: b.key for b in brackets}
    for option_id, option_key, bracket_id in options:
        by_provision.setdefault(bracket_provision[bracket_id], []).append(
            {"id": str(option_id), "label": f"{bracket_key[bracket_id]}/{option_key}"}
        )
    return [
        {"id": str(pid), "label": f"{doc_keys[doc_id]}/{wid}", "options": by_provision.get(pid, [])}
        for pid, wid, doc_id in provisions
    ]


@router.get("/p/{key}/positions", include_in_schema=False)
def positions_page(request: Request, key: str, db: Db, actor: SignedIn, page: int = 1) -> Response:
    process = process_by_key(db, actor, key)
    membership = actor.membership(process.id)
    items, pager = _positions(db, actor, process, max(page, 1), _page_size(request) * 2)
    return render(
        request,
        "positions.html",
        process=process,
        positions=items,
        page=pager,
        choices=_choices(db, actor, process),
        membership=membership,
        stances=[s.value for s in Stance],
        error=None,
    )


@router.get(API + "/{key}/positions", tags=["positions"])
def positions_api(
    request: Request, key: str, db: Db, actor: SignedIn, page: int = 1
) -> dict[str, Any]:
    """Positions the caller can see: its own party's, and what others shared with it."""
    process = process_by_key(db, actor, key)
    items, pager = _positions(db, actor, process, max(page, 1), _page_size(request) * 2)
    return {"items": items, **pager.as_json()}


class PositionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provision_id: uuid.UUID
    option_id: uuid.UUID | None = None
    stance: Literal["accept", "accept_with_changes", "reject", "red_line"]
    priority: int = Field(0, ge=0, le=100)
    utility: int | None = Field(None, ge=0, le=100)
    fallback_text: str = ""
    reason: str = ""
    space: str | None = None


def _save_position(request: Request, actor: Any, process: Process, body: PositionIn) -> Position:
    with request_write_session(request) as session:
        return record_position(
            session,
            actor=actor,
            process_id=process.id,
            provision_id=body.provision_id,
            option_id=body.option_id,
            values=body.model_dump(),
        )


@router.post(API + "/{key}/positions", tags=["positions"], dependencies=[Csrf], status_code=201)
def record_position_api(
    request: Request, key: str, body: PositionIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Record (create or update) the caller's party's position on a provision or option."""
    from fastapi import HTTPException

    process = process_by_key(db, actor, key)
    try:
        position = _save_position(request, actor, process, body)
    except PositionError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": str(position.id), "space": position.space, "stance": str(position.stance)}


@router.post("/p/{key}/positions", include_in_schema=False, dependencies=[Csrf])
def record_position_form(
    request: Request,
    key: str,
    db: Db,
    actor: SignedIn,
    provision: Annotated[str, Form()],
    stance: Annotated[str, Form()],
    option: Annotated[str, Form()] = "",
    priority: Annotated[int, Form()] = 0,
    utility: Annotated[str, Form()] = "",
    fallback_text: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    space: Annotated[str, Form()] = "",
) -> Response:
    process = process_by_key(db, actor, key)
    try:
        body = PositionIn(
            provision_id=uuid.UUID(provision),
            option_id=uuid.UUID(option) if option else None,
            stance=stance,
            priority=priority,
            utility=int(utility) if utility.strip() else None,
            fallback_text=fallback_text,
            reason=reason,
            space=space or None,
        )
        _save_position(request, actor, process, body)
    except (ValueError, PositionError) as exc:
        return render(
            request,
            "positions.html",
            422,
            process=process,
            positions=_positions(db, actor, process)[0],
            choices=_choices(db, actor, process),
            membership=actor.membership(process.id),
            stances=[s.value for s in Stance],
            error=str(exc),
        )
    return RedirectResponse(f"/p/{key}/positions", status_code=303)


def _history(db: Db, actor: Any, process: Process, position_id: str) -> list[dict[str, Any]]:
    position = get_visible(db, actor, Position, position_id)
    if position.process_id != process.id:
        raise NotFound("position")
    revisions = db.scalars(
        scoped(actor, PositionRevision, process.id)
        .where(PositionRevision.position_id == position.id)
        .order_by(PositionRevision.revision)
    ).all()
    return [
        {"revision": r.revision, "changed_at": jsonable(r.changed_at), **r.snapshot}
        for r in revisions
    ]


@router.get("/p/{key}/positions/{position_id}/history", include_in_schema=False)
def position_history_page(
    request: Request, key: str, position_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    return render(
        request,
        "position_history.html",
        process=process,
        revisions=_history(db, actor, process, position_id),
    )


@router.get(API + "/{key}/positions/{position_id}/history", tags=["positions"])
def position_history_api(
    key: str, position_id: str, db: Db, actor: SignedIn
) -> list[dict[str, Any]]:
    """Every revision of a position that the caller can see (revisions stay in their space)."""
    process = process_by_key(db, actor, key)
    return _history(db, actor, process, position_id)


# ---------------------------------------------------------------- release


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    space: str


def _release(
    request: Request, actor: Any, process: Process, model: Any, object_id: str, space: str
) -> None:
    with request_write_session(request) as session:
        obj = get_visible(session, actor, model, object_id)
        if obj.process_id != process.id:
            raise NotFound("record")
        release(session, actor=actor, obj=obj, new_space=space)


def _release_model(slug: str) -> Any:
    return Position if slug == "positions" else _kind(slug).model


@router.post(
    API + "/{key}/{slug}/{object_id}/release", tags=["records"], dependencies=[Csrf, StepUp]
)
def release_api(
    request: Request, key: str, slug: str, object_id: str, body: ReleaseIn, db: Db, actor: SignedIn
) -> dict[str, str]:
    """Move a record to a wider space (an explicit, audited release)."""
    from fastapi import HTTPException

    process = process_by_key(db, actor, key)
    try:
        _release(request, actor, process, _release_model(slug), object_id, body.space)
    except (PositionError, ValueError) as exc:
        if isinstance(exc, NotFound):
            raise
        raise HTTPException(422, str(exc)) from None
    return {"status": "released", "space": body.space}


@router.post(
    "/p/{key}/{slug}/{object_id}/release", include_in_schema=False, dependencies=[Csrf, StepUp]
)
def release_form(
    request: Request,
    key: str,
    slug: str,
    object_id: str,
    db: Db,
    actor: SignedIn,
    space: Annotated[str, Form()],
) -> Response:
    process = process_by_key(db, actor, key)
    try:
        _release(request, actor, process, _release_model(slug), object_id, space)
    except (PositionError, ValueError) as exc:
        if isinstance(exc, NotFound):
            raise
        return render(request, "error.html", 422, title="Cannot release", message=str(exc))
    back = f"/p/{key}/positions" if slug == "positions" else f"/p/{key}/{slug}/{object_id}"
    return RedirectResponse(back, status_code=303)


# ---------------------------------------------------------------- audit log


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
    items = [
        {
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
    return {"items": items, **pager.as_json()}


# ---------------------------------------------------------------- live updates


@router.get("/p/{key}/events", include_in_schema=False)
async def live_events(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    """Server-sent events: one `change` per audit event in a space the user can see."""
    from parley.web.live import stream

    process = process_by_key(db, actor, key)
    db.commit()  # a stream lasts minutes: give the request's connection back to the pool now
    return StreamingResponse(
        stream(request, request.app.state.engine, actor, process.id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/p/{key}/search", include_in_schema=False)
def search_page(request: Request, key: str, db: Db, actor: CurrentActor, q: str = "") -> Response:
    process = process_by_key(db, actor, key)
    return render(request, "search.html", process=process, q=q, hits=_search(db, actor, process, q))


@router.get(API + "/{key}/search", tags=["search"])
def search_api(key: str, db: Db, actor: CurrentActor, q: str = "") -> dict[str, Any]:
    """Full-text search over the records the caller can see (at least 2 characters)."""
    process = process_by_key(db, actor, key)
    hits = _search(db, actor, process, q)
    return {"items": hits, "total": len(hits)}


# ---------------------------------------------------------------- generic record kinds


def _children(db: Db, actor: Any, process: Process, slug: str, obj: Any) -> dict[str, Any]:
    """Related records shown under a record, each list scoped by space."""
    related: dict[str, Any] = {}
    if slug == "documents":
        related["versions"] = serialise(
            db,
            actor,
            Version,
            list(
                db.scalars(
                    scoped(actor, Version, process.id)
                    .where(Version.document_id == obj.id)
                    .order_by(Version.created_at)
                )
            ),
        )
    if slug == "versions":
        rows = db.execute(
            sa.select(ProvisionText, Provision.wid)
            .join(Provision, Provision.id == ProvisionText.provision_id)
            .where(ProvisionText.version_id == obj.id)
            .order_by(ProvisionText.ordinal)
        ).all()
        related["provisions"] = [
            {"wid": wid, "number": t.number, "heading": t.heading, "text": t.text}
            for t, wid in rows
        ]
        brackets = db.scalars(
            scoped(actor, Bracket, process.id).where(Bracket.version_id == obj.id)
        ).all()
        options = db.scalars(
            sa.select(BracketOption)
            .where(BracketOption.bracket_id.in_([b.id for b in brackets]))
            .order_by(BracketOption.key)
        ).all()
        related["brackets"] = [
            {
                "key": b.key,
                "label": b.label,
                "status": str(b.status),
                "options": [
                    {"key": o.key, "text": o.text} for o in options if o.bracket_id == b.id
                ],
            }
            for b in brackets
        ]
    if slug == "sessions":
        from parley.sessions.models import Minutes, Room

        related["rooms"] = serialise(
            db,
            actor,
            Room,
            list(
                db.scalars(
                    scoped(actor, Room, process.id)
                    .where(Room.session_id == obj.id)
                    .order_by(Room.name)
                )
            ),
        )
        related["minutes"] = serialise(
            db,
            actor,
            Minutes,
            list(
                db.scalars(scoped(actor, Minutes, process.id).where(Minutes.session_id == obj.id))
            ),
        )
    if slug == "rooms":
        from parley.sessions.models import Minutes

        related["minutes"] = serialise(
            db,
            actor,
            Minutes,
            list(db.scalars(scoped(actor, Minutes, process.id).where(Minutes.room_id == obj.id))),
        )
    if slug == "commitments":
        from parley.commitments.models import FulfilmentEvent

        related["events"] = serialise(
            db,
            actor,
            FulfilmentEvent,
            list(
                db.scalars(
                    scoped(actor, FulfilmentEvent, process.id)
                    .where(FulfilmentEvent.commitment_id == obj.id)
                    .order_by(FulfilmentEvent.occurred_on)
                )
            ),
        )
    if slug == "steps":
        from parley.sequencing.models import StatusClaim

        related["status_claims"] = serialise(
            db,
            actor,
            StatusClaim,
            list(
                db.scalars(
                    scoped(actor, StatusClaim, process.id)
                    .where(StatusClaim.step_id == obj.id)
                    .order_by(StatusClaim.claimed_on)
                )
            ),
        )
    if slug == "sources":
        related["text"] = obj.text
    return related


def _detail(
    db: Db, actor: Any, process: Process, slug: str, object_id: str
) -> tuple[Kind, Any, dict[str, Any]]:
    kind = _kind(slug)
    obj = get_visible(db, actor, kind.model, object_id)
    if obj.process_id != process.id:
        raise NotFound(slug)
    record = serialise(db, actor, kind.model, [obj])[0]
    return kind, obj, {**record, "related": _children(db, actor, process, slug, obj)}


@router.get("/p/{key}/{slug}", include_in_schema=False)
def record_list_page(
    request: Request, key: str, slug: str, db: Db, actor: CurrentActor, page: int = 1
) -> Response:
    process = process_by_key(db, actor, key)
    kind = _kind(slug)
    rows, total = page_of(db, actor, kind, process.id, max(page, 1), _page_size(request))
    return render(
        request,
        "records.html",
        process=process,
        kind=kind,
        rows=serialise(db, actor, kind.model, rows),
        page=Page(max(page, 1), _page_size(request), total),
    )


@router.get(API + "/{key}/{slug}", tags=["records"])
def record_list_api(
    request: Request, key: str, slug: str, db: Db, actor: CurrentActor, page: int = 1
) -> dict[str, Any]:
    """Records of one kind (e.g. `statements`, `sessions`, `steps`) the caller can see."""
    process = process_by_key(db, actor, key)
    kind = _kind(slug)
    size = _page_size(request)
    rows, total = page_of(db, actor, kind, process.id, max(page, 1), size)
    return {
        "items": serialise(db, actor, kind.model, rows),
        **Page(max(page, 1), size, total).as_json(),
    }


@router.get("/p/{key}/{slug}/{object_id}", include_in_schema=False)
def record_page(
    request: Request, key: str, slug: str, object_id: str, db: Db, actor: CurrentActor
) -> Response:
    process = process_by_key(db, actor, key)
    kind, obj, record = _detail(db, actor, process, slug, object_id)
    return render(
        request,
        "record.html",
        process=process,
        kind=kind,
        record=record,
        label=getattr(obj, kind.label, slug),
    )


@router.get(API + "/{key}/{slug}/{object_id}", tags=["records"])
def record_api(key: str, slug: str, object_id: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """One record with its related records, if the caller can see it (404 otherwise)."""
    process = process_by_key(db, actor, key)
    return _detail(db, actor, process, slug, object_id)[2]


# ---------------------------------------------------------------- search

SEARCHABLE = {
    "statements": ("title", "text"),
    "sessions": ("title", "place", "outcome"),
    "minutes": ("text",),
    "amendments": ("text", "justification"),
    "commitments": ("title", "obligation_text", "conditions"),
    "steps": ("title", "description"),
    "sources": ("title", "text"),
    "documents": ("title", "description"),
    "sticking-points": ("name", "description"),
    "people": ("name",),
}


def _search(db: Db, actor: Any, process: Process, q: str) -> list[dict[str, Any]]:
    needle = f"%{q.strip().lower()}%"
    hits: list[dict[str, Any]] = []
    if len(q.strip()) < 2:
        return hits
    for slug, fields in SEARCHABLE.items():
        kind = KINDS[slug]
        condition = sa.or_(*[sa.func.lower(getattr(kind.model, f)).like(needle) for f in fields])
        for row in db.scalars(scoped(actor, kind.model, process.id).where(condition).limit(50)):
            hits.append(
                {
                    "kind": slug,
                    "id": str(row.id),
                    "label": str(getattr(row, kind.label)),
                    "space": row.space,
                }
            )
    position_hits = db.execute(
        sa.select(Position.id, Position.space)
        .where(
            Position.process_id == process.id,
            visible(actor, Position),
            sa.or_(
                sa.func.lower(Position.reason).like(needle),
                sa.func.lower(Position.fallback_text).like(needle),
            ),
        )
        .execution_options(**{SCOPED: True})
    ).all()
    hits.extend(
        {"kind": "positions", "id": str(pid), "label": "position", "space": space}
        for pid, space in position_hits
    )
    return hits
