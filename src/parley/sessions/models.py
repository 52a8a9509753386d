"""Meetings and what is said: meetings, rooms, minutes, statements, signatories."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, Timestamped, enum_column, utcnow


class MeetingFormat(enum.StrEnum):
    BILATERAL = "bilateral"
    PROXIMITY = "proximity"
    PLENARY = "plenary"
    CALL = "call"


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"
    CLOSED = "closed"


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    CIRCULATED = "circulated"
    AMENDED = "amended"
    APPROVED = "approved"


class StatementKind(enum.StrEnum):
    UNILATERAL = "unilateral"
    JOINT = "joint"
    PRESS = "press"


class StatementStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Meeting(ProcessScoped, Spaced, Base):
    """A negotiation meeting (table ``sessions``). In code "session" means the database session."""

    __tablename__ = "sessions"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    format: Mapped[MeetingFormat] = enum_column(MeetingFormat)
    status: Mapped[MeetingStatus] = enum_column(MeetingStatus, default=MeetingStatus.PLANNED)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    outcome: Mapped[str] = mapped_column(sa.Text, default="")


class MeetingParticipant(ProcessScoped, Base):
    __tablename__ = "session_participants"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.id"))


class AgendaItem(ProcessScoped, Base):
    __tablename__ = "agenda_items"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    ordinal: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(300))
    document_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("documents.id"))
    provision_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("provisions.id"))


class Room(ProcessScoped, Spaced, Base):
    """One room of a session: a delegation's room (``party:P+mediator``) or the mediator's own."""

    __tablename__ = "rooms"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    name: Mapped[str] = mapped_column(sa.String(200))


class Minutes(ProcessScoped, Spaced, Timestamped, Base):
    """Minutes of a room, or joint minutes of the session when ``room_id`` is empty."""

    __tablename__ = "minutes"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[MinutesStatus] = enum_column(MinutesStatus, default=MinutesStatus.DRAFT)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class MinutesApproval(ProcessScoped, Base):
    __tablename__ = "minutes_approvals"
    __table_args__ = (sa.UniqueConstraint("minutes_id", "party_id"),)

    minutes_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("minutes.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    approved_at: Mapped[datetime]


class Statement(ProcessScoped, Spaced, Timestamped, Base):
    __tablename__ = "statements"
    __table_args__ = (sa.UniqueConstraint("process_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[StatementKind] = enum_column(StatementKind)
    status: Mapped[StatementStatus] = enum_column(StatementStatus, default=StatementStatus.DRAFT)
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    text: Mapped[str] = mapped_column(sa.Text)
    made_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    session_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sessions.id"))
    text_hash: Mapped[str] = mapped_column(sa.String(64), default="")


class StatementSpeaker(ProcessScoped, Base):
    __tablename__ = "statement_speakers"

    statement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("people.id"))
    party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))


class StatementSignatory(ProcessScoped, Base):
    """A party that must approve a joint statement; approval is of one exact text hash."""

    __tablename__ = "statement_signatories"
    __table_args__ = (sa.UniqueConstraint("statement_id", "party_id"),)

    statement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    party_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("parties.id"))
    approved_hash: Mapped[str | None] = mapped_column(sa.String(64))
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))


class StatementProvision(ProcessScoped, Base):
    __tablename__ = "statement_provisions"

    statement_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    provision_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("provisions.id"))


class Attribution(enum.StrEnum):
    ATTRIBUTED = "attributed"
    UNATTRIBUTED = "unattributed"


class CarriedPassage(ProcessScoped, Spaced, Base):
    """Text the mediator carried into a room. It lives in the receiving room's space and names
    no source: the receiving delegation learns what was carried, never where it came from
    (``attribution`` is empty unless the mediator chose to attribute it)."""

    __tablename__ = "carried_passages"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    room_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("rooms.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(sa.Text)
    attribution: Mapped[str] = mapped_column(sa.String(200), default="")
    carried_at: Mapped[datetime] = mapped_column(default=utcnow)


class Carry(ProcessScoped, Spaced, Base):
    """The mediator's own record of a carry-over (space ``mediator``): what was carried, from
    which record and room, into which room, and whether it was attributed."""

    __tablename__ = "carries"

    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    passage_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("carried_passages.id", ondelete="CASCADE")
    )
    source_type: Mapped[str] = mapped_column(sa.String(32))  # minutes | amendments
    source_id: Mapped[uuid.UUID]
    source_room_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("rooms.id", ondelete="CASCADE")
    )
    source_party_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("parties.id"))
    target_room_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("rooms.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(sa.Text)
    attribution: Mapped[Attribution] = enum_column(Attribution)
    carried_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    carried_at: Mapped[datetime] = mapped_column(default=utcnow)


class LastVisit(ProcessScoped, Base):
    """When a user last marked the changes of a process as seen (for notifications)."""

    __tablename__ = "last_visits"
    __table_args__ = (sa.UniqueConstraint("user_id", "process_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
