"""Offline verification of every audit chain: ``parley verify``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.chain import GENESIS, chain_name, event_hash
from parley.audit.models import AuditEvent, AuditHead


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


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def verify_events(chain: str, events: Iterable[AuditEvent], head: AuditHead | None) -> list[Break]:
    """Check one chain: numbering without gaps, each link, each hash, and the recorded head."""
    expected_prev = GENESIS
    expected_seq = 1
    last_space = chain.split("/", 1)[-1]
    for event in events:
        last_space = event.space
        if event.seq != expected_seq:
            problem = f"expected event #{expected_seq}, found #{event.seq} (deleted or reordered)"
            return [Break(chain, event.space, str(event.id), event.seq, problem)]
        if chain_name(event.process_id, event.space) != chain:
            return [Break(chain, event.space, str(event.id), event.seq, "moved to another space")]
        if event.prev_hash != expected_prev:
            return [Break(chain, event.space, str(event.id), event.seq, "link to previous broken")]
        recomputed = event_hash(
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
        )
        if recomputed != event.hash:
            return [Break(chain, event.space, str(event.id), event.seq, "content altered")]
        expected_prev = event.hash
        expected_seq += 1
    if head is None:
        return [Break(chain, last_space, None, None, "no chain head recorded")]
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        return [
            Break(
                chain,
                last_space,
                None,
                None,
                f"head says {head.seq} events, log has {expected_seq - 1} (truncated or forked)",
            )
        ]
    return []


def verify_all(session: Session) -> Report:
    report = Report()
    heads = {h.chain: h for h in session.scalars(sa.select(AuditHead))}
    chains = set(heads) | set(session.scalars(sa.select(AuditEvent.chain).distinct()))
    for chain in sorted(chains):
        events = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.chain == chain)
                .order_by(AuditEvent.seq, AuditEvent.at)
            )
        )
        report.chains += 1
        report.events += len(events)
        report.breaks.extend(verify_events(chain, events, heads.get(chain)))
    return report
