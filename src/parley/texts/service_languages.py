"""Language versions of a document: one text per language, kept in step (issue 15).

A document declares its authentic languages (ISO 639-1, the lead one first) and, optionally,
working translations. The lead language's text of a version is its ``provision_texts``; every
other language has ``provision_languages`` rows sharing the permanent provision ids.

* Importing a text in another language aligns it to the version's provisions by structure,
  checked by content (:func:`parley.texts.crosscheck.align_pair`). An uncertain pairing is not
  stored until a person confirms or corrects it (``pairs``: the language's point number → the
  permanent id it translates, or ``""`` for none).
* A change to a provision in one language marks it "translation pending" in the others
  (:class:`PendingTranslation`) until their text is updated or the change is confirmed as not
  affecting them; a new version carries the texts of its parent and marks pending the
  provisions whose lead text changed.
* :func:`blockers` lists what stops freezing and signing: a pending authentic language, an open
  finding of the cross-language check. The mediator may override with a reason (step-up,
  audited, kept on the version).

Every function takes the acting user keyword-only and runs in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_delete, audited_update
from parley.authz import Actor, Permission, require
from parley.authz.rules import NotInState, Subject, require_action
from parley.textguard import require_visible_text
from parley.texts import queries as q
from parley.texts.canonical import languages_hash
from parley.texts.crosscheck import (
    CrossCheck,
    align_pair,
    comparable_numbers,
    crosscheck_aligned,
    facts_of,
)
from parley.texts.glossary import Glossary, default_glossary
from parley.texts.languages import ISO_639_2, is_language_code
from parley.texts.models import (
    Document,
    PendingTranslation,
    ProvisionLanguage,
    ProvisionText,
    Version,
)
from parley.texts.plain import PlainProvision
from parley.texts.service import TextError, _authored_by, parse, require_unfrozen

__all__ = [
    "LanguageImport",
    "align_text",
    "blockers",
    "carry_languages",
    "confirm_translation",
    "crosscheck_version",
    "import_language",
    "mark_pending",
    "set_languages",
    "version_hash",
]

SURE = 0.6  # as the crosscheck engine: a pair scoring less, or of other numbers, is uncertain


def _check_code(value: str, field_name: str) -> str:
    value = value.strip().lower()
    if not is_language_code(value) or value not in ISO_639_2:
        raise TextError(f"{field_name}: {value!r} is not a known ISO 639-1 language code")
    return value


def _codes(values: Sequence[str] | str, field_name: str) -> list[str]:
    items = values.split(",") if isinstance(values, str) else list(values)
    out: list[str] = []
    for item in items:
        if item.strip():
            code = _check_code(item, field_name)
            if code in out:
                raise TextError(f"{field_name}: {code} is named twice")
            out.append(code)
    return out


def set_languages(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    authentic: Sequence[str] | str,
    translations: Sequence[str] | str = (),
) -> Document:
    """Declare the document's authentic languages (the lead one first) and working translations.

    The lead language cannot change once a version has a text in another language; a language
    that has texts stays declared.
    """
    require(actor, Permission.PROCESS_RECORD_WRITE, doc)
    require_action(actor, "document", "languages", Subject(process_id=doc.process_id))
    new_authentic = _codes(authentic, "languages")
    new_translations = _codes(translations, "translations")
    if not new_authentic:
        raise TextError("languages: name at least one authentic language")
    both = set(new_authentic) & set(new_translations)
    if both:
        raise TextError(f"translations: {', '.join(sorted(both))} is already an authentic language")
    used = set(
        session.scalars(
            sa.select(ProvisionLanguage.language)
            .join(Version, Version.id == ProvisionLanguage.version_id)
            .where(Version.document_id == doc.id)
            .distinct()
            .execution_options(authz_internal=True)
        )
    )
    if used and new_authentic[0] != q.lead_language(doc):
        raise TextError(
            f"languages: the lead language stays {q.lead_language(doc)}; texts in other "
            "languages are aligned to it"
        )
    dropped = used - set(new_authentic) - set(new_translations)
    if dropped:
        raise TextError(f"languages: {', '.join(sorted(dropped))} has texts and must stay declared")
    audited_update(
        session,
        doc,
        {"languages": ",".join(new_authentic), "translations": ",".join(new_translations)},
        actor=actor,
        action="document:languages",
    )
    return doc


# ---------------------------------------------------------------- alignment


@dataclass(frozen=True)
class Pairing:
    """One provision of the imported text and the permanent id it was paired with."""

    number: str  # as the imported text numbers it
    wid: str | None  # the version's provision it translates (None: none found)
    lead_number: str | None
    score: float
    certain: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "wid": self.wid,
            "lead_number": self.lead_number,
            "score": round(self.score, 3),
            "certain": self.certain,
        }


@dataclass
class LanguageImport:
    language: str
    version: str
    stored: bool
    pairings: list[Pairing]
    unpaired: list[str] = field(default_factory=list)  # lead numbers with no text here
    warnings: tuple[str, ...] = ()

    @property
    def uncertain(self) -> list[Pairing]:
        return [p for p in self.pairings if not p.certain]

    def summary(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "version": self.version,
            "stored": self.stored,
            "provisions": len(self.pairings),
            "uncertain": [p.as_dict() for p in self.uncertain],
            "pairings": [p.as_dict() for p in self.pairings],
            "missing_here": self.unpaired,
            "warnings": list(self.warnings),
        }


def align_text(
    lead: Sequence[PlainProvision],
    lead_language: str,
    other: Sequence[PlainProvision],
    language: str,
    *,
    glossary: Glossary | None = None,
    pairs: Mapping[str, str] | None = None,
) -> tuple[list[Pairing], list[str]]:
    """Pair each provision of ``other`` with one of ``lead`` (pure; see the module docstring).

    ``pairs`` (the other text's number → a lead wid, or "" for none) overrides the engine and
    counts as certain. Returns the pairings in the other text's order and the lead numbers
    left without a text.
    """
    glossary = glossary or default_glossary()
    facts_a = [facts_of(_text(p), lead_language, glossary) for p in lead]
    facts_b = [facts_of(_text(p), language, glossary) for p in other]
    numbers_a = comparable_numbers(lead)
    numbers_b = comparable_numbers(other)
    found: dict[int, tuple[int | None, float]] = {}
    for i, j, score in align_pair(lead, other, facts_a, facts_b):
        if j is not None:
            found[j] = (i, score)
    by_wid = {p.wid: k for k, p in enumerate(lead)}
    pairs = dict(pairs or {})
    out: list[Pairing] = []
    for j, p in enumerate(other):
        if p.number in pairs:
            wid = pairs[p.number] or None
            if wid is not None and wid not in by_wid:
                raise TextError(f"pairs: {wid!r} is not a provision of this version")
            k = by_wid[wid] if wid else None
            out.append(Pairing(p.number, wid, lead[k].number if k is not None else None, 1.0, True))
            continue
        i, score = found.get(j, (None, 0.0))
        if i is None:
            out.append(Pairing(p.number, None, None, 0.0, False))
            continue
        certain = score >= SURE and numbers_a[i] == numbers_b[j]
        out.append(Pairing(p.number, lead[i].wid, lead[i].number, score, certain))
    taken: dict[str, str] = {}
    for pairing in out:
        if pairing.wid is None:
            continue
        if pairing.wid in taken:
            raise TextError(
                f"pairs: points {taken[pairing.wid]} and {pairing.number} ({language}) are both "
                f"paired with {pairing.lead_number} ({lead_language})"
            )
        taken[pairing.wid] = pairing.number
    unpaired = [p.number for p in lead if p.wid not in taken]
    return out, unpaired


def _text(p: PlainProvision) -> str:
    return f"{p.heading}\n{p.text}" if p.heading else p.text


def _declared(doc: Document, language: str) -> None:
    if language not in (*q.authentic_languages(doc), *q.working_translations(doc)):
        raise TextError(
            f"language: {language} is not a language of {doc.key} (its languages: "
            f"{', '.join(q.authentic_languages(doc) + q.working_translations(doc))}); "
            "declare it first"
        )


def import_language(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    text: str,
    language: str | None = None,
    pairs: Mapping[str, str] | None = None,
    accept_uncertain: bool = False,
) -> LanguageImport:
    """Import (or replace) the version's text in ``language`` (default: the text's front matter).

    Nothing is written while a pairing is uncertain, unless ``pairs`` settles it or
    ``accept_uncertain`` says the suggested pairings were checked. A provision of the text that
    pairs with none of the version's is refused: pair it, or take it out.
    """
    require(actor, Permission.PROCESS_RECORD_WRITE, version)
    require_action(actor, "version", "translate", _authored_by(session, version))
    parsed = parse(text)
    declared_in_text = parsed.language
    if language is None:
        if declared_in_text is None:
            raise TextError(
                "language: name the text's language (or add 'language:' to its front matter)"
            )
        language = declared_in_text
    language = _check_code(language, "language")
    if declared_in_text is not None and declared_in_text != language:
        raise TextError(f"language: the text says it is in {declared_in_text}, not {language}")
    lead = q.lead_language(doc)
    if language == lead:
        raise TextError(
            f"language: {lead} is the lead language of {doc.key}; import it as a new version"
        )
    _declared(doc, language)
    require_unfrozen(version)
    lead_plain = q.plain(session, doc, version)
    pairings, unpaired = align_text(
        lead_plain.provisions, lead, parsed.provisions, language, pairs=pairs
    )
    result = LanguageImport(
        language=language,
        version=version.label,
        stored=False,
        pairings=pairings,
        unpaired=unpaired,
        warnings=parsed.warnings,
    )
    alone = [p.number for p in pairings if p.wid is None]
    if alone:
        if pairs is not None or accept_uncertain:
            raise TextError(
                f"pairs: point {', '.join(alone)} ({language}) matches no provision of "
                f"{version.label}; pair it with one or take it out of the text"
            )
        return result
    if result.uncertain and not accept_uncertain:
        return result
    _store(
        session,
        actor=actor,
        doc=doc,
        version=version,
        language=language,
        provisions=parsed.provisions,
        pairings=pairings,
    )
    result.stored = True
    return result


def _store(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    language: str,
    provisions: Sequence[PlainProvision],
    pairings: Sequence[Pairing],
) -> None:
    wid_of = {p.number: p.wid for p in pairings}
    ids = q.wid_ids(session, doc, [w for w in wid_of.values() if w])
    existing = {
        r.provision_id: r
        for r in session.scalars(
            sa.select(ProvisionLanguage).where(
                ProvisionLanguage.version_id == version.id, ProvisionLanguage.language == language
            )
        )
    }
    number_wid = {p.number: wid_of[p.number] for p in provisions}
    by_wid_parent = {p.wid: p for p in provisions}
    changed: list[uuid.UUID] = []
    seen: set[uuid.UUID] = set()
    for ordinal, p in enumerate(provisions):
        wid = number_wid[p.number]
        assert wid is not None
        provision_id = ids[wid]
        seen.add(provision_id)
        parent_number = by_wid_parent[p.parent_wid].number if p.parent_wid else None
        parent_wid = number_wid.get(parent_number) if parent_number else None
        values = {
            "number": p.number,
            "heading": p.heading or "",
            "text": p.text,
            "ordinal": ordinal,
            "parent_provision_id": ids.get(parent_wid) if parent_wid else None,
        }
        row = existing.get(provision_id)
        if row is None:
            audited_add(
                session,
                ProvisionLanguage(
                    process_id=doc.process_id,
                    version_id=version.id,
                    provision_id=provision_id,
                    language=language,
                    **values,
                ),
                actor=actor,
                action="document:language:text",
                space=version.space,
            )
        else:
            if (row.text, row.heading or "") != (p.text, p.heading or ""):
                changed.append(provision_id)
            if any(getattr(row, k) != v for k, v in values.items()):
                audited_update(
                    session,
                    row,
                    values,
                    actor=actor,
                    action="document:language:text",
                    space=version.space,
                )
    for provision_id, row in existing.items():
        if provision_id not in seen:
            audited_delete(
                session, row, actor=actor, action="document:language:drop", space=version.space
            )
    # The language's own pending marks are settled by its new text...
    _clear(session, actor=actor, version=version, language=language, provision_ids=seen)
    # ...and a provision it changed is pending in the others.
    if changed:
        mark_pending(
            session,
            actor=actor,
            doc=doc,
            version=version,
            provision_ids=changed,
            changed_in=language,
        )


def _clear(
    session: Session,
    *,
    actor: Actor,
    version: Version,
    language: str,
    provision_ids: set[uuid.UUID] | None,
) -> int:
    count = 0
    for row in session.scalars(
        sa.select(PendingTranslation).where(
            PendingTranslation.version_id == version.id, PendingTranslation.language == language
        )
    ):
        if provision_ids is not None and row.provision_id not in provision_ids:
            continue
        audited_delete(
            session, row, actor=actor, action="document:translation:settled", space=version.space
        )
        count += 1
    return count


def mark_pending(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    provision_ids: Sequence[uuid.UUID],
    changed_in: str,
) -> int:
    """Mark the provisions pending in every language of the version but ``changed_in``."""
    languages = [x for x in q.version_languages(session, doc, version) if x != changed_in]
    if not languages or not provision_ids:
        return 0
    already = {
        (r.provision_id, r.language)
        for r in session.scalars(
            sa.select(PendingTranslation).where(PendingTranslation.version_id == version.id)
        )
    }
    count = 0
    for provision_id in dict.fromkeys(provision_ids):
        for language in languages:
            if (provision_id, language) in already:
                continue
            audited_add(
                session,
                PendingTranslation(
                    process_id=doc.process_id,
                    version_id=version.id,
                    provision_id=provision_id,
                    language=language,
                    changed_in=changed_in,
                ),
                actor=actor,
                action="document:translation:pending",
                space=version.space,
            )
            count += 1
    return count


def confirm_translation(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    wid: str,
    language: str,
) -> int:
    """Confirm that the change to provision ``wid`` does not affect its text in ``language``."""
    require(actor, Permission.PROCESS_RECORD_WRITE, version)
    require_action(actor, "version", "translate", _authored_by(session, version))
    require_unfrozen(version)
    ids = q.wid_ids(session, doc, [wid])
    if wid not in ids:
        raise TextError(f"provision: {wid!r} is not a provision of {doc.key}")
    count = _clear(
        session, actor=actor, version=version, language=language, provision_ids={ids[wid]}
    )
    if not count:
        raise TextError(f"provision: {wid} is not pending in {language}")
    return count


def update_language_text(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    wid: str,
    language: str,
    text: str,
) -> None:
    """Change one provision's text in one language of an unfrozen version: the other languages
    of that provision become pending; this language's pending mark is settled."""
    require(actor, Permission.PROCESS_RECORD_WRITE, version)
    require_action(actor, "version", "translate", _authored_by(session, version))
    require_unfrozen(version)
    if not text.strip():
        raise TextError("text: write the provision's text")
    require_visible_text(text, field="text")
    ids = q.wid_ids(session, doc, [wid])
    if wid not in ids:
        raise TextError(f"provision: {wid!r} is not a provision of {doc.key}")
    model: Any = ProvisionText if language == q.lead_language(doc) else ProvisionLanguage
    where = [model.version_id == version.id, model.provision_id == ids[wid]]
    if model is ProvisionLanguage:
        where.append(ProvisionLanguage.language == language)
    row = session.scalars(sa.select(model).where(*where)).first()
    if row is None:
        raise TextError(f"provision: {wid} has no text in {language} in {version.label}")
    if row.text == text:
        return
    audited_update(
        session,
        row,
        {"text": text},
        actor=actor,
        action="document:language:text",
        space=version.space,
    )
    _clear(session, actor=actor, version=version, language=language, provision_ids={ids[wid]})
    mark_pending(
        session,
        actor=actor,
        doc=doc,
        version=version,
        provision_ids=[ids[wid]],
        changed_in=language,
    )


