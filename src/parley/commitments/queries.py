"""The ledger of commitments an actor may see: pledged → allocated → delivered, by currency.

Amounts are never mixed across currencies: every total is a map ``currency -> amount``. A
conversion is only ever shown next to the original amounts, with the rate and its date, and
comes from :data:`ILLUSTRATIVE_RATES`, a small fixed table marked as illustrative (Parley has
no market data and must work offline).

What counts as *pledged* for a commitment: its own ``amount`` when it has one, otherwise the sum
of its ``pledged`` events. *Allocated* and *delivered* are the sums of those events. A pledge
restated by a ``pledged`` event is therefore not counted twice. An event in another currency
than its pledge's counts in the pledge's currency at the event's own recorded rate (shown next
to the original amount, as converted); two pledges' currencies are never pooled.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.authz.owners import columns_in, select_in
from parley.commitments.models import Commitment, CommitmentLink, FulfilmentEvent
from parley.commitments.service import in_pledge_currency, status_from
from parley.intake.evidence import evidence_for
from parley.processes.models import Party, Process
from parley.sequencing.models import Step
from parley.sequencing.queries import visible_provisions

STAGES = ("pledged", "allocated", "delivered")

#: Fixed, ILLUSTRATIVE exchange rates: ``(from, to) -> (rate, as of)``, 1 ``from`` = rate ``to``.
#: Rounded, written for the demo; not market data. The inverse direction is derived.
ILLUSTRATIVE_RATES: dict[tuple[str, str], tuple[Decimal, date]] = {
    ("EUR", "USD"): (Decimal("1.17"), date(2025, 12, 22)),
    ("GBP", "USD"): (Decimal("1.34"), date(2025, 12, 22)),
    ("USD", "UAH"): (Decimal("42.0"), date(2025, 12, 22)),
}
RATE_SOURCE = "illustrative fixed rate for the demo, not market data"

Totals = dict[str, dict[str, Decimal]]  # currency -> stage -> amount


@dataclass(frozen=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    as_of: date | None
    source: str = RATE_SOURCE

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.base,
            "to": self.quote,
            "rate": str(self.rate),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "source": self.source,
        }


def rate(base: str, quote: str) -> Rate | None:
    """The illustrative rate from ``base`` to ``quote`` (1 when equal), or None."""
    if base == quote:
        return Rate(base, quote, Decimal(1), None, "same currency")
    if (base, quote) in ILLUSTRATIVE_RATES:
        value, when = ILLUSTRATIVE_RATES[(base, quote)]
        return Rate(base, quote, value, when)
    if (quote, base) in ILLUSTRATIVE_RATES:
        value, when = ILLUSTRATIVE_RATES[(quote, base)]
        return Rate(base, quote, (Decimal(1) / value).quantize(Decimal("0.000001")), when)
    return None


def currencies_convertible() -> list[str]:
    found = {c for pair in ILLUSTRATIVE_RATES for c in pair}
    return sorted(found)


@dataclass(frozen=True)
class LedgerEvent:
    id: str
    kind: str
    amount: Decimal | None
    currency: str | None
    occurred_on: date
    note: str
    space: str
    overrun_reason: str = ""
    rate: Decimal | None = None
    rate_on: date | None = None
    rate_source: str = ""
    converted: Decimal | None = None  # the amount in the pledge's currency, when converted
    converted_currency: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "occurred_on": self.occurred_on.isoformat(),
            "note": self.note,
            "space": self.space,
            "overrun_reason": self.overrun_reason,
            "conversion": (
                None
                if self.converted is None
                else {
                    "rate": _plain(self.rate),
                    "on": self.rate_on.isoformat() if self.rate_on else None,
                    "source": self.rate_source,
                    "amount": str(self.converted),
                    "currency": self.converted_currency,
                }
            ),
            "evidence": list(self.evidence),
        }


def _plain(value: Decimal | None) -> str | None:
    """A rate without trailing zeros: ``1.1700000000`` is ``1.17``."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def _ledger_event(
    e: FulfilmentEvent, base: str | None, evidence: list[dict[str, Any]]
) -> LedgerEvent:
    converted, currency = (None, None)
    if e.rate is not None and e.amount is not None and base and e.currency != base:
        converted, currency = in_pledge_currency(e, base)
    return LedgerEvent(
        str(e.id),
        str(e.kind),
        e.amount,
        e.currency,
        e.occurred_on,
        e.note,
        e.space,
        e.overrun_reason or "",
        e.rate,
        e.rate_on,
        e.rate_source or "",
        converted,
        currency,
        tuple(evidence),
    )


