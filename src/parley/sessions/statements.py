"""Joint statements: drafting, revising (which voids approvals), approving with a signature,
publishing; and the delegations' signing keys.

A signatory's head approves the exact text by its hash and signs, in the same step, the message
of :func:`parley.texts.signing.signing_message` (``statement``, the statement's id, the text
hash) with the delegation's Ed25519 key: the same keys and format as signed versions, so
``parley.texts.signing.verify_bundle`` checks statement signatures too.

Approval is valid only while ``approved_hash`` equals the statement's current ``text_hash``, so
a change to the text voids every earlier approval even if someone edits it outside this module;
:func:`revise_statement` also clears them explicitly, audited.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, Permission, get_visible, require, visible
from parley.authz.permissions import Forbidden
from parley.authz.visibility import INTERNAL
from parley.db.base import utcnow
from parley.positions.service import release
from parley.processes.models import Party, Process
from parley.sessions.models import (
    Meeting,
    Statement,
    StatementKind,
    StatementProvision,
    StatementSignatory,
    StatementSpeaker,
    StatementStatus,
)
from parley.sessions.service import (
    MeetingError,
    _check_space,
    delegated_party_ids,
    parties_of,
    party_sees,
)
from parley.texts import signing
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Document, Provision, Signature, SigningKey

STATEMENT_OBJECT = "statement"  # as parley.texts.signing names it


class JointDraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    key: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    title: str = Field("", max_length=300)
    text: str = Field(min_length=1)
    made_on: date | None = None
    place: str = ""
    session_id: uuid.UUID | None = None
    signatories: list[str] = Field(min_length=2)
    provisions: list[str] = Field(default_factory=list)  # "document/wid"
    space: str


def _statement(session: Session, actor: Actor, process: Process, statement_id: Any) -> Statement:
    statement = get_visible(session, actor, Statement, statement_id)
    if statement.process_id != process.id or statement.kind != StatementKind.JOINT:
        raise NotFound("statement")
    return statement


def signatories_of(session: Session, statement: Statement) -> list[StatementSignatory]:
    return list(
        session.scalars(
            sa.select(StatementSignatory)
            .where(StatementSignatory.statement_id == statement.id)
            .order_by(StatementSignatory.party_id)
        )
    )


def draft_joint_statement(
    session: Session, *, actor: Actor, process: Process, data: JointDraftIn
) -> Statement:
    """A draft joint statement with its signatory delegations, in a space they all can read."""
    _check_space(session, process.id, data.space)
    parties = {p.key: p for p in parties_of(session, process.id).values()}
    delegated = delegated_party_ids(session, process.id)
    if len(set(data.signatories)) != len(data.signatories):
        raise MeetingError("signatories: a party is named twice")
    for key in data.signatories:
        party = parties.get(key)
        if party is None:
            raise MeetingError(f"signatories: unknown party {key!r}")
        if party.id not in delegated:
            raise MeetingError(f"signatories: {key} has no delegation to approve the text")
        if not party_sees(data.space, party):
            raise MeetingError(f"space: {key} could not read a statement in {data.space}")
    taken = session.scalar(
        sa.select(sa.func.count())
        .select_from(Statement)
        .where(Statement.process_id == process.id, Statement.key == data.key)
        .execution_options(**{INTERNAL: True})  # a neutral answer that reveals nothing
    )
    if taken:
        raise MeetingError("key: not available; choose another key")
    if data.session_id is not None:
        try:
            get_visible(session, actor, Meeting, data.session_id)
        except NotFound:
            raise MeetingError("session_id: no such record") from None
    statement = Statement(
        process_id=process.id,
        key=data.key,
        kind=StatementKind.JOINT,
        status=StatementStatus.DRAFT,
        title=data.title,
        text=data.text,
        made_on=data.made_on,
        place=data.place,
        session_id=data.session_id,
        text_hash=text_hash(data.text),
        space=data.space,
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, statement)
    audited_add(session, statement, actor=actor, action="statement:joint:draft")
    for key in data.signatories:
        for row, action in (
            (
                StatementSignatory(
                    process_id=process.id, statement_id=statement.id, party_id=parties[key].id
                ),
                "statement:signatory:add",
            ),
            (
                StatementSpeaker(
                    process_id=process.id, statement_id=statement.id, party_id=parties[key].id
                ),
                "statement:speaker:add",
            ),
        ):
            audited_add(session, row, actor=actor, action=action, space=statement.space)
    for ref in data.provisions:
        doc_key, _, wid = ref.partition("/")
        found = session.execute(
            sa.select(Document.id, Provision.id)
            .join(Provision, Provision.document_id == Document.id)
            .where(Document.process_id == process.id, Document.key == doc_key, Provision.wid == wid)
            .execution_options(**{INTERNAL: True})  # checked for visibility just below
        ).first()
        try:
            get_visible(session, actor, Document, found[0] if found else None)
        except NotFound:
            raise MeetingError(f"provisions: no provision {ref!r}") from None
        assert found is not None
        audited_add(
            session,
            StatementProvision(
                process_id=process.id, statement_id=statement.id, provision_id=found[1]
            ),
            actor=actor,
            action="statement:provision:link",
            space=statement.space,
        )
    return statement


def revise_statement(
    session: Session, *, actor: Actor, process: Process, statement_id: Any, text: str
) -> Statement:
    """A new text for a draft: every approval given so far is void (and cleared, audited)."""
    statement = _statement(session, actor, process, statement_id)
    require(actor, Permission.PROCESS_RECORD_WRITE, statement)
    if statement.status != StatementStatus.DRAFT:
        raise MeetingError("text: a published statement cannot change")
    if not text.strip():
        raise MeetingError("text: must not be empty")
    new_hash = text_hash(text)
    if new_hash == statement.text_hash:
        return statement
    audited_update(
        session,
        statement,
        {"text": text, "text_hash": new_hash},
        actor=actor,
        action="statement:joint:revise",
    )
    for signatory in signatories_of(session, statement):
        if signatory.approved_hash is not None:
            audited_update(
                session,
                signatory,
                {"approved_hash": None, "approved_at": None, "approved_by_id": None},
                actor=actor,
                action="statement:approval:void",
                space=statement.space,
            )
    return statement


def active_key(session: Session, party_id: uuid.UUID) -> SigningKey | None:
    return session.scalars(
        sa.select(SigningKey)
        .where(SigningKey.party_id == party_id, SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
    ).first()


def create_signing_key(
    session: Session, *, actor: Actor, process: Process, passphrase: str
) -> SigningKey:
    """The head's delegation gets a new Ed25519 key (an earlier one is retired).

    The texts package owns signing keys; this is its service, with our error type.
    """
    from parley.texts.service import TextError, generate_signing_key

    try:
        return generate_signing_key(session, actor=actor, process=process, passphrase=passphrase)
    except TextError as exc:
        raise MeetingError(str(exc)) from None


def statement_message(statement: Statement) -> bytes:
    """What a signatory signs: the statement's identity and its current text hash."""
    return signing.signing_message(STATEMENT_OBJECT, statement.id, statement.text_hash)


