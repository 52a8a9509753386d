"""Recording positions, the positions list and each position's history, with JSON twins."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound, get_visible, visible
from parley.authz.scope import actor_party_id, standing
from parley.authz.visibility import SCOPED, per_reader, visible_provision_ids
from parley.positions.models import Position, PositionRevision, Stance
from parley.positions.service import PositionError, record_position
from parley.processes.models import Party, Process
from parley.records.kinds import scoped
from parley.texts.models import Bracket, BracketOption, Document, Provision
from parley.web.deps import (
    Csrf,
    CurrentActor,
    Db,
    Form,
    SignedIn,
    process_by_key,
    request_write_session,
)
from parley.web.flash import flash
from parley.web.inputs import field_errors
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


_PARTY_NAMES = (
    sa.select(Party.id, Party.key)
    .where(Party.process_id == sa.bindparam("process_id"))
    .execution_options(authz_internal=True)
)


def _party_names(db: Db, process: Process) -> dict[uuid.UUID, str]:
    rows = db.execute(_PARTY_NAMES, {"process_id": process.id}).all()
    return dict(rows)  # party names are listed to every participant (space public)


def _build_positions(actor: Actor) -> tuple[Any, Any]:
    """The count of the positions the actor may read in a process, and one page of them."""
    process_id: sa.BindParameter[Any] = sa.bindparam("process_id")
    count = (
        sa.select(sa.func.count())
        .select_from(Position)
        .where(Position.process_id == process_id, visible(actor, Position))
        .execution_options(**{SCOPED: True})
    )
    rows = (
        sa.select(Position, Provision.wid, Document.key, BracketOption.key)
        .join(Provision, Provision.id == Position.provision_id)
        .join(Document, Document.id == Provision.document_id)
        .outerjoin(BracketOption, BracketOption.id == Position.option_id)
        .where(Position.process_id == process_id, visible(actor, Position))
        .order_by(Document.key, Provision.wid, BracketOption.key, Position.party_id)
        .limit(sa.bindparam("size"))
        .offset(sa.bindparam("skip"))
        .execution_options(**{SCOPED: True})
    )
    return count, rows


# Built once for the readers who see alike (the positions list is among the most asked).
_positions_statements = per_reader(_build_positions)


def _positions(
    db: Db, actor: CurrentActor, process: Process, page: int = 1, size: int = 10_000
) -> tuple[list[dict[str, Any]], Page]:
    count, query = _positions_statements(actor)
    values = {"process_id": process.id, "size": size, "skip": (page - 1) * size}
    total = db.scalar(count, values) or 0
    rows = db.execute(query, values).all()
    parties = _party_names(db, process)
    out = []
    for position, wid, doc_key, option_key in rows:
        out.append(
            {
                "id": str(position.id),
                "party": parties.get(position.party_id),
                "provision": f"{doc_key}/{wid}",
                "provision_id": str(position.provision_id),
                "option": option_key,
                "option_id": None if position.option_id is None else str(position.option_id),
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
    membership = standing(actor, process.id)
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
        errors={},
        values={},
        replaces=None,
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
    """Record (create or update) the caller's party's position on a provision or option.

    Naming a wider space than the position's shares it: a release, which needs step-up."""
    process = process_by_key(db, actor, key)
    position = _save_position(request, actor, process, body)
    return {"id": str(position.id), "space": position.space, "stance": str(position.stance)}


POSITION_FIELDS = ("provision", "option", "stance", "priority", "utility", "space")
POSITION_TEXTS = ("reason", "fallback_text")


def _own_position(
    db: Db, actor: Any, process: Process, provision_id: uuid.UUID, option_id: uuid.UUID | None
) -> Position | None:
    """The delegation's position on this provision (or option) that a save would replace."""
    party_id = actor_party_id(actor, process.id)
    if party_id is None:
        return None
    return db.scalars(
        scoped(actor, Position, process.id).where(
            Position.party_id == party_id,
            Position.provision_id == provision_id,
            Position.option_id.is_(None) if option_id is None else Position.option_id == option_id,
        )
    ).first()


def _positions_page(
    request: Request,
    db: Db,
    actor: Any,
    process: Process,
    values: dict[str, str],
    errors: dict[str, str],
    replaces: Position | None = None,
) -> Response:
    return render(
        request,
        "positions.html",
        422 if errors else 200,
        process=process,
        positions=_positions(db, actor, process)[0],
        choices=_choices(db, actor, process),
        membership=standing(actor, process.id),
        stances=[s.value for s in Stance],
        errors=errors,
        values=values,
        replaces=replaces,
    )


@router.post("/p/{key}/positions", include_in_schema=False, dependencies=[Csrf])
def record_position_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    """Save the delegation's position; one that would replace an earlier position on the same
    provision (or option) is shown first with the earlier one, to be confirmed."""
    process = process_by_key(db, actor, key)
    values = {n: str(form.get(n) or "") for n in (*POSITION_FIELDS, *POSITION_TEXTS)}
    errors: dict[str, str] = {}
    ids: dict[str, uuid.UUID | None] = {}
    for name in ("provision", "option"):
        try:
            ids[name] = uuid.UUID(values[name]) if values[name] else None
        except ValueError:
            errors[name] = f"Choose the {name} from the list."
    if ids.get("provision") is None and "provision" not in errors:
        errors["provision"] = "Choose the provision from the list."
    if errors:
        return _positions_page(request, db, actor, process, values, errors)
    try:
        body = PositionIn.model_validate(
            {
                "provision_id": ids["provision"],
                "option_id": ids["option"],
                "stance": values["stance"],
                "priority": values["priority"] or 0,
                "utility": values["utility"] or None,
                "fallback_text": values["fallback_text"],
                "reason": values["reason"],
                "space": values["space"] or None,
            }
        )
    except ValidationError as exc:
        found = field_errors(exc)
        errors = {k.removesuffix("_id"): v for k, v in found.items()}
        return _positions_page(request, db, actor, process, values, errors)
    earlier = _own_position(db, actor, process, body.provision_id, body.option_id)
    if earlier is not None and form.get("replace") != "yes":
        return _positions_page(request, db, actor, process, values, {}, replaces=earlier)
    try:
        _save_position(request, actor, process, body)
    except PositionError as exc:
        found = field_errors(exc)
        errors = {k.removesuffix("_id"): v for k, v in found.items()}
        return _positions_page(request, db, actor, process, values, errors)
    response = RedirectResponse(f"/p/{key}/positions", status_code=303)
    words = (
        "Position replaced; the earlier one is kept in its history."
        if earlier is not None
        else "Position saved."
    )
    return flash(request, response, words)


def _history(db: Db, actor: Any, process: Process, position_id: str) -> list[dict[str, Any]]:
    position = get_visible(db, actor, Position, position_id)
    if position.process_id != process.id:
        raise NotFound("position")
    revisions = db.scalars(
        scoped(actor, PositionRevision, process.id)
        .where(PositionRevision.position_id == position.id)
        .order_by(PositionRevision.changed_at, PositionRevision.revision)
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