@dataclass(frozen=True)
class LedgerEntry:
    id: str
    key: str
    kind: str
    title: str
    donor: str | None
    recipient: str | None
    amount: Decimal | None
    currency: str | None
    period_start: date | None
    period_end: date | None
    period_text: str
    conditions: str
    obligation_text: str
    status: str  # follows from the events (commitments.service.status_from)
    space: str
    events: tuple[LedgerEvent, ...] = ()
    provisions: tuple[str, ...] = ()  # "document/wid"
    steps: tuple[str, ...] = ()  # step keys

    @property
    def documents(self) -> list[str]:
        return sorted({p.split("/", 1)[0] for p in self.provisions})

    def stages(self) -> Totals:
        """``currency -> stage -> amount`` for this commitment (see the module docstring): a
        converted event counts in the pledge's currency, at its own recorded rate."""
        out: Totals = defaultdict(lambda: defaultdict(Decimal))
        if self.amount is not None and self.currency:
            out[self.currency]["pledged"] += self.amount
        for e in self.events:
            if e.amount is None or not e.currency or e.kind not in STAGES:
                continue
            if e.kind == "pledged" and self.amount is not None:
                continue  # the commitment's own amount already is the pledge
            if e.converted is not None and e.converted_currency:
                out[e.converted_currency][e.kind] += e.converted
            else:
                out[e.currency][e.kind] += e.amount
        return {c: {s: v.get(s, Decimal(0)) for s in STAGES} for c, v in out.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "kind": self.kind,
            "title": self.title,
            "donor": self.donor,
            "recipient": self.recipient,
            "amount": None if self.amount is None else str(self.amount),
            "currency": self.currency,
            "period": {
                "start": self.period_start.isoformat() if self.period_start else None,
                "end": self.period_end.isoformat() if self.period_end else None,
                "text": self.period_text,
            },
            "conditions": self.conditions,
            "obligation": self.obligation_text,
            "status": self.status,
            "space": self.space,
            "events": [e.to_json() for e in self.events],
            "provisions": list(self.provisions),
            "documents": self.documents,
            "steps": list(self.steps),
            "stages": _totals_json(self.stages()),
        }


@dataclass(frozen=True)
class Ledger:
    entries: list[LedgerEntry]
    by_donor: dict[str, Totals] = field(default_factory=dict)
    by_recipient: dict[str, Totals] = field(default_factory=dict)
    by_document: dict[str, Totals] = field(default_factory=dict)
    by_currency: Totals = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        return sorted(self.by_currency)


def _totals_json(totals: Totals) -> dict[str, dict[str, str]]:
    return {c: {s: str(v) for s, v in stages.items()} for c, stages in sorted(totals.items())}


def _add(into: Totals, more: Totals) -> None:
    for currency, stages in more.items():
        bucket = into.setdefault(currency, {s: Decimal(0) for s in STAGES})
        for stage, value in stages.items():
            bucket[stage] += value


