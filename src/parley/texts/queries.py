"""Reads of documents, versions, provisions, lineage, amendments, brackets and signatures.

Every read of a spaced record goes through ``authz.visible``. Provisions, provision texts,
lineage, options and supports have no space of their own: they are read only through a
version or bracket the actor can see, so a provision that only a party's private draft holds
never reaches anyone else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor, NotFound, visible
from parley.authz.visibility import INTERNAL, SCOPED
from parley.processes.models import Party
from parley.texts.models import (
    Amendment,
    Bracket,
    BracketOption,
    BracketStatus,
    Document,
    Lineage,
    OptionSupport,
    PendingTranslation,
    Provision,
    ProvisionLanguage,
    ProvisionText,
    Signature,
    SigningKey,
    Version,
    VersionParent,
)
from parley.texts.plain import PlainProvision, PlainVersion


def scoped(actor: Actor, model: Any, process_id: uuid.UUID) -> sa.Select[Any]:
    return (
        sa.select(model)
        .where(model.process_id == process_id, visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def parties(session: Session, process_id: uuid.UUID) -> dict[uuid.UUID, Party]:
    # Parties are listed to everyone in the process: an internal read, shown as names only.
    rows = session.scalars(
        sa.select(Party).where(Party.process_id == process_id).execution_options(**{INTERNAL: True})
    )
    return {p.id: p for p in rows}


def party_by_key(session: Session, process_id: uuid.UUID, key: str) -> Party | None:
    return next((p for p in parties(session, process_id).values() if p.key == key), None)


def documents(session: Session, actor: Actor, process_id: uuid.UUID) -> list[Document]:
    return list(session.scalars(scoped(actor, Document, process_id).order_by(Document.key)))


def document(session: Session, actor: Actor, process_id: uuid.UUID, key: str) -> Document:
    found = session.scalars(scoped(actor, Document, process_id).where(Document.key == key)).first()
    if found is None:
        raise NotFound("document")
    return found


def versions(session: Session, actor: Actor, doc: Document) -> list[Version]:
    return list(
        session.scalars(
            scoped(actor, Version, doc.process_id)
            .where(Version.document_id == doc.id)
            .order_by(Version.created_at, Version.label)
        )
    )


def version(session: Session, actor: Actor, doc: Document, label: str) -> Version:
    found = session.scalars(
        scoped(actor, Version, doc.process_id).where(
            Version.document_id == doc.id, Version.label == label
        )
    ).first()
    if found is None:
        raise NotFound("version")
    return found


def parent_labels(session: Session, actor: Actor, v: Version) -> list[str]:
    """Labels of the version's parents that the actor can see."""
    rows = session.scalars(
        scoped(actor, Version, v.process_id)
        .join(VersionParent, VersionParent.parent_id == Version.id)
        .where(VersionParent.version_id == v.id)
        .order_by(Version.created_at)
    )
    return [p.label for p in rows]


def current_text(session: Session, actor: Actor, doc: Document) -> Version | None:
    """The negotiating text: the newest mediator text (or later stage) the actor can see."""
    found = session.scalars(
        scoped(actor, Version, doc.process_id)
        .where(
            Version.document_id == doc.id,
            Version.kind.in_(["mediator_text", "compromise", "agreed", "signed"]),
        )
        .order_by(Version.created_at.desc(), Version.label.desc())
    ).first()
    return found


@dataclass(frozen=True)
class ProvisionRow:
    text_id: uuid.UUID
    provision_id: uuid.UUID
    wid: str
    number: str
    heading: str
    text: str
    parent_wid: str | None
    ordinal: int


def provision_rows(session: Session, v: Version) -> list[ProvisionRow]:
    """The provisions of a version the caller has already fetched through ``visible``."""
    parent = sa.orm.aliased(Provision)
    rows = session.execute(
        sa.select(ProvisionText, Provision.wid, parent.wid)
        .join(Provision, Provision.id == ProvisionText.provision_id)
        .outerjoin(parent, parent.id == ProvisionText.parent_provision_id)
        .where(ProvisionText.version_id == v.id)
        .order_by(ProvisionText.ordinal)
    ).all()
    return [
        ProvisionRow(t.id, t.provision_id, wid, t.number, t.heading or "", t.text, pwid, t.ordinal)
        for t, wid, pwid in rows
    ]


