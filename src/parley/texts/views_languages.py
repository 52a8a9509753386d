"""Language versions of a text: the N-column comparison across languages, with the findings of
the cross-language check inline, and its writes (declare languages, import a text in another
language with the pairings confirmed, confirm a pending translation).

Under ``/p/{key}/texts/{doc}/v/{label}/languages`` and its JSON twin. A hidden document or
version answers 404 exactly like a missing one; every write is one service call in one
transaction (:mod:`parley.texts.service_languages`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.authz import Actor
from parley.authz.rules import Subject, permits
from parley.processes.models import Process
from parley.texts import queries as q
from parley.texts import service as svc
from parley.texts import service_languages as langs
from parley.texts.languages import language_name
from parley.texts.models import Document
from parley.texts.view_support import (
    API,
    PAGE,
    api_write,
    back,
    doc_of,
    document_json,
    form_body,
    form_error,
    form_write,
    membership,
    version_json,
    version_of,
    write,
)
from parley.web.deps import Csrf, CurrentActor, Db, SignedIn
from parley.web.deps import Form as PostedForm
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()


def _languages(
    db: Session, actor: Actor, process: Process, doc: Document, label: str
) -> dict[str, Any]:
    v = version_of(db, actor, doc, label)
    present = q.version_languages(db, doc, v)
    authentic = q.authentic_languages(doc)
    result = langs.crosscheck_version(db, doc, v, languages=present)
    pending: dict[str, list[str]] = {}
    ids = {r.provision_id: r.wid for lang in present for r in q.rows_in(db, doc, v, lang)}
    for row in q.pending(db, v):
        wid = ids.get(row.provision_id)
        if wid is not None:
            pending.setdefault(wid, []).append(row.language)
    by_row: dict[int, list[dict[str, Any]]] = {}
    rows_out = []
    for k, cells in enumerate(result.rows):
        wid = next(p.wid for p in cells.values() if p is not None)
        rows_out.append(
            {
                "wid": wid,
                "cells": {
                    lang: (
                        {"number": p.number, "heading": p.heading, "text": p.text}
                        if p is not None
                        else None
                    )
                    for lang, p in cells.items()
                },
                "pending": sorted(pending.get(wid, [])),
                "findings": by_row.setdefault(k, []),
            }
        )
    for f in result.findings:
        for k, cells in enumerate(result.rows):
            if all(
                (c.number if (c := cells.get(lang)) is not None else None) == number
                for lang, number in f.numbers.items()
            ):
                by_row[k].append(f.as_dict())
                break
    parties = q.parties(db, process.id)
    return {
        "document": {
            **document_json(doc),
            "languages": authentic,
            "translations": q.working_translations(doc),
        },
        "version": {**version_json(v, parties), "language_override": v.language_override},
        "languages": [
            {"code": lang, "name": language_name(lang), "authentic": lang in authentic}
            for lang in present
        ],
        "rows": rows_out,
        "findings": [f.as_dict() for f in result.findings],
        "pending": sum(len(x) for x in pending.values()),
        "blockers": langs.blockers(db, doc, v),
    }


def _can(actor: Actor, process: Process, action: str, kind: str = "version") -> bool:
    return permits(actor, kind, action, Subject(process_id=process.id))


@router.get(PAGE + "/{doc_key}/v/{label}/languages", include_in_schema=False)
def languages_page(
    request: Request, key: str, doc_key: str, label: str, db: Db, actor: CurrentActor
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    data = _languages(db, actor, process, doc, label)
    return _page(request, db, actor, process, doc, data)


def _page(
    request: Request,
    db: Session,
    actor: Actor,
    process: Process,
    doc: Document,
    data: dict[str, Any],
    *,
    proposal: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    undeclared = [
        lang
        for lang in (*q.authentic_languages(doc)[1:], *q.working_translations(doc))
        if lang not in {x["code"] for x in data["languages"]}
    ]
    return render(
        request,
        "texts/languages.html",
        status,
        process=process,
        data=data,
        membership=membership(actor, process),
        may_declare=_can(actor, process, "languages", "document"),
        may_override=_can(actor, process, "override-languages"),
        may_translate=permits(
            actor,
            "version",
            "translate",
            Subject(
                process_id=process.id,
                owners=frozenset({data["version"]["author"]} - {None}),
            ),
        ),
        importable=[*undeclared, *[x["code"] for x in data["languages"][1:]]],
        proposal=proposal,
        language_name=language_name,
        lead_versions=[v.label for v in q.versions(db, actor, doc)],
    )


@router.get(API + "/{doc_key}/v/{label}/languages", tags=["texts"])
def languages_api(
    key: str, doc_key: str, label: str, db: Db, actor: CurrentActor
) -> dict[str, Any]:
    """A version in every language it has: rows by permanent id, a cell per language, what
    awaits a translation, and the findings of the cross-language check on each row."""
    process, doc = doc_of(db, actor, key, doc_key)
    return _languages(db, actor, process, doc, label)


# ---------------------------------------------------------------- declare the languages


class LanguagesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    languages: str = Field(description="The authentic languages, the lead one first: en,uk,ru")
    translations: str = Field("", description="Working translations (not authentic): fr,de")


def _declare(
    request: Request, actor: Actor, key: str, doc_key: str, body: LanguagesIn
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        langs.set_languages(
            session,
            actor=actor,
            doc=doc,
            authentic=body.languages,
            translations=body.translations,
        )
        return {
            "languages": q.authentic_languages(doc),
            "translations": q.working_translations(doc),
        }

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/languages", tags=["texts"], dependencies=[Csrf])
def declare_api(
    request: Request, key: str, doc_key: str, body: LanguagesIn, actor: SignedIn
) -> dict[str, Any]:
    """Declare the document's authentic languages and working translations (the mediator)."""
    return api_write(_declare, request, actor, key, doc_key, body)


