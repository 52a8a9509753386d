"""Audited writes of single records: the building blocks every service uses."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.service import record
from parley.authz.actor import Actor


def _process_id(obj: Any) -> Any:
    if obj.__tablename__ == "processes":
        return obj.id
    return getattr(obj, "process_id", None)


def audited_add(
    session: Session, obj: Any, *, actor: Actor, action: str, space: str | None = None
) -> Any:
    """Insert ``obj`` and append a ``field: [None, value]`` event to its space's chain.

    Link rows without a space of their own pass the space of the record they belong to.
    """
    session.add(obj)
    session.flush()
    mapper = sa.inspect(type(obj))
    changes = {
        attr.key: [None, getattr(obj, attr.key)]
        for attr in mapper.column_attrs
        if attr.key not in ("id", "process_id") and getattr(obj, attr.key) is not None
    }
    record(
        session,
        actor=actor,
        process_id=_process_id(obj),
        space=space or getattr(obj, "space", None) or "participants",
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes=changes,
    )
    return obj


def audited_update(
    session: Session,
    obj: Any,
    values: dict[str, Any],
    *,
    actor: Actor,
    action: str,
    space: str | None = None,
) -> dict[str, list[Any]]:
    """Set fields on ``obj``; record only the fields that really changed (old → new)."""
    changes: dict[str, list[Any]] = {}
    for key, new in values.items():
        old = getattr(obj, key)
        if old != new:
            changes[key] = [old, new]
            setattr(obj, key, new)
    if not changes:
        return changes
    session.flush()
    record(
        session,
        actor=actor,
        process_id=_process_id(obj),
        space=space or getattr(obj, "space", None) or "participants",
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes=changes,
    )
    return changes


def audited_delete(
    session: Session, obj: Any, *, actor: Actor, action: str, space: str | None = None
) -> None:
    """Delete ``obj`` and append a ``field: [value, None]`` event with the tombstone state."""
    mapper = sa.inspect(type(obj))
    changes = {
        attr.key: [getattr(obj, attr.key), None]
        for attr in mapper.column_attrs
        if attr.key not in ("id", "process_id") and getattr(obj, attr.key) is not None
    }
    process_id = _process_id(obj)
    where = space or getattr(obj, "space", None) or "participants"
    object_id = obj.id
    session.delete(obj)
    session.flush()
    record(
        session,
        actor=actor,
        process_id=process_id,
        space=where,
        action=action,
        object_type=obj.__tablename__,
        object_id=object_id,
        changes=changes,
    )