def carry_languages(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    source: Version,
    target: Version,
    changed_in: str | None = None,
) -> int:
    """Give a new version (``target``, derived from ``source``) the texts of ``source`` in its
    other languages, for the provisions both have; a provision whose lead text changed or is
    new, and one pending in ``source``, is pending in those languages. Returns the pending
    count."""
    lead = q.lead_language(doc)
    others = [x for x in q.version_languages(session, doc, source) if x != lead]
    if not others:
        return 0
    old = {r.provision_id: r for r in q.provision_rows(session, source)}
    new = q.provision_rows(session, target)
    new_ids = {r.provision_id for r in new}
    still = {(r.provision_id, r.language) for r in q.pending(session, source)}
    pending_ids: list[tuple[uuid.UUID, str]] = []
    for language in others:
        for t in session.scalars(
            sa.select(ProvisionLanguage)
            .where(
                ProvisionLanguage.version_id == source.id, ProvisionLanguage.language == language
            )
            .order_by(ProvisionLanguage.ordinal)
        ):
            if t.provision_id not in new_ids:
                continue
            audited_add(
                session,
                ProvisionLanguage(
                    process_id=doc.process_id,
                    version_id=target.id,
                    provision_id=t.provision_id,
                    language=language,
                    number=t.number,
                    heading=t.heading,
                    text=t.text,
                    ordinal=t.ordinal,
                    parent_provision_id=t.parent_provision_id,
                ),
                actor=actor,
                action="document:language:text",
                space=target.space,
            )
        for r in new:
            before = old.get(r.provision_id)
            if (
                before is None
                or (before.text, before.heading) != (r.text, r.heading)
                or (r.provision_id, language) in still
            ):
                pending_ids.append((r.provision_id, language))
    for provision_id, language in pending_ids:
        audited_add(
            session,
            PendingTranslation(
                process_id=doc.process_id,
                version_id=target.id,
                provision_id=provision_id,
                language=language,
                changed_in=changed_in or lead,
            ),
            actor=actor,
            action="document:translation:pending",
            space=target.space,
        )
    return len(pending_ids)


