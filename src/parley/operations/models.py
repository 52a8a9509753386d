"""The server's signing key and the signed checkpoints of the audit chains."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, Spaced, utcnow


class ServerKey(IdMixin, Base):
    """An Ed25519 key the server signs checkpoints with, made on first use.

    The private half is stored only sealed with ``PARLEY_SECRET_KEY`` (scrypt, then AES-256-GCM
    with the public key as associated data); see :mod:`parley.operations.signing`. ``key_id`` is
    the SHA-256 (hex) of the raw public key: what a checkpoint names and a delegation pins.
    """

    __tablename__ = "server_keys"

    key_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    public_key: Mapped[str] = mapped_column(sa.String(64))  # raw 32 bytes, base64
    sealed_private_key: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]


class Checkpoint(IdMixin, Spaced, Base):
    """A signed statement "chain C had N events and its event #N had hash H at time T".

    One per chain and moment. ``process_id`` and ``space`` are the chain's (the ``system``
    chain has no process and space ``system``), so reads are scoped like the chain's events.
    There is deliberately no foreign key: a checkpoint is evidence about the log and must
    outlive whatever happens to the rows it describes.
    """

    __tablename__ = "audit_checkpoints"

    chain: Mapped[str] = mapped_column(sa.String(120), index=True)
    process_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    seq: Mapped[int]  # the chain's length: number of the newest event
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime]
    key_id: Mapped[str] = mapped_column(sa.String(64))
    signature: Mapped[str] = mapped_column(sa.String(100))  # 64 bytes, base64
