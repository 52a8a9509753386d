"""Scoping reads in SQL. Every read of a confidential record goes through :func:`visible`."""

from __future__ import annotations

import functools
import uuid
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import ORMExecuteState, Session

from parley.authz.actor import Actor
from parley.authz.spaces import MEDIATOR, PARTICIPANTS, PUBLIC
from parley.db.base import Spaced
from parley.processes.models import Process

M = TypeVar("M")
T = TypeVar("T")

SCOPED = "authz_scoped"
INTERNAL = "authz_internal"


class NotFound(LookupError):
    """Raised for a missing object and, identically, for one the actor may not see."""

    def __init__(self, kind: str = "object") -> None:
        super().__init__(f"{kind} not found")
        self.kind = kind


def visible(actor: Actor, model: Any) -> sa.ColumnElement[bool]:
    """A SQL condition that is true exactly for the rows of ``model`` that ``actor`` may read.

    ``model`` must have ``process_id`` and ``space`` columns. Published processes show their
    ``public`` records to everyone, signed in or not.

    The condition depends on nothing but the actor's memberships and the model, so it is built
    once for each pair and reused (a SQL expression is immutable; each statement that uses it
    binds the same values): building it cost more than running most of the queries it scopes.
    """
    if actor.is_system:
        return sa.true()
    if not isinstance(model, type):  # an alias: made anew for a query, so not worth keeping
        return _visible.__wrapped__(_membership_key(actor), model)
    return _visible(_membership_key(actor), model)


def per_reader(build: Callable[[Actor], T]) -> Callable[[Actor], T]:
    """``build(actor)``, made once for all actors that :func:`visible` treats alike (the same
    memberships; the system apart) and then reused: for statements a request would otherwise
    build anew. A statement built once is also compiled and keyed for SQLAlchemy's cache once.
    ``build`` may read nothing of the actor but what :func:`visible` reads; give it the
    request's own values as bound parameters (``sa.bindparam``)."""

    built: dict[tuple[Any, ...], T] = {}

    def get(actor: Actor) -> T:
        key = (actor.is_system, _membership_key(actor))
        found = built.get(key)
        if found is None:
            if len(built) >= 1024:  # bounded: forget all, rebuild what is asked again
                built.clear()
            found = built.setdefault(key, build(actor))
        return found

    return get


def _membership_key(actor: Actor) -> tuple[Any, ...]:
    """Everything :func:`visible` reads of an actor (its memberships, in a fixed order)."""
    return tuple(sorted(actor.memberships.items(), key=lambda item: str(item[0])))


@functools.lru_cache(maxsize=4096)
def _visible(memberships: tuple[Any, ...], model: Any) -> sa.ColumnElement[bool]:
    published = sa.select(Process.id).where(Process.published.is_(True))
    clauses: list[sa.ColumnElement[bool]] = [
        sa.and_(model.space == PUBLIC, model.process_id.in_(published))
    ]
    for process_id, membership in memberships:
        in_process = model.process_id == process_id
        if membership.party_key is None:
            clauses.append(sa.and_(in_process, model.space == PUBLIC))
        elif membership.is_mediator:
            clauses.append(
                sa.and_(
                    in_process,
                    sa.or_(
                        model.space.in_([PUBLIC, PARTICIPANTS, MEDIATOR]),
                        model.space.like("party:%+mediator"),
                    ),
                )
            )
        else:
            own = membership.party_key
            clauses.append(
                sa.and_(
                    in_process,
                    model.space.in_(
                        [PUBLIC, PARTICIPANTS, f"party:{own}", f"party:{own}+mediator"]
                    ),
                )
            )
    return sa.or_(*clauses)


def visible_processes(actor: Actor) -> sa.ColumnElement[bool]:
    """Processes an actor may open: its own, and every published one (built once for each
    set of memberships, as :func:`visible`)."""
    if actor.is_system:
        return sa.true()
    return _visible_processes(tuple(sorted(actor.memberships, key=str)))


@functools.lru_cache(maxsize=4096)
def _visible_processes(process_ids: tuple[uuid.UUID, ...]) -> sa.ColumnElement[bool]:
    return sa.or_(Process.published.is_(True), Process.id.in_(list(process_ids)))


def visible_provision_ids(
    actor: Actor, *, process_id: uuid.UUID | None = None, among: Any = None
) -> sa.Select[Any]:
    """Ids of the provisions ``actor`` may see, as a select usable in ``IN (...)``.

    Provisions have no space of their own: one is visible exactly when a version the actor can
    see contains it. A provision that only another party's private draft holds stays hidden,
    and so does its permanent id. ``process_id`` narrows to one process; ``among`` (a
    collection of ids) narrows to the ids in question.
    """
    # Imported here: authz sits below the domain packages and texts.models needs only db.base.
    from parley.texts.models import ProvisionText, Version

    query = (
        sa.select(ProvisionText.provision_id)
        .join(Version, Version.id == ProvisionText.version_id)
        .where(visible(actor, Version))
    )
    if process_id is not None:
        query = query.where(Version.process_id == process_id)
    if among is not None:
        query = query.where(ProvisionText.provision_id.in_(list(among)))
    return query.execution_options(**{SCOPED: True})


def provision_visible(
    session: Session, actor: Actor, process_id: uuid.UUID, provision_id: uuid.UUID
) -> bool:
    """True when some version the actor can see, in ``process_id``, contains the provision."""
    found = session.scalars(
        visible_provision_ids(actor, process_id=process_id, among=[provision_id]).limit(1)
    ).first()
    return found is not None


def select_visible(actor: Actor, model: type[M]) -> sa.Select[Any]:
    return sa.select(model).where(visible(actor, model)).execution_options(**{SCOPED: True})


def get_visible(session: Session, actor: Actor, model: type[M], object_id: Any) -> M:
    """Fetch one record the actor may read, or raise :class:`NotFound` (also when hidden)."""
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound(model.__name__.lower()) from None
    found: M | None = session.scalars(
        select_visible(actor, model).where(model.id == key)  # type: ignore[attr-defined]
    ).first()
    if found is None:
        raise NotFound(model.__name__.lower())
    return found


class ScopeBypass(RuntimeError):
    """A query selected confidential records without going through :func:`visible`."""


# Statements found to select no spaced model, by identity: the statements built once (the
# sign-in's, those of :func:`per_reader`) are looked at once, not on every execution.
_UNSPACED: weakref.WeakSet[Any] = weakref.WeakSet()


def guard_scoped_reads(session: Session) -> None:
    """Refuse ORM selects of spaced models that were not scoped (installed on web sessions)."""

    @sa.event.listens_for(session, "do_orm_execute")
    def _check(state: ORMExecuteState) -> None:
        if not state.is_select:
            return
        options = state.execution_options
        if options.get(SCOPED) or options.get(INTERNAL):
            return
        statement = state.statement
        if statement in _UNSPACED:
            return
        for description in getattr(statement, "column_descriptions", []):
            entity = description.get("entity")
            if isinstance(entity, type) and issubclass(entity, Spaced):
                raise ScopeBypass(f"unscoped read of {entity.__name__}; use authz.visible()")
        _UNSPACED.add(statement)
