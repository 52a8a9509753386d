"""Appending to an audit chain, inside the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from parley.audit.chain import GENESIS, chain_name, event_hash, jsonable
from parley.audit.models import AuditEvent, AuditHead
from parley.authz.actor import Actor
from parley.db.base import utcnow


def _lock_head(session: Session, chain: str) -> AuditHead:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(AuditHead)
        .values(chain=chain, seq=0, hash=GENESIS)
        .on_conflict_do_nothing(index_elements=["chain"])
    )
    # FOR UPDATE serializes appenders on PostgreSQL; SQLite writers already hold the lock.
    head = session.scalars(
        sa.select(AuditHead)
        .where(AuditHead.chain == chain)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return head


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
    """Append one attributed event to the chain of ``space`` in ``process_id``."""
    chain = chain_name(process_id, space)
    head = _lock_head(session, chain)
    at = utcnow()
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