def authentic_languages(doc: Document) -> list[str]:
    """The document's authentic languages, the lead one (held in provision_texts) first."""
    return [x for x in (doc.languages or "en").split(",") if x] or ["en"]


def working_translations(doc: Document) -> list[str]:
    return [x for x in (doc.translations or "").split(",") if x]


def lead_language(doc: Document) -> str:
    return authentic_languages(doc)[0]


def language_rows(session: Session, v: Version, language: str) -> list[ProvisionRow]:
    """The provisions of a fetched version in a language other than the lead one."""
    parent = sa.orm.aliased(Provision)
    rows = session.execute(
        sa.select(ProvisionLanguage, Provision.wid, parent.wid)
        .join(Provision, Provision.id == ProvisionLanguage.provision_id)
        .outerjoin(parent, parent.id == ProvisionLanguage.parent_provision_id)
        .where(ProvisionLanguage.version_id == v.id, ProvisionLanguage.language == language)
        .order_by(ProvisionLanguage.ordinal)
    ).all()
    return [
        ProvisionRow(t.id, t.provision_id, wid, t.number, t.heading or "", t.text, pwid, t.ordinal)
        for t, wid, pwid in rows
    ]


def rows_in(
    session: Session, doc: Document, v: Version, language: str | None
) -> list[ProvisionRow]:
    """A fetched version's provisions in ``language`` (None or the lead one: provision_texts)."""
    if language is None or language == lead_language(doc):
        return provision_rows(session, v)
    return language_rows(session, v, language)


def version_languages(session: Session, doc: Document, v: Version) -> list[str]:
    """The languages the version has a text in: the lead one, then the others in the
    document's order (authentic, then working translations), then any undeclared."""
    stored = set(
        session.scalars(
            sa.select(ProvisionLanguage.language)
            .where(ProvisionLanguage.version_id == v.id)
            .distinct()
        )
    )
    declared = [*authentic_languages(doc), *working_translations(doc)]
    lead = declared[0]
    return [lead, *[x for x in declared[1:] if x in stored], *sorted(stored - set(declared))]


def pending(session: Session, v: Version) -> list[PendingTranslation]:
    """The provisions of a fetched version whose text awaits an update in some language."""
    return list(
        session.scalars(
            sa.select(PendingTranslation)
            .where(PendingTranslation.version_id == v.id)
            .order_by(PendingTranslation.language, PendingTranslation.created_at)
        )
    )


def plain(session: Session, doc: Document, v: Version, language: str | None = None) -> PlainVersion:
    """A fetched version as the engines' plain data (in ``language``; default the lead one)."""
    author = ""
    if v.author_party_id is not None:
        party = parties(session, v.process_id).get(v.author_party_id)
        author = party.name if party else ""
    return PlainVersion(
        document_title=doc.title,
        document_kind=str(doc.kind),
        label=v.label,
        kind=str(v.kind),
        author=author,
        provisions=tuple(
            PlainProvision(r.wid, r.number, r.heading or None, r.text, r.parent_wid)
            for r in rows_in(session, doc, v, language)
        ),
        date=v.dated.isoformat() if v.dated else None,
        frozen_hash=v.content_hash,
        language=language or lead_language(doc),
    )


def wid_ids(session: Session, doc: Document, wids: Iterable[str]) -> dict[str, uuid.UUID]:
    wanted = set(wids)
    if not wanted:
        return {}
    return dict(
        session.execute(
            sa.select(Provision.wid, Provision.id).where(
                Provision.document_id == doc.id, Provision.wid.in_(wanted)
            )
        ).all()
    )


