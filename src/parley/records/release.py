"""Releasing a record to a wider space: one operation, in one place, for every kind.

A release always needs step-up (the rule ``record:release`` in :mod:`parley.authz.rules`). The
narrower space's chain records the move; the wider space's chain receives only what its new
readers may read: the record's current content, as if it had been created there. Earlier
values, reasons, revision counts and the narrower space's events never reach the wider chain.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.audit.records import audited_update
from parley.audit.service import record
from parley.authz import Actor, Permission, parse_space, require, widens
from parley.authz.rules import Subject, require_action
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL
from parley.errors import InputError
from parley.processes.models import Party

# Columns that say how a record came to be, not what it says now.
HISTORY_COLUMNS = frozenset({"id", "process_id", "space", "lock_version", "revision"})


class ReleaseError(InputError):
    """The new space is unknown or does not widen the record's space."""


def owners_of(space: str) -> frozenset[str]:
    """The party whose delegation owns a party space (``party:P`` and ``party:P+mediator``)."""
    parsed = parse_space(space)
    return frozenset({parsed.party}) if parsed.party else frozenset()


def current_content(obj: Any) -> dict[str, list[Any]]:
    """The record as it reads now, as ``field: [None, value]`` changes."""
    return {
        attr.key: [None, jsonable(getattr(obj, attr.key))]
        for attr in sa.inspect(type(obj)).column_attrs
        if attr.key not in HISTORY_COLUMNS and getattr(obj, attr.key) is not None
    }


def release(session: Session, *, actor: Actor, obj: Any, new_space: str) -> None:
    """Move ``obj`` (any spaced record) to ``new_space``, which must widen its space."""
    require_action(
        actor,
        "record",
        "release",
        Subject(process_id=obj.process_id, owners=owners_of(obj.space)),
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)  # the narrower space is the actor's
    widen(session, actor=actor, obj=obj, new_space=new_space)


def widen(session: Session, *, actor: Actor, obj: Any, new_space: str) -> None:
    """The release itself, for actions whose own rule allowed it and asked for step-up
    (submitting an amendment, publishing a joint statement): the chains are written exactly
    as for :func:`release`."""
    party_keys = set(
        session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == obj.process_id)
            .execution_options(**{INTERNAL: True})
        )
    )
    try:
        new_space = str(parse_space(new_space, party_keys))
    except SpaceError as exc:
        raise ReleaseError(str(exc), field="space") from None
    if not widens(obj.space, new_space):
        raise ReleaseError(f"{new_space!r} does not widen {obj.space!r}", field="space")
    old = obj.space
    audited_update(
        session, obj, {"space": new_space}, actor=actor, action="record:release", space=old
    )
    record(
        session,
        actor=actor,
        process_id=obj.process_id,
        space=new_space,
        action="record:release",
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes=current_content(obj),
    )
