"""Creating and editing records from the web and the API, through parley.records.writes.

The generic write stack: it goes as each kind moves to its own package's service."""

from __future__ import annotations

import json
import types
import typing
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound, get_visible
from parley.authz.permissions import Permission, can
from parley.authz.scope import writable_spaces
from parley.processes.models import Process
from parley.records.kinds import KINDS, scoped
from parley.records.writes import WRITABLE, RecordError, Writable, create_record, update_record
from parley.web.deps import (
    Csrf,
    Db,
    Form,
    RawBody,
    SignedIn,
    process_by_key,
    request_write_session,
)
from parley.web.routing import ReleasingRoute
from parley.web.templating import render

router = APIRouter(route_class=ReleasingRoute)
API = "/api/v1/processes"

REFERENCE_KINDS = {
    "session_id": "sessions",
    "room_id": "rooms",
    "step_id": "steps",
    "commitment_id": "commitments",
}


def _writable(slug: str) -> Writable:
    if slug not in WRITABLE:
        raise NotFound("page")
    return WRITABLE[slug]


def _field_kind(annotation: Any) -> tuple[str, list[str]]:
    """How a schema field is entered in a form: (input kind, choices)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _field_kind(inner[0]) if inner else ("text", [])
    if typing.get_origin(annotation) is typing.Literal:
        return "select", [str(a) for a in args]
    if annotation is bool:
        return "checkbox", []
    if annotation is date:
        return "date", []
    if annotation is datetime:
        return "datetime", []
    if annotation in (int, Decimal):
        return "number", []
    if annotation is uuid.UUID:
        return "reference", []
    return "text", []


def _form_fields(
    db: Db, actor: Actor, process: Process, schema: Any, values: Mapping[str, Any]
) -> list[dict[str, Any]]:
    fields = []
    for name, info in schema.model_fields.items():
        kind, choices = _field_kind(info.annotation)
        options: list[tuple[str, str]] = [(c, c) for c in choices]
        if name == "space":
            kind, options = "select", [(s, s) for s in writable_spaces(db, actor, process.id)]
        elif kind == "reference" and name in REFERENCE_KINDS:
            model = KINDS[REFERENCE_KINDS[name]].model
            label = KINDS[REFERENCE_KINDS[name]].label
            rows = db.scalars(scoped(actor, model, process.id).order_by(model.id).limit(500)).all()
            options = [(str(r.id), str(getattr(r, label))) for r in rows]
            kind = "select"
        elif kind == "reference":
            kind = "text"
        fields.append(
            {
                "name": name,
                "kind": kind,
                "options": options,
                "required": info.is_required(),
                "value": values.get(name, ""),
                "long": name
                in ("text", "outcome", "description", "conditions", "obligation_text", "note"),
            }
        )
    return fields


def _clean_form(form: Mapping[str, Any], schema: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        kind, _ = _field_kind(info.annotation)
        raw = form.get(name)
        if kind == "checkbox":
            data[name] = raw is not None
        elif raw not in (None, ""):
            data[name] = raw
    return data


def _error_text(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())


# ---------------------------------------------------------------- handlers


def _body_problem(message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body",), "msg": message, "type": "json_invalid"}])


def _json_object(raw: bytes) -> dict[str, Any]:
    """The request's JSON object; an empty, non-JSON or non-object body is invalid input (422)."""
    if not raw.strip():
        raise _body_problem("a JSON object is required")
    try:
        body = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError, and UnicodeDecodeError for bytes not UTF-8
        raise _body_problem(f"not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise _body_problem(f"a JSON object is required, not {type(body).__name__}")
    return body


def _validated(schema: type[BaseModel], body: dict[str, Any]) -> Any:
    """The body as the kind's schema, or invalid input naming each field (422)."""
    try:
        return schema.model_validate(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


def _body_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The request body for the OpenAPI document (the handlers read and check it themselves,
    after the process is found, so that a hidden process answers 404 whatever the body)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema.model_json_schema()}},
        }
    }


def _create_api(
    request: Request, key: str, slug: str, db: Db, actor: Actor, raw: bytes
) -> dict[str, Any]:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    data = _validated(writable.create, _json_object(raw))
    try:
        with request_write_session(request) as session:
            obj = create_record(session, actor=actor, process=process, writable=writable, data=data)
            return {"id": str(obj.id), "space": obj.space}
    except RecordError as exc:
        raise HTTPException(422, str(exc)) from None


def _update_api(
    request: Request, key: str, slug: str, object_id: str, db: Db, actor: Actor, raw: bytes
) -> dict[str, Any]:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    assert writable.update is not None
    data = _validated(writable.update, _json_object(raw))
    try:
        with request_write_session(request) as session:
            obj = update_record(
                session,
                actor=actor,
                process=process,
                writable=writable,
                object_id=object_id,
                data=data,
            )
            return {"id": str(obj.id), "space": obj.space}
    except RecordError as exc:
        raise HTTPException(422, str(exc)) from None


def _new_page(request: Request, key: str, slug: str, db: Db, actor: Actor) -> Response:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    if not writable_spaces(db, actor, process.id):
        from parley.authz.permissions import Forbidden

        raise Forbidden("read only")
    return render(
        request,
        "record_form.html",
        process=process,
        kind=KINDS[slug],
        error=None,
        action=f"/p/{key}/{slug}",
        fields=_form_fields(db, actor, process, writable.create, {}),
    )


