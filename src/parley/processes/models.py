"""A negotiation process and who takes part in it."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, ProcessScoped, Spaced, enum_column, utcnow


class ProcessStatus(enum.StrEnum):
    PREPARATORY = "preparatory"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CONCLUDED = "concluded"


class PartyKind(enum.StrEnum):
    PARTY = "party"
    MEDIATOR = "mediator"
    GUARANTOR = "guarantor"
    OBSERVER = "observer"


class Role(enum.StrEnum):
    HEAD = "head"
    MEMBER = "member"
    VIEWER = "viewer"
    OBSERVER = "observer"  # no delegation: reads the public record of the process


class Process(IdMixin, Base):
    __tablename__ = "processes"

    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[ProcessStatus] = enum_column(ProcessStatus, default=ProcessStatus.ACTIVE)
    start_date: Mapped[date | None]
    published: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An IANA name; pages show the process's dates and times in it (parley.web.formatting).
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")


class Party(ProcessScoped, Spaced, Base):
    """A side. Parties are listed to everyone in the process (space ``participants`` or wider)."""

    __tablename__ = "parties"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[PartyKind] = enum_column(PartyKind)
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(sa.Text, default="")


class CoalitionMember(ProcessScoped, Base):
    __tablename__ = "coalition_members"
    __table_args__ = (sa.UniqueConstraint("coalition_id", "member_id"),)

    coalition_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))
    member_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))


class Person(ProcessScoped, Spaced, Base):
    __tablename__ = "people"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")


class PersonTitle(ProcessScoped, Base):
    """A title held over a period ("US Special Envoy" from a date, possibly to a date)."""

    __tablename__ = "person_titles"

    person_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]


class Delegation(ProcessScoped, Base):
    """A party's team in a process. Its existence is known to all participants."""

    __tablename__ = "delegations"
    __table_args__ = (sa.UniqueConstraint("process_id", "party_id"),)

    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(200))


class Membership(ProcessScoped, Base):
    """A user's place in a process: in at most one delegation, or an observer of the record."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("process_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    delegation_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="CASCADE")
    )
    role: Mapped[Role] = enum_column(Role)
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.id"))
