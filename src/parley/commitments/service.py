"""Writing the ledger: commitments, their fulfilment events and their links, one audited
function per change, from every door (forms, JSON API, command line, scenario loader).

Who may write is decided by the rules table (:mod:`parley.authz.rules`): a pledge and its
allocations and deliveries are recorded by the donor's delegation (a coalition's delegation
counts for its members: Europe records the EU's) and by the mediator; ``honoured`` and
``breached`` are a neutral assessment of a guarantee or an obligation, by a monitor (a
guarantor's or observer's delegation) or the mediator.

The books hold per pledge: allocated ≤ pledged and delivered ≤ allocated, unless the event
records an overrun with its reason. An amount in another currency than the pledge's carries
its conversion (rate, date, source) and counts in the pledge's currency. The commitment's
status follows from its events; no input sets it.

A link may not make a commitment point at something its readers cannot see: the commitment's
space must be the step's (or the provision's document's) space or a narrower one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, widens
from parley.authz.owners import columns_in, party_owners, select_in, visible_by_key
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import (
    can_write_in,
    get_visible_in,
    require_writable_space,
    visible_reference,
)
from parley.authz.visibility import INTERNAL
from parley.commitments.models import (
    Commitment,
    CommitmentKind,
    CommitmentLink,
    FulfilmentEvent,
    FulfilmentKind,
)
from parley.commitments.schemas import CommitmentIn, CommitmentUpdate, FulfilmentIn, LinkIn
from parley.errors import InputError
from parley.intake.evidence import cite
from parley.processes.models import Party, Process
from parley.sequencing.models import Step
from parley.sequencing.queries import visible_provisions
from parley.texts.models import Document, Provision

BOOKS = ("pledged", "allocated", "delivered")
ASSESSMENTS = ("honoured", "breached")
CENT = Decimal("0.01")


class CommitmentError(InputError):
    """Bad input for the ledger: the message starts with the field's name."""


# --------------------------------------------------------------------------- the books


def money(amount: Decimal | None, currency: str | None) -> str:
    """``USD 100,000,000,000`` (cents only when there are any)."""
    if amount is None:
        return ""
    text = f"{amount:,.2f}"
    if text.endswith(".00"):
        text = text[:-3]
    return f"{currency or ''} {text}".strip()


def in_pledge_currency(
    event: Any, pledge_currency: str | None
) -> tuple[Decimal | None, str | None]:
    """The event's amount counted in the pledge's currency: as it is when the currencies agree,
    converted at the event's own rate otherwise; ``(amount, currency)`` left as they are when
    there is nothing to convert with (events recorded before conversions were required)."""
    if event.amount is None:
        return None, None
    if not pledge_currency or event.currency in (None, pledge_currency):
        return event.amount, event.currency or pledge_currency
    if event.rate is not None:
        return (event.amount * event.rate).quantize(CENT), pledge_currency
    return event.amount, event.currency


def pledge_currency(commitment: Any, events: Iterable[Any]) -> str | None:
    """The pledge's currency: its own, else that of its first pledged amount."""
    if commitment.currency:
        return str(commitment.currency)
    for e in events:
        if str(e.kind) == "pledged" and e.amount is not None and e.currency:
            return str(e.currency)
    return None


def books(commitment: Any, events: list[Any]) -> dict[str, Decimal]:
    """pledged, allocated and delivered of one pledge, in the pledge's currency."""
    currency = pledge_currency(commitment, events)
    out = {stage: Decimal(0) for stage in BOOKS}
    for e in events:
        kind = str(e.kind)
        if kind not in BOOKS:
            continue
        amount, in_currency = in_pledge_currency(e, currency)
        if amount is None or in_currency != currency:
            continue
        if kind == "pledged" and commitment.amount is not None:
            continue  # the commitment's own amount is the pledge
        out[kind] += amount
    if commitment.amount is not None:
        out["pledged"] = Decimal(commitment.amount)
    return out


