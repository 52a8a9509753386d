"""A note lives in one space, usually a delegation's own (``party:P``)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, ProcessScoped, Spaced, Timestamped


class Note(ProcessScoped, Spaced, Timestamped, Base):
    __tablename__ = "notes"

    title: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012