def approve_statement(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    statement_id: Any,
    expected_hash: str,
    passphrase: str,
) -> Signature:
    """The head approves the exact text it read and signs it with the delegation's key.

    ``expected_hash`` is the hash shown with the text the head read; if the text changed since,
    nothing is approved. A delegation without a key gets one, encrypted with ``passphrase``.
    """
    statement = _statement(session, actor, process, statement_id)
    require(actor, Permission.PROCESS_STATEMENT_APPROVE, statement)
    membership = actor.membership(process.id)
    assert membership is not None and membership.party_id is not None
    signatory = next(
        (s for s in signatories_of(session, statement) if s.party_id == membership.party_id),
        None,
    )
    if signatory is None:
        raise Forbidden("your delegation is not a signatory of this statement")
    current = text_hash(statement.text)
    if current != statement.text_hash:
        raise MeetingError("text: the stored hash does not match the text; revise it first")
    if expected_hash != current:
        raise MeetingError("hash: the text changed since you read it; read it again")
    if signatory.approved_hash == current:
        raise MeetingError("hash: your delegation already approved this text")
    key = active_key(session, membership.party_id)
    if key is None:
        key = create_signing_key(session, actor=actor, process=process, passphrase=passphrase)
    try:
        private = signing.unlock(key.encrypted_private_key, passphrase, key.public_key)
    except signing.SigningError as exc:
        raise MeetingError(str(exc)) from None
    signature_b64 = signing.sign(private, statement_message(statement))
    now = utcnow()
    audited_update(
        session,
        signatory,
        {"approved_hash": current, "approved_at": now, "approved_by_id": actor.user_id},
        actor=actor,
        action="statement:joint:approve",
        space=statement.space,
    )
    signature = Signature(
        process_id=process.id,
        object_type=STATEMENT_OBJECT,
        object_id=statement.id,
        content_hash=current,
        party_id=membership.party_id,
        user_id=actor.user_id,
        key_id=key.id,
        signature=signature_b64,
        signed_at=now,
        space=statement.space,
    )
    audited_add(session, signature, actor=actor, action="statement:joint:sign")
    return signature