def lineage(
    session: Session, actor: Actor, versions_: Sequence[Version], *, confirmed: bool | None = True
) -> list[tuple[Lineage, str | None, str | None]]:
    """Lineage rows among the given (visible) versions, with the wids they link."""
    ids = [v.id for v in versions_]
    if not ids:
        return []
    src, dst = sa.orm.aliased(Provision), sa.orm.aliased(Provision)
    query = (
        sa.select(Lineage, src.wid, dst.wid)
        .outerjoin(src, src.id == Lineage.from_provision_id)
        .outerjoin(dst, dst.id == Lineage.to_provision_id)
        .where(Lineage.from_version_id.in_(ids), Lineage.to_version_id.in_(ids))
        .order_by(Lineage.id)
    )
    if confirmed is True:
        query = query.where(Lineage.confirmed_at.is_not(None))
    elif confirmed is False:
        query = query.where(Lineage.confirmed_at.is_(None))
    return [(row, a, b) for row, a, b in session.execute(query).all()]


def links(session: Session, actor: Actor, old: Version, new: Version) -> dict[str, str]:
    """Confirmed one-to-one links old wid → new wid between two versions (either direction)."""
    out: dict[str, str] = {}
    for row, a, b in lineage(session, actor, [old, new]):
        if a is None or b is None or a == b or row.kind not in ("same", "changed", "moved"):
            continue
        if row.from_version_id == old.id and row.to_version_id == new.id:
            out.setdefault(a, b)
        elif row.from_version_id == new.id and row.to_version_id == old.id:
            out.setdefault(b, a)
    # One to one: drop a second link to the same target.
    seen: set[str] = set()
    clean = {}
    for o, n in out.items():
        if n not in seen:
            clean[o] = n
            seen.add(n)
    return clean


def amendments(
    session: Session, actor: Actor, doc: Document, *, status: str | None = None
) -> list[Amendment]:
    query = scoped(actor, Amendment, doc.process_id).where(Amendment.document_id == doc.id)
    if status:
        query = query.where(Amendment.status == status)
    return list(session.scalars(query.order_by(Amendment.created_at, Amendment.key)))


def amendment(session: Session, actor: Actor, doc: Document, key: str) -> Amendment:
    found = session.scalars(
        scoped(actor, Amendment, doc.process_id).where(
            Amendment.document_id == doc.id, Amendment.key == key
        )
    ).first()
    if found is None:
        raise NotFound("amendment")
    return found


@dataclass(frozen=True)
class OptionView:
    option: BracketOption
    supporters: tuple[str, ...]
    objectors: tuple[str, ...]
    proposer: str | None


@dataclass(frozen=True)
class BracketView:
    bracket: Bracket
    wid: str
    number: str | None
    options: tuple[OptionView, ...]

    @property
    def is_open(self) -> bool:
        return self.bracket.status == BracketStatus.OPEN


def brackets(
    session: Session, actor: Actor, versions_: Sequence[Version], *, key: str | None = None
) -> list[BracketView]:
    """The brackets of (visible) versions that the actor can see, with options and supports."""
    ids = [v.id for v in versions_]
    if not ids:
        return []
    process_id = versions_[0].process_id
    query = scoped(actor, Bracket, process_id).where(Bracket.version_id.in_(ids))
    if key is not None:
        query = query.where(Bracket.key == key)
    found = list(session.scalars(query.order_by(Bracket.created_at, Bracket.key)))
    if not found:
        return []
    names = {pid: p.key for pid, p in parties(session, process_id).items()}
    wids = dict(
        session.execute(
            sa.select(Provision.id, Provision.wid).where(
                Provision.id.in_({b.provision_id for b in found})
            )
        ).all()
    )
    numbers = {
        (vid, pid): number
        for vid, pid, number in session.execute(
            sa.select(
                ProvisionText.version_id, ProvisionText.provision_id, ProvisionText.number
            ).where(ProvisionText.version_id.in_(ids))
        ).all()
    }
    options = list(
        session.scalars(
            sa.select(BracketOption)
            .where(BracketOption.bracket_id.in_([b.id for b in found]))
            .order_by(BracketOption.key)
        )
    )
    supports: dict[uuid.UUID, list[OptionSupport]] = {}
    for s in session.scalars(
        sa.select(OptionSupport).where(OptionSupport.option_id.in_([o.id for o in options]))
    ):
        supports.setdefault(s.option_id, []).append(s)
    out = []
    for b in found:
        views = []
        for o in options:
            if o.bracket_id != b.id:
                continue
            mine = supports.get(o.id, [])
            views.append(
                OptionView(
                    o,
                    tuple(sorted(names.get(s.party_id, "?") for s in mine if s.kind == "supports")),
                    tuple(sorted(names.get(s.party_id, "?") for s in mine if s.kind == "objects")),
                    names.get(o.proposer_party_id) if o.proposer_party_id else None,
                )
            )
        out.append(
            BracketView(
                b,
                wids.get(b.provision_id, "?"),
                numbers.get((b.version_id, b.provision_id)),
                tuple(views),
            )
        )
    return out