@router.post(PAGE + "/{doc_key}/languages", include_in_schema=False, dependencies=[Csrf])
def declare_form(
    request: Request, key: str, doc_key: str, actor: SignedIn, form: PostedForm
) -> Response:
    then = str(form.get("then") or f"/p/{key}/texts/{doc_key}")
    if not then.startswith(f"/p/{key}/texts/"):
        then = f"/p/{key}/texts/{doc_key}"
    body = form_body(LanguagesIn, form)
    return form_write(request, then, _declare, request, actor, key, doc_key, body)


# ---------------------------------------------------------------- import a language's text


class LanguageTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="The numbered text in that language")
    language: str | None = Field(None, description="ISO 639-1; default: the front matter's")
    pairs: dict[str, str] = Field(
        default_factory=dict,
        description="The text's point number -> the permanent id it translates ('' for none)",
    )
    accept_uncertain: bool = False


def _import(
    request: Request, actor: Actor, key: str, doc_key: str, label: str, body: LanguageTextIn
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        return langs.import_language(
            session,
            actor=actor,
            doc=doc,
            version=q.version(session, actor, doc, label),
            text=body.text,
            language=body.language or None,
            pairs=body.pairs or None,
            accept_uncertain=body.accept_uncertain,
        ).summary()

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/v/{label}/languages", tags=["texts"], dependencies=[Csrf])
def import_api(
    request: Request, key: str, doc_key: str, label: str, body: LanguageTextIn, actor: SignedIn
) -> dict[str, Any]:
    """Import the version's text in another language, paired with its provisions. With an
    uncertain pairing nothing is stored (``stored: false``): send ``pairs`` or
    ``accept_uncertain`` once a person has checked them."""
    return api_write(_import, request, actor, key, doc_key, label, body)


@router.post(PAGE + "/{doc_key}/v/{label}/languages", include_in_schema=False, dependencies=[Csrf])
def import_form(
    request: Request, key: str, doc_key: str, label: str, actor: SignedIn, form: PostedForm, db: Db
) -> Response:
    pairs = {
        str(name)[5:]: str(value)
        for name, value in form.multi_items()
        if str(name).startswith("pair:") and isinstance(value, str)
    }
    body = form_body(
        LanguageTextIn,
        form,
        pairs=pairs,
        accept_uncertain=bool(form.get("accept_uncertain")),
    )
    try:
        summary = _import(request, actor, key, doc_key, label, body)
    except svc.TextError as exc:
        return form_error(request, exc)
    then = f"/p/{key}/texts/{doc_key}/v/{label}/languages"
    if summary["stored"]:
        return back(then + f"#lang-{summary['language']}")
    # Nothing stored: show the pairings to confirm or correct, with the text kept.
    process, doc = doc_of(db, actor, key, doc_key)
    data = _languages(db, actor, process, doc, label)
    lead_rows = q.rows_in(db, doc, version_of(db, actor, doc, label), None)
    proposal = {
        **summary,
        "text": body.text,
        "choices": [{"wid": r.wid, "number": r.number} for r in lead_rows],
    }
    return _page(request, db, actor, process, doc, data, proposal=proposal)


# ---------------------------------------------------------------- confirm a pending one


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wid: str
    language: str


def _confirm(
    request: Request, actor: Actor, key: str, doc_key: str, label: str, body: ConfirmIn
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        langs.confirm_translation(
            session,
            actor=actor,
            doc=doc,
            version=q.version(session, actor, doc, label),
            wid=body.wid,
            language=body.language,
        )
        return {"wid": body.wid, "language": body.language, "pending": False}

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/v/{label}/languages/confirm", tags=["texts"], dependencies=[Csrf])
def confirm_api(
    request: Request, key: str, doc_key: str, label: str, body: ConfirmIn, actor: SignedIn
) -> dict[str, Any]:
    """Confirm that a change does not affect a provision's text in ``language``."""
    return api_write(_confirm, request, actor, key, doc_key, label, body)


@router.post(
    PAGE + "/{doc_key}/v/{label}/languages/confirm",
    include_in_schema=False,
    dependencies=[Csrf],
)
def confirm_form(
    request: Request, key: str, doc_key: str, label: str, actor: SignedIn, form: PostedForm
) -> Response:
    then = f"/p/{key}/texts/{doc_key}/v/{label}/languages"
    body = form_body(ConfirmIn, form)
    return form_write(request, then, _confirm, request, actor, key, doc_key, label, body)
