"""Writing amendments and brackets: drafting, submitting, the mediator's decisions, options.

Workflow. A delegation drafts an amendment privately (space ``party:P``), then submits it, which
releases it to ``participants`` or to ``party:P+mediator`` (the release is audited like any
other). The mediator then accepts it into a new mediator text (one new version, possibly
taking several amendments at once), rejects it, or folds it into a bracket of the current text
as an option. Amendments drafted against an older base are re-applied to the current text by
:func:`parley.texts.amending.apply_change`; any that conflict are listed and nothing is written.

Brackets live in an unfrozen version of the mediator's text; options carry a proposer and the
parties that support or object to them. Resolving a bracket puts the chosen option's text into
the provision. A new mediator text made by accepting amendments carries the open brackets of
the text it was made from (copied, so each version keeps its own record).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, Permission, require
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import actor_party_id, can_write_in
from parley.db.base import utcnow
from parley.records.release import widen
from parley.textguard import require_visible_text
from parley.texts import queries as q
from parley.texts.amending import Applied, Change, apply_change
from parley.texts.models import (
    Amendment,
    AmendmentKind,
    AmendmentStatus,
    Bracket,
    BracketOption,
    BracketStatus,
    Document,
    Lineage,
    LineageKind,
    OptionSupport,
    ProvisionText,
    SupportKind,
    Version,
)
from parley.texts.service import (
    KEY_PATTERN,
    TextError,
    check_space,
    create_version,
    is_shared,
    membership_party,
    new_wid,
    require_unfrozen,
)

__all__ = [
    "AmendmentConflict",
    "accept_amendments",
    "add_option",
    "bracket_amendment",
    "check_amendment",
    "create_amendment",
    "create_bracket",
    "reject_amendment",
    "reopen_bracket",
    "resolve_bracket",
    "set_support",
    "submit_amendment",
    "withdraw_amendment",
]


class AmendmentConflict(TextError):
    """Some amendments no longer apply to the current text; ``errors`` says where."""


def _key_taken(session: Session, model: Any, process_id: uuid.UUID, key: str) -> bool:
    # Keys are unique per process across spaces: a clash with a hidden record gets the same
    # neutral answer as one with a visible record.
    return bool(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.process_id == process_id, model.key == key)
            .execution_options(authz_internal=True)
        )
    )


def _new_key(
    session: Session, model: type, process_id: uuid.UUID, wanted: str | None, stem: str
) -> str:
    if wanted:
        if not re.match(KEY_PATTERN, wanted):
            raise TextError("key: 1 to 64 letters, digits, '.', '_' or '-'")
        if _key_taken(session, model, process_id, wanted):
            raise TextError(f"key: {wanted!r} is not available; choose another")
        return wanted
    stem = re.sub(r"[^A-Za-z0-9_.-]", "-", stem)[:50] or "x"
    while True:
        candidate = f"{stem}-{secrets.token_hex(3)}"
        if not _key_taken(session, model, process_id, candidate):
            return candidate


# ---------------------------------------------------------------- amendments


def create_amendment(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    base: Version,
    kind: str,
    wid: str | None = None,
    after: str | None = None,
    text: str = "",
    heading: str = "",
    number: str = "",
    parts: Sequence[str] = (),
    justification: str = "",
    key: str | None = None,
    party: str | None = None,
    space: str | None = None,
    language: str = "",
) -> Amendment:
    """A draft amendment of the actor's delegation against ``base`` (privately, by default).

    ``language`` (default: the document's lead language) is the language its text is written
    in; in another language only a substitution is possible (structure changes are made in
    the lead language), and accepting it marks the provision pending in the other languages.
    """
    process_id = doc.process_id
    require_action(actor, "amendment", "draft", Subject(process_id=process_id))
    party_key, mediator = membership_party(actor, process_id)
    if actor.is_system:
        party_key = party
    elif party and party != party_key:
        raise Forbidden("a delegation drafts its own amendments")
    if not party_key:
        raise TextError("party: only a delegation drafts amendments")
    owner = q.party_by_key(session, process_id, party_key)
    if owner is None:
        raise TextError(f"party: no party {party_key!r} in this process")
    try:
        kind_value = AmendmentKind(kind)
    except ValueError:
        raise TextError(
            f"kind: {kind!r} is not one of {', '.join(k.value for k in AmendmentKind)}"
        ) from None
    rows = {r.wid: r for r in q.provision_rows(session, base)}
    errors = []
    needs_target = kind_value != AmendmentKind.INSERT
    if needs_target and (not wid or wid not in rows):
        errors.append(f"provision: {kind_value.value} needs a provision of {base.label}")
    if after and after not in rows:
        errors.append(f"after: {after!r} is not a provision of {base.label}")
    if kind_value == AmendmentKind.MOVE and after == wid and wid:
        errors.append("after: a point cannot move after itself")
    clean_parts = [p.strip() for p in parts if p and p.strip()]
    wants_text = (AmendmentKind.SUBSTITUTE, AmendmentKind.INSERT, AmendmentKind.MERGE)
    if kind_value in wants_text and not text.strip():
        errors.append(f"text: {kind_value.value} needs the new text")
    if kind_value == AmendmentKind.SPLIT and len(clean_parts) < 2:
        errors.append("parts: a split needs at least two parts")
    if kind_value == AmendmentKind.MERGE:
        others = [w for w in clean_parts if w != wid]
        if not others:
            errors.append("parts: a merge names at least one other provision")
        errors.extend(
            f"parts: {w!r} is not a provision of {base.label}" for w in others if w not in rows
        )
    if number and not re.match(r"^[0-9A-Za-z().-]{1,32}$", number):
        errors.append("number: letters, digits, '.', '(' and ')' only")
    language = (language or "").strip().lower()
    if language == q.lead_language(doc):
        language = ""
    if language:
        if language not in (*q.authentic_languages(doc), *q.working_translations(doc)):
            errors.append(f"language: {language!r} is not a language of {doc.key}")
        elif kind_value != AmendmentKind.SUBSTITUTE:
            errors.append(
                f"language: only a substitution is written in {language}; change the structure "
                f"in {q.lead_language(doc)}"
            )
        elif (
            wid
            and wid in rows
            and not any(r.wid == wid for r in q.language_rows(session, base, language))
        ):
            errors.append(f"provision: {wid} has no {language} text in {base.label}")
    if errors:
        raise TextError(errors)
    # What an amendment proposes may become a frozen, signed text (parley.textguard).
    require_visible_text(text, field="text")
    require_visible_text(heading, field="heading")
    default = "mediator" if mediator else f"party:{party_key}"
    amendment = Amendment(
        process_id=process_id,
        key=_new_key(
            session, Amendment, process_id, key, f"{party_key.lower()}-{kind_value.value}"
        ),
        document_id=doc.id,
        base_version_id=base.id,
        party_id=owner.id,
        kind=kind_value,
        provision_id=rows[wid].provision_id if wid and wid in rows else None,
        after_provision_id=rows[after].provision_id if after else None,
        text=text.strip(),
        heading=heading.strip(),
        number=number.strip(),
        parts=clean_parts,
        justification=justification.strip(),
        status=AmendmentStatus.DRAFT,
        space=check_space(session, process_id, space or default),
        language=language,
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, amendment)
    return audited_add(session, amendment, actor=actor, action="document:amendment:create")


def _owned_by(session: Session, amendment: Amendment) -> Subject:
    party = q.parties(session, amendment.process_id)[amendment.party_id]
    return Subject(process_id=amendment.process_id, owners=frozenset({party.key}))


def _own(actor: Actor, amendment: Amendment) -> None:
    if actor.is_system:
        return
    if actor_party_id(actor, amendment.process_id) != amendment.party_id:
        raise Forbidden("only the delegation that drafted it")
    require(actor, Permission.PROCESS_RECORD_WRITE, amendment)


def submit_amendment(
    session: Session, *, actor: Actor, amendment: Amendment, to: str = "participants"
) -> Amendment:
    """Submit a draft: released to ``participants`` or (``to="mediator"``) to P+mediator.

    Submitting widens the amendment's space, so it needs step-up like every release."""
    if amendment.status != AmendmentStatus.DRAFT:
        raise TextError(f"status: {amendment.key} is {str(amendment.status)}, not a draft")
    party = q.parties(session, amendment.process_id)[amendment.party_id]
    require_action(
        actor,
        "amendment",
        "submit",
        Subject(
            process_id=amendment.process_id,
            state=str(amendment.status),
            owners=frozenset({party.key}),
        ),
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, amendment)
    if to == "participants":
        target = "participants"
    elif to == "mediator":
        target = f"party:{party.key}+mediator"
    else:
        raise TextError("to: 'participants' or 'mediator'")
    if amendment.space != target:
        widen(session, actor=actor, obj=amendment, new_space=target)
    audited_update(
        session,
        amendment,
        {"status": AmendmentStatus.SUBMITTED, "submitted_at": utcnow()},
        actor=actor,
        action="document:amendment:submit",
    )
    return amendment


def withdraw_amendment(session: Session, *, actor: Actor, amendment: Amendment) -> Amendment:
    require_action(actor, "amendment", "withdraw", _owned_by(session, amendment))
    _own(actor, amendment)
    if amendment.status not in (AmendmentStatus.DRAFT, AmendmentStatus.SUBMITTED):
        raise TextError(f"status: {amendment.key} is {str(amendment.status)}")
    audited_update(
        session,
        amendment,
        {"status": AmendmentStatus.WITHDRAWN, "decided_at": utcnow()},
        actor=actor,
        action="document:amendment:withdraw",
    )
    return amendment


def change_of(session: Session, amendment: Amendment) -> Change:
    ids = {i for i in (amendment.provision_id, amendment.after_provision_id) if i}
    from parley.texts.models import Provision

    wids = (
        dict(
            session.execute(
                sa.select(Provision.id, Provision.wid).where(Provision.id.in_(ids))
            ).all()
        )
        if ids
        else {}
    )
    return Change(
        kind=str(amendment.kind),
        wid=wids.get(amendment.provision_id) if amendment.provision_id else None,
        after_wid=wids.get(amendment.after_provision_id) if amendment.after_provision_id else None,
        text=amendment.text,
        heading=amendment.heading,
        number=amendment.number,
        parts=tuple(amendment.parts or ()),
        label=amendment.key,
    )


def check_amendment(
    session: Session, doc: Document, amendment: Amendment, onto: Version
) -> Applied:
    """What accepting the amendment into ``onto`` would give, or where it conflicts."""
    base = session.get(Version, amendment.base_version_id)
    assert base is not None
    return apply_change(
        q.plain(session, doc, base),
        q.plain(session, doc, onto),
        change_of(session, amendment),
        new_wid=lambda number: f"(new {number})",
    )


def _decidable(amendment: Amendment) -> None:
    if amendment.status != AmendmentStatus.SUBMITTED:
        raise TextError(f"status: {amendment.key} is {str(amendment.status)}, not submitted")


def accept_amendments(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    amendments: Sequence[Amendment],
    label: str,
    onto: Version | None = None,
    title: str = "",
) -> Version:
    """Accept submitted amendments, in the order given, into a new mediator text.

    ``onto`` defaults to the current negotiating text. Every amendment is re-applied to the
    text as it stands after the ones before it; if any conflicts, nothing is written and the
    error lists every conflict.
    """
    require_action(actor, "amendment", "accept", Subject(process_id=doc.process_id))
    if not amendments:
        raise TextError("amendments: choose at least one")
    for amendment in amendments:
        _decidable(amendment)
    if onto is None:
        onto = q.current_text(session, actor, doc)
    if onto is None:
        base = session.get(Version, amendments[0].base_version_id)
        assert base is not None
        onto = base
    current = q.plain(session, doc, onto)
    from parley.texts.service import _taken_wids

    taken = _taken_wids(session, doc)
    shared = is_shared(onto.space)
    provisions = current.provisions
    conflicts: list[str] = []
    links: list[tuple[str | None, str | None, str]] = []
    in_other_language = [a for a in amendments if a.language]
    for amendment in amendments:
        if amendment.language:
            continue  # applied to its language's text once the new version exists
        base = session.get(Version, amendment.base_version_id)
        assert base is not None
        applied = apply_change(
            q.plain(session, doc, base),
            provisions,
            change_of(session, amendment),
            new_wid=lambda number: new_wid(number, taken, shared=shared),
        )
        if not applied.ok:
            conflicts.extend(applied.conflicts)
            continue
        provisions = applied.provisions
        links.extend(applied.lineage)
    if conflicts:
        raise AmendmentConflict(conflicts)
    party_key, _ = membership_party(actor, doc.process_id)
    author = q.party_by_key(session, doc.process_id, party_key) if party_key else None
    version = create_version(
        session,
        actor=actor,
        doc=doc,
        label=label,
        kind="mediator_text",
        space=onto.space,
        provisions=provisions,
        parents=[onto],
        author_party_id=author.id if author else onto.author_party_id,
        title=title or onto.title,
        dated=None,
    )
    ids = q.wid_ids(session, doc, [w for a, b, _ in links for w in (a, b) if w])
    now = utcnow()
    for old_w, new_w, kind in links:
        audited_add(
            session,
            Lineage(
                process_id=doc.process_id,
                from_version_id=onto.id,
                to_version_id=version.id,
                from_provision_id=ids.get(old_w) if old_w else None,
                to_provision_id=ids.get(new_w) if new_w else None,
                kind=LineageKind(kind),
                score=1.0,
                confirmed_by_id=actor.user_id,
                confirmed_at=now,
            ),
            actor=actor,
            action="document:lineage:confirm",
            space=version.space,
        )
    for amendment in amendments:
        audited_update(
            session,
            amendment,
            {
                "status": AmendmentStatus.ACCEPTED,
                "decided_at": now,
                "decided_by_id": actor.user_id,
                "result_version_id": version.id,
            },
            actor=actor,
            action="document:amendment:accept",
        )
    _carry_brackets(session, actor=actor, doc=doc, source=onto, target=version)
    from parley.texts.service_languages import carry_languages, update_language_text

    carry_languages(session, actor=actor, doc=doc, source=onto, target=version)
    for amendment in in_other_language:
        wid = change_of(session, amendment).wid
        if wid is None or not any(
            r.wid == wid for r in q.language_rows(session, version, amendment.language)
        ):
            raise AmendmentConflict(
                [f"{amendment.key}: its provision has no {amendment.language} text any more"]
            )
        update_language_text(
            session,
            actor=actor,
            doc=doc,
            version=version,
            wid=wid,
            language=amendment.language,
            text=amendment.text,
        )
    return version


def reject_amendment(session: Session, *, actor: Actor, amendment: Amendment) -> Amendment:
    require_action(actor, "amendment", "reject", Subject(process_id=amendment.process_id))
    _decidable(amendment)
    audited_update(
        session,
        amendment,
        {
            "status": AmendmentStatus.REJECTED,
            "decided_at": utcnow(),
            "decided_by_id": actor.user_id,
        },
        actor=actor,
        action="document:amendment:reject",
    )
    return amendment


def bracket_amendment(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    amendment: Amendment,
    version: Version | None = None,
    bracket: Bracket | None = None,
) -> BracketOption:
    """Fold a substitution into a bracket of the (unfrozen) current text, as an option.

    Without ``bracket``: the provision's open bracket in that version, or a new one whose
    first option is the text as it stands.
    """
    require_action(actor, "amendment", "bracket", Subject(process_id=doc.process_id))
    _decidable(amendment)
    if amendment.kind != AmendmentKind.SUBSTITUTE:
        raise TextError("kind: only a substitution can become a bracket option")
    target = (
        version
        or (bracket and session.get(Version, bracket.version_id))
        or q.current_text(session, actor, doc)
    )
    if target is None:
        raise TextError("version: there is no mediator text to bracket in")
    require_unfrozen(target)
    rows = {r.provision_id: r for r in q.provision_rows(session, target)}
    row = rows.get(amendment.provision_id) if amendment.provision_id else None
    if row is None:
        raise TextError(f"provision: not in {target.label}")
    if bracket is None:
        open_here = [
            b.bracket
            for b in q.brackets(session, actor, [target])
            if b.is_open and b.bracket.provision_id == row.provision_id
        ]
        bracket = open_here[0] if open_here else None
    if bracket is None:
        bracket = create_bracket(
            session,
            actor=actor,
            doc=doc,
            version=target,
            wid=row.wid,
            label=row.heading or f"Point {row.number}",
            options=[(row.text, None)],
        )
    elif bracket.version_id != target.id or bracket.provision_id != row.provision_id:
        raise TextError("bracket: not a bracket on this provision of the version")
    party = q.parties(session, amendment.process_id)[amendment.party_id]
    option = add_option(
        session,
        actor=actor,
        bracket=bracket,
        text=amendment.text,
        proposer=party.key,
        amendment=amendment,
    )
    set_support(session, actor=actor, option=option, party=party.key, kind="supports")
    audited_update(
        session,
        amendment,
        {
            "status": AmendmentStatus.BRACKETED,
            "bracket_id": bracket.id,
            "decided_at": utcnow(),
            "decided_by_id": actor.user_id,
        },
        actor=actor,
        action="document:amendment:bracket",
    )
    return option


# ---------------------------------------------------------------- brackets


def create_bracket(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    wid: str,
    label: str = "",
    options: Sequence[tuple[str, str | None]] = (),
    key: str | None = None,
    space: str | None = None,
) -> Bracket:
    """A bracket on a provision of an unfrozen version, with its first options."""
    require_action(actor, "bracket", "create", Subject(process_id=doc.process_id))
    require_unfrozen(version)
    rows = {r.wid: r for r in q.provision_rows(session, version)}
    if wid not in rows:
        raise TextError(f"provision: {wid!r} is not a provision of {version.label}")
    texts = [(t.strip(), p) for t, p in options if t and t.strip()]
    if not texts:
        raise TextError("options: a bracket needs at least one option")
    bracket = Bracket(
        process_id=doc.process_id,
        key=_new_key(session, Bracket, doc.process_id, key, f"br-{wid}"),
        version_id=version.id,
        provision_id=rows[wid].provision_id,
        label=label.strip()[:200],
        status=BracketStatus.OPEN,
        space=check_space(session, doc.process_id, space or version.space),
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, bracket)
    audited_add(session, bracket, actor=actor, action="document:bracket:create")
    for text, proposer in texts:
        add_option(session, actor=actor, bracket=bracket, text=text, proposer=proposer)
    return bracket


def _option_key(session: Session, bracket: Bracket) -> str:
    used = set(
        session.scalars(sa.select(BracketOption.key).where(BracketOption.bracket_id == bracket.id))
    )
    for i in range(26 * 27):
        key = (
            chr(ord("a") + i % 26)
            if i < 26
            else chr(ord("a") + i // 26 - 1) + chr(ord("a") + i % 26)
        )
        if key not in used:
            return key
    raise TextError("options: too many options")


def _open_bracket(session: Session, bracket: Bracket) -> Version:
    if bracket.status != BracketStatus.OPEN:
        raise TextError(f"bracket: {bracket.key} is resolved")
    version = session.get(Version, bracket.version_id)
    assert version is not None
    require_unfrozen(version)
    return version


def add_option(
    session: Session,
    *,
    actor: Actor,
    bracket: Bracket,
    text: str,
    proposer: str | None = None,
    amendment: Amendment | None = None,
) -> BracketOption:
    require_action(actor, "bracket", "decide", Subject(process_id=bracket.process_id))
    _open_bracket(session, bracket)
    if not text.strip():
        raise TextError("text: an option needs its text")
    require_visible_text(text, field="text")  # resolving the bracket makes it the point's text
    proposer_id = None
    if proposer:
        party = q.party_by_key(session, bracket.process_id, proposer)
        if party is None:
            raise TextError(f"proposer: no party {proposer!r} in this process")
        proposer_id = party.id
    option = BracketOption(
        process_id=bracket.process_id,
        bracket_id=bracket.id,
        key=_option_key(session, bracket),
        text=text.strip(),
        proposer_party_id=proposer_id,
        amendment_id=amendment.id if amendment else None,
    )
    return audited_add(
        session, option, actor=actor, action="document:bracket:option", space=bracket.space
    )


def set_support(
    session: Session,
    *,
    actor: Actor,
    option: BracketOption,
    party: str,
    kind: str | None,
) -> OptionSupport | None:
    """Record that ``party`` supports or objects to an option (``kind`` None clears it).

    The mediator records any party's stance stated at the table; a delegation its own.
    """
    bracket = session.get(Bracket, option.bracket_id)
    assert bracket is not None
    require_action(actor, "bracket", "support", Subject(process_id=bracket.process_id))
    if not actor.is_system:
        party_key, mediator = membership_party(actor, bracket.process_id)
        if not can_write_in(actor, bracket.process_id):
            raise Forbidden("read-only members cannot state support")
        if not mediator and party != party_key:
            raise Forbidden("a delegation states only its own support or objection")
    _open_bracket(session, bracket)
    found = q.party_by_key(session, bracket.process_id, party)
    if found is None:
        raise TextError(f"party: no party {party!r} in this process")
    if kind is not None and kind not in ("supports", "objects"):
        raise TextError("kind: 'supports' or 'objects'")
    existing = session.scalars(
        sa.select(OptionSupport).where(
            OptionSupport.option_id == option.id, OptionSupport.party_id == found.id
        )
    ).first()
    if existing is not None and kind is None:
        session.delete(existing)
        session.flush()
        from parley.audit.service import record

        record(
            session,
            actor=actor,
            process_id=bracket.process_id,
            space=bracket.space,
            action="document:bracket:support",
            object_type="option_supports",
            object_id=existing.id,
            changes={"kind": [str(existing.kind), None]},
        )
        return None
    if existing is not None:
        audited_update(
            session,
            existing,
            {"kind": SupportKind(str(kind))},
            actor=actor,
            action="document:bracket:support",
            space=bracket.space,
        )
        return existing
    if kind is None:
        return None
    return audited_add(
        session,
        OptionSupport(
            process_id=bracket.process_id,
            option_id=option.id,
            party_id=found.id,
            kind=SupportKind(kind),
        ),
        actor=actor,
        action="document:bracket:support",
        space=bracket.space,
    )


def resolve_bracket(
    session: Session, *, actor: Actor, bracket: Bracket, option_key: str
) -> BracketOption:
    """Close a bracket on one option: its text becomes the provision's text in the version."""
    require_action(actor, "bracket", "decide", Subject(process_id=bracket.process_id))
    version = _open_bracket(session, bracket)
    option = session.scalars(
        sa.select(BracketOption).where(
            BracketOption.bracket_id == bracket.id, BracketOption.key == option_key
        )
    ).first()
    if option is None:
        raise TextError(f"option: {bracket.key} has no option {option_key!r}")
    text = session.scalars(
        sa.select(ProvisionText).where(
            ProvisionText.version_id == version.id,
            ProvisionText.provision_id == bracket.provision_id,
        )
    ).first()
    if text is None:
        raise TextError("provision: no longer in the version")
    audited_update(
        session,
        text,
        {"text": option.text},
        actor=actor,
        action="document:provision:text",
        space=version.space,
    )
    audited_update(
        session,
        bracket,
        {
            "status": BracketStatus.RESOLVED,
            "resolved_option_id": option.id,
            "resolved_at": utcnow(),
            "resolved_by_id": actor.user_id,
        },
        actor=actor,
        action="document:bracket:resolve",
    )
    return option


def reopen_bracket(session: Session, *, actor: Actor, bracket: Bracket) -> Bracket:
    """Undo a resolution: the bracket is open again and the provision's text is what it was
    before (taken from the audit event the resolution wrote). Refused once the version is
    frozen, or when the provision's text changed again since the resolution."""
    from parley.audit.models import AuditEvent

    require_action(actor, "bracket", "decide", Subject(process_id=bracket.process_id))
    if bracket.status != BracketStatus.RESOLVED or bracket.resolved_option_id is None:
        raise TextError(f"bracket: {bracket.key} is not resolved")
    version = session.get(Version, bracket.version_id)
    assert version is not None
    require_unfrozen(version)
    option = session.get(BracketOption, bracket.resolved_option_id)
    text = session.scalars(
        sa.select(ProvisionText).where(
            ProvisionText.version_id == version.id,
            ProvisionText.provision_id == bracket.provision_id,
        )
    ).first()
    if text is not None and option is not None:
        change = session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.object_type == ProvisionText.__tablename__,
                AuditEvent.object_id == str(text.id),
                AuditEvent.action == "document:provision:text",
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.seq.desc())
            .limit(1)
        ).first()
        before = (change.changes or {}).get("text") if change is not None else None
        if before and before[1] == text.text == option.text:
            audited_update(
                session,
                text,
                {"text": before[0]},
                actor=actor,
                action="document:provision:text",
                space=version.space,
            )
        elif text.text != option.text:
            raise TextError(
                f"bracket: the text of point {text.number} changed since {bracket.key} was "
                "resolved; it cannot be reopened"
            )
    audited_update(
        session,
        bracket,
        {
            "status": BracketStatus.OPEN,
            "resolved_option_id": None,
            "resolved_at": None,
            "resolved_by_id": None,
        },
        actor=actor,
        action="document:bracket:reopen",
    )
    return bracket


