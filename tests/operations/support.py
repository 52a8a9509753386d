"""Helpers shared by the operations tests."""

from __future__ import annotations

import os

import psycopg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import GENESIS, recomputed_hash
from parley.audit.models import AuditEvent, AuditHead
from parley.db.engine import dispose_engines

PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def pg_exec(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


def drop_postgres(url: str) -> None:
    dispose_engines()
    pg_exec(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# ---------------------------------------------------------------- the attacker's tools


def events(session: Session, chain: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)
        )
    )


def head(session: Session, chain: str) -> AuditHead:
    return session.scalars(sa.select(AuditHead).where(AuditHead.chain == chain)).one()


def rechain(session: Session, chain: str, order: list[AuditEvent] | None = None) -> None:
    """Renumber ``order`` (default: the chain as stored) 1…n, recompute every hash and the head.

    This is the attack ``verify_all`` cannot see: the chain is consistent again afterwards.
    """
    order = events(session, chain) if order is None else order
    for event in order:  # out of the way of the (chain, seq) unique constraint
        event.seq += 1_000_000
    session.flush()
    prev = GENESIS
    for seq, event in enumerate(order, 1):
        event.chain, event.seq, event.prev_hash = chain, seq, prev
        event.hash = recomputed_hash(event)
        prev = event.hash
    session.flush()
    found = session.get(AuditHead, chain)
    if found is None:
        session.add(AuditHead(chain=chain, seq=len(order), hash=prev))
    else:
        found.seq, found.hash = len(order), prev
    session.flush()
