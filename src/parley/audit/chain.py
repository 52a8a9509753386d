"""The pure part of the audit chain: canonical encoding and hashing of one event."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64
# The state an event records for a record it deleted.
TOMBSTONE = "deleted"


def jsonable(value: Any) -> Any:
    """Turn record values into JSON values with one spelling each (so hashes are stable)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value.is_integer() is False else int(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    raise TypeError(f"cannot encode {type(value).__name__} in an audit event")


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        jsonable(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def event_hash(
    *,
    chain: str,
    seq: int,
    prev_hash: str,
    space: str,
    process_id: uuid.UUID | str | None,
    at: datetime,
    actor_id: uuid.UUID | None,
    actor_name: str,
    action: str,
    object_type: str,
    object_id: str,
    changes: dict[str, Any],
    state: str | None = None,
) -> str:
    """sha256 over the previous hash and every field of the event, canonically encoded.

    ``state`` (the hash of the record's state after the change, or :data:`TOMBSTONE`) is part
    of the hashed body only when present, so events written before it existed still verify.
    """
    fields: dict[str, Any] = {
        "chain": chain,
        "seq": seq,
        "space": space,
        "process_id": _uuid(process_id),
        "prev": prev_hash,
        "at": at,
        "actor_id": actor_id,
        "actor": actor_name,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "changes": changes,
    }
    if state is not None:
        fields["state"] = state
    return hashlib.sha256(canonical(fields)).hexdigest()


def state_hash(table: str, row: dict[str, Any]) -> str:
    """sha256 of one record's state: its table and every column, canonically encoded.

    The id is part of the row, so two records that swap contents no longer match their hashes.
    """
    return hashlib.sha256(canonical({"table": table, "row": row})).hexdigest()


def _uuid(value: uuid.UUID | str | None) -> uuid.UUID | None:
    # Drivers hand UUIDs back as UUID objects or as 32-digit hex; both spell one value.
    return None if value is None else uuid.UUID(str(value))


def chain_name(process_id: uuid.UUID | str | None, space: str) -> str:
    return "system" if process_id is None else f"{_uuid(process_id)}/{space}"
