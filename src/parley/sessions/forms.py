"""The HTML forms of meetings, minutes, statements and notes.

A form is built from the package's input model: one field per model field, drawn by the
``ui.field`` macro (``records/templates/record_form.html``) with the model's own limits. Choices
come from lists, never typed keys: spaces in words (those the actor may write), parties,
people and provisions by name, meetings and rooms the actor can see. Posted forms are read back
into the same model, so a form and its JSON twin refuse the same input; a refusal is shown next
to its field in plain words (:func:`parley.web.inputs.field_errors`).
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.authz.navigation import party_names
from parley.authz.scope import writable_spaces
from parley.authz.visibility import INTERNAL, SCOPED, visible, visible_provision_ids
from parley.processes.models import Person, Process
from parley.sessions.models import Meeting, Room
from parley.sessions.service import parties_of
from parley.texts.models import Document, Provision, ProvisionText, Version
from parley.web.formatting import space_words

LONG = frozenset({"text", "outcome", "obligation_text", "conditions"})
REFERENCES: dict[str, tuple[Any, str]] = {
    "session_id": (Meeting, "title"),
    "room_id": (Room, "name"),
}
LABELS = {
    "session_id": "Meeting",
    "room_id": "Room",
    "made_on": "Date",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "timezone": "Time zone",
    "space": "Who can read it",
    "parties": "Parties",
    "people": "People",
    "provisions": "Provisions it concerns",
    "signatories": "Signatories",
    "key": "Short name",
}
HINTS = {
    "key": "Letters, digits, dots, dashes or underscores; unique in this process.",
    "space": "Only the spaces you may write in are offered.",
    "hash": "Filled in for you: the text you are editing.",
}
CHOICE_LISTS = frozenset({"parties", "signatories", "people", "provisions"})


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


def party_choices(db: Session, process: Process) -> list[tuple[str, str]]:
    """(key, name) of the process's parties (listed to everyone in the process)."""
    return sorted(
        ((p.key, p.name) for p in parties_of(db, process.id).values()), key=lambda c: c[1]
    )


def people_choices(db: Session, actor: Actor, process: Process) -> list[tuple[str, str]]:
    rows = db.execute(
        sa.select(Person.key, Person.name)
        .where(Person.process_id == process.id, visible(actor, Person))
        .order_by(Person.name)
        .limit(500)
        .execution_options(**{SCOPED: True})
    ).all()
    return [(k, n) for k, n in rows]


def provision_choices(db: Session, actor: Actor, process: Process) -> list[tuple[str, str]]:
    """("document/wid", "Document title, point 10 (Territory)") for the provisions the actor
    can read, in document and text order."""
    docs = {
        d.id: d
        for d in db.scalars(
            sa.select(Document)
            .where(Document.process_id == process.id, visible(actor, Document))
            .execution_options(**{SCOPED: True})
        )
    }
    if not docs:
        return []
    provisions = db.execute(
        sa.select(Provision.id, Provision.wid, Provision.document_id)
        .where(
            Provision.document_id.in_(list(docs)),
            Provision.id.in_(visible_provision_ids(actor, process_id=process.id)),
        )
        .execution_options(**{SCOPED: True})
    ).all()
    ids = [p.id for p in provisions]
    # The number and heading of each provision in the newest version the actor can see.
    texts: dict[uuid.UUID, tuple[str, str, int]] = {}
    if ids:
        for pid, number, heading, ordinal in db.execute(
            sa.select(
                ProvisionText.provision_id,
                ProvisionText.number,
                ProvisionText.heading,
                ProvisionText.ordinal,
            )
            .join(Version, Version.id == ProvisionText.version_id)
            .where(ProvisionText.provision_id.in_(ids), visible(actor, Version))
            .order_by(Version.created_at)
            .execution_options(**{SCOPED: True, INTERNAL: True})
        ):
            texts[pid] = (number, heading, ordinal)
    out = []
    for pid, wid, doc_id in provisions:
        number, heading, ordinal = texts.get(pid, (wid, "", 10**6))
        label = f"{docs[doc_id].title}, point {number}" + (f" ({heading})" if heading else "")
        out.append(((docs[doc_id].title, ordinal, wid), (f"{docs[doc_id].key}/{wid}", label)))
    return [choice for _, choice in sorted(out)]


