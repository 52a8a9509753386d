"""One actor in one process: its delegation, the spaces it may write, the records it may reach.

These are the only helpers that look at an actor's membership; domain code asks them instead
of reading roles itself (a test fails on ``.membership(`` or ``is_mediator`` outside authz).
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz.actor import Actor, Membership
from parley.authz.permissions import Forbidden
from parley.authz.spaces import SpaceError, parse_space
from parley.authz.visibility import (
    INTERNAL,
    NotFound,
    get_visible,
    per_reader,
    visible_processes,
)
from parley.errors import InputError
from parley.processes.models import Process

M = TypeVar("M")


def acts_as_mediator(actor: Actor, process_id: object) -> bool:
    """A head or member of the mediator's delegation (who may write), or the system."""
    if actor.is_system:
        return True
    m = actor.membership(process_id)
    return m is not None and m.is_mediator and m.can_write


def require_mediator(actor: Actor, process_id: object) -> None:
    if not acts_as_mediator(actor, process_id):
        raise Forbidden("only the mediator's team may do this")


def reads_as_mediator(actor: Actor, process_id: object) -> bool:
    """Sees what the mediator sees (viewers of the mediator's delegation included)."""
    m = actor.membership(process_id)
    return actor.is_system or (m is not None and m.is_mediator)


def actor_party(actor: Actor, process_id: object) -> str | None:
    """The key of the party whose delegation the actor belongs to in the process."""
    m = actor.membership(process_id)
    return None if m is None else m.party_key


def actor_party_id(actor: Actor, process_id: object) -> uuid.UUID | None:
    m = actor.membership(process_id)
    return None if m is None else m.party_id


def actor_role(actor: Actor, process_id: object) -> str | None:
    """head, member, viewer or observer; None for someone outside the process."""
    m = actor.membership(process_id)
    return None if m is None else m.role


def is_member(actor: Actor, process_id: object) -> bool:
    return actor.membership(process_id) is not None


def can_write_in(actor: Actor, process_id: object) -> bool:
    """A head or member of some delegation of the process."""
    m = actor.membership(process_id)
    return actor.is_system or (m is not None and m.can_write and m.party_key is not None)


def writable_spaces(session: Session, actor: Actor, process_id: uuid.UUID) -> list[str]:
    """The spaces the actor may write in, narrowest first (offered in forms)."""
    from parley.processes.models import Party

    m = actor.membership(process_id)
    if not actor.is_system and (m is None or m.party_key is None or not m.can_write):
        return []
    if m is not None and not m.is_mediator and not actor.is_system:
        own = m.party_key
        return [f"party:{own}", f"party:{own}+mediator", "participants"]
    keys = session.scalars(
        sa.select(Party.key)
        .where(Party.process_id == process_id)
        .order_by(Party.key)
        .execution_options(**{INTERNAL: True})
    ).all()
    # The operator's command line (scenario loader, imports) writes in every space; the
    # mediator in its own, in each party's space shared with it, and in the wide ones.
    own_spaces = [f"party:{k}" for k in keys] if actor.is_system else []
    mine = None if m is None else m.party_key
    shared = [f"party:{k}+mediator" for k in keys if actor.is_system or k != mine]
    return ["mediator", *own_spaces, *shared, "participants", "public"]


def require_writable_space(
    session: Session, actor: Actor, process_id: uuid.UUID, space: str, *, field: str = "space"
) -> str:
    """The space, normalised, when the actor may write in it; else an InputError on ``field``."""
    try:
        text = str(parse_space(space))
    except SpaceError as exc:
        raise InputError(str(exc), field=field) from None
    if text not in writable_spaces(session, actor, process_id):
        raise InputError("you cannot write in this space", field=field)
    return text


def space_owner(session: Session, process_id: uuid.UUID, space: str) -> str | None:
    """The party whose own space ``space`` is: P for ``party:P`` and ``party:P+mediator``, the
    mediator's party for ``mediator``; None for the shared spaces (participants, public)."""
    from parley.processes.models import Party, PartyKind

    parsed = parse_space(space)
    if parsed.kind in ("party", "party+mediator"):
        return parsed.party
    if parsed.kind == "mediator":
        return session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == process_id, Party.kind == PartyKind.MEDIATOR)
            .order_by(Party.key)
            .execution_options(**{INTERNAL: True})
        ).first()
    return None


def get_visible_in(
    session: Session, actor: Actor, model: type[M], process_id: uuid.UUID, object_id: Any
) -> M:
    """A record of ``model`` in this process that the actor may read, or NotFound (also
    when it exists in another process or in a space the actor cannot see)."""
    found = get_visible(session, actor, model, object_id)
    if getattr(found, "process_id", None) != process_id:
        raise NotFound(model.__name__.lower())
    return found


def visible_reference(
    session: Session,
    actor: Actor,
    model: type[M],
    process_id: uuid.UUID,
    ref: Any,
    *,
    field: str,
) -> M:
    """A referenced record for a change (``field`` names the reference): a missing one, a
    hidden one and one of another process all give the same InputError, so that no answer
    tells whether something the actor cannot see exists."""
    try:
        return get_visible_in(session, actor, model, process_id, ref)
    except NotFound:
        raise InputError(
            f"unknown {field.removesuffix('_id').replace('_', ' ')}", field=field
        ) from None


def headed_party(actor: Actor, process_id: object) -> str | None:
    """The party whose delegation the actor manages in the process (as its head), or None.

    The delegation page and its JSON twin answer 404 to everyone for whom this is None."""
    from parley.authz.rules import Subject, Who, allowed_by

    m = actor.membership(process_id)
    if m is None or m.party_key is None or not isinstance(process_id, uuid.UUID):
        return None
    subject = Subject(process_id=process_id, owners=frozenset({m.party_key}))
    if Who.OWNER_HEAD in allowed_by(actor, "delegation-member", "add", subject):
        return m.party_key
    return None


def require_headed_party(actor: Actor, process_id: object) -> str:
    """:func:`headed_party`, or NotFound (as if the page did not exist)."""
    party = headed_party(actor, process_id)
    if party is None:
        raise NotFound("page")
    return party


def standing(actor: Actor, process_id: object) -> Membership | None:
    """The actor's place in the process (for pages that say who you act for), or None."""
    return actor.membership(process_id)


def visible_process(session: Session, actor: Actor, key: str) -> Process:
    """The process, if the actor may open it; otherwise NotFound (as if it did not exist)."""
    found = session.scalars(_process_by_key(actor), {"key": key}).first()
    if found is None:
        raise NotFound("process")
    return found


# Every process page and API call looks its process up: the statement is built once a reader.
_process_by_key = per_reader(
    lambda actor: sa.select(Process).where(
        Process.key == sa.bindparam("key"), visible_processes(actor)
    )
)


def roles_held(actor: Actor) -> set[str]:
    """The roles the actor holds in any process ("mediator" for the mediator's team, "head",
    "member", "viewer"; observers hold none), and "operator"."""
    held = {"operator"} if actor.is_operator else set()
    for m in actor.memberships.values():
        if m.is_mediator:
            held.add("mediator")
        if m.role != "observer":
            held.add(m.role)
    return held


def reading_key(actor: Actor) -> Any:
    """Equal for two actors exactly when they may read the same records (a cache key)."""
    return (actor.user_id, actor.is_operator, tuple(sorted(actor.memberships.items())))
