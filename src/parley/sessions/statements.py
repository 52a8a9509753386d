"""Statements: unilateral and press statements in their speakers' name; joint statements drafted,
revised (which voids approvals), approved with a signature and published; the delegations'
signing keys.

A signatory's head approves what the statement shows by its *seal*
(:func:`parley.sessions.verify.statement_seal`: title, text, date, place, signatories and linked
provisions) and signs, in the same step, the message of
:func:`parley.texts.signing.signing_message` (``statement``, the statement's id, the seal) with
the delegation's Ed25519 key: the same keys and format as signed versions, so
``parley.texts.signing.verify_bundle`` checks statement signatures too.

An approval is valid only while ``approved_hash`` equals the statement's current seal, so a
change to any shown field voids every earlier approval even if someone changed it outside this
module; :func:`revise_statement` also clears them explicitly, audited. A published statement
does not change at all. Texts that are signed refuse bidirectional controls and zero-width
characters (:mod:`parley.textguard`).
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley import sealing
from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, visible
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import (
    actor_party,
    actor_party_id,
    get_visible_in,
    require_writable_space,
    visible_reference,
)
from parley.authz.visibility import INTERNAL
from parley.db.base import utcnow
from parley.processes.models import Party, Person, Process
from parley.records.release import widen
from parley.sessions.models import (
    Meeting,
    Statement,
    StatementKind,
    StatementProvision,
    StatementSignatory,
    StatementSpeaker,
    StatementStatus,
)
from parley.sessions.schemas import JointDraftIn, StatementIn, StatementUpdate
from parley.sessions.service import (
    MeetingError,
    _key_taken,
    delegated_party_ids,
    parties_of,
    party_sees,
    visible_provision,
)
from parley.sessions.verify import statement_seal
from parley.textguard import require_visible_text
from parley.texts import signing
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Document, Provision, Signature, SigningKey

STATEMENT_OBJECT = "statement"  # as parley.texts.signing names it
SHOWN = ("title", "text", "made_on", "place")  # the editable fields a statement shows


# ---------------------------------------------------------------- reading one statement


def signatories_of(session: Session, statement: Statement) -> list[StatementSignatory]:
    return list(
        session.scalars(
            sa.select(StatementSignatory)
            .where(StatementSignatory.statement_id == statement.id)
            .order_by(StatementSignatory.party_id)
            .execution_options(**{INTERNAL: True})  # rows of a statement the caller sees
        )
    )


def _party_keys(session: Session, statement: Statement, ids: list[uuid.UUID | None]) -> set[str]:
    parties = parties_of(session, statement.process_id)
    return {parties[i].key for i in ids if i in parties}


def signatory_keys(session: Session, statement: Statement) -> frozenset[str]:
    return frozenset(
        _party_keys(session, statement, [s.party_id for s in signatories_of(session, statement)])
    )


def speaker_keys(session: Session, statement: Statement) -> frozenset[str]:
    ids = session.scalars(
        sa.select(StatementSpeaker.party_id)
        .where(StatementSpeaker.statement_id == statement.id)
        .execution_options(**{INTERNAL: True})
    ).all()
    return frozenset(_party_keys(session, statement, list(ids)))


def provision_refs(session: Session, statement: Statement) -> list[str]:
    """``document/wid`` of every provision the statement links (what its page shows)."""
    rows = session.execute(
        sa.select(Document.key, Provision.wid)
        .join(Provision, Provision.document_id == Document.id)
        .join(StatementProvision, StatementProvision.provision_id == Provision.id)
        .where(StatementProvision.statement_id == statement.id)
        .execution_options(**{INTERNAL: True})
    ).all()
    return sorted(f"{doc}/{wid}" for doc, wid in rows)


def seal_of(session: Session, statement: Statement) -> str:
    """The seal of every field the statement shows now: what approvals and signatures name."""
    return statement_seal(
        title=statement.title,
        text=statement.text,
        made_on=statement.made_on.isoformat() if statement.made_on else None,
        place=statement.place,
        signatories=signatory_keys(session, statement),
        provisions=provision_refs(session, statement),
    )


def statement_subject(session: Session, statement: Statement) -> Subject:
    return Subject(
        statement.process_id,
        state=str(statement.status),
        owners=speaker_keys(session, statement),
        signatories=signatory_keys(session, statement),
    )


def get_statement(session: Session, actor: Actor, process: Process, statement_id: Any) -> Statement:
    return get_visible_in(session, actor, Statement, process.id, statement_id)


def _joint(session: Session, actor: Actor, process: Process, statement_id: Any) -> Statement:
    statement = get_statement(session, actor, process, statement_id)
    if statement.kind != StatementKind.JOINT:
        raise NotFound("statement")
    return statement


def _guard(values: dict[str, Any]) -> dict[str, Any]:
    for name in ("title", "text", "place"):
        if isinstance(values.get(name), str):
            require_visible_text(values[name], field=name)
    return values


def _imported_status(actor: Actor, status: str | None) -> StatementStatus:
    if status in (None, "draft"):
        return StatementStatus.DRAFT
    if not actor.is_system:
        raise MeetingError("a statement starts as a draft", field="status")
    return StatementStatus(status)


def _people(session: Session, actor: Actor, process: Process, keys: list[str]) -> list[Person]:
    out = []
    for key in keys:
        person_id = session.scalars(
            sa.select(Person.id)
            .where(Person.process_id == process.id, Person.key == key)
            .execution_options(**{INTERNAL: True})  # checked for visibility just below
        ).first()
        if person_id is None:
            raise MeetingError("unknown person", field="people")
        out.append(visible_reference(session, actor, Person, process.id, person_id, field="people"))
    return out


def _meeting_ref(session: Session, actor: Actor, process: Process, meeting_id: Any) -> None:
    if meeting_id is not None:
        visible_reference(session, actor, Meeting, process.id, meeting_id, field="session_id")


# ---------------------------------------------------------------- unilateral and press


def record_statement(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    data: StatementIn,
    people: list[str] | None = None,
    status: str | None = None,
) -> Statement:
    """A unilateral or press statement, in the name of the author's own party (the system may
    name any speakers, and record a statement already published, as the loader does)."""
    parties = {p.key: p for p in parties_of(session, process.id).values()}
    own = actor_party(actor, process.id)
    speakers = list(dict.fromkeys(data.parties)) or ([own] if own else [])
    for key in speakers:
        if key not in parties:
            raise MeetingError(f"unknown party {key!r}", field="parties")
    speakers_people = _people(session, actor, process, people or [])
    key_of = {p.id: k for k, p in parties.items()}
    owners = frozenset(speakers) | frozenset(
        key_of[p.party_id] for p in speakers_people if p.party_id in key_of
    )
    require_action(actor, "statement", "record", Subject(process.id, state="draft", owners=owners))
    if not actor.is_system and owners - {own}:
        raise Forbidden("a delegation records statements of its own party only")
    space = require_writable_space(session, actor, process.id, data.space)
    _guard(data.model_dump())
    if _key_taken(session, Statement, process, data.key):
        raise MeetingError("not available; choose another key", field="key")
    _meeting_ref(session, actor, process, data.session_id)
    linked = [
        visible_provision(session, actor, process, ref, field=f"provisions[{i}]")[1]
        for i, ref in enumerate(data.provisions)
    ]
    statement = Statement(
        process_id=process.id,
        key=data.key,
        kind=StatementKind(data.kind),
        status=_imported_status(actor, status),
        title=data.title,
        text=data.text,
        made_on=data.made_on,
        place=data.place,
        session_id=data.session_id,
        text_hash=text_hash(data.text),
        space=space,
    )
    audited_add(session, statement, actor=actor, action="statement:create")
    for person in speakers_people:
        audited_add(
            session,
            StatementSpeaker(
                process_id=process.id,
                statement_id=statement.id,
                person_id=person.id,
                party_id=person.party_id,
            ),
            actor=actor,
            action="statement:speaker:add",
            space=statement.space,
        )
    for key in speakers:
        audited_add(
            session,
            StatementSpeaker(
                process_id=process.id, statement_id=statement.id, party_id=parties[key].id
            ),
            actor=actor,
            action="statement:speaker:add",
            space=statement.space,
        )
    for provision_id in linked:
        audited_add(
            session,
            StatementProvision(
                process_id=process.id, statement_id=statement.id, provision_id=provision_id
            ),
            actor=actor,
            action="statement:provision:link",
            space=statement.space,
        )
    return statement


def update_statement(
    session: Session, *, actor: Actor, process: Process, statement_id: Any, data: StatementUpdate
) -> Statement:
    """Change the fields a draft statement shows. A joint statement is revised (which voids
    every approval, see :func:`revise_statement`); a published statement never changes."""
    statement = get_statement(session, actor, process, statement_id)
    if statement.kind == StatementKind.JOINT:
        return revise_statement(
            session, actor=actor, process=process, statement_id=statement.id, changes=data
        )
    require_action(actor, "statement", "update", statement_subject(session, statement))
    values = _changes(statement, data)
    audited_update(session, statement, values, actor=actor, action="statement:update")
    return statement


def _changes(statement: Statement, data: StatementUpdate) -> dict[str, Any]:
    values = data.model_dump(exclude_unset=True)
    if "text" in values:
        if not values["text"] or not values["text"].strip():
            raise MeetingError("must not be empty", field="text")
        values["text_hash"] = text_hash(values["text"])
    for name in ("title", "place"):
        if name in values and values[name] is None:
            values[name] = ""
    return _guard(values)


# ---------------------------------------------------------------- joint statements


def draft_joint_statement(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    data: JointDraftIn,
    people: list[str] | None = None,
    status: str | None = None,
) -> Statement:
    """A draft joint statement with its signatory delegations, in a space they all can read;
    drafted by the mediator or the head of a signatory delegation."""
    parties = {p.key: p for p in parties_of(session, process.id).values()}
    if len(set(data.signatories)) != len(data.signatories):
        raise MeetingError("a party is named twice", field="signatories")
    for key in data.signatories:
        if key not in parties:
            raise MeetingError(f"unknown party {key!r}", field="signatories")
    require_action(
        actor,
        "joint-statement",
        "draft",
        Subject(process.id, state="draft", signatories=frozenset(data.signatories)),
    )
    space = require_writable_space(session, actor, process.id, data.space)
    delegated = delegated_party_ids(session, process.id)
    for key in data.signatories:
        party = parties[key]
        if party.id not in delegated:
            raise MeetingError(f"{key} has no delegation to approve the text", field="signatories")
        if not party_sees(space, party):
            raise MeetingError(f"{key} could not read a statement in {space}", field="space")
    _guard(data.model_dump())
    if _key_taken(session, Statement, process, data.key):
        raise MeetingError("not available; choose another key", field="key")
    _meeting_ref(session, actor, process, data.session_id)
    linked = [
        visible_provision(session, actor, process, ref, field=f"provisions[{i}]")[1]
        for i, ref in enumerate(data.provisions)
    ]
    speakers_people = _people(session, actor, process, people or [])
    statement = Statement(
        process_id=process.id,
        key=data.key,
        kind=StatementKind.JOINT,
        status=_imported_status(actor, status),
        title=data.title,
        text=data.text,
        made_on=data.made_on,
        place=data.place,
        session_id=data.session_id,
        text_hash=text_hash(data.text),
        space=space,
    )
    audited_add(session, statement, actor=actor, action="statement:joint:draft")
    rows: list[tuple[Any, str]] = [
        (
            StatementSpeaker(
                process_id=process.id,
                statement_id=statement.id,
                person_id=person.id,
                party_id=person.party_id,
            ),
            "statement:speaker:add",
        )
        for person in speakers_people
    ]
    for key in data.signatories:
        rows += [
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
        ]
    rows += [
        (
            StatementProvision(
                process_id=process.id, statement_id=statement.id, provision_id=provision_id
            ),
            "statement:provision:link",
        )
        for provision_id in linked
    ]
    for row, action in rows:
        audited_add(session, row, actor=actor, action=action, space=statement.space)
    return statement


def revise_statement(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    statement_id: Any,
    text: str | None = None,
    changes: StatementUpdate | None = None,
) -> Statement:
    """New text (or title, date, place) for a draft joint statement, by the mediator or a
    signatory's head: every approval given so far is void (and cleared, audited)."""
    statement = _joint(session, actor, process, statement_id)
    require_action(actor, "joint-statement", "revise", statement_subject(session, statement))
    data = changes or StatementUpdate()
    if text is not None:
        if not text.strip():
            raise MeetingError("must not be empty", field="text")
        data = data.model_copy(update={"text": text})
        data.model_fields_set.add("text")
    values = _changes(statement, data)
    before = seal_of(session, statement)
    audited_update(session, statement, values, actor=actor, action="statement:joint:revise")
    if seal_of(session, statement) != before:
        void_approvals(session, actor=actor, statement=statement)
    return statement


