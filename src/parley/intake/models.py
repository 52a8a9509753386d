"""Sources (news reports, documents, notes), evidence spans and the review queue."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, enum_column, utcnow


class SourceKind(enum.StrEnum):
    ARTICLE = "article"
    DOCUMENT = "document"
    NOTE = "note"


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"


class Source(ProcessScoped, Spaced, Base):
    __tablename__ = "sources"
    # Stored once per space: two delegations may keep the same report privately, and neither
    # may learn from a refused insert that the other has it.
    __table_args__ = (sa.UniqueConstraint("process_id", "space", "content_hash"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[SourceKind] = enum_column(SourceKind, default=SourceKind.ARTICLE)
    title: Mapped[str] = mapped_column(sa.String(500), default="")
    outlet: Mapped[str] = mapped_column(sa.String(200), default="")
    url: Mapped[str] = mapped_column(sa.String(2000), default="")
    published_on: Mapped[date | None]
    text: Mapped[str] = mapped_column(sa.Text)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class Evidence(ProcessScoped, Spaced, Base):
    """The exact span of a source (character offsets) that supports a record."""

    __tablename__ = "evidence"

    source_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[int]
    end: Mapped[int]
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[uuid.UUID] = mapped_column(index=True)


class Proposal(ProcessScoped, Spaced, Base):
    """A record proposed by intake, waiting for a reviewer to accept, merge or reject it."""

    __tablename__ = "proposals"

    source_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[dict[str, Any]]
    start: Mapped[int]
    end: Mapped[int]
    confidence: Mapped[float] = mapped_column(default=0.5)
    status: Mapped[ProposalStatus] = enum_column(ProposalStatus, default=ProposalStatus.PENDING)
    record_type: Mapped[str | None] = mapped_column(sa.String(32))
    record_id: Mapped[uuid.UUID | None]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