def valid_signatures(session: Session, actor: Actor, statement: Statement) -> list[Signature]:
    """Signatures over the statement's current text hash that verify with their keys."""
    rows = session.scalars(
        sa.select(Signature)
        .where(
            Signature.object_type == STATEMENT_OBJECT,
            Signature.object_id == statement.id,
            Signature.content_hash == statement.text_hash,
            visible(actor, Signature),
        )
        .execution_options(authz_scoped=True)
    ).all()
    keys = {
        k.id: k
        for k in session.scalars(
            sa.select(SigningKey).where(SigningKey.id.in_([r.key_id for r in rows]))
        )
    }
    message = statement_message(statement)
    return [
        r
        for r in rows
        if r.key_id in keys and signing.verify(keys[r.key_id].public_key, message, r.signature)
    ]


def publish_statement(
    session: Session, *, actor: Actor, process: Process, statement_id: Any
) -> Statement:
    """Publish once every signatory approved the current text with a valid signature: the
    statement and its signatures move to ``public`` (an audited release)."""
    statement = _statement(session, actor, process, statement_id)
    require(actor, Permission.PROCESS_RECORD_RELEASE, statement)
    if statement.status == StatementStatus.PUBLISHED:
        raise MeetingError("status: already published")
    signed = {s.party_id for s in valid_signatures(session, actor, statement)}
    missing = [
        s.party_id
        for s in signatories_of(session, statement)
        if s.approved_hash != statement.text_hash or s.party_id not in signed
    ]
    if missing:
        names = parties_of(session, process.id)
        raise MeetingError(
            "signatories: still to approve and sign: "
            + ", ".join(sorted(names[p].key for p in missing if p in names))
        )
    audited_update(
        session,
        statement,
        {"status": StatementStatus.PUBLISHED},
        actor=actor,
        action="statement:publish",
    )
    if statement.space != "public":
        for signature in valid_signatures(session, actor, statement):
            release(session, actor=actor, obj=signature, new_space="public")
        release(session, actor=actor, obj=statement, new_space="public")
    return statement


def party_by_key(session: Session, process_id: uuid.UUID, key: str) -> Party | None:
    return next((p for p in parties_of(session, process_id).values() if p.key == key), None)


__all__ = [
    "JointDraftIn",
    "active_key",
    "approve_statement",
    "create_signing_key",
    "draft_joint_statement",
    "publish_statement",
    "revise_statement",
    "signatories_of",
    "valid_signatures",
]
