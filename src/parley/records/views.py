"""Every kind of record as a list and a detail page with JSON twins; search; release.

Reads go through ``authz.visible``; releasing a record to a wider space is one operation
(:mod:`parley.records.release`) for every kind."""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from parley.authz import NotFound, visible
from parley.authz.rules import Subject, permits
from parley.authz.scope import get_visible_in
from parley.authz.visibility import SCOPED
from parley.errors import InputError
from parley.positions.models import Position
from parley.processes.models import Process
from parley.records.kinds import KINDS, Kind, page_of, scoped, serialise
from parley.records.release import release
from parley.texts.models import Bracket, BracketOption, Provision, ProvisionText, Version
from parley.web.deps import (
    Csrf,
    CurrentActor,
    Db,
    SignedIn,
    StepUp,
    process_by_key,
    request_write_session,
)
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


# The "New …" button of a list: (rule kind, action, label, path under /p/{key}/). Shown only to
# those the rules let create (parley.authz.rules), so nobody sees a button that answers 403.
NEW_BUTTONS: dict[str, tuple[str, str, str, str]] = {
    "sessions": ("meeting", "schedule", "Schedule a meeting", "sessions/new"),
    "statements": ("statement", "record", "Record a statement", "statements/new"),
    "notes": ("note", "create", "Write a note", "notes/new"),
}


def new_button(actor: Any, process: Process, slug: str) -> tuple[str, str] | None:
    """(label, href) of the list's "New …" button when ``actor`` may create there."""
    found = NEW_BUTTONS.get(slug)
    if found is None or actor.is_anonymous:
        return None
    kind, action, label, path = found
    state = "planned" if kind == "meeting" else None
    if not permits(actor, kind, action, Subject(process.id, state=state)):
        return None
    return label, f"/p/{process.key}/{path}"


def _kind(slug: str) -> Kind:
    if slug not in KINDS:
        raise NotFound("page")
    return KINDS[slug]


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


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    space: str


def _release(
    request: Request, actor: Any, process: Process, model: Any, object_id: str, space: str
) -> None:
    with request_write_session(request) as session:
        obj = get_visible_in(session, actor, model, process.id, object_id)
        release(session, actor=actor, obj=obj, new_space=space)


def _release_model(slug: str) -> Any:
    return Position if slug == "positions" else _kind(slug).model


@router.post(
    API + "/{key}/{slug}/{object_id}/release", tags=["records"], dependencies=[Csrf, StepUp]
)
def release_api(
    request: Request, key: str, slug: str, object_id: str, body: ReleaseIn, db: Db, actor: SignedIn
) -> dict[str, str]:
    """Move a record to a wider space (an explicit, audited release; needs step-up)."""
    process = process_by_key(db, actor, key)
    _release(request, actor, process, _release_model(slug), object_id, body.space)
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
    except InputError as exc:
        return render(request, "error.html", 422, title="Cannot release", message=str(exc))
    back = f"/p/{key}/positions" if slug == "positions" else f"/p/{key}/{slug}/{object_id}"
    return RedirectResponse(back, status_code=303)


def _related(db: Db, actor: Any, process: Process, model: Any, where: Any, *order: Any) -> Any:
    """The records of ``model`` under one record (``where``), scoped by space, serialised."""
    query = scoped(actor, model, process.id).where(where).order_by(*order)
    return serialise(db, actor, model, list(db.scalars(query)))


def _children(db: Db, actor: Any, process: Process, slug: str, obj: Any) -> dict[str, Any]:
    """Related records shown under a record, each list scoped by space."""
    related: dict[str, Any] = {}
    if slug == "documents":
        related["versions"] = _related(
            db, actor, process, Version, Version.document_id == obj.id, Version.created_at
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

        related["rooms"] = _related(db, actor, process, Room, Room.session_id == obj.id, Room.name)
        related["minutes"] = _related(db, actor, process, Minutes, Minutes.session_id == obj.id)
    if slug == "rooms":
        from parley.sessions.models import Minutes

        related["minutes"] = _related(db, actor, process, Minutes, Minutes.room_id == obj.id)
    if slug == "commitments":
        from parley.commitments.models import FulfilmentEvent

        related["events"] = _related(
            db,
            actor,
            process,
            FulfilmentEvent,
            FulfilmentEvent.commitment_id == obj.id,
            FulfilmentEvent.occurred_on,
        )
    if slug == "steps":
        from parley.sequencing.models import StatusClaim

        related["status_claims"] = _related(
            db, actor, process, StatusClaim, StatusClaim.step_id == obj.id, StatusClaim.claimed_on
        )
    if slug == "sources":
        related["text"] = obj.text
    return related


def _detail(
    db: Db, actor: Any, process: Process, slug: str, object_id: str
) -> tuple[Kind, Any, dict[str, Any]]:
    kind = _kind(slug)
    obj = get_visible_in(db, actor, kind.model, process.id, object_id)
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
        new=new_button(actor, process, slug),
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


def _snippet(texts: list[Any], q: str, width: int = 80) -> str:
    """The words around the first match of ``q`` in ``texts``, with "…" where cut."""
    needle = q.strip().lower()
    for value in texts:
        text = " ".join(str(value or "").split())
        at = text.lower().find(needle)
        if at < 0:
            continue
        start, end = max(at - width, 0), min(at + len(needle) + width, len(text))
        return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return ""


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
                    "title": kind.title,
                    "space": row.space,
                    "snippet": _snippet([getattr(row, f) for f in fields], q),
                }
            )
    position_hits = db.execute(
        sa.select(Position.id, Position.space, Position.reason, Position.fallback_text)
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
        {
            "kind": "positions",
            "id": str(pid),
            "label": "A position",
            "title": "Positions",
            "space": space,
            "snippet": _snippet([reason, fallback], q),
        }
        for pid, space, reason, fallback in position_hits
    )
    return hits
