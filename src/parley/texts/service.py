"""Writing negotiating texts: import, lineage, freeze, keys and signatures.

Every function takes the acting user keyword-only, runs inside the caller's
``write_session`` (one transaction) and audits each change with a ``document:...`` action in
the space of the record it changes. Amendments and brackets are in
:mod:`parley.texts.service_amendments`; exports in :mod:`parley.texts.exporting`.

Permanent ids. A new version keeps the ids (``wid``) of its parent's provisions where matching
is confident (same, changed, moved); other provisions get new ids. A new id is ``p<number>``
(``p7a``) when the version is in a shared space (participants, public) and that id is free in the
document; otherwise it carries a random suffix (``p7a-3f9c``), so that ids created in a party's
private room never collide with, or reveal, anyone else's.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley import sealing
from parley.audit.records import audited_add, audited_update
from parley.audit.service import record
from parley.authz import Actor, Permission, parse_space, require
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import (
    actor_party,
    actor_party_id,
    actor_role,
    reads_as_mediator,
)
from parley.authz.spaces import SpaceError
from parley.db.base import utcnow
from parley.errors import InputError
from parley.processes.models import Process
from parley.textguard import require_visible_text
from parley.texts import queries as q
from parley.texts import signing
from parley.texts.models import (
    Document,
    DocumentKind,
    Lineage,
    LineageKind,
    Provision,
    ProvisionText,
    Signature,
    SigningKey,
    Version,
    VersionKind,
    VersionParent,
)
from parley.texts.numbered import NumberedTextError, ParsedText, default_wid, parse_numbered
from parley.texts.plain import PlainProvision, PlainVersion

if TYPE_CHECKING:
    from parley.texts.matching import MatchResult

__all__ = [
    "ImportResult",
    "TextError",
    "confirm_lineage",
    "correct_lineage",
    "freeze_version",
    "generate_signing_key",
    "import_version",
    "new_wid",
    "sign_version",
]

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class TextError(InputError):
    """Bad input for a text operation; every message starts with the field at fault."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


# ---------------------------------------------------------------- helpers


def membership_party(actor: Actor, process_id: uuid.UUID) -> tuple[str | None, bool]:
    """(party key, is mediator) of the actor's delegation in the process."""
    return actor_party(actor, process_id), reads_as_mediator(actor, process_id)


def check_space(session: Session, process_id: uuid.UUID, space: str) -> str:
    keys = {p.key for p in q.parties(session, process_id).values()}
    try:
        return str(parse_space(space, keys))
    except SpaceError as exc:
        raise TextError(f"space: {exc}") from None


def default_space(actor: Actor, process_id: uuid.UUID, fallback: str) -> str:
    if actor.is_system:
        return fallback
    party, mediator = membership_party(actor, process_id)
    if mediator:
        return "mediator"
    return f"party:{party}" if party else fallback


def _taken_wids(session: Session, doc: Document) -> set[str]:
    # Internal: every id of the document, hidden ones included, only to avoid collisions.
    return set(session.scalars(sa.select(Provision.wid).where(Provision.document_id == doc.id)))


def new_wid(number: str, taken: set[str], *, shared: bool) -> str:
    """A fresh permanent id for a point numbered ``number`` (see the module docstring)."""
    base = default_wid(number).replace(".", "-")
    if shared and base not in taken:
        taken.add(base)
        return base
    while True:
        candidate = f"{base}-{secrets.token_hex(2)}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def is_shared(space: str) -> bool:
    return parse_space(space).kind in ("participants", "public")


def provision_for(
    session: Session, *, actor: Actor, doc: Document, wid: str, space: str
) -> Provision:
    """The document's provision with this id, created (and audited in ``space``) if new."""
    found = session.scalars(
        sa.select(Provision).where(Provision.document_id == doc.id, Provision.wid == wid)
    ).first()
    if found is not None:
        return found
    provision = Provision(process_id=doc.process_id, document_id=doc.id, wid=wid)
    return audited_add(
        session, provision, actor=actor, action="document:provision:create", space=space
    )


