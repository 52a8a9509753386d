"""Implementation steps, dated events, temporal constraints and status claims."""

from __future__ import annotations

import enum
import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, Timestamped, enum_column


class ClaimStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DISPUTED = "disputed"
    VIOLATED = "violated"


class Step(ProcessScoped, Spaced, Timestamped, Base):
    __tablename__ = "steps"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[str] = mapped_column(sa.String(64), default="")
    min_days: Mapped[int | None]
    max_days: Mapped[int | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")


class StepParty(ProcessScoped, Base):
    __tablename__ = "step_parties"
    __table_args__ = (sa.UniqueConstraint("step_id", "party_id"),)

    step_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))


class StepProvision(ProcessScoped, Base):
    __tablename__ = "step_provisions"
    __table_args__ = (sa.UniqueConstraint("step_id", "provision_id"),)

    step_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    provision_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("provisions.id"))


class Milestone(ProcessScoped, Spaced, Base):
    """A dated (or to-be-dated) event the plan refers to: signing, a session, a deadline."""

    __tablename__ = "milestones"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    on_date: Mapped[date | None]


class TemporalConstraint(ProcessScoped, Spaced, Base):
    """``to − from ∈ [min_days, max_days]``; each endpoint is a milestone or ``step.start|end``."""

    __tablename__ = "temporal_constraints"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    from_ref: Mapped[str] = mapped_column(sa.String(80))
    to_ref: Mapped[str] = mapped_column(sa.String(80))
    min_days: Mapped[int | None]
    max_days: Mapped[int | None]
    explanation: Mapped[str] = mapped_column(sa.String(300), default="")


class StatusClaim(ProcessScoped, Spaced, Timestamped, Base):
    """One party's (or a neutral monitor's) claim about a step or provision; never one truth."""

    __tablename__ = "status_claims"

    step_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("steps.id", ondelete="CASCADE"))
    provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    is_neutral: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ClaimStatus] = enum_column(ClaimStatus)
    level: Mapped[int | None]  # 0–3, the Peace Accords Matrix implementation scale
    claimed_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.Text, default="")