def _create_form(
    request: Request, key: str, slug: str, db: Db, actor: Actor, form: Mapping[str, Any]
) -> Response:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    try:
        data = writable.create.model_validate(_clean_form(form, writable.create))
        with request_write_session(request) as session:
            obj = create_record(session, actor=actor, process=process, writable=writable, data=data)
            new_id = obj.id
    except (ValidationError, RecordError) as exc:
        message = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        return render(
            request,
            "record_form.html",
            422,
            process=process,
            kind=KINDS[slug],
            error=message,
            action=f"/p/{key}/{slug}",
            fields=_form_fields(db, actor, process, writable.create, form),
        )
    return RedirectResponse(f"/p/{key}/{slug}/{new_id}", status_code=303)


def _edit_page(
    request: Request, key: str, slug: str, object_id: str, db: Db, actor: Actor
) -> Response:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    obj = get_visible(db, actor, writable.model, object_id)
    if obj.process_id != process.id or writable.update is None:
        raise NotFound(slug)
    if not can(actor, Permission.PROCESS_RECORD_WRITE, obj):
        from parley.authz.permissions import Forbidden

        raise Forbidden("read only")
    values = {n: jsonable(getattr(obj, n, "")) for n in writable.update.model_fields}
    return render(
        request,
        "record_form.html",
        process=process,
        kind=KINDS[slug],
        error=None,
        action=f"/p/{key}/{slug}/{object_id}/edit",
        fields=_form_fields(db, actor, process, writable.update, values),
    )


def _edit_form(
    request: Request,
    key: str,
    slug: str,
    object_id: str,
    db: Db,
    actor: Actor,
    form: Mapping[str, Any],
) -> Response:
    process = process_by_key(db, actor, key)
    writable = _writable(slug)
    assert writable.update is not None
    try:
        data = writable.update.model_validate(_clean_form(form, writable.update))
        with request_write_session(request) as session:
            update_record(
                session,
                actor=actor,
                process=process,
                writable=writable,
                object_id=object_id,
                data=data,
            )
    except (ValidationError, RecordError) as exc:
        message = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        return render(
            request,
            "record_form.html",
            422,
            process=process,
            kind=KINDS[slug],
            error=message,
            action=f"/p/{key}/{slug}/{object_id}/edit",
            fields=_form_fields(db, actor, process, writable.update, form),
        )
    return RedirectResponse(f"/p/{key}/{slug}/{object_id}", status_code=303)


# ---------------------------------------------------------------- routes, one set per kind
# Paths name each kind literally, so they never shadow the positions routes or the generic
# read routes registered after them.


def _register(slug: str) -> None:
    title = KINDS[slug].title.lower()

    # The handlers are plain functions, so FastAPI runs them in its thread pool: database work
    # must never block the event loop. Only reading the body (RawBody, Form) is async.
    def create_api(
        request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody
    ) -> dict[str, Any]:
        return _create_api(request, key, slug, db, actor, raw)

    create_api.__doc__ = f"Create one of the {title}; unknown fields are refused, naming the field."
    router.add_api_route(
        f"{API}/{{key}}/{slug}",
        create_api,
        methods=["POST"],
        tags=["records"],
        dependencies=[Csrf],
        status_code=201,
        name=f"create_{slug}",
        openapi_extra=_body_schema(WRITABLE[slug].create),
    )

    def new_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
        return _new_page(request, key, slug, db, actor)

    router.add_api_route(
        f"/p/{{key}}/{slug}/new",
        new_page,
        methods=["GET"],
        include_in_schema=False,
        name=f"new_{slug}",
    )

    def create_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
        return _create_form(request, key, slug, db, actor, form)

    router.add_api_route(
        f"/p/{{key}}/{slug}",
        create_form,
        methods=["POST"],
        include_in_schema=False,
        dependencies=[Csrf],
        name=f"create_{slug}_form",
    )
    update = WRITABLE[slug].update
    if update is None:
        return

    def update_api(
        request: Request, key: str, object_id: str, db: Db, actor: SignedIn, raw: RawBody
    ) -> dict[str, Any]:
        return _update_api(request, key, slug, object_id, db, actor, raw)

    update_api.__doc__ = f"Change fields of one of the {title}; each change is audited old → new."
    router.add_api_route(
        f"{API}/{{key}}/{slug}/{{object_id}}",
        update_api,
        methods=["PATCH"],
        tags=["records"],
        dependencies=[Csrf],
        name=f"update_{slug}",
        openapi_extra=_body_schema(update),
    )

    def edit_page(request: Request, key: str, object_id: str, db: Db, actor: SignedIn) -> Response:
        return _edit_page(request, key, slug, object_id, db, actor)

    router.add_api_route(
        f"/p/{{key}}/{slug}/{{object_id}}/edit",
        edit_page,
        methods=["GET"],
        include_in_schema=False,
        name=f"edit_{slug}",
    )

    def edit_form(
        request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
    ) -> Response:
        return _edit_form(request, key, slug, object_id, db, actor, form)

    router.add_api_route(
        f"/p/{{key}}/{slug}/{{object_id}}/edit",
        edit_form,
        methods=["POST"],
        include_in_schema=False,
        dependencies=[Csrf],
        name=f"edit_{slug}_form",
    )


for _slug in WRITABLE:
    _register(_slug)
