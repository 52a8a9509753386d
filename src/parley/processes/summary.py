"""A plain summary of one process for ``parley show`` (operator view: every space)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from parley.db.engine import read_session
from parley.positions.models import StickingPoint
from parley.processes.models import Party, Process
from parley.sessions.models import Meeting
from parley.texts.models import Document, Version


def summarise(engine: sa.Engine, key: str) -> dict[str, Any]:
    with read_session(engine) as s:
        process = s.scalars(sa.select(Process).where(Process.key == key)).one()
        pid = process.id
        parties = s.scalars(sa.select(Party).where(Party.process_id == pid).order_by(Party.key))
        names = {p.id: p.key for p in s.scalars(sa.select(Party).where(Party.process_id == pid))}
        docs = list(
            s.scalars(sa.select(Document).where(Document.process_id == pid).order_by(Document.key))
        )
        versions = list(
            s.scalars(
                sa.select(Version).where(Version.process_id == pid).order_by(Version.created_at)
            )
        )
        sessions = s.scalars(
            sa.select(Meeting).where(Meeting.process_id == pid).order_by(Meeting.starts_at)
        )
        points = s.scalars(
            sa.select(StickingPoint)
            .where(StickingPoint.process_id == pid, StickingPoint.is_open.is_(True))
            .order_by(StickingPoint.key)
        )
        doc_versions = {
            d.id: ", ".join(
                f"{v.label}{' (frozen)' if v.content_hash else ''}"
                for v in versions
                if v.document_id == d.id
            )
            for d in docs
        }
        return {
            "title": process.title,
            "status": str(process.status),
            "tables": [
                ("Parties", [(p.key, p.name, p.kind) for p in parties], ["key", "name", "kind"]),
                (
                    "Documents",
                    [(d.key, d.title, doc_versions[d.id]) for d in docs],
                    ["key", "title", "versions"],
                ),
                (
                    "Sessions",
                    [(t.starts_at.date(), t.title, t.format, t.status, t.space) for t in sessions],
                    ["date", "title", "format", "status", "space"],
                ),
                (
                    "Open sticking points",
                    [(p.key, p.name, p.space) for p in points],
                    ["key", "name", "space"],
                ),
            ],
            "party_keys": names,
        }
