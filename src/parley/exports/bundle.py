"""A complete, lossless JSON bundle of one process, audit chains included.

``export_bundle`` writes every row of every process-scoped table (ordered by table, then
primary key), the chain heads of the process's spaces and the accounts its records refer to
(never password hashes). ``import_bundle`` inserts the same rows verbatim into another database
in one transaction, so the audit chains verify there exactly as they did at the source.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.audit.models import AuditHead
from parley.audit.service import adopt_imported
from parley.auth.models import User
from parley.authz.actor import Actor
from parley.db.registry import metadata
from parley.processes.models import Process

FORMAT = "parley-bundle"
FORMAT_VERSION = 1
USER_FIELDS = ("id", "username", "display_name", "is_operator", "is_active", "created_at")


class BundleError(ValueError):
    pass


def _process_tables() -> list[sa.Table]:
    return [t for t in metadata.sorted_tables if "process_id" in t.c and t.name != "processes"]


def _user_columns() -> list[sa.Column[Any]]:
    return [
        column
        for table in _process_tables()
        for column in table.c
        if any(fk.column.table.name == "users" for fk in column.foreign_keys)
    ]


def _row(row: sa.RowMapping) -> dict[str, Any]:
    return {key: jsonable(value) for key, value in row.items()}


def export_bundle(session: Session, process_key: str) -> dict[str, Any]:
    process_table = metadata.tables["processes"]
    process_row = (
        session.execute(sa.select(process_table).where(process_table.c.key == process_key))
        .mappings()
        .first()
    )
    if process_row is None:
        raise BundleError(f"no process with key {process_key!r}")
    pid = process_row["id"]
    tables: dict[str, list[dict[str, Any]]] = {"processes": [_row(process_row)]}
    for table in _process_tables():
        order = [table.c.chain, table.c.seq] if table.name == "audit_events" else [table.c.id]
        rows = session.execute(
            sa.select(table).where(table.c.process_id == pid).order_by(*order)
        ).mappings()
        tables[table.name] = [_row(r) for r in rows]
    heads = session.scalars(
        sa.select(AuditHead).where(AuditHead.chain.like(f"{pid}/%")).order_by(AuditHead.chain)
    )
    tables["audit_heads"] = [{"chain": h.chain, "seq": h.seq, "hash": h.hash} for h in heads]
    user_ids: set[str] = set()
    for column in _user_columns():
        for row in tables[column.table.name]:
            if row.get(column.name):
                user_ids.add(row[column.name])
    users = session.scalars(
        sa.select(User).where(User.id.in_([uuid.UUID(u) for u in user_ids])).order_by(User.id)
    )
    tables["users"] = [{f: jsonable(getattr(u, f)) for f in USER_FIELDS} for u in users]
    return {"format": FORMAT, "version": FORMAT_VERSION, "process": process_key, "tables": tables}


def dumps(bundle: dict[str, Any]) -> str:
    return json.dumps(bundle, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _python_value(column: sa.Column[Any], value: Any) -> Any:
    if value is None:
        return None
    kind = type(column.type).__name__
    if kind == "Uuid":
        return uuid.UUID(value)
    if kind in ("UTCDateTime", "DateTime"):
        return datetime.fromisoformat(value)
    if kind == "Date":
        return date.fromisoformat(value)
    if kind == "Numeric":
        return Decimal(value)
    if kind == "Enum":
        enum_class = column.type.enum_class  # type: ignore[attr-defined]
        return enum_class(value) if enum_class is not None else value
    return value


def _insert_rows(session: Session, table: sa.Table, rows: list[dict[str, Any]], where: str) -> None:
    if not rows:
        return
    converted = []
    for i, row in enumerate(rows):
        unknown = set(row) - set(table.c.keys())
        if unknown:
            raise BundleError(f"{where}[{i}]: unknown column(s) {', '.join(sorted(unknown))}")
        try:
            converted.append({k: _python_value(table.c[k], v) for k, v in row.items()})
        except (ValueError, TypeError, KeyError) as exc:
            raise BundleError(f"{where}[{i}]: {exc}") from None
    session.execute(table.insert(), converted)


def import_bundle(session: Session, bundle: dict[str, Any]) -> uuid.UUID:
    """Insert a bundle's rows, inside the caller's transaction. Returns the process id."""
    if bundle.get("format") != FORMAT or bundle.get("version") != FORMAT_VERSION:
        raise BundleError(f"not a {FORMAT} version {FORMAT_VERSION} file")
    tables = bundle.get("tables")
    if not isinstance(tables, dict) or len(tables.get("processes", [])) != 1:
        raise BundleError("tables.processes: exactly one process expected")
    process = tables["processes"][0]
    if session.scalars(sa.select(Process.id).where(Process.key == process["key"])).first():
        raise BundleError(f"tables.processes[0].key: process {process['key']!r} already exists")
    users = metadata.tables["users"]
    created: list[uuid.UUID] = []
    for i, row in enumerate(tables.get("users", [])):
        existing = session.execute(
            sa.select(users.c.id, users.c.username).where(
                sa.or_(users.c.id == uuid.UUID(row["id"]), users.c.username == row["username"])
            )
        ).first()
        if existing is None:
            _insert_rows(session, users, [dict(row, password_hash="")], f"tables.users[{i}]")
            created.append(uuid.UUID(row["id"]))
        elif str(existing.id) != row["id"] or existing.username != row["username"]:
            raise BundleError(
                f"tables.users[{i}]: user {row['username']!r} exists here with another identity"
            )
    _insert_rows(session, metadata.tables["processes"], tables["processes"], "tables.processes")
    for table in _process_tables():
        _insert_rows(session, table, tables.get(table.name, []), f"tables.{table.name}")
    _insert_rows(
        session, metadata.tables["audit_heads"], tables.get("audit_heads", []), "tables.audit_heads"
    )
    # The imported chains join this database's chain of chains; the new accounts are audited.
    adopt_imported(
        session,
        actor=Actor.system("bundle-import"),
        chains=[h["chain"] for h in tables.get("audit_heads", [])],
        user_ids=created,
    )
    return uuid.UUID(process["id"])