def form_fields(
    db: Session,
    actor: Actor,
    process: Process,
    schema: type[BaseModel],
    values: Mapping[str, Any],
    *,
    skip: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """The fields of ``schema`` as the ``ui.field`` macro takes them (type, label, options,
    the value to show)."""
    fields = []
    for name, info in schema.model_fields.items():
        if name in skip:
            continue
        kind, choices = _kind(info.annotation)
        options: list[tuple[str, str]] = [(c, c.replace("_", " ").capitalize()) for c in choices]
        value: Any = _value(values, name, kind)
        ui_type = {
            "select": "radios" if 1 < len(choices) <= 4 else "select",
            "lines": "textarea",
            "checkbox": "checkbox",
            "date": "date",
            "datetime": "text",
            "reference": "text",
        }.get(kind, "textarea" if name in LONG else "text")
        hint = HINTS.get(name)
        if name == "space":
            names = party_names(db, process.id)
            ui_type = "select"
            options = [
                (s, space_words(s, names)[0]) for s in writable_spaces(db, actor, process.id)
            ]
        elif kind == "lines" and name in ("parties", "signatories"):
            ui_type, options = "checkboxes", party_choices(db, process)
        elif kind == "lines" and name == "people":
            ui_type, options = "checkboxes", people_choices(db, actor, process)
        elif kind == "lines" and name == "provisions":
            ui_type, options = "checkboxes", provision_choices(db, actor, process)
        elif kind == "lines":
            hint = hint or "One a line."
            value = "\n".join(value) if isinstance(value, list) else value
        elif kind == "reference" and name in REFERENCES:
            model, label = REFERENCES[name]
            rows = db.scalars(
                sa.select(model)
                .where(model.process_id == process.id, visible(actor, model))
                .order_by(getattr(model, label))
                .limit(500)
                .execution_options(**{SCOPED: True})
            ).all()
            ui_type = "select"
            options = [(str(r.id), str(getattr(r, label))) for r in rows]
        elif kind == "datetime":
            hint = hint or "Date, time and offset, for example 2026-01-15T10:00+01:00."
        if ui_type == "select" and not info.is_required():
            options = [("", "—"), *options]
        if name == "hash":
            ui_type = "hidden"
        fields.append(
            {
                "name": name,
                "label": LABELS.get(name, name.replace("_", " ").capitalize()),
                "type": ui_type,
                "options": options,
                "value": value,
                "hint": hint,
                "required": info.is_required() and kind != "checkbox",
            }
        )
    return fields


def _value(values: Mapping[str, Any], name: str, kind: str) -> Any:
    getlist = getattr(values, "getlist", None)
    if kind == "lines" and getlist is not None:
        many = [str(v) for v in getlist(name)]
        return many if len(many) != 1 else many[0]
    return values.get(name, "")


def read_form(form: Mapping[str, Any], schema: type[BaseModel]) -> dict[str, Any]:
    """The posted fields of ``schema`` (empty ones left out, so defaults apply); a list field
    is either ticked boxes (every value) or a text box (one value a line)."""
    data: dict[str, Any] = {}
    getlist = getattr(form, "getlist", None)
    for name, info in schema.model_fields.items():
        kind, _ = _kind(info.annotation)
        raw = form.get(name)
        if kind == "checkbox":
            data[name] = raw is not None
        elif kind == "lines":
            many = [str(v) for v in getlist(name)] if getlist is not None else [str(raw or "")]
            lines = [line.strip() for v in many for line in v.splitlines() if line.strip()]
            if lines:
                data[name] = lines
        elif raw not in (None, ""):
            data[name] = raw
    return data
