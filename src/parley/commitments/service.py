"""Writing the ledger's links: a commitment tied to a provision or an implementation step.

Commitments and their fulfilment events are created through ``parley.records`` (one audited
service for the simpler records); this module adds what that generic service does not: links,
each audited in the commitment's space (a link row has no space of its own).

A link may not make a commitment point at something its readers cannot see: the commitment's
space must be the step's (or the provision's document's) space or a narrower one.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add
from parley.authz import Actor, NotFound, Permission, get_visible, require, visible, widens
from parley.authz.visibility import SCOPED
from parley.commitments.models import Commitment, CommitmentLink
from parley.errors import InputError
from parley.processes.models import Process
from parley.sequencing.models import Step
from parley.sequencing.queries import visible_provisions
from parley.texts.models import Document, Provision


class CommitmentError(InputError):
    """Bad input for the ledger: the message starts with the field's name."""


class LinkIn(BaseModel):
    """Exactly one of ``provision`` ("document/wid") and ``step`` (a step key)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    provision: str | None = Field(None, min_length=3, max_length=130)
    step: str | None = Field(None, min_length=1, max_length=64)


def get_commitment(session: Session, actor: Actor, process: Process, commitment_id: Any) -> Any:
    obj = get_visible(session, actor, Commitment, commitment_id)
    if obj.process_id != process.id:
        raise NotFound("commitment")
    return obj


def _narrower_or_same(inner: str, outer: str) -> bool:
    return inner == outer or widens(inner, outer)


def _provision(session: Session, actor: Actor, process: Process, ref: str) -> tuple[Any, str]:
    doc_key, _, wid = ref.partition("/")
    readable = visible_provisions(session, actor, process.id)
    for pid, (doc, w, _) in readable.items():
        if doc == doc_key and w == wid:
            space = session.scalar(
                sa.select(Document.space)
                .join(Provision, Provision.document_id == Document.id)
                .where(Provision.id == pid, visible(actor, Document))
                .execution_options(**{SCOPED: True})
            )
            assert space is not None
            return pid, space
    raise CommitmentError(f"provision: no provision '{ref}' that you can see (use document/wid)")


def _step(session: Session, actor: Actor, process: Process, key: str) -> Step:
    found = session.scalars(
        sa.select(Step)
        .where(Step.process_id == process.id, Step.key == key, visible(actor, Step))
        .execution_options(**{SCOPED: True})
    ).first()
    if found is None:
        raise CommitmentError(f"step: no step '{key}' that you can see")
    return found


def link_commitment(
    session: Session, *, actor: Actor, process: Process, commitment_id: Any, data: LinkIn
) -> CommitmentLink:
    """Tie a commitment to a provision or a step (audited as ``commitment:link``)."""
    commitment = get_commitment(session, actor, process, commitment_id)
    require(actor, Permission.PROCESS_RECORD_WRITE, commitment)
    if (data.provision is None) == (data.step is None):
        raise CommitmentError("provision: give exactly one of provision or step")
    provision_id: uuid.UUID | None = None
    step_id: uuid.UUID | None = None
    if data.provision is not None:
        provision_id, space = _provision(session, actor, process, data.provision)
        what = f"provision {data.provision}"
    else:
        assert data.step is not None
        step = _step(session, actor, process, data.step)
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