def void_approvals(session: Session, *, actor: Actor, statement: Statement) -> None:
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


def statement_message(session: Session, statement: Statement) -> bytes:
    """What a signatory signs: the statement's identity and the seal of what it shows."""
    return signing.signing_message(STATEMENT_OBJECT, statement.id, seal_of(session, statement))


def approve_statement(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    statement_id: Any,
    expected_hash: str,
    passphrase: str,
) -> Signature:
    """The head approves exactly what it read and signs it with the delegation's key.

    ``expected_hash`` is the seal shown with the statement the head read; if anything shown
    changed since, nothing is approved. A delegation without a key gets one, encrypted with
    ``passphrase``.
    """
    statement = _joint(session, actor, process, statement_id)
    subject = statement_subject(session, statement)
    require_action(actor, "joint-statement", "approve", subject)
    require_action(actor, "joint-statement", "sign", subject)
    party_id = actor_party_id(actor, process.id)
    signatory = next(
        (s for s in signatories_of(session, statement) if s.party_id == party_id), None
    )
    if signatory is None or party_id is None:
        raise Forbidden("your delegation is not a signatory of this statement")
    if text_hash(statement.text) != statement.text_hash:
        raise MeetingError("the stored hash does not match the text; revise it first", field="text")
    current = seal_of(session, statement)
    if expected_hash != current:
        raise MeetingError("the statement changed since you read it; read it again", field="hash")
    if signatory.approved_hash == current:
        raise MeetingError("your delegation already approved this text", field="hash")
    key = active_key(session, party_id)
    if key is None:
        key = create_signing_key(session, actor=actor, process=process, passphrase=passphrase)
    try:
        private = signing.unlock(key.encrypted_private_key, passphrase, key.public_key)
    except signing.SigningError as exc:
        raise MeetingError(str(exc), field="passphrase") from None
    signature_b64 = sealing.sign(private, statement_message(session, statement))
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
        party_id=party_id,
        user_id=actor.user_id,
        key_id=key.id,
        signature=signature_b64,
        signed_at=now,
        space=statement.space,
    )
    audited_add(session, signature, actor=actor, action="statement:joint:sign")
    return signature


