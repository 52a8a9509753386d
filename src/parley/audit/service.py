"""Appending to an audit chain, inside the caller's transaction."""

from __future__ import annotations

import hashlib
import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from parley.audit.chain import GENESIS, TOMBSTONE, chain_name, event_hash, jsonable
from parley.audit.models import AuditEvent, AuditHead
from parley.audit.state import lookup, object_state
from parley.authz.actor import Actor
from parley.db.base import utcnow
from parley.db.rls import INTERNAL

# The chain of chains: opening any chain appends an event naming it to the system chain, so a
# chain deleted with its head (or every chain at once) is missed by ``parley verify``.
SYSTEM_CHAIN = "system"
CHAIN_OPEN = "audit:chain:open"
CHAINS_TYPE = "audit_chains"

_last_at: datetime | None = None
_at_lock = threading.Lock()


def _next_at() -> datetime:
    """Strictly increasing event times within this process: the newest state of a record is
    the one with the latest time, even when two events of one transaction share a clock tick."""
    global _last_at
    with _at_lock:
        now = utcnow()
        if _last_at is not None and now <= _last_at:
            now = _last_at + timedelta(microseconds=1)
        _last_at = now
        return now


def _lock_head(session: Session, chain: str, actor: Actor) -> AuditHead:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    opened = session.execute(
        insert(AuditHead)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
        .returning(AuditHead.chain)
    ).first()
    if opened is not None and chain != SYSTEM_CHAIN:
        record(
            session,
            actor=actor,
            process_id=None,
            space=SYSTEM_CHAIN,
            action=CHAIN_OPEN,
            object_type=CHAINS_TYPE,
            # object ids hold 64 characters; a chain's name may be longer
            object_id=hashlib.sha256(chain.encode("utf-8")).hexdigest(),
            changes={"chain": [None, chain]},
        )
    # FOR UPDATE serializes appenders on PostgreSQL; SQLite writers already hold the lock.
    head = session.scalars(
        sa.select(AuditHead)
        .where(AuditHead.chain == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return head


def _state(session: Session, object_type: str, object_id: Any) -> str | None:
    """The state hash of the record an event is about, as it now stands (or the tombstone)."""
    model = lookup(object_type)
    if model is None:
        return None
    if session.deleted:
        session.flush()  # a deletion not yet flushed must read as gone
    try:
        key = uuid.UUID(str(object_id))
    except ValueError:
        return None
    # Usually in the identity map (no query, no flush: a full flush scans every object held).
    obj = session.get(model, key, execution_options={INTERNAL: True})
    return TOMBSTONE if obj is None else object_state(obj)


def record(
    session: Session,
    *,
    actor: Actor,
    process_id: uuid.UUID | None,
    space: str,
    action: str,
    object_type: str,
    object_id: Any,
    changes: dict[str, Any],
) -> AuditEvent:
    """Append one attributed event to the chain of ``space`` in ``process_id``.

    When ``object_type`` names a table the audit log vouches for (:mod:`parley.audit.state`),
    the event also records the hash of that record's state as it now stands (call this after
    the change), or the tombstone when the record is gone.
    """
    chain = chain_name(process_id, space)
    head = _lock_head(session, chain, actor)
    state = _state(session, object_type, object_id)
    at = _next_at()
    seq = head.seq + 1
    clean_changes = jsonable(changes)
    actor_name = actor.name
    digest = event_hash(
        chain=chain,
        seq=seq,
        prev_hash=head.hash,
        space=space,
        process_id=process_id,
        at=at,
        actor_id=actor.user_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=clean_changes,
        state=state,
    )
    event = AuditEvent(
        chain=chain,
        seq=seq,
        process_id=process_id,
        space=space,
        at=at,
        actor_id=actor.user_id,
        actor_name=actor_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=clean_changes,
        prev_hash=head.hash,
        hash=digest,
        state=state,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    session.flush()
    return event


def record_account(
    session: Session, *, actor: Actor, user_id: Any, action: str, changes: dict[str, Any]
) -> AuditEvent:
    """An event about one user's account (its sign-in factors): the system chain, no process."""
    return record(
        session,
        actor=actor,
        process_id=None,
        space="system",
        action=action,
        object_type="users",
        object_id=user_id,
        changes=changes,
    )


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def adopt_imported(
    session: Session, *, actor: Actor, chains: list[str], user_ids: list[Any]
) -> None:
    """After a bundle import: open its chains in this database's chain of chains, and audit
    the accounts it created (their new state, without a password), so ``parley verify`` vouches
    for the imported process here as it did at the source."""
    for chain in sorted(set(chains)):
        if chain == SYSTEM_CHAIN:
            continue
        record(
            session,
            actor=actor,
            process_id=None,
            space=SYSTEM_CHAIN,
            action=CHAIN_OPEN,
            object_type=CHAINS_TYPE,
            object_id=hashlib.sha256(chain.encode("utf-8")).hexdigest(),
            changes={"chain": [None, chain], "imported": [None, True]},
        )
    for user_id in user_ids:
        record_account(
            session,
            actor=actor,
            user_id=user_id,
            action="admin:user:import",
            changes={"password": [None, "(none: set one with parley user passwd)"]},
        )
