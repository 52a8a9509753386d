"""Audit events as sentences people read: "US mediation team recorded the position “…”".

An event names its record by the record's own title, name, label or key when the reader may
see that record (the lookup is scoped by ``authz``, so a hidden record's name never shows), and
by its kind otherwise ("a position"). The field-by-field view turns every value into words:
references are "(reference)", times are readable, nested values are "field: value" lists.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.models import AuditEvent
from parley.authz import Actor, visible
from parley.authz.visibility import SCOPED
from parley.db.base import Base, Spaced

# The verb phrase of an action; the record's name follows it.
VERBS: dict[str, str] = {
    "process:create": "opened the process",
    "process:party:create": "added the party",
    "process:party:update": "changed the party",
    "process:coalition:add": "added a coalition member to",
    "process:delegation:create": "formed the delegation",
    "process:membership:create": "placed a member in a delegation",
    "process:membership:update": "changed a member's role",
    "process:person:create": "added the person",
    "process:person:update": "changed the person",
    "process:person:title": "recorded a title of",
    "audit:chain:open": "opened the audit chain of a space",
    "audit:checkpoint:create": "wrote a checkpoint",
    "document:create": "created the document",
    "document:version:create": "added the version",
    "document:version:freeze": "froze the version",
    "document:version:parent": "linked a version to its parent",
    "document:version:sign": "signed the version",
    "document:provision:create": "added the provision",
    "document:provision:rekey": "renamed the provision",
    "document:provision:text": "recorded the text of a provision",
    "document:lineage:confirm": "confirmed that two provisions match",
    "document:lineage:correct": "corrected a match between provisions",
    "document:lineage:suggest": "suggested a match between provisions",
    "document:amendment:create": "drafted the amendment",
    "document:amendment:submit": "tabled the amendment",
    "document:amendment:withdraw": "withdrew the amendment",
    "document:amendment:accept": "accepted the amendment",
    "document:amendment:reject": "rejected the amendment",
    "document:amendment:bracket": "folded into a bracket the amendment",
    "document:bracket:create": "opened the bracket",
    "document:bracket:option": "added an option to a bracket",
    "document:bracket:support": "recorded support for a bracket option",
    "document:bracket:resolve": "resolved the bracket",
    "position:create": "recorded a position",
    "position:update": "changed a position",
    "position:revision": "kept an earlier revision of a position",
    "position:sticking-point:create": "named the sticking point",
    "position:sticking-point:update": "changed the sticking point",
    "position:sticking-point:link": "tied a provision to a sticking point",
    "package:release": "released the package",
    "package:share": "shared the package",
    "record:release": "released to a wider space",
    "session:create": "created the meeting",
    "session:schedule": "scheduled the meeting",
    "session:update": "changed the meeting",
    "session:status": "changed the status of the meeting",
    "session:participant:add": "added a participant to a meeting",
    "session:agenda:add": "added the agenda item",
    "session:room:create": "opened the room",
    "session:minutes:create": "started minutes",
    "session:minutes:amend": "amended minutes",
    "session:minutes:circulate": "circulated minutes for approval",
    "session:minutes:approve": "approved minutes",
    "session:minutes:freeze": "froze the approved minutes",
    "session:carry": "carried a passage into a room",
    "session:carry:receive": "received a carried passage",
    "statement:create": "recorded the statement",
    "statement:update": "changed the statement",
    "statement:publish": "published the statement",
    "statement:speaker:add": "named a speaker of a statement",
    "statement:signatory:add": "named a signatory of a joint statement",
    "statement:provision:link": "tied a provision to a statement",
    "statement:joint:draft": "drafted the joint statement",
    "statement:joint:revise": "revised the joint statement",
    "statement:joint:approve": "approved the joint statement",
    "statement:joint:sign": "signed the joint statement",
    "statement:approval:void": "voided approvals of the joint statement",
    "commitment:create": "recorded the commitment",
    "commitment:update": "changed the commitment",
    "commitment:status": "changed the status of the commitment",
    "commitment:link": "linked a commitment to its evidence",
    "commitment:event:create": "recorded a delivery",
    "sequencing:step:create": "added the step",
    "sequencing:step:update": "changed the step",
    "sequencing:step:party": "named a party of a step",
    "sequencing:step:provision": "tied a provision to a step",
    "sequencing:milestone:create": "added the milestone",
    "sequencing:milestone:update": "changed the milestone",
    "sequencing:constraint:create": "added a constraint",
    "sequencing:constraint:update": "changed a constraint",
    "sequencing:constraint:delete": "removed a constraint",
    "sequencing:status-claim:create": "claimed a status",
    "sequencing:status-claim:update": "changed a status claim",
    "intake:source:create": "added the source",
    "intake:evidence:link": "tied evidence to a record",
    "intake:proposal:create": "proposed a record from a source",
    "intake:proposal:edit": "edited a proposal",
    "intake:proposal:accept": "accepted a proposal",
    "intake:proposal:reject": "rejected a proposal",
    "note:create": "wrote the note",
    "note:update": "changed the note",
}

# Columns that carry a record's name, in the order they are tried.
NAME_COLUMNS = ("title", "name", "label", "key")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
UUID_TEXT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _model_for(table: str) -> Any:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            return mapper.class_
    return None


def _name_column(model: Any) -> Any:
    for name in NAME_COLUMNS:
        column = getattr(model, name, None)
        if column is not None and hasattr(column, "property"):
            return column
    return None


def record_names(
    db: Session, actor: Actor, process_id: uuid.UUID, events: Iterable[AuditEvent]
) -> dict[str, str]:
    """Object id -> its name, for the records of ``events`` that ``actor`` may see and that
    have a name. Only confidentiality-scoped kinds are named (their names are scoped too)."""
    ids: dict[str, set[uuid.UUID]] = {}
    for e in events:
        try:
            ids.setdefault(e.object_type, set()).add(uuid.UUID(e.object_id))
        except ValueError:
            continue
    names: dict[str, str] = {}
    for table, wanted in ids.items():
        model = _model_for(table)
        if model is None or not issubclass(model, Spaced):
            continue
        column = _name_column(model)
        if column is None:
            continue
        rows = db.execute(
            sa.select(model.id, column)
            .where(model.id.in_(wanted), model.process_id == process_id, visible(actor, model))
            .execution_options(**{SCOPED: True})
        ).all()
        names.update({str(i): str(n) for i, n in rows if n})
    return names


def _kind_words(event: AuditEvent) -> str:
    return event.object_type.replace("_", " ").rstrip("s") or "record"


def verb(action: str) -> str:
    """The verb phrase of an action; an unknown one in words from its parts."""
    if action in VERBS:
        return VERBS[action]
    parts = action.split(":")
    last = {"create": "created", "update": "changed", "delete": "removed"}.get(parts[-1])
    noun = " ".join(p.replace("-", " ") for p in parts[1:-1]) or parts[0]
    return f"{last} a {noun}" if last else f"did “{' '.join(parts).replace('-', ' ')}” on"


def sentence(event: AuditEvent, names: dict[str, str]) -> tuple[str, str, str]:
    """(who, what they did, the record's name or "") for one event."""
    name = names.get(event.object_id, "")
    phrase = verb(event.action)
    return event.actor_name, phrase, name


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


def field_label(key: str) -> str:
    text = key.removesuffix("_id").replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else key


def words(value: Any, tz: str | None = None) -> str:
    """A stored value in words: no ISO time, no id, no Python repr."""
    from parley.web.formatting import format_date, format_datetime

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {words(v, tz)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(words(v, tz) for v in value) or "—"
    if isinstance(value, str):
        if UUID_TEXT.match(value):
            return "(reference)"
        if ISO_TIME.match(value):
            try:
                return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), tz)
            except ValueError:
                return value
        if ISO_DATE.match(value):
            try:
                return format_date(datetime.fromisoformat(value).date())
            except ValueError:
                return value
        return value
    return str(value)


def changes_of(event_changes: dict[str, Any], tz: str | None = None) -> list[Change]:
    """The field-by-field view of an event's changes (before → after)."""
    out = []
    for key, value in event_changes.items():
        if key in ("lock_version",):
            continue
        if isinstance(value, list) and len(value) == 2:
            before, after = value
        else:
            before, after = None, value
        if key.endswith("_id"):
            before = "(reference)" if before else None
            after = "(reference)" if after else None
        out.append(Change(field_label(key), words(before, tz), words(after, tz)))
    return out
