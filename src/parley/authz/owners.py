"""Who owns a record, for the rules in :mod:`parley.authz.rules`, and scoped selects by key.

* A party's records are owned by its delegation, and by the delegation of every coalition it
  belongs to: Europe's delegation acts for the EU, whose pledge it records.
* A record in a delegation's own space (``party:X`` or ``party:X+mediator``) is owned by that
  delegation; a record in a shared space (participants, public, mediator) has no owner but the
  mediator.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz.actor import Actor
from parley.authz.spaces import SpaceError, parse_space
from parley.authz.visibility import INTERNAL, SCOPED, visible
from parley.errors import InputError

M = TypeVar("M")


def select_in(actor: Actor, model: Any, process_id: uuid.UUID) -> sa.Select[Any]:
    """The rows of ``model`` in the process that the actor may read (the one scoped select)."""
    return (
        sa.select(model)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def columns_in(actor: Actor, model: Any, process_id: uuid.UUID, *columns: Any) -> sa.Select[Any]:
    """Some columns of the rows of ``model`` in the process that the actor may read."""
    return (
        sa.select(*columns)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def visible_by_key(
    session: Session, actor: Actor, model: type[M], process_id: uuid.UUID, key: str, *, field: str
) -> M:
    """The record with this key that the actor may read; a missing and a hidden one give the
    same InputError on ``field``."""
    found = session.scalars(
        select_in(actor, model, process_id).where(model.key == key)  # type: ignore[attr-defined]
    ).first()
    if found is None:
        raise InputError(f"unknown {field.replace('_', ' ')} {key!r}", field=field)
    return found


def party_owners(
    session: Session, process_id: uuid.UUID, party_id: uuid.UUID | None
) -> frozenset[str]:
    """The keys of the delegations that act for a party: its own and its coalitions'."""
    if party_id is None:
        return frozenset()
    from parley.processes.models import CoalitionMember, Party

    coalition = sa.orm.aliased(Party)
    own = session.scalars(
        sa.select(Party.key)
        .where(Party.id == party_id, Party.process_id == process_id)
        .execution_options(**{INTERNAL: True})  # an access decision, nothing shown
    ).all()
    theirs = session.scalars(
        sa.select(coalition.key)
        .join(CoalitionMember, CoalitionMember.coalition_id == coalition.id)
        .where(CoalitionMember.member_id == party_id, CoalitionMember.process_id == process_id)
        .execution_options(**{INTERNAL: True})
    ).all()
    return frozenset([*own, *theirs])


def space_owner(space: str) -> frozenset[str]:
    """The delegation whose own space this is (``party:X``, ``party:X+mediator``), if any."""
    try:
        parsed = parse_space(space)
    except SpaceError:
        return frozenset()
    if parsed.kind in ("party", "party+mediator") and parsed.party:
        return frozenset([parsed.party])
    return frozenset()