def write_provisions(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    provisions: tuple[PlainProvision, ...],
) -> dict[str, Provision]:
    """The provision texts of a new version, in order; returns its provisions by wid."""
    by_wid: dict[str, Provision] = {}
    for p in provisions:
        by_wid[p.wid] = provision_for(session, actor=actor, doc=doc, wid=p.wid, space=version.space)
    for ordinal, p in enumerate(provisions):
        parent = by_wid.get(p.parent_wid) if p.parent_wid else None
        if p.parent_wid and parent is None:
            parent = provision_for(
                session, actor=actor, doc=doc, wid=p.parent_wid, space=version.space
            )
        audited_add(
            session,
            ProvisionText(
                process_id=doc.process_id,
                version_id=version.id,
                provision_id=by_wid[p.wid].id,
                number=p.number,
                heading=p.heading or "",
                text=p.text,
                ordinal=ordinal,
                parent_provision_id=parent.id if parent else None,
            ),
            actor=actor,
            action="document:provision:text",
            space=version.space,
        )
    return by_wid


def require_visible_version(title: str, provisions: Sequence[PlainProvision]) -> None:
    """Refuse hidden characters in what a version shows; the error names the point."""
    require_visible_text(title, field="title")
    for p in provisions:
        where = f"in point {p.number}"
        require_visible_text(p.number, field="text", where=f"{where}'s number")
        require_visible_text(p.heading or "", field="text", where=f"{where}'s heading")
        require_visible_text(p.text, field="text", where=where)


