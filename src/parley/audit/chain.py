"""The pure part of the audit chain: canonical encoding and hashing of one event, and the one
walk along a chain's events that ``parley verify`` and the signed checkpoints both use."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

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


def recomputed_hash(event: Any) -> str:
    """The hash ``event`` (a stored event, or any object with its fields) should have."""
    return event_hash(
        chain=event.chain,
        seq=event.seq,
        prev_hash=event.prev_hash,
        space=event.space,
        process_id=event.process_id,
        at=event.at,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        changes=event.changes,
        state=event.state,
    )


E = TypeVar("E")


@dataclass
class ChainWalk:
    """A walk along one chain's events, in order, from event #``seq`` whose hash is ``hash``
    (the genesis by default, before event #1).

    :meth:`events` yields each event that continues the chain: the next number, stored in this
    chain's space, linked to the previous hash, and hashing to its stored hash. At the first that
    does not, the walk stops and keeps it in ``broken`` with ``problem`` saying why; ``seq`` and
    ``hash`` are then those of the last good event. ``parley verify`` (:mod:`parley.audit.verify`)
    walks whole chains; checkpoints walk from a signed checkpoint to the head.
    """

    chain: str
    seq: int = 0
    hash: str = GENESIS
    broken: Any = None
    problem: str | None = None

    def events(self, events: Iterable[E]) -> Iterator[E]:
        for event in events:
            problem = self._problem(event)
            if problem is not None:
                self.broken, self.problem = event, problem
                return
            self.seq, self.hash = event.seq, event.hash  # type: ignore[attr-defined]
            yield event

    def through(self, events: Iterable[Any]) -> ChainWalk:
        """Walk all of ``events`` (until the first break); the walk itself, for its outcome."""
        for _ in self.events(events):
            pass
        return self

    def _problem(self, event: Any) -> str | None:
        if event.seq != self.seq + 1:
            return f"expected event #{self.seq + 1}, found #{event.seq} (deleted or reordered)"
        if chain_name(event.process_id, event.space) != self.chain:
            return "moved to another space"
        if event.prev_hash != self.hash:
            return "link to previous broken"
        if recomputed_hash(event) != event.hash:
            return "content altered"
        return None
