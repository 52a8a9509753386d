"""Commitments and the ledger of fulfilment events, each amount in its own currency."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, Timestamped, enum_column


class CommitmentKind(enum.StrEnum):
    PLEDGE = "pledge"
    GUARANTEE = "guarantee"
    OBLIGATION = "obligation"


class FulfilmentKind(enum.StrEnum):
    PLEDGED = "pledged"
    ALLOCATED = "allocated"
    DELIVERED = "delivered"
    HONOURED = "honoured"
    BREACHED = "breached"


class Commitment(ProcessScoped, Spaced, Timestamped, Base):
    __tablename__ = "commitments"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[CommitmentKind] = enum_column(CommitmentKind)
    title: Mapped[str] = mapped_column(sa.String(300))
    donor_party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    recipient_party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    period_text: Mapped[str] = mapped_column(sa.String(200), default="")
    obligation_text: Mapped[str] = mapped_column(sa.Text, default="")
    conditions: Mapped[str] = mapped_column(sa.Text, default="")
    # Follows from the events (``commitments.service.status_from``); never an input.
    status: Mapped[FulfilmentKind] = enum_column(FulfilmentKind, default=FulfilmentKind.PLEDGED)


class FulfilmentEvent(ProcessScoped, Spaced, Base):
    """pledged → allocated → delivered (or honoured / breached), each with its own evidence.

    An amount in another currency than the pledge's carries its conversion (``rate`` pledge
    currency units per unit of ``currency``, as of ``rate_on``, from ``rate_source``); an
    allocation beyond the pledge or a delivery beyond the allocation carries ``overrun_reason``.
    """

    __tablename__ = "fulfilment_events"

    commitment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FulfilmentKind] = enum_column(FulfilmentKind)
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    occurred_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    overrun_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(20, 10))
    rate_on: Mapped[date | None]
    rate_source: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")


class CommitmentLink(ProcessScoped, Base):
    """A commitment tied to a provision or to an implementation step."""

    __tablename__ = "commitment_links"

    commitment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commitments.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    step_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("steps.id"))