def ledger(session: Session, actor: Actor, process: Process) -> Ledger:
    """Every commitment ``actor`` may see, with its visible events and links, and the totals.

    Totals are computed from visible records only, so they never reveal a hidden pledge.
    """
    order = {"pledge": 0, "guarantee": 1, "obligation": 2}
    commitments = sorted(
        session.scalars(select_in(actor, Commitment, process.id)),
        key=lambda c: (order.get(str(c.kind), 9), c.key),
    )
    ids = [c.id for c in commitments]
    by_id = {c.id: c for c in commitments}
    parties: dict[uuid.UUID, str] = dict(
        session.execute(columns_in(actor, Party, process.id, Party.id, Party.key)).all()
    )
    rows: dict[uuid.UUID, list[FulfilmentEvent]] = defaultdict(list)
    if ids:
        for e in session.scalars(
            select_in(actor, FulfilmentEvent, process.id)
            .where(FulfilmentEvent.commitment_id.in_(ids))
            .order_by(FulfilmentEvent.occurred_on, FulfilmentEvent.id)
        ):
            rows[e.commitment_id].append(e)
    cited = evidence_for(
        session,
        actor,
        process.id,
        FulfilmentEvent.__tablename__,
        [e.id for found in rows.values() for e in found],
    )
    events: dict[uuid.UUID, list[LedgerEvent]] = {}
    statuses: dict[uuid.UUID, str] = {}
    for cid, found in rows.items():
        c = by_id[cid]
        base = c.currency or next(
            (e.currency for e in found if str(e.kind) == "pledged" and e.currency), None
        )
        events[cid] = [_ledger_event(e, base, cited.get(e.id, [])) for e in found]
        statuses[cid] = str(status_from(str(c.kind), found))
    provisions: dict[uuid.UUID, list[str]] = defaultdict(list)
    steps: dict[uuid.UUID, list[str]] = defaultdict(list)
    if ids:
        readable = visible_provisions(session, actor, process.id)
        step_keys: dict[uuid.UUID, str] = dict(
            session.execute(columns_in(actor, Step, process.id, Step.id, Step.key)).all()
        )
        for cid, provision_id, step_id in session.execute(
            sa.select(
                CommitmentLink.commitment_id, CommitmentLink.provision_id, CommitmentLink.step_id
            ).where(CommitmentLink.commitment_id.in_(ids))
        ):
            if provision_id in readable:
                doc, wid, _ = readable[provision_id]
                provisions[cid].append(f"{doc}/{wid}")
            if step_id in step_keys:
                steps[cid].append(step_keys[step_id])
    entries = []
    for c in commitments:
        own = events.get(c.id, [])
        entries.append(
            LedgerEntry(
                str(c.id),
                c.key,
                str(c.kind),
                c.title,
                parties.get(c.donor_party_id) if c.donor_party_id else None,
                parties.get(c.recipient_party_id) if c.recipient_party_id else None,
                c.amount,
                c.currency,
                c.period_start,
                c.period_end,
                c.period_text,
                c.conditions,
                c.obligation_text,
                statuses.get(c.id, str(status_from(str(c.kind), []))),
                c.space,
                tuple(own),
                tuple(sorted(set(provisions.get(c.id, [])))),
                tuple(sorted(set(steps.get(c.id, [])))),
            )
        )
    return summarise(entries)


def summarise(entries: list[LedgerEntry]) -> Ledger:
    """Totals by donor, recipient, document and currency; each stays per currency."""
    out = Ledger(entries)
    for entry in entries:
        stages = entry.stages()
        if not stages:
            continue
        _add(out.by_currency, stages)
        _add(out.by_donor.setdefault(entry.donor or "(no donor)", {}), stages)
        _add(out.by_recipient.setdefault(entry.recipient or "(no recipient)", {}), stages)
        for doc in entry.documents:
            _add(out.by_document.setdefault(doc, {}), stages)
    return out


def delivered_share(stages: dict[str, Decimal]) -> Decimal | None:
    """Delivered as a share of pledged (None when nothing was pledged in that currency)."""
    pledged = stages.get("pledged", Decimal(0))
    if not pledged:
        return None
    return (stages.get("delivered", Decimal(0)) / pledged).quantize(Decimal("0.0001"))


