"""Offline verification of every audit chain: ``parley verify``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import TOMBSTONE, ChainWalk
from parley.audit.models import AuditEvent, AuditHead
from parley.audit.service import CHAIN_OPEN, SYSTEM_CHAIN
from parley.audit.state import checked_tables, row_state, space_of
from parley.db.rls import INTERNAL


@dataclass(frozen=True)
class Break:
    chain: str
    space: str
    event_id: str | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"event {self.event_id} (#{self.seq})" if self.event_id else "chain head"
        return f"space {self.space!r} chain {self.chain}: {where}: {self.problem}"


@dataclass(frozen=True)
class RecordProblem:
    """A record whose stored state is not the one its newest audit event vouches for."""

    table: str
    object_id: str
    space: str | None
    problem: str
    key: str | None = None

    def __str__(self) -> str:
        key = f" key {self.key!r}" if self.key else ""
        space = self.space if self.space is not None else "-"
        return f"table {self.table} id {self.object_id}{key} space {space!r}: {self.problem}"


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    records: int = 0
    checkpoints: int = 0
    breaks: list[Break] = field(default_factory=list)
    record_problems: list[RecordProblem] = field(default_factory=list)
    checkpoint_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.breaks or self.record_problems or self.checkpoint_problems)

    def lines(self) -> list[str]:
        """Every problem, one line each, as ``parley verify`` prints them."""
        return (
            [f"BROKEN {b}" for b in self.breaks]
            + [f"CHANGED OUTSIDE PARLEY {p}" for p in self.record_problems]
            + [f"NOT HONOURED stored {p}" for p in self.checkpoint_problems]
        )


def verify_events(chain: str, events: Iterable[Any], head: AuditHead | None) -> list[Break]:
    """Check one chain: numbering without gaps, each link, each hash, and the recorded head."""
    walk = ChainWalk(chain)
    last_space = chain.split("/", 1)[-1]
    for event in walk.events(events):
        last_space = event.space
    if walk.broken is not None:
        event = walk.broken
        return [Break(chain, event.space, str(event.id), event.seq, str(walk.problem))]
    if head is None:
        return [Break(chain, last_space, None, None, "no chain head recorded")]
    if head.seq != walk.seq or head.hash != walk.hash:
        return [
            Break(
                chain,
                last_space,
                None,
                None,
                f"head says {head.seq} events, log has {walk.seq} (truncated or forked)",
            )
        ]
    return []


def verify_all(session: Session, *, stored_checkpoints: bool = True) -> Report:
    """Everything ``parley verify`` checks, with nothing kept outside the database:

    * every chain: numbering, links, hashes, and its recorded head;
    * the chain of chains: every chain ever opened (named in the ``system`` chain) still
      exists, and no chain that carries record states appeared without being opened;
    * every record of the tables the log vouches for: its state hash equals the newest state
      its events recorded (edited, inserted or deleted outside Parley otherwise);
    * the server's stored signed checkpoints: the log still extends every one of them.
    """
    report = Report()
    # A database not yet upgraded (a backup of an older revision) has no record states and
    # perhaps no stored checkpoints: its chains are still verified as they were then.
    schema = sa.inspect(session.connection())
    current = "state" in {c["name"] for c in schema.get_columns("audit_events")}
    stored_checkpoints = stored_checkpoints and schema.has_table("audit_checkpoints")
    heads = {h.chain: h for h in session.scalars(sa.select(AuditHead))}
    chains = set(heads) | set(session.scalars(sa.select(AuditEvent.chain).distinct()))
    stateful: set[str] = set()
    for chain in sorted(chains):
        events = _chain_events(session, chain, current)
        report.chains += 1
        report.events += len(events)
        report.breaks.extend(verify_events(chain, events, heads.get(chain)))
        if any(e.state is not None for e in events):
            stateful.add(chain)
    if current:
        report.breaks.extend(_anchors(session, chains, stateful))
        report.record_problems.extend(_records(session, report))
    if stored_checkpoints:
        # Imported here: the checkpoints build on the audit package, not the other way round.
        from parley.operations.checkpoints import verify_stored

        report.checkpoints, problems = verify_stored(session)
        report.checkpoint_problems.extend(str(p) for p in problems)
    return report


def _chain_events(session: Session, chain: str, current: bool) -> list[Any]:
    if current:
        return list(
            session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.chain == chain)
                .order_by(AuditEvent.seq, AuditEvent.at)
            )
        )
    table = AuditEvent.__table__
    columns = [c for c in table.c if c.name != "state"]
    rows = session.execute(
        sa.select(*columns).where(table.c.chain == chain).order_by(table.c.seq, table.c.at)
    ).mappings()
    return [SimpleNamespace(**dict(row), state=None) for row in rows]


def _anchors(session: Session, chains: set[str], stateful: set[str]) -> list[Break]:
    opened: dict[str, str] = {}
    for changes in session.scalars(
        sa.select(AuditEvent.changes).where(
            AuditEvent.chain == SYSTEM_CHAIN, AuditEvent.action == CHAIN_OPEN
        )
    ):
        name = (changes or {}).get("chain", [None, None])[1]
        if isinstance(name, str):
            opened[name] = name
    breaks = []
    for chain in sorted(set(opened) - chains):
        space = chain.split("/", 1)[-1]
        breaks.append(
            Break(chain, space, None, None, "the chain is gone (opened, now no events nor head)")
        )
    for chain in sorted(stateful - set(opened) - {SYSTEM_CHAIN}):
        space = chain.split("/", 1)[-1]
        breaks.append(Break(chain, space, None, None, "the chain was never opened (forged)"))
    return breaks


def _records(session: Session, report: Report) -> list[RecordProblem]:
    """Compare every live record of the checked tables with its newest audited state."""
    tables = checked_tables()
    newest: dict[tuple[str, str], tuple[str, str]] = {}  # (table, id) -> (state, event space)
    mentioned: set[tuple[str, str]] = set()
    rows = session.execute(
        sa.select(AuditEvent.object_type, AuditEvent.object_id, AuditEvent.state, AuditEvent.space)
        .where(AuditEvent.object_type.in_(list(tables)))
        # Event times are strictly increasing within a server process (audit.service), so
        # the last event of a record by time is its newest state, across chains.
        .order_by(AuditEvent.at, AuditEvent.chain, AuditEvent.seq)
    )
    for object_type, object_id, state, event_space in rows:
        ident = (object_type, _canonical_id(object_id))
        mentioned.add(ident)
        if state is not None:
            newest[ident] = (state, event_space)
    problems: list[RecordProblem] = []
    live: set[tuple[str, str]] = set()
    total = 0
    for name in sorted(tables):
        table = sa.inspect(tables[name]).local_table
        for row in session.execute(
            sa.select(table).execution_options(**{INTERNAL: True, "yield_per": 1000})
        ).mappings():
            total += 1
            ident = (name, _canonical_id(row["id"]))
            live.add(ident)
            space = space_of(row)
            key = None if row.get("key") is None else str(row.get("key"))
            found = newest.get(ident)
            if found is None:
                if ident not in mentioned:
                    problems.append(
                        RecordProblem(name, ident[1], space, "inserted outside Parley", key)
                    )
                continue  # events written before states were kept: nothing to compare
            state, last_space = found
            if state == TOMBSTONE:
                problem = "deleted by Parley, present again (restored outside Parley)"
            elif state != row_state(table, row):
                problem = "edited outside Parley (differs from its last audited state)"
            else:
                continue
            problems.append(RecordProblem(name, ident[1], space or last_space, problem, key))
    for ident, (state, where) in sorted(newest.items()):
        if state != TOMBSTONE and ident not in live:
            problems.append(RecordProblem(ident[0], ident[1], where, "deleted outside Parley"))
    if total and not report.events:
        problems.insert(
            0,
            RecordProblem("*", "*", None, f"the audit log is empty but {total} records exist"),
        )
    report.records = total
    return problems


def _canonical_id(value: object) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)