def status_from(kind: str, events: Iterable[Any]) -> FulfilmentKind:
    """A pledge is as far as its money went (pledged → allocated → delivered); a guarantee or
    an obligation is as its latest assessment says (honoured or breached), else pledged."""
    ordered = sorted(events, key=lambda e: (e.occurred_on, str(e.kind)))
    kinds = [str(e.kind) for e in ordered]
    if str(kind) == CommitmentKind.PLEDGE:
        for stage in ("delivered", "allocated"):
            if stage in kinds:
                return FulfilmentKind(stage)
        return FulfilmentKind.PLEDGED
    assessed = [k for k in kinds if k in ASSESSMENTS]
    return FulfilmentKind(assessed[-1]) if assessed else FulfilmentKind.PLEDGED


# --------------------------------------------------------------------------- lookups


def get_commitment(session: Session, actor: Actor, process: Process, commitment_id: Any) -> Any:
    """A commitment the actor may read in this process, or NotFound."""
    return get_visible_in(session, actor, Commitment, process.id, commitment_id)


def owners(session: Session, commitment: Any) -> frozenset[str]:
    """The delegations that keep this commitment's books: the donor's and its coalitions'."""
    return party_owners(session, commitment.process_id, commitment.donor_party_id)


def _events(session: Session, actor: Actor, commitment: Any) -> list[FulfilmentEvent]:
    # Events live in their commitment's space: whoever reads the commitment reads them all.
    return list(
        session.scalars(
            select_in(actor, FulfilmentEvent, commitment.process_id)
            .where(FulfilmentEvent.commitment_id == commitment.id)
            .order_by(FulfilmentEvent.occurred_on, FulfilmentEvent.id)
        )
    )


def _party_id(
    session: Session, actor: Actor, process: Process, key: str | None, field: str
) -> uuid.UUID | None:
    if key is None or key == "":
        return None
    return visible_by_key(session, actor, Party, process.id, key, field=field).id


def _key_taken(session: Session, process: Process, key: str) -> bool:
    # Keys are unique per process across spaces; a clash with anything (visible or not) gets
    # the same neutral answer, so it tells nothing about hidden records.
    found = session.scalar(
        sa.select(sa.func.count())
        .select_from(Commitment)
        .where(Commitment.process_id == process.id, Commitment.key == key)
        .execution_options(**{INTERNAL: True})
    )
    return (found or 0) > 0


def _refresh_status(session: Session, actor: Actor, commitment: Any) -> None:
    status = status_from(str(commitment.kind), _events(session, actor, commitment))
    if str(commitment.status) != str(status):
        audited_update(
            session, commitment, {"status": status}, actor=actor, action="commitment:status"
        )


# --------------------------------------------------------------------------- commitments


def record_commitment(
    session: Session, *, actor: Actor, process: Process, data: CommitmentIn
) -> Commitment:
    """A new pledge, guarantee or obligation (audited as ``commitment:create``)."""
    if not can_write_in(actor, process.id):
        raise Forbidden("read only")
    donor_id = _party_id(session, actor, process, data.donor, "donor")
    require_action(
        actor,
        "commitment",
        "record",
        Subject(process.id, owners=party_owners(session, process.id, donor_id)),
    )
    space = require_writable_space(session, actor, process.id, data.space)
    recipient_id = _party_id(session, actor, process, data.recipient, "recipient")
    if data.amount is not None and not data.currency:
        raise CommitmentError("currency: required when an amount is given")
    if data.period_start and data.period_end and data.period_start > data.period_end:
        raise CommitmentError(
            f"period_end: {data.period_end} is before period_start {data.period_start}"
        )
    if _key_taken(session, process, data.key):
        raise CommitmentError("key: not available; choose another key")
    values = data.model_dump(exclude={"donor", "recipient", "space"})
    obj = Commitment(
        process_id=process.id,
        donor_party_id=donor_id,
        recipient_party_id=recipient_id,
        space=space,
        status=FulfilmentKind.PLEDGED,
        **values,
    )
    audited_add(session, obj, actor=actor, action="commitment:create")
    return obj