def valid_signatures(session: Session, actor: Actor, statement: Statement) -> list[Signature]:
    """Signatures over the statement's current seal that verify with their keys."""
    current = seal_of(session, statement)
    rows = session.scalars(
        sa.select(Signature)
        .where(
            Signature.object_type == STATEMENT_OBJECT,
            Signature.object_id == statement.id,
            Signature.content_hash == current,
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
    message = signing.signing_message(STATEMENT_OBJECT, statement.id, current)
    return [
        r
        for r in rows
        if r.key_id in keys and sealing.verify(keys[r.key_id].public_key, message, r.signature)
    ]


def publish_statement(
    session: Session, *, actor: Actor, process: Process, statement_id: Any
) -> Statement:
    """Publish once every signatory approved the current seal with a valid signature: the
    statement and its signatures move to ``public`` (an audited release); it never changes
    again."""
    statement = _joint(session, actor, process, statement_id)
    require_action(actor, "joint-statement", "publish", statement_subject(session, statement))
    current = seal_of(session, statement)
    signed = {s.party_id for s in valid_signatures(session, actor, statement)}
    missing = [
        s.party_id
        for s in signatories_of(session, statement)
        if s.approved_hash != current or s.party_id not in signed
    ]
    if missing:
        names = parties_of(session, process.id)
        raise MeetingError(
            "still to approve and sign: "
            + ", ".join(sorted(names[p].key for p in missing if p in names)),
            field="signatories",
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
            widen(session, actor=actor, obj=signature, new_space="public")
        widen(session, actor=actor, obj=statement, new_space="public")
    return statement


def party_by_key(session: Session, process_id: uuid.UUID, key: str) -> Party | None:
    return next((p for p in parties_of(session, process_id).values() if p.key == key), None)


__all__ = [
    "JointDraftIn",
    "active_key",
    "approve_statement",
    "create_signing_key",
    "draft_joint_statement",
    "get_statement",
    "publish_statement",
    "record_statement",
    "revise_statement",
    "seal_of",
    "signatories_of",
    "update_statement",
    "valid_signatures",
]
