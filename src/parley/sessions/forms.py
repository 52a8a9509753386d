"""The HTML forms of meetings, minutes, statements and notes (rendered by record_form.html).

A form is built from the package's input model: one input per field, a select for literals,
spaces (the ones the actor may write) and references (meetings and rooms the actor can see);
list fields take one value per line. Posted forms are read back into the same model, so a form
and its JSON twin refuse the same input with the same messages.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.authz.scope import writable_spaces
from parley.authz.visibility import SCOPED, visible
from parley.processes.models import Process
from parley.sessions.models import Meeting, Room

LONG = frozenset({"text", "outcome"})
REFERENCES: dict[str, tuple[Any, str]] = {
    "session_id": (Meeting, "title"),
    "room_id": (Room, "name"),
}


def _kind(annotation: Any) -> tuple[str, list[str]]:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _kind(inner[0]) if inner else ("text", [])
    if typing.get_origin(annotation) is typing.Literal:
        return "select", [str(a) for a in args]
    if typing.get_origin(annotation) is list:
        return "lines", []
    if annotation is bool:
        return "checkbox", []
    if annotation is date:
        return "date", []
    if annotation is datetime:
        return "datetime", []
    if annotation is uuid.UUID:
        return "reference", []
    return "text", []


def form_fields(
    db: Session,
    actor: Actor,
    process: Process,
    schema: type[BaseModel],
    values: Mapping[str, Any],
    *,
    skip: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    fields = []
    for name, info in schema.model_fields.items():
        if name in skip:
            continue
        kind, choices = _kind(info.annotation)
        options: list[tuple[str, str]] = [(c, c) for c in choices]
        if name == "space":
            kind, options = "select", [(s, s) for s in writable_spaces(db, actor, process.id)]
        elif kind == "reference" and name in REFERENCES:
            model, label = REFERENCES[name]
            rows = db.scalars(
                sa.select(model)
                .where(model.process_id == process.id, visible(actor, model))
                .order_by(model.id)
                .limit(500)
                .execution_options(**{SCOPED: True})
            ).all()
            options, kind = [(str(r.id), str(getattr(r, label))) for r in rows], "select"
        elif kind == "reference":
            kind = "text"
        value = values.get(name, "")
        if kind == "lines":
            value = "\n".join(value) if isinstance(value, list) else value
        fields.append(
            {
                "name": name,
                "kind": "text" if kind == "lines" else kind,
                "options": options,
                "required": info.is_required(),
                "value": value,
                "long": name in LONG or kind == "lines",
            }
        )
    return fields


def read_form(form: Mapping[str, Any], schema: type[BaseModel]) -> dict[str, Any]:
    """The posted fields of ``schema`` (empty ones left out, so defaults apply)."""
    data: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        kind, _ = _kind(info.annotation)
        raw = form.get(name)
        if kind == "checkbox":
            data[name] = raw is not None
        elif kind == "lines":
            if raw not in (None, ""):
                data[name] = [line.strip() for line in str(raw).splitlines() if line.strip()]
        elif raw not in (None, ""):
            data[name] = raw
    return data


def problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)