def update_commitment(
    session: Session, *, actor: Actor, process: Process, commitment_id: Any, data: CommitmentUpdate
) -> Commitment:
    """Change the words of a commitment (title, conditions, period), while nothing has been
    allocated or assessed yet; each change is audited old → new."""
    obj = get_commitment(session, actor, process, commitment_id)
    require_action(
        actor,
        "commitment",
        "update",
        Subject(process.id, state=str(obj.status), owners=owners(session, obj)),
    )
    changes = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
    audited_update(session, obj, changes, actor=actor, action="commitment:update")
    return obj


# --------------------------------------------------------------------------- events


def _check_kind(commitment: Any, kind: str) -> None:
    pledge = str(commitment.kind) == CommitmentKind.PLEDGE
    if pledge and kind in ASSESSMENTS:
        raise CommitmentError(
            f"kind: {kind} assesses a guarantee or an obligation; a pledge is followed by "
            "its allocations and deliveries"
        )
    if not pledge and kind in ("allocated", "delivered"):
        raise CommitmentError(
            f"kind: a {commitment.kind} is not allocated or delivered; it is assessed as "
            "honoured or breached"
        )


def _check_money(commitment: Any, events: list[Any], data: FulfilmentIn) -> dict[str, Any]:
    """The event's amount, currency and conversion, checked against the books."""
    kind = data.kind
    if kind in ASSESSMENTS:
        if data.amount is not None or data.rate is not None:
            raise CommitmentError("amount: an assessment has no amount")
        return {"amount": None, "currency": None, "rate": None, "rate_on": None, "rate_source": ""}
    if data.amount is None:
        if kind != "pledged":
            raise CommitmentError(f"amount: required for {kind}")
        if data.currency or data.rate is not None:
            raise CommitmentError("amount: a currency or rate needs an amount")
        return {"amount": None, "currency": None, "rate": None, "rate_on": None, "rate_source": ""}
    base = pledge_currency(commitment, events)
    currency = data.currency or base
    if currency is None:
        raise CommitmentError("currency: required when an amount is given")
    conversion: dict[str, Any] = {"rate": None, "rate_on": None, "rate_source": ""}
    if base is not None and currency != base:
        missing = [
            name
            for name, value in (
                ("rate", data.rate),
                ("rate_on", data.rate_on),
                ("rate_source", data.rate_source),
            )
            if not value
        ]
        if missing:
            raise CommitmentError(
                f"{missing[0]}: an amount in {currency} on a pledge in {base} needs its "
                f"conversion: rate ({base} per {currency}), rate_on and rate_source"
            )
        conversion = {"rate": data.rate, "rate_on": data.rate_on, "rate_source": data.rate_source}
    elif data.rate is not None or data.rate_on is not None or data.rate_source:
        raise CommitmentError(
            f"rate: only for an amount in another currency than the pledge's ({base})"
        )
    event = FulfilmentEvent(
        kind=kind, amount=data.amount, currency=currency, rate=conversion["rate"]
    )
    counted, _ = in_pledge_currency(event, base)
    assert counted is not None
    book = books(commitment, events)
    if kind in ("allocated", "delivered") and not data.overrun_reason:
        ceiling_stage = "pledged" if kind == "allocated" else "allocated"
        ceiling, so_far = book[ceiling_stage], book[kind]
        if so_far + counted > ceiling:
            raise CommitmentError(
                f"amount: {money(counted, base)} {kind} would bring the total to "
                f"{money(so_far + counted, base)}, beyond the {money(ceiling, base)} "
                f"{ceiling_stage}; record it as an overrun, with its reason in overrun_reason"
            )
    return {"amount": data.amount, "currency": currency, **conversion}


