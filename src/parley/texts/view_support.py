"""Helpers shared by the texts pages and their JSON twins (views.py, views_amendments.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound
from parley.authz.scope import standing
from parley.processes.models import Process
from parley.texts import queries as q
from parley.texts import service as svc
from parley.texts.exporting import Download
from parley.texts.models import Document, Version
from parley.web.deps import process_by_key, request_write_session
from parley.web.templating import render

API = "/api/v1/processes/{key}/texts"
PAGE = "/p/{key}/texts"
T = TypeVar("T")
P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)


def doc_of(db: Session, actor: Actor, key: str, doc_key: str) -> tuple[Process, Document]:
    process = process_by_key(db, actor, key)
    return process, q.document(db, actor, process.id, doc_key)


def version_of(db: Session, actor: Actor, doc: Document, label: str | None) -> Version:
    if not label:
        raise NotFound("version")
    return q.version(db, actor, doc, label)


def write(
    request: Request,
    actor: Actor,
    key: str,
    doc_key: str | None,
    fn: Callable[[Session, Process, Document | None], T],
) -> T:
    """Run one service call in one transaction, with the records fetched again inside it."""
    with request_write_session(request) as session:
        process = process_by_key(session, actor, key)
        doc = q.document(session, actor, process.id, doc_key) if doc_key else None
        return fn(session, process, doc)


def unprocessable(exc: svc.TextError) -> HTTPException:
    return HTTPException(422, "; ".join(exc.errors))


def form_error(request: Request, exc: svc.TextError) -> Response:
    return render(request, "error.html", 422, title="Not done", message="; ".join(exc.errors))


def back(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def api_write(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a JSON twin's write: bad input (a TextError) answers 422 with its messages."""
    try:
        return fn(*args, **kwargs)
    except svc.TextError as exc:
        raise unprocessable(exc) from None


def form_write(
    request: Request,
    then: str | Callable[[T], str],
    fn: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Response:
    """Run a form's write: bad input renders the error page (422); success redirects (303) to
    ``then``, or to ``then(result)``."""
    try:
        result = fn(*args, **kwargs)
    except svc.TextError as exc:
        return form_error(request, exc)
    return back(then if isinstance(then, str) else then(result))


def form_body(model: type[M], form: FormData, **given: Any) -> M:
    """A form's fields as its JSON twin's body, so that each field is declared once (in the
    model). As with FastAPI's own form fields, an empty field is an absent one (the model's
    default), and a required one absent or a file in place of text answers 422. ``given``
    sets the fields a form spells another way. The model's own checks raise ValidationError
    (a ValueError), as when the model is built by hand."""
    values = dict(given)
    problems = []
    for name, field in model.model_fields.items():
        value = form.get(name)
        if name in given or value is None or value == "":
            if name not in given and field.is_required():
                problems.append({"type": "missing", "loc": ("body", name), "msg": "Field required"})
        elif not isinstance(value, str):  # a file where text belongs
            problems.append(
                {
                    "type": "string_type",
                    "loc": ("body", name),
                    "msg": "Input should be a valid string",
                }
            )
        else:
            values[name] = value
    if problems:
        raise RequestValidationError(problems)
    return model.model_validate(values)


def download(download: Download) -> Response:
    return Response(
        download.body,
        media_type=download.media_type,
        headers={"Content-Disposition": f'attachment; filename="{download.filename}"'},
    )


def membership(actor: Actor, process: Process) -> Any:
    return standing(actor, process.id)


def version_json(v: Version, parties: dict[uuid.UUID, Any]) -> dict[str, Any]:
    author = parties.get(v.author_party_id) if v.author_party_id else None
    return {
        "label": v.label,
        "title": v.title,
        "kind": str(v.kind),
        "author": author.key if author else None,
        "dated": jsonable(v.dated),
        "created_at": jsonable(v.created_at),
        "content_hash": v.content_hash,
        "frozen_at": jsonable(v.frozen_at),
        "space": v.space,
    }


def document_json(doc: Document) -> dict[str, Any]:
    return {
        "key": doc.key,
        "title": doc.title,
        "kind": str(doc.kind),
        "description": doc.description,
        "space": doc.space,
    }


def bracket_json(b: q.BracketView) -> dict[str, Any]:
    resolved = next(
        (o.option.key for o in b.options if o.option.id == b.bracket.resolved_option_id), None
    )
    return {
        "key": b.bracket.key,
        "label": b.bracket.label,
        "status": str(b.bracket.status),
        "wid": b.wid,
        "number": b.number,
        "space": b.bracket.space,
        "resolved_option": resolved,
        "options": [
            {
                "key": o.option.key,
                "text": o.option.text,
                "proposer": o.proposer,
                "supporters": list(o.supporters),
                "objectors": list(o.objectors),
            }
            for o in b.options
        ],
    }
