"""Positions (a party's stance on a provision or option), their history, and sticking points."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, Timestamped, enum_column, utcnow


class Stance(enum.StrEnum):
    ACCEPT = "accept"
    ACCEPT_WITH_CHANGES = "accept_with_changes"
    REJECT = "reject"
    RED_LINE = "red_line"


class Position(ProcessScoped, Spaced, Timestamped, Base):
    """One party's current stance on a provision, or on one bracket option of it."""

    __tablename__ = "positions"

    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"), index=True)
    provision_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("provisions.id", ondelete="CASCADE"), index=True
    )
    option_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("bracket_options.id", ondelete="CASCADE")
    )
    stance: Mapped[Stance] = enum_column(Stance)
    priority: Mapped[int] = mapped_column(default=0)
    utility: Mapped[int | None]
    fallback_text: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012
    # One position per party and provision, or per party and option of a provision. NULLs never
    # collide in a unique index, hence two partial ones (migration 0007b_positions_unique).
    __table_args__ = (
        sa.Index(
            "uq_positions_party_id_provision_id",
            "party_id",
            "provision_id",
            unique=True,
            sqlite_where=sa.text("option_id IS NULL"),
            postgresql_where=sa.text("option_id IS NULL"),
        ),
        sa.Index(
            "uq_positions_party_id_provision_id_option_id",
            "party_id",
            "provision_id",
            "option_id",
            unique=True,
            sqlite_where=sa.text("option_id IS NOT NULL"),
            postgresql_where=sa.text("option_id IS NOT NULL"),
        ),
    )


class PositionRevision(ProcessScoped, Spaced, Base):
    """A snapshot of a position after each change, kept in the position's own space."""

    __tablename__ = "position_revisions"

    position_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    revision: Mapped[int]
    snapshot: Mapped[dict[str, Any]]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class StickingPoint(ProcessScoped, Spaced, Base):
    """A named sticking point ("territory"); computed ones are derived, not stored."""

    __tablename__ = "sticking_points"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    is_open: Mapped[bool] = mapped_column(default=True)


class StickingPointProvision(ProcessScoped, Base):
    __tablename__ = "sticking_point_provisions"
    __table_args__ = (sa.UniqueConstraint("sticking_point_id", "provision_id"),)

    sticking_point_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sticking_points.id", ondelete="CASCADE")
    )
    provision_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("provisions.id"))


class ReleasedPackage(ProcessScoped, Spaced, Base):
    """A package the mediator proposed to the parties: one option per contested provision.

    Lives in the space it was released to (``participants`` by default). It holds the options
    only; what each party concedes lives in :class:`PackageShare` rows, one per party in that
    party's space with the mediator, so that no party ever sees another party's figures.
    """

    __tablename__ = "released_packages"

    title: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    objective: Mapped[str] = mapped_column(sa.String(32))
    version_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("versions.id", ondelete="SET NULL")
    )
    # [{"provision", "heading", "option", "text"}], in the order of the provisions.
    package: Mapped[list[Any]] = mapped_column(default=list)
    released_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class PackageShare(ProcessScoped, Spaced, Base):
    """One reader's part of a released package.

    A party's row (space ``party:P+mediator``) holds its own utility and concessions; the
    mediator's row (``party_id`` null, space ``mediator``) holds the run's inputs and proof.
    """

    __tablename__ = "package_shares"
    __table_args__ = (sa.UniqueConstraint("package_id", "party_id"),)

    package_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("released_packages.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    utility: Mapped[int | None]
    concessions: Mapped[dict[str, Any]] = mapped_column(default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