# ---------------------------------------------------------------- the check, freeze and sign


def crosscheck_version(
    session: Session, doc: Document, version: Version, *, languages: Sequence[str] | None = None
) -> CrossCheck:
    """The cross-language check of a fetched version's texts, aligned by permanent id."""
    langs = list(languages or q.version_languages(session, doc, version))
    texts = {lang: q.rows_in(session, doc, version, lang) for lang in langs}
    order: list[str] = []
    seen: set[str] = set()
    for lang in langs:
        for r in texts[lang]:
            if r.wid not in seen:
                seen.add(r.wid)
                order.append(r.wid)
    cells = {
        lang: {
            r.wid: PlainProvision(r.wid, r.number, r.heading or None, r.text, r.parent_wid)
            for r in rows
        }
        for lang, rows in texts.items()
    }
    rows = [{lang: cells[lang].get(wid) for lang in langs} for wid in order]
    return crosscheck_aligned(langs, rows, glossary=default_glossary())


def authentic_texts(
    session: Session, doc: Document, version: Version
) -> dict[str, tuple[PlainProvision, ...]]:
    """The version's provisions in each authentic language that has a text (the lead first)."""
    stored = q.version_languages(session, doc, version)
    return {
        lang: q.plain(session, doc, version, lang).provisions
        for lang in q.authentic_languages(doc)
        if lang in stored
    }


