"""The state of a record as the audit log remembers it: one hash over every column.

Every audited write stores the hash of the record's state after the change in its event (a
tombstone for a deletion). ``parley verify`` recomputes the hash of every live record and
compares it with the newest audited state, so a row edited, inserted or deleted outside
Parley is found even though its events are intact.

Values are normalised by column type, so the hash of an object in memory right after a write
equals the hash of the same row read back later, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

import sqlalchemy as sa

from parley.audit.chain import jsonable, state_hash
from parley.db.base import Base

# Tables that Parley writes without an audit event for each row, on purpose:
EXCLUDED = frozenset(
    {
        # the audit log and its anchors themselves
        "audit_events",
        "audit_heads",
        "audit_checkpoints",
        "server_keys",
        # credentials and their counters, which change at every sign-in (their creation and
        # removal are audited on the account's chain)
        "api_tokens",
        "second_factors",
        "security_keys",
        "web_sessions",
        "webauthn_challenges",
        "login_failures",
        "secret_failures",
        "account_notices",
        # per-user reading marks
        "last_visits",
    }
)


@cache
def checked_tables() -> dict[str, type[Any]]:
    """Table name -> mapped class, for every table whose rows the audit log vouches for."""
    import parley.db.registry  # noqa: F401  (every model mapped before the first look)

    out: dict[str, type[Any]] = {}
    for mapper in Base.registry.mappers:
        table = mapper.local_table
        if not isinstance(table, sa.Table) or table.name in EXCLUDED:
            continue
        if "id" in table.c and mapper.class_ is not None and not mapper.inherits:
            out[table.name] = mapper.class_
    return out


def _normal(column: sa.Column[Any], value: Any) -> Any:
    """One spelling per value of the column's type (what a read back would give)."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(kind, sa.Float):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.Integer):
        return int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(kind, sa.Uuid):
        return str(uuid.UUID(str(value)))
    return jsonable(value)


def object_state(obj: Any) -> str:
    """The state hash of a mapped object as it stands in memory (after a flush)."""
    mapper = sa.inspect(type(obj))
    table = mapper.local_table
    row = {}
    for column in table.columns:
        prop = mapper.get_property_by_column(column)
        row[column.name] = _normal(column, getattr(obj, prop.key))
    return state_hash(table.name, row)


def row_state(table: sa.Table, row: sa.RowMapping) -> str:
    """The state hash of one row read with ``select(table)``."""
    return state_hash(table.name, {c.name: _normal(c, row[c.name]) for c in table.columns})


def space_of(row: Any) -> str | None:
    value = row.get("space") if hasattr(row, "get") else getattr(row, "space", None)
    return None if value is None else str(value)


def table_of(name: str) -> sa.Table | None:
    cls = checked_tables().get(name)
    return None if cls is None else sa.inspect(cls).local_table


def is_checked(object_type: str) -> bool:
    return object_type in checked_tables()


def lookup(name: str) -> type[Any] | None:
    return checked_tables().get(name)
