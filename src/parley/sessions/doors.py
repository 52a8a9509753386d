"""Create and edit routes of one kind of record onto its service: the JSON API and the forms.

For a kind with slug S, :func:`register` adds, on the URLs the generic record stack served:
``POST /api/v1/processes/{key}/S`` (201), ``PATCH /api/v1/processes/{key}/S/{object_id}``,
``GET /p/{key}/S/new``, ``POST /p/{key}/S`` and ``GET``/``POST /p/{key}/S/{object_id}/edit``.
Each handler reads the input model, then calls the one service function of the kind in one
transaction. Refusals: bad input 422 naming the field, not allowed 403, not in this state 409,
hidden or missing 404 (the same answer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState, permits
from parley.authz.scope import can_write_in, get_visible_in
from parley.errors import InputError
from parley.processes.models import Process
from parley.sessions.forms import form_fields, read_form
from parley.web.deps import Csrf, Db, Form, RawBody, SignedIn, process_by_key, request_write_session
from parley.web.flash import flash
from parley.web.inputs import body_schema, json_object, save_form, validated
from parley.web.templating import render

API = "/api/v1/processes"

Create = Callable[[Session, Actor, Process, Any], Any]
Update = Callable[[Session, Actor, Process, str, Any], Any]
# (kind, action, subject) of the edit rule for one record, to show the edit form only to those
# who may use it.
EditRule = Callable[[Session, Any], tuple[str, str, Any]]


@dataclass(frozen=True)
class Door:
    slug: str
    title: str
    model: Any
    create_schema: type[BaseModel]
    create: Create
    update_schema: type[BaseModel] | None = None
    update: Update | None = None
    edit_rule: EditRule | None = None
    skip: tuple[str, ...] = ()  # fields left out of the forms (the API takes them)
    edit_values: Callable[[Any], dict[str, Any]] | None = None  # extra values of the edit form
    create_form: bool = True  # False: the package serves its own "new" page (a wizard)
    noun: str = "record"  # "meeting", "statement": for the page title and the message
    done: Callable[[str, Any], str] | None = None  # where to go after a save (key, record)


class _Kind:
    """What record_form.html needs of a kind."""

    def __init__(self, door: Door) -> None:
        self.slug, self.title, self.noun = door.slug, door.title, door.noun


def _problem(exc: InputError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def run(request: Request, change: Callable[[Session], Any]) -> Any:
    """One service call in its own transaction; input errors 422, state errors 409."""
    try:
        with request_write_session(request) as session:
            return change(session)
    except NotInState as exc:
        raise HTTPException(409, str(exc)) from None
    except (InputError, ValidationError) as exc:
        raise HTTPException(422, _problem(exc)) from None


def register(router: APIRouter, door: Door, *, tag: str) -> None:
    slug, kind = door.slug, _Kind(door)

    def page(
        request: Request,
        process: Process,
        db: Db,
        actor: Actor,
        schema: type[BaseModel],
        action: str,
        values: Mapping[str, Any],
        errors: Mapping[str, str] | None = None,
        editing: bool = False,
    ) -> Response:
        return render(
            request,
            "record_form.html",
            422 if errors else 200,
            process=process,
            kind=kind,
            errors=dict(errors or {}),
            action=action,
            editing=editing,
            model=schema,
            fields=form_fields(db, actor, process, schema, values, skip=door.skip),
        )

    def done(key: str, made: Any) -> str:
        return door.done(key, made) if door.done else f"/p/{key}/{slug}/{made.id}"

    def create_api(
        request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody
    ) -> dict[str, Any]:
        process = process_by_key(db, actor, key)
        data = validated(door.create_schema, json_object(raw))
        made = run(request, lambda s: door.create(s, actor, process, data))
        return {"id": str(made.id), "space": made.space}

    create_api.__doc__ = f"Create one of the {door.title.lower()}; unknown fields are refused."
    router.add_api_route(
        f"{API}/{{key}}/{slug}",
        create_api,
        methods=["POST"],
        tags=[tag],
        dependencies=[Csrf],
        status_code=201,
        name=f"create_{slug}",
        openapi_extra=body_schema(door.create_schema),
    )
    if door.create_form:
        _create_forms(router, door, page, done)
    _update_routes(router, door, tag, page, done)


def _create_forms(router: APIRouter, door: Door, page: Any, done: Any) -> None:
    slug = door.slug

    def new_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
        process = process_by_key(db, actor, key)
        if not can_write_in(actor, process.id):
            raise Forbidden("read only")
        return page(request, process, db, actor, door.create_schema, f"/p/{key}/{slug}", {})

    router.add_api_route(
        f"/p/{{key}}/{slug}/new", new_page, methods=["GET"], include_in_schema=False
    )

    def create_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
        process = process_by_key(db, actor, key)
        made, errors = save_form(
            request,
            lambda s: door.create(
                s,
                actor,
                process,
                door.create_schema.model_validate(read_form(form, door.create_schema)),
            ),
        )
        if errors:
            action = f"/p/{key}/{slug}"
            return page(request, process, db, actor, door.create_schema, action, form, errors)
        response = RedirectResponse(done(key, made), status_code=303)
        return flash(request, response, f"{door.noun.capitalize()} saved.")

    router.add_api_route(
        f"/p/{{key}}/{slug}",
        create_form,
        methods=["POST"],
        include_in_schema=False,
        dependencies=[Csrf],
    )


def _update_routes(router: APIRouter, door: Door, tag: str, page: Any, done: Any) -> None:
    slug = door.slug
    update_schema, update = door.update_schema, door.update
    if update_schema is None or update is None:
        return

    def update_api(
        request: Request, key: str, object_id: str, db: Db, actor: SignedIn, raw: RawBody
    ) -> dict[str, Any]:
        process = process_by_key(db, actor, key)
        get_visible_in(db, actor, door.model, process.id, object_id)  # 404 before the body
        data = validated(update_schema, json_object(raw))
        changed = run(request, lambda s: update(s, actor, process, object_id, data))
        return {"id": str(changed.id), "space": changed.space}

    update_api.__doc__ = f"Change fields of one of the {door.title.lower()} (audited old → new)."
    router.add_api_route(
        f"{API}/{{key}}/{slug}/{{object_id}}",
        update_api,
        methods=["PATCH"],
        tags=[tag],
        dependencies=[Csrf],
        name=f"update_{slug}",
        openapi_extra=body_schema(update_schema),
    )

    def edit_page(request: Request, key: str, object_id: str, db: Db, actor: SignedIn) -> Response:
        process = process_by_key(db, actor, key)
        obj = get_visible_in(db, actor, door.model, process.id, object_id)
        if door.edit_rule is not None:
            rule_kind, action, subject = door.edit_rule(db, obj)
            if not permits(actor, rule_kind, action, subject):
                raise Forbidden("read only")
        values = {n: jsonable(getattr(obj, n, "")) for n in update_schema.model_fields}
        if door.edit_values is not None:
            values.update(door.edit_values(obj))
        action = f"/p/{key}/{slug}/{object_id}/edit"
        return page(request, process, db, actor, update_schema, action, values, editing=True)

    router.add_api_route(
        f"/p/{{key}}/{slug}/{{object_id}}/edit",
        edit_page,
        methods=["GET"],
        include_in_schema=False,
    )

    def edit_form(
        request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
    ) -> Response:
        process = process_by_key(db, actor, key)
        obj = get_visible_in(db, actor, door.model, process.id, object_id)
        action = f"/p/{key}/{slug}/{object_id}/edit"
        _, errors = save_form(
            request,
            lambda s: update(
                s,
                actor,
                process,
                object_id,
                update_schema.model_validate(read_form(form, update_schema)),
            ),
        )
        if errors:
            return page(request, process, db, actor, update_schema, action, form, errors, True)
        response = RedirectResponse(done(key, obj), status_code=303)
        return flash(request, response, f"{door.noun.capitalize()} changed.")

    router.add_api_route(
        f"/p/{{key}}/{slug}/{{object_id}}/edit",
        edit_form,
        methods=["POST"],
        include_in_schema=False,
        dependencies=[Csrf],
    )