def version_hash(session: Session, doc: Document, version: Version) -> str:
    """The content hash over every authentic language (texts.canonical.languages_hash)."""
    return languages_hash(q.lead_language(doc), authentic_texts(session, doc, version))


def blockers(session: Session, doc: Document, version: Version) -> list[str]:
    """What keeps the version from being frozen or signed, in plain words (empty: nothing)."""
    authentic = q.authentic_languages(doc)
    stored = [x for x in q.version_languages(session, doc, version) if x in authentic]
    problems: list[str] = []
    waiting: dict[str, int] = {}
    for row in q.pending(session, version):
        if row.language in authentic:
            waiting[row.language] = waiting.get(row.language, 0) + 1
    for lang, count in waiting.items():
        problems.append(f"{count} provision(s) await the {lang} translation")
    if len(stored) > 1:
        result = crosscheck_version(session, doc, version, languages=stored)
        if result.findings:
            problems.append(
                f"the cross-language check has {len(result.findings)} open finding(s) between "
                f"{', '.join(stored)}"
            )
    return problems


def check_languages(
    session: Session,
    *,
    actor: Actor,
    doc: Document,
    version: Version,
    doing: str,
    override: str | None = None,
) -> None:
    """Refuse (409) to ``doing`` ("freeze", "sign") while :func:`blockers` has anything, unless
    the mediator overrides with a reason now, or did so before."""
    problems = blockers(session, doc, version)
    if not problems:
        return
    if override is not None and override.strip():
        require_action(actor, "version", "override-languages", Subject(process_id=doc.process_id))
        audited_update(
            session,
            version,
            {"language_override": override.strip()},
            actor=actor,
            action="document:version:language-override",
        )
        return
    if version.language_override:
        return
    raise NotInState(
        f"status: cannot {doing} {version.label} while its languages are not in step: "
        f"{'; '.join(problems)}"
    )
