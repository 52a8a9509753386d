"""Audit events and the head of each chain."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin


class AuditEvent(IdMixin, Base):
    """One attributed change. ``hash`` covers ``prev_hash`` and a canonical encoding of the event.

    Events are chained per *space* (``chain`` is ``<process id>/<space>``, or ``system`` for
    accounts), so one party's activity cannot be inferred from another space's log.
    """

    __tablename__ = "audit_events"
    __table_args__ = (sa.UniqueConstraint("chain", "seq"),)

    chain: Mapped[str] = mapped_column(sa.String(120), index=True)
    seq: Mapped[int]
    process_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("processes.id", ondelete="CASCADE"), index=True
    )
    space: Mapped[str] = mapped_column(sa.String(80))
    at: Mapped[datetime]
    actor_id: Mapped[uuid.UUID | None]
    actor_name: Mapped[str] = mapped_column(sa.String(100))
    action: Mapped[str] = mapped_column(sa.String(80))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    changes: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))
    # The hash of the record's state after this change ("deleted" for a deletion); None for
    # events about no single checked record, and for events written before it was kept.
    state: Mapped[str | None] = mapped_column(sa.String(64))


class AuditHead(Base):
    """The newest event of a chain; locked while appending so that chains never fork."""

    __tablename__ = "audit_heads"

    chain: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(sa.String(64))