def create_version(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    label: str,
    kind: str,
    space: str,
    provisions: tuple[PlainProvision, ...],
    parents: list[Version],
    author_party_id: uuid.UUID | None,
    title: str = "",
    dated: date | None = None,
) -> Version:
    """A new version with its provisions and parents, checked and audited.

    Every shown part of a version (its title, each provision's number, heading and text) is
    what gets frozen and signed, so none may hold a bidirectional control or zero-width
    character (:func:`require_visible_version`): this holds for imports, accepted amendments
    and the scenario loader alike.
    """
    require_visible_version(title, provisions)
    if not re.match(KEY_PATTERN, label):
        raise TextError(
            "version: a label is 1 to 64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    try:
        kind_value = VersionKind(kind)
    except ValueError:
        raise TextError(
            f"kind: {kind!r} is not one of {', '.join(k.value for k in VersionKind)}"
        ) from None
    space = check_space(session, doc.process_id, space)
    clash = session.scalar(
        sa.select(sa.func.count())
        .select_from(Version)
        .where(Version.document_id == doc.id, Version.label == label)
        .execution_options(authz_internal=True)
    )
    if clash:
        # Labels are unique per document across spaces; the answer must not reveal a hidden one.
        raise TextError(f"version: the label {label!r} is not available; choose another")
    version = Version(
        process_id=doc.process_id,
        document_id=doc.id,
        label=label,
        title=title,
        kind=kind_value,
        author_party_id=author_party_id,
        dated=dated,
        space=space,
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, version)
    require_action(actor, "version", "create", _authored_by(session, version))
    if not actor.is_system:
        party, mediator = membership_party(actor, doc.process_id)
        if not mediator and kind_value is not VersionKind.PARTY_DRAFT:
            raise Forbidden("a delegation creates party drafts; the mediator the other kinds")
    audited_add(session, version, actor=actor, action="document:version:create")
    for parent in parents:
        audited_add(
            session,
            VersionParent(process_id=doc.process_id, version_id=version.id, parent_id=parent.id),
            actor=actor,
            action="document:version:parent",
            space=version.space,
        )
    write_provisions(session, actor=actor, doc=doc, version=version, provisions=provisions)
    return version


# ---------------------------------------------------------------- import


@dataclass
class ImportResult:
    version: Version
    document: Document
    document_created: bool
    parent: str | None
    match: MatchResult | None
    wids: dict[str, str] = field(default_factory=dict)  # number -> wid
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        if self.match is not None:
            for s in self.match.suggestions:
                counts[s.kind] = counts.get(s.kind, 0) + 1
        return {
            "document": self.document.key,
            "document_created": self.document_created,
            "version": self.version.label,
            "version_id": str(self.version.id),
            "kind": str(self.version.kind),
            "space": self.version.space,
            "parent": self.parent,
            "provisions": len(self.wids),
            "matched": counts,
            "wids": self.wids,
            "warnings": list(self.warnings),
        }


def parse(text: str) -> ParsedText:
    """A numbered text parsed; refused whole when it holds a character that would make it
    display otherwise than it is signed (:mod:`parley.textguard`), naming its line."""
    require_visible_text(text, field="text")
    try:
        return parse_numbered(text)
    except NumberedTextError as exc:
        raise TextError(exc.errors) from None


def _party_id(session: Session, process_id: uuid.UUID, key: str | None) -> uuid.UUID | None:
    if not key:
        return None
    party = q.party_by_key(session, process_id, key)
    if party is None:
        raise TextError(f"author: no party {key!r} in this process")
    return party.id


def import_version(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    document: str,
    label: str,
    text: str,
    kind: str = "party_draft",
    author: str | None = None,
    space: str | None = None,
    parent: str | None = None,
    title: str | None = None,
    document_kind: str = "plan",
    dated: date | None = None,
) -> ImportResult:
    """Import a numbered text as a new version of ``document`` (created when missing).

    With a ``parent`` (default: the newest version the actor can see) the provisions are
    matched to the parent's: confident matches keep their ids, and every suggestion is stored
    as unconfirmed lineage for a person to confirm or correct.
    """
    parsed = parse(text)
    created = False
    try:
        doc = q.document(session, actor, process.id, document)
    except LookupError:
        doc = _create_document(
            session,
            actor=actor,
            process=process,
            key=document,
            title=parsed.title or title or document,
            kind=document_kind,
            space=space or default_space(actor, process.id, "participants"),
            language=parsed.language,
        )
        created = True
    if not created and parsed.language and parsed.language != q.lead_language(doc):
        raise TextError(
            f"language: the text is in {parsed.language}, and the versions of {doc.key} are "
            f"written in {q.lead_language(doc)}; import it as the {parsed.language} text of a "
            "version instead"
        )
    space = space or (doc.space if actor.is_system else default_space(actor, process.id, doc.space))
    space = check_space(session, process.id, space)
    party_key, mediator = membership_party(actor, process.id)
    if author and not (actor.is_system or mediator) and author != party_key:
        raise TextError("author: a delegation imports its own drafts")
    author_id = _party_id(session, process.id, author or (None if actor.is_system else party_key))

    parent_version: Version | None = None
    if parent:
        try:
            parent_version = q.version(session, actor, doc, parent)
        except LookupError:
            raise TextError(f"parent: no version {parent!r} of {doc.key}") from None
    elif not created:
        existing = q.versions(session, actor, doc)
        parent_version = existing[-1] if existing else None

    taken = _taken_wids(session, doc)
    shared = is_shared(space)
    mapping: dict[str, str] = {}
    result: MatchResult | None = None
    parent_plain: PlainVersion | None = None
    if parent_version is not None:
        # Imported here: matching needs SciPy and RapidFuzz, which a web worker need not load
        # until a version is imported.
        from parley.texts.matching import match_provisions

        parent_plain = q.plain(session, doc, parent_version)
        result = match_provisions(parent_plain, parsed.provisions)
        for s in result.suggestions:
            if s.kind in ("same", "changed", "moved"):
                mapping[s.new_wids[0]] = s.old_wids[0]
    for p in parsed.provisions:
        if p.wid not in mapping:
            mapping[p.wid] = new_wid(p.number, taken, shared=shared)
    provisions = tuple(
        PlainProvision(
            mapping[p.wid],
            p.number,
            p.heading,
            p.text,
            mapping[p.parent_wid] if p.parent_wid else None,
        )
        for p in parsed.provisions
    )
    when = dated
    if when is None and parsed.metadata.get("date"):
        try:
            when = date.fromisoformat(parsed.metadata["date"])
        except ValueError:
            raise TextError(f"date: {parsed.metadata['date']!r} is not an ISO date") from None
    version = create_version(
        session,
        actor=actor,
        doc=doc,
        label=label,
        kind=kind,
        space=space,
        provisions=provisions,
        parents=[parent_version] if parent_version else [],
        author_party_id=author_id,
        title=title or parsed.title or "",
        dated=when,
    )
    if result is not None and parent_version is not None:
        old_wids = [p.wid for p in parent_plain.provisions] if parent_plain else []
        ids = q.wid_ids(session, doc, [*mapping.values(), *old_wids])
        for s in result.suggestions:
            for old_w, new_w in _suggestion_pairs(s.kind, s.old_wids, s.new_wids):
                audited_add(
                    session,
                    Lineage(
                        process_id=doc.process_id,
                        from_version_id=parent_version.id,
                        to_version_id=version.id,
                        from_provision_id=ids.get(old_w) if old_w else None,
                        to_provision_id=ids.get(mapping[new_w]) if new_w else None,
                        kind=LineageKind(s.kind),
                        score=round(s.score, 4),
                    ),
                    actor=actor,
                    action="document:lineage:suggest",
                    space=version.space,
                )
    if parent_version is not None:
        # The parent's texts in the other languages come along; what changed here is pending.
        from parley.texts.service_languages import carry_languages

        carry_languages(session, actor=actor, doc=doc, source=parent_version, target=version)
    return ImportResult(
        version=version,
        document=doc,
        document_created=created,
        parent=parent_version.label if parent_version else None,
        match=result,
        wids={p.number: p.wid for p in provisions},
        warnings=parsed.warnings,
    )


def _suggestion_pairs(
    kind: str, old: tuple[str, ...], new: tuple[str, ...]
) -> list[tuple[str | None, str | None]]:
    if kind == "new":
        return [(None, w) for w in new]
    if kind == "dropped":
        return [(w, None) for w in old]
    if kind == "split":
        return [(old[0], w) for w in new]
    if kind == "merged":
        return [(w, new[0]) for w in old]
    return [(old[0], new[0])]


def _create_document(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    key: str,
    title: str,
    kind: str,
    space: str,
    language: str | None = None,
) -> Document:
    if not re.match(KEY_PATTERN, key):
        raise TextError("document: a key is 1 to 64 letters, digits, '.', '_' or '-'")
    try:
        kind_value = DocumentKind(kind)
    except ValueError:
        raise TextError(
            f"document_kind: {kind!r} is not one of {', '.join(k.value for k in DocumentKind)}"
        ) from None
    taken = session.scalar(
        sa.select(sa.func.count())
        .select_from(Document)
        .where(Document.process_id == process.id, Document.key == key)
        .execution_options(authz_internal=True)
    )
    if taken:
        raise TextError(f"document: the key {key!r} is not available; choose another")
    doc = Document(
        process_id=process.id,
        key=key,
        title=title[:300],
        kind=kind_value,
        space=check_space(session, process.id, space),
        languages=language or "en",
    )
    require(actor, Permission.PROCESS_RECORD_WRITE, doc)
    require_action(actor, "document", "create", Subject(process_id=process.id))
    return audited_add(session, doc, actor=actor, action="document:create")


# ---------------------------------------------------------------- lineage


def _lineage_rows(session: Session, old: Version, new: Version) -> list[Lineage]:
    return list(
        session.scalars(
            sa.select(Lineage)
            .where(Lineage.from_version_id == old.id, Lineage.to_version_id == new.id)
            .order_by(Lineage.id)
        )
    )


def confirm_lineage(
    session: Session,
    *,
    actor: Actor,
    old: Version,
    new: Version,
    ids: list[uuid.UUID] | None = None,
) -> int:
    """Confirm the suggested links from ``old`` to ``new`` as they are (all, or ``ids``)."""
    require(actor, Permission.PROCESS_RECORD_WRITE, new)
    now = utcnow()
    count = 0
    for row in _lineage_rows(session, old, new):
        if row.confirmed_at is not None or (ids is not None and row.id not in ids):
            continue
        audited_update(
            session,
            row,
            {"confirmed_by_id": actor.user_id, "confirmed_at": now},
            actor=actor,
            action="document:lineage:confirm",
            space=new.space,
        )
        count += 1
    return count


def correct_lineage(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    old: Version,
    new: Version,
    new_wid: str,
    old_wid: str | None,
    kind: str,
) -> Lineage:
    """Say where ``new_wid`` (a provision of ``new``) comes from in ``old``, and confirm it.

    ``old_wid`` None means the provision is new. While ``new`` is not frozen, a one-to-one
    link (same, changed, moved) also gives the provision the old one's permanent id, and
    "new" gives a provision that shared an old id a fresh one, so that ids stay the identity.
    """
    require(actor, Permission.PROCESS_RECORD_WRITE, new)
    try:
        kind_value = LineageKind(kind)
    except ValueError:
        raise TextError(f"kind: {kind!r} is not a lineage kind") from None
    if old_wid is None and kind_value is not LineageKind.NEW:
        kind_value = LineageKind.NEW
    if old_wid is not None and kind_value in (LineageKind.NEW, LineageKind.DROPPED):
        raise TextError(f"kind: {kind_value.value!r} links no old provision")
    new_rows = {r.wid: r for r in q.provision_rows(session, new)}
    old_rows = {r.wid: r for r in q.provision_rows(session, old)}
    if new_wid not in new_rows:
        raise TextError(f"new: {new_wid!r} is not a provision of {new.label}")
    if old_wid is not None and old_wid not in old_rows:
        raise TextError(f"old: {old_wid!r} is not a provision of {old.label}")
    target = new_rows[new_wid]
    one_to_one = kind_value in (LineageKind.SAME, LineageKind.CHANGED, LineageKind.MOVED)
    if new.content_hash is None:
        wanted: str | None = None
        if one_to_one and old_wid is not None and old_wid != new_wid and old_wid not in new_rows:
            wanted = old_wid
        elif old_wid is None and new_wid in old_rows:
            wanted = new_wid_for(session, doc, target.number, new.space)
        if wanted is not None:
            _rekey(session, actor=actor, doc=doc, version=new, row=target, wid=wanted)
            new_wid = wanted
    ids = q.wid_ids(session, doc, [w for w in (new_wid, old_wid) if w])
    to_id = ids[new_wid]
    from_id = ids.get(old_wid) if old_wid else None
    now = utcnow()
    pair_rows = _lineage_rows(session, old, new)
    if from_id is not None:
        # The old provision is linked now: a suggestion that it was dropped is withdrawn.
        for stale in pair_rows:
            if stale.from_provision_id == from_id and stale.kind == LineageKind.DROPPED:
                session.delete(stale)
                session.flush()
                record(
                    session,
                    actor=actor,
                    process_id=doc.process_id,
                    space=new.space,
                    action="document:lineage:correct",
                    object_type="lineage",
                    object_id=stale.id,
                    changes={"kind": ["dropped", None]},
                )
        pair_rows = [r for r in pair_rows if r in session]
    rows = [r for r in pair_rows if r.to_provision_id in (to_id, target.provision_id)]
    values = {
        "from_provision_id": from_id,
        "to_provision_id": to_id,
        "kind": kind_value,
        "confirmed_by_id": actor.user_id,
        "confirmed_at": now,
    }
    if rows:
        row = rows[0]
        audited_update(
            session, row, values, actor=actor, action="document:lineage:correct", space=new.space
        )
        for extra in rows[1:]:
            if extra.kind not in ("split", "merged"):
                audited_update(
                    session,
                    extra,
                    {
                        "to_provision_id": None,
                        "kind": LineageKind.DROPPED,
                        "confirmed_at": now,
                        "confirmed_by_id": actor.user_id,
                    },
                    actor=actor,
                    action="document:lineage:correct",
                    space=new.space,
                )
        return row
    row = Lineage(process_id=doc.process_id, from_version_id=old.id, to_version_id=new.id, **values)
    return audited_add(
        session, row, actor=actor, action="document:lineage:correct", space=new.space
    )


def new_wid_for(session: Session, doc: Document, number: str, space: str) -> str:
    return new_wid(number, _taken_wids(session, doc), shared=is_shared(space))


def _rekey(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    row: q.ProvisionRow,
    wid: str,
) -> None:
    provision = provision_for(session, actor=actor, doc=doc, wid=wid, space=version.space)
    text = session.get(ProvisionText, row.text_id)
    assert text is not None
    audited_update(
        session,
        text,
        {"provision_id": provision.id},
        actor=actor,
        action="document:provision:rekey",
        space=version.space,
    )
    for child in session.scalars(
        sa.select(ProvisionText).where(
            ProvisionText.version_id == version.id,
            ProvisionText.parent_provision_id == row.provision_id,
        )
    ):
        audited_update(
            session,
            child,
            {"parent_provision_id": provision.id},
            actor=actor,
            action="document:provision:rekey",
            space=version.space,
        )


# ---------------------------------------------------------------- freeze


def _authored_by(session: Session, version: Version) -> Subject:
    author = q.parties(session, version.process_id).get(version.author_party_id)
    return Subject(
        process_id=version.process_id,
        owners=frozenset({author.key}) if author is not None else frozenset(),
    )


def require_unfrozen(version: Version) -> None:
    if version.content_hash is not None:
        raise TextError(f"version: {version.label} is frozen and cannot change")


def freeze_version(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    override: str | None = None,
) -> str:
    """Freeze a version: its content hash (texts.canonical) is set and it never changes.

    The hash covers every authentic language with a text. While a language is pending or the
    cross-language check has findings the freeze is refused (409), unless the mediator gives
    an ``override`` reason (step-up; audited and kept on the version).
    """
    from parley.texts.service_languages import check_languages, version_hash

    require(actor, Permission.PROCESS_RECORD_WRITE, version)
    require_action(actor, "version", "freeze", _authored_by(session, version))
    require_unfrozen(version)
    plain_version = q.plain(session, doc, version)
    if not plain_version.provisions:
        raise TextError(f"version: {version.label} has no provisions to freeze")
    check_languages(
        session, actor=actor, doc=doc, version=version, doing="freeze", override=override
    )
    digest = version_hash(session, doc, version)
    audited_update(
        session,
        version,
        {"content_hash": digest, "frozen_at": utcnow()},
        actor=actor,
        action="document:version:freeze",
    )
    return digest


# ---------------------------------------------------------------- signing keys and signatures


def _signing_party(session: Session, actor: Actor, process_id: uuid.UUID, party: str | None) -> Any:
    """The party the actor signs for: its own delegation (a head), or any one for the CLI."""
    if actor.is_system:
        if not party:
            raise TextError("party: give the party whose key this is")
        found = q.party_by_key(session, process_id, party)
        if found is None:
            raise TextError(f"party: no party {party!r} in this process")
        return found
    own_key, own_id = actor_party(actor, process_id), actor_party_id(actor, process_id)
    if own_id is None or actor_role(actor, process_id) != "head":
        raise Forbidden("only the head of a delegation holds its signing key")
    if party and party != own_key:
        raise Forbidden("a head manages only its own delegation's key")
    found = q.parties(session, process_id).get(own_id)
    assert found is not None
    return found


def generate_signing_key(
    session: Session, *, actor: Actor, process: Process, passphrase: str, party: str | None = None
) -> SigningKey:
    """A new Ed25519 key for the party; an earlier key is retired (its signatures still verify)."""
    owner = _signing_party(session, actor, process.id, party)
    require_action(
        actor,
        "signing-key",
        "create",
        Subject(process_id=process.id, owners=frozenset({owner.key})),
    )
    try:
        public, encrypted = signing.generate_key(passphrase)
    except signing.SigningError as exc:
        raise TextError(str(exc)) from None
    space = f"party:{owner.key}"
    for old in q.keys_of(session, process.id, owner.id):
        if old.retired_at is None:
            old.retired_at = utcnow()
            record(
                session,
                actor=actor,
                process_id=process.id,
                space=space,
                action="party:key:retire",
                object_type="signing_keys",
                object_id=old.id,
                changes={"retired_at": [None, old.retired_at]},
            )
    key = SigningKey(
        process_id=process.id,
        party_id=owner.id,
        public_key=public,
        encrypted_private_key=encrypted,
    )
    session.add(key)
    session.flush()
    # Audited without the encrypted private half: secrets stay out of the logs.
    record(
        session,
        actor=actor,
        process_id=process.id,
        space=space,
        action="party:key:create",
        object_type="signing_keys",
        object_id=key.id,
        changes={"party_id": [None, owner.id], "public_key": [None, public]},
    )
    return key


def sign_version(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    passphrase: str,
    party: str | None = None,
) -> Signature:
    """Sign a frozen version for the actor's delegation, with the head's passphrase (step-up).

    The stored content hash is first recomputed from the provisions in every authentic
    language (a tampered database is refused); a version with open brackets, or whose
    languages are not in step (unless the mediator overrode that), cannot be signed.
    """
    from parley.texts.service_languages import check_languages, version_hash

    owner = _signing_party(session, actor, doc.process_id, party)
    require_action(actor, "version", "sign", Subject(process_id=doc.process_id))
    if version.content_hash is None:
        raise TextError(f"version: freeze {version.label} before signing it")
    if version_hash(session, doc, version) != version.content_hash:
        raise TextError(f"version: {version.label} no longer matches its content hash")
    # Brackets in the version's own space: a party's private bracket notes do not block it.
    open_brackets = [
        b
        for b in q.brackets(session, Actor.system(), [version])
        if b.is_open and b.bracket.space == version.space
    ]
    if open_brackets:
        raise TextError(f"version: {version.label} has {len(open_brackets)} open bracket(s)")
    check_languages(session, actor=actor, doc=doc, version=version, doing="sign")
    already = session.scalar(
        sa.select(sa.func.count())
        .select_from(Signature)
        .where(
            Signature.object_type == "version",
            Signature.object_id == version.id,
            Signature.party_id == owner.id,
        )
        .execution_options(authz_internal=True)
    )
    if already:
        raise TextError(f"version: {owner.key} has already signed {version.label}")
    key = q.active_key(session, doc.process_id, owner.id)
    if key is None:
        raise TextError(f"party: {owner.key} has no signing key; create one first")
    try:
        private = signing.unlock(key.encrypted_private_key, passphrase, key.public_key)
    except signing.SigningError as exc:
        raise TextError(str(exc)) from None
    message = signing.signing_message("version", version.id, version.content_hash)
    signature = Signature(
        process_id=doc.process_id,
        object_type="version",
        object_id=version.id,
        content_hash=version.content_hash,
        party_id=owner.id,
        user_id=actor.user_id,
        key_id=key.id,
        signature=sealing.sign(private, message),
        space=version.space,
    )
    return audited_add(session, signature, actor=actor, action="document:version:sign")