def bracket_counts(session: Session, actor: Actor, versions_: Sequence[Version]) -> dict[str, Any]:
    """Open brackets and options per version, and the open counts over time.

    Over time: after every opening or resolution of a bracket (and every option tabled), the
    number of brackets open and of options in open brackets, across the given versions.
    """
    views = brackets(session, actor, versions_)
    label = {v.id: v.label for v in versions_}
    per_version = []
    for v in versions_:
        mine = [b for b in views if b.bracket.version_id == v.id]
        open_ = [b for b in mine if b.is_open]
        per_version.append(
            {
                "version": v.label,
                "brackets": len(mine),
                "open_brackets": len(open_),
                "open_options": sum(len(b.options) for b in open_),
                "options": sum(len(b.options) for b in mine),
            }
        )
    events: list[tuple[datetime, int, int]] = []
    for b in views:
        events.append((b.bracket.created_at, 1, 0))
        for o in b.options:
            events.append((o.option.created_at or b.bracket.created_at, 0, 1))
        if b.bracket.resolved_at is not None:
            events.append((b.bracket.resolved_at, -1, -len(b.options)))
    events.sort(key=lambda e: e[0])
    series = []
    open_b = open_o = 0
    for at, db, do in events:
        open_b += db
        open_o += do
        series.append({"at": at.isoformat(), "open_brackets": open_b, "open_options": open_o})
    return {"per_version": per_version, "over_time": series, "labels": list(label.values())}


def signatures(session: Session, actor: Actor, v: Version) -> list[dict[str, Any]]:
    rows = session.scalars(
        scoped(actor, Signature, v.process_id)
        .where(Signature.object_type == "version", Signature.object_id == v.id)
        .order_by(Signature.signed_at)
    )
    names = parties(session, v.process_id)
    return [
        {
            "party": names[s.party_id].key if s.party_id in names else None,
            "party_name": names[s.party_id].name if s.party_id in names else None,
            "content_hash": s.content_hash,
            "signature": s.signature,
            "key_id": str(s.key_id),
            "signed_at": s.signed_at.isoformat(),
            "user_id": str(s.user_id) if s.user_id else None,
        }
        for s in rows
    ]


def active_key(session: Session, process_id: uuid.UUID, party_id: uuid.UUID) -> SigningKey | None:
    return session.scalars(
        sa.select(SigningKey)
        .where(
            SigningKey.process_id == process_id,
            SigningKey.party_id == party_id,
            SigningKey.retired_at.is_(None),
        )
        .order_by(SigningKey.created_at.desc())
    ).first()


def keys_of(session: Session, process_id: uuid.UUID, party_id: uuid.UUID) -> list[SigningKey]:
    return list(
        session.scalars(
            sa.select(SigningKey)
            .where(SigningKey.process_id == process_id, SigningKey.party_id == party_id)
            .order_by(SigningKey.created_at)
        )
    )
