"""Access to a user's own account records (API tokens, security keys): the owner only.

These records belong to an account, not to a process or a space, so the rule is simply that
the actor is their user; anyone else's record answers NotFound, exactly like a missing one.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz.actor import Actor
from parley.authz.visibility import NotFound

M = TypeVar("M")


def get_own(session: Session, actor: Actor, model: type[M], object_id: Any) -> M:
    """The actor's own record of ``model`` (which has ``id`` and ``user_id``), or NotFound.

    The system actor (the operator's command line on the server) may reach anyone's."""
    kind = model.__name__.lower()
    if not actor.is_system and (actor.is_anonymous or actor.user_id is None):
        raise NotFound(kind)
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound(kind) from None
    query = sa.select(model).where(model.id == key)  # type: ignore[attr-defined]
    if not actor.is_system:
        query = query.where(model.user_id == actor.user_id)  # type: ignore[attr-defined]
    found: M | None = session.scalars(query).first()
    if found is None:
        raise NotFound(kind)
    return found