def _carry_brackets(
    session: Session, *, actor: Actor, doc: Document, source: Version, target: Version
) -> None:
    """Copy the open brackets of ``source`` (on provisions still there) into ``target``."""
    present = {r.provision_id for r in q.provision_rows(session, target)}
    for view in q.brackets(session, actor, [source]):
        if not view.is_open or view.bracket.provision_id not in present:
            continue
        old = view.bracket
        copy = Bracket(
            process_id=doc.process_id,
            key=_new_key(session, Bracket, doc.process_id, None, old.key[:40]),
            version_id=target.id,
            provision_id=old.provision_id,
            label=old.label,
            status=BracketStatus.OPEN,
            space=old.space,
        )
        audited_add(session, copy, actor=actor, action="document:bracket:create")
        for o in view.options:
            new_option = audited_add(
                session,
                BracketOption(
                    process_id=doc.process_id,
                    bracket_id=copy.id,
                    key=o.option.key,
                    text=o.option.text,
                    proposer_party_id=o.option.proposer_party_id,
                    amendment_id=o.option.amendment_id,
                    created_at=o.option.created_at,
                ),
                actor=actor,
                action="document:bracket:option",
                space=copy.space,
            )
            for s in session.scalars(
                sa.select(OptionSupport).where(OptionSupport.option_id == o.option.id)
            ):
                audited_add(
                    session,
                    OptionSupport(
                        process_id=doc.process_id,
                        option_id=new_option.id,
                        party_id=s.party_id,
                        kind=s.kind,
                    ),
                    actor=actor,
                    action="document:bracket:support",
                    space=copy.space,
                )