def record_event(
    session: Session, *, actor: Actor, process: Process, data: FulfilmentIn
) -> FulfilmentEvent:
    """One event of a commitment's life, with its evidence; the commitment's status follows.

    Audited as ``commitment:event:create`` (and ``commitment:status`` when the status moves),
    in the commitment's space."""
    commitment = visible_reference(
        session, actor, Commitment, process.id, data.commitment_id, field="commitment_id"
    )
    action = "assess" if data.kind in ASSESSMENTS else "record"
    subject = Subject(process.id, owners=owners(session, commitment))
    require_action(actor, "fulfilment", action, subject)
    _check_kind(commitment, data.kind)
    events = _events(session, actor, commitment)
    values = _check_money(commitment, events, data)
    event = FulfilmentEvent(
        process_id=process.id,
        commitment_id=commitment.id,
        kind=data.kind,
        occurred_on=data.occurred_on,
        note=data.note,
        overrun_reason=data.overrun_reason,
        space=commitment.space,
        **values,
    )
    audited_add(session, event, actor=actor, action="commitment:event:create")
    cite(session, actor=actor, record=event, items=data.evidence)
    _refresh_status(session, actor, commitment)
    return event


# --------------------------------------------------------------------------- links


def _narrower_or_same(inner: str, outer: str) -> bool:
    return inner == outer or widens(inner, outer)


def _provision(session: Session, actor: Actor, process: Process, ref: str) -> tuple[Any, str]:
    doc_key, _, wid = ref.partition("/")
    readable = visible_provisions(session, actor, process.id)
    for pid, (doc, w, _) in readable.items():
        if doc == doc_key and w == wid:
            space = session.scalar(
                columns_in(actor, Document, process.id, Document.space)
                .join(Provision, Provision.document_id == Document.id)
                .where(Provision.id == pid)
            )
            assert space is not None
            return pid, space
    raise CommitmentError(f"provision: no provision '{ref}' that you can see (use document/wid)")


def link_commitment(
    session: Session, *, actor: Actor, process: Process, commitment_id: Any, data: LinkIn
) -> CommitmentLink:
    """Tie a commitment to a provision or a step (audited as ``commitment:link``)."""
    commitment = get_commitment(session, actor, process, commitment_id)
    require_action(
        actor, "commitment", "link", Subject(process.id, owners=owners(session, commitment))
    )
    if (data.provision is None) == (data.step is None):
        raise CommitmentError("provision: give exactly one of provision or step")
    provision_id: uuid.UUID | None = None
    step_id: uuid.UUID | None = None
    if data.provision is not None:
        provision_id, space = _provision(session, actor, process, data.provision)
        what = f"provision {data.provision}"
    else:
        assert data.step is not None
        try:
            step = visible_by_key(session, actor, Step, process.id, data.step, field="step")
        except InputError:
            raise CommitmentError(f"step: no step '{data.step}' that you can see") from None
        step_id, space, what = step.id, step.space, f"step {step.key}"
    if not _narrower_or_same(commitment.space, space):
        raise CommitmentError(
            f"{'provision' if provision_id else 'step'}: {what} is in {space}; a commitment in "
            f"{commitment.space} cannot point at it"
        )
    existing = session.scalars(
        sa.select(CommitmentLink).where(
            CommitmentLink.commitment_id == commitment.id,
            CommitmentLink.provision_id == provision_id
            if provision_id
            else CommitmentLink.provision_id.is_(None),
            CommitmentLink.step_id == step_id if step_id else CommitmentLink.step_id.is_(None),
        )
    ).first()
    if existing is not None:
        return existing
    link = CommitmentLink(
        process_id=process.id,
        commitment_id=commitment.id,
        provision_id=provision_id,
        step_id=step_id,
    )
    audited_add(session, link, actor=actor, action="commitment:link", space=commitment.space)
    return link


def link_by_ids(
    session: Session,
    *,
    actor: Actor,
    commitment: Commitment,
    provision_id: uuid.UUID | None = None,
    step_id: uuid.UUID | None = None,
) -> CommitmentLink:
    """A link by ids, for the scenario loader (which has just written both ends)."""
    require_action(
        actor,
        "commitment",
        "link",
        Subject(commitment.process_id, owners=owners(session, commitment)),
    )
    link = CommitmentLink(
        process_id=commitment.process_id,
        commitment_id=commitment.id,
        provision_id=provision_id,
        step_id=step_id,
    )
    audited_add(session, link, actor=actor, action="commitment:link", space=commitment.space)
    return link