@dataclass(frozen=True)
class Conversion:
    """Totals expressed in one currency, each line showing the rate and its date."""

    target: str
    lines: list[dict[str, Any]]  # currency, stage amounts, rate, converted amounts
    total: dict[str, Decimal] | None  # stage -> amount in target, when every line converts
    missing: list[str]  # currencies with no rate to the target

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "lines": [
                {
                    "currency": line["currency"],
                    "amounts": {s: str(v) for s, v in line["amounts"].items()},
                    "rate": line["rate"].to_json() if line["rate"] else None,
                    "converted": (
                        {s: str(v) for s, v in line["converted"].items()}
                        if line["converted"] is not None
                        else None
                    ),
                }
                for line in self.lines
            ],
            "total": None if self.total is None else {s: str(v) for s, v in self.total.items()},
            "missing_rates": self.missing,
            "rates_note": RATE_SOURCE,
        }


def convert(by_currency: Totals, target: str) -> Conversion:
    """Express per-currency totals in ``target`` using the illustrative table, explicitly."""
    lines = []
    missing = []
    total = {s: Decimal(0) for s in STAGES}
    for currency in sorted(by_currency):
        amounts = by_currency[currency]
        found = rate(currency, target)
        converted = None
        if found is None:
            missing.append(currency)
        else:
            converted = {s: (v * found.rate).quantize(Decimal("0.01")) for s, v in amounts.items()}
            for s, v in converted.items():
                total[s] += v
        lines.append(
            {"currency": currency, "amounts": amounts, "rate": found, "converted": converted}
        )
    return Conversion(target, lines, None if missing else total, missing)


# --------------------------------------------------------------------------- CSV

CSV_COLUMNS = (
    "commitment",
    "kind",
    "title",
    "donor",
    "recipient",
    "pledged_amount",
    "pledged_currency",
    "period_start",
    "period_end",
    "period_text",
    "conditions",
    "status",
    "event",
    "event_date",
    "event_amount",
    "event_currency",
    "event_note",
    "event_rate",
    "event_rate_on",
    "event_rate_source",
    "event_converted_amount",
    "event_converted_currency",
    "event_overrun_reason",
    "event_evidence",
    "provisions",
    "steps",
    "space",
)


def _cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is prefixed with '."""
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def ledger_csv(book: Ledger) -> str:
    """One row per fulfilment event (a commitment with none gets one row of its own).

    Amounts stay in their own currency, one column for the amount and one for the currency;
    an event recorded with a conversion also gives its rate, date, source and the converted
    amount in the pledge's currency, in columns of their own.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in book.entries:
        head = [
            entry.key,
            entry.kind,
            entry.title,
            entry.donor,
            entry.recipient,
            entry.amount,
            entry.currency if entry.amount is not None else None,
            entry.period_start,
            entry.period_end,
            entry.period_text,
            entry.conditions,
            entry.status,
        ]
        tail = [" ".join(entry.provisions), " ".join(entry.steps), entry.space]
        rows = [
            [
                e.kind,
                e.occurred_on,
                e.amount,
                e.currency,
                e.note,
                _plain(e.rate),
                e.rate_on,
                e.rate_source,
                e.converted,
                e.converted_currency,
                e.overrun_reason,
                " | ".join(f"{q['source']}: {q['quote']}" for q in e.evidence),
            ]
            for e in entry.events
        ]
        for row in rows or [[None] * 12]:
            writer.writerow([_cell(v) for v in (*head, *row, *tail)])
    return buffer.getvalue()


def commitment_choices(session: Session, actor: Actor, process: Process) -> list[tuple[str, str]]:
    """(id, "key — title") of every commitment the actor can see, for forms."""
    rows = session.execute(
        columns_in(
            actor, Commitment, process.id, Commitment.id, Commitment.key, Commitment.title
        ).order_by(Commitment.key)
    ).all()
    return [(str(i), f"{k} — {t}") for i, k, t in rows]


def party_choices(session: Session, actor: Actor, process: Process) -> list[tuple[str, str]]:
    """(key, "key — name") of every party the actor can see, for forms."""
    rows = session.execute(
        columns_in(actor, Party, process.id, Party.key, Party.name).order_by(Party.key)
    ).all()
    return [(k, f"{k} — {n}") for k, n in rows]
