"""Negotiating-text pages and their JSON twins, all under ``/p/{key}/texts``.

Documents and versions, the reading view, redlines, the N-column comparison, matching
suggestions to confirm or correct, the amendment workflow, the bracket editor, freezing,
signing keys and signatures, and downloads (Markdown, DOCX, Akoma Ntoso, HTML). Every read is
scoped through ``authz.visible`` (see :mod:`parley.texts.queries`); every write is one named
service call in one transaction. A hidden document, version, amendment or bracket answers 404
exactly like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound
from parley.authz.scope import actor_party, actor_party_id, actor_role
from parley.processes.models import Process
from parley.texts import queries as q
from parley.texts import service as svc
from parley.texts.exporting import (
    DIFF_FORMATS,
    DOCX,
    FORMATS,
    comparison_download,
    comparison_of,
    diff_download,
    match_of,
    redline_of,
    version_download,
)
from parley.texts.models import Document, Version
from parley.texts.redline import ops_to_html, redline_to_dict, redline_to_html
from parley.texts.view_support import (
    API,
    PAGE,
    api_write,
    back,
    bracket_json,
    doc_of,
    document_json,
    download,
    form_body,
    form_error,
    form_write,
    membership,
    unprocessable,
    version_json,
    version_of,
    write,
)
from parley.web.deps import Csrf, CurrentActor, Db, SignedIn, StepUp, process_by_key
from parley.web.deps import Form as PostedForm
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()


# ---------------------------------------------------------------- documents


def _index(db: Session, actor: Actor, process: Process) -> list[dict[str, Any]]:
    parties = q.parties(db, process.id)
    return [
        {
            **document_json(d),
            "versions": [version_json(v, parties) for v in q.versions(db, actor, d)],
        }
        for d in q.documents(db, actor, process.id)
    ]


@router.get(PAGE, include_in_schema=False)
def texts_page(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    process = process_by_key(db, actor, key)
    return render(
        request, "texts/index.html", process=process, documents=_index(db, actor, process)
    )


@router.get(API, tags=["texts"])
def texts_api(key: str, db: Db, actor: CurrentActor) -> list[dict[str, Any]]:
    """Documents the caller can see, each with the versions the caller can see."""
    return _index(db, actor, process_by_key(db, actor, key))


def _chart(counts: dict[str, Any]) -> str | None:
    """A plotly figure (JSON) of open brackets and options per version, in time order."""
    rows = counts["per_version"]
    if not any(r["brackets"] for r in rows):
        return None
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    labels = [r["version"] for r in rows]
    figure = go.Figure(
        data=[
            go.Bar(name="open brackets", x=labels, y=[r["open_brackets"] for r in rows]),
            go.Bar(name="options in open brackets", x=labels, y=[r["open_options"] for r in rows]),
        ],
        layout=go.Layout(
            barmode="group",
            height=300,
            margin={"l": 40, "r": 10, "t": 30, "b": 40},
            title={"text": "Open brackets and options per version (oldest first)"},
            yaxis={"rangemode": "tozero", "dtick": 1},
        ),
    )
    series = counts["over_time"]
    if series:
        figure.add_trace(
            go.Scatter(
                name="open brackets over time",
                x=[s["at"] for s in series],
                y=[s["open_brackets"] for s in series],
                line_shape="hv",
                xaxis="x2",
                yaxis="y",
                mode="lines+markers",
            )
        )
        figure.update_layout(xaxis2={"overlaying": "x", "side": "top", "type": "date"})
    return str(figure.to_json())


def _document(db: Session, actor: Actor, process: Process, doc: Document) -> dict[str, Any]:
    versions = q.versions(db, actor, doc)
    parties = q.parties(db, process.id)
    items = []
    for v in versions:
        item = version_json(v, parties)
        item["parents"] = q.parent_labels(db, actor, v)
        item["signatures"] = len(q.signatures(db, actor, v))
        items.append(item)
    counts = q.bracket_counts(db, actor, versions)
    current = q.current_text(db, actor, doc)
    return {
        **document_json(doc),
        "versions": items,
        "current_text": current.label if current else None,
        "brackets": counts,
        "amendments": len(q.amendments(db, actor, doc)),
    }


@router.get(PAGE + "/{doc_key}", include_in_schema=False)
def document_page(
    request: Request, key: str, doc_key: str, db: Db, actor: CurrentActor
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    data = _document(db, actor, process, doc)
    return render(
        request,
        "texts/document.html",
        process=process,
        doc=data,
        chart=_chart(data["brackets"]),
        membership=membership(actor, process),
        kinds=["party_draft", "mediator_text", "compromise", "agreed", "signed"],
    )


@router.get(API + "/{doc_key}", tags=["texts"])
def document_api(key: str, doc_key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """A document: its versions (with parents and signature counts), bracket counts."""
    process, doc = doc_of(db, actor, key, doc_key)
    return _document(db, actor, process, doc)


class ImportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1)
    kind: str = "party_draft"
    space: str | None = None
    parent: str | None = None
    author: str | None = None


def _import(
    request: Request, actor: Actor, key: str, doc_key: str, body: ImportIn
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        return svc.import_version(
            session,
            actor=actor,
            process=process,
            document=doc.key,
            label=body.label,
            text=body.text,
            kind=body.kind,
            space=body.space or None,
            parent=body.parent or None,
            author=body.author or None,
        ).summary()

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/versions", tags=["texts"], dependencies=[Csrf], status_code=201)
def import_api(
    request: Request, key: str, doc_key: str, body: ImportIn, actor: SignedIn
) -> dict[str, Any]:
    """Import a numbered text as a new version (errors name their lines)."""
    return api_write(_import, request, actor, key, doc_key, body)


@router.post(PAGE + "/{doc_key}/versions", include_in_schema=False, dependencies=[Csrf])
def import_form(
    request: Request, key: str, doc_key: str, actor: SignedIn, form: PostedForm
) -> Response:
    try:
        result = _import(request, actor, key, doc_key, form_body(ImportIn, form))
    except svc.TextError as exc:
        return form_error(request, exc)
    except ValueError as exc:
        return render(request, "error.html", 422, title="Not done", message=str(exc))
    return back(f"/p/{key}/texts/{doc_key}/v/{result['version']}")


# ---------------------------------------------------------------- reading view


def _reading(
    db: Session, actor: Actor, process: Process, doc: Document, v: Version
) -> dict[str, Any]:
    parties = q.parties(db, process.id)
    views = q.brackets(db, actor, [v])
    by_provision: dict[str, list[dict[str, Any]]] = {}
    for b in views:
        by_provision.setdefault(b.wid, []).append(bracket_json(b))
    return {
        "document": document_json(doc),
        "version": {**version_json(v, parties), "parents": q.parent_labels(db, actor, v)},
        "provisions": [
            {
                "wid": r.wid,
                "number": r.number,
                "heading": r.heading,
                "text": r.text,
                "parent_wid": r.parent_wid,
                "brackets": by_provision.get(r.wid, []),
            }
            for r in q.provision_rows(db, v)
        ],
        "signatures": q.signatures(db, actor, v),
        "open_brackets": sum(1 for b in views if b.is_open),
    }


@router.get(PAGE + "/{doc_key}/v/{label}", include_in_schema=False)
def version_page(
    request: Request, key: str, doc_key: str, label: str, db: Db, actor: CurrentActor
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    v = version_of(db, actor, doc, label)
    others = [x.label for x in q.versions(db, actor, doc) if x.id != v.id]
    return render(
        request,
        "texts/version.html",
        process=process,
        data=_reading(db, actor, process, doc, v),
        others=others,
        membership=membership(actor, process),
        languages=q.version_languages(db, doc, v),
        blockers=_blockers(db, doc, v),
    )


def _blockers(db: Session, doc: Document, v: Version) -> list[str]:
    from parley.texts.service_languages import blockers

    return blockers(db, doc, v) if v.content_hash is None else []


@router.get(API + "/{doc_key}/v/{label}", tags=["texts"])
def version_api(key: str, doc_key: str, label: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """A version: provisions in order, brackets on them, and who signed which hash when."""
    process, doc = doc_of(db, actor, key, doc_key)
    return _reading(db, actor, process, doc, version_of(db, actor, doc, label))


def _export(
    db: Session,
    actor: Actor,
    key: str,
    doc_key: str,
    label: str,
    fmt: str,
    against: str | None,
    language: str | None = None,
) -> Response:
    if fmt not in FORMATS:
        raise NotFound("format")
    _, doc = doc_of(db, actor, key, doc_key)
    v = version_of(db, actor, doc, label)
    base = version_of(db, actor, doc, against) if against else None
    if base is not None and fmt != "docx":
        raise HTTPException(422, "against: only for docx")
    if language is not None and language not in q.version_languages(db, doc, v):
        raise NotFound("language")
    return download(version_download(db, actor, doc, v, fmt, base, language))


# A download takes the text out of Parley: step-up first, as for signing (PARLEY_STEP_UP).
EXPORT_TYPES = {
    "text/markdown": {"schema": {"type": "string"}},
    DOCX: {"schema": {"type": "string", "format": "binary"}},
    "application/akn+xml": {"schema": {"type": "string"}},
}


@router.get(
    PAGE + "/{doc_key}/v/{label}/export/{fmt}", include_in_schema=False, dependencies=[StepUp]
)
def export_page(
    key: str,
    doc_key: str,
    label: str,
    fmt: str,
    db: Db,
    actor: CurrentActor,
    against: str | None = None,
    language: str | None = None,
) -> Response:
    return _export(db, actor, key, doc_key, label, fmt, against, language)


@router.get(
    API + "/{doc_key}/v/{label}/export/{fmt}",
    tags=["texts"],
    dependencies=[StepUp],
    response_class=Response,
    responses={200: {"description": "The version as a file", "content": EXPORT_TYPES}},
)
def export_api(
    key: str,
    doc_key: str,
    label: str,
    fmt: str,
    db: Db,
    actor: CurrentActor,
    against: str | None = None,
    language: str | None = None,
) -> Response:
    """Download a version: `md`, `docx` (tracked changes from `against`), or `akn` (XML), in
    `language` (default: the document's lead language; 404 where the version has no text)."""
    return _export(db, actor, key, doc_key, label, fmt, against, language)


def _freeze(
    request: Request,
    actor: Actor,
    key: str,
    doc_key: str,
    label: str,
    override: str | None = None,
) -> str:
    def run(session: Session, process: Process, doc: Document | None) -> str:
        assert doc is not None
        return svc.freeze_version(
            session,
            actor=actor,
            doc=doc,
            version=q.version(session, actor, doc, label),
            override=override,
        )

    return write(request, actor, key, doc_key, run)


class FreezeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    override: str | None = Field(
        None,
        description="The mediator's reason to freeze although a language is pending or the "
        "cross-language check has findings (step-up; audited)",
    )


@router.post(API + "/{doc_key}/v/{label}/freeze", tags=["texts"], dependencies=[Csrf])
def freeze_api(
    request: Request,
    key: str,
    doc_key: str,
    label: str,
    actor: SignedIn,
    body: FreezeIn | None = None,
) -> dict[str, str]:
    """Freeze a version: its content hash (over every authentic language) is fixed and it never
    changes again. 409 while its languages are not in step, unless the mediator overrides."""
    override = body.override if body else None
    return {"content_hash": api_write(_freeze, request, actor, key, doc_key, label, override)}


@router.post(PAGE + "/{doc_key}/v/{label}/freeze", include_in_schema=False, dependencies=[Csrf])
def freeze_form(
    request: Request, key: str, doc_key: str, label: str, actor: SignedIn, form: PostedForm
) -> Response:
    then = f"/p/{key}/texts/{doc_key}/v/{label}"
    override = form.get("override")
    reason = override if isinstance(override, str) and override.strip() else None
    return form_write(request, then, _freeze, request, actor, key, doc_key, label, reason)


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: str


def _sign(
    request: Request, actor: Actor, key: str, doc_key: str, label: str, passphrase: str
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        signature = svc.sign_version(
            session,
            actor=actor,
            doc=doc,
            version=q.version(session, actor, doc, label),
            passphrase=passphrase,
        )
        return {
            "content_hash": signature.content_hash,
            "signature": signature.signature,
            "signed_at": jsonable(signature.signed_at),
        }

    return write(request, actor, key, doc_key, run)


@router.post(
    API + "/{doc_key}/v/{label}/sign",
    tags=["texts"],
    dependencies=[Csrf, StepUp],
    status_code=201,
)
def sign_api(
    request: Request, key: str, doc_key: str, label: str, body: SignIn, actor: SignedIn
) -> dict[str, Any]:
    """Sign a frozen version for the caller's delegation (its head, with the key's passphrase)."""
    try:
        return _sign(request, actor, key, doc_key, label, body.passphrase)
    except svc.TextError as exc:
        raise unprocessable(exc) from None


@router.post(
    PAGE + "/{doc_key}/v/{label}/sign", include_in_schema=False, dependencies=[Csrf, StepUp]
)
def sign_form(
    request: Request,
    key: str,
    doc_key: str,
    label: str,
    actor: SignedIn,
    passphrase: Annotated[str, Form()] = "",
) -> Response:
    try:
        _sign(request, actor, key, doc_key, label, passphrase)
    except svc.TextError as exc:
        return form_error(request, exc)
    return back(f"/p/{key}/texts/{doc_key}/v/{label}")


# ---------------------------------------------------------------- redline and comparison


def _pair(
    db: Session, actor: Actor, doc: Document, old: str | None, new: str | None
) -> tuple[Version, Version]:
    versions = q.versions(db, actor, doc)
    if not versions:
        raise NotFound("version")
    by_label = {v.label: v for v in versions}
    new_v = by_label.get(new) if new else versions[-1]
    if new_v is None:
        raise NotFound("version")
    if old:
        old_v = by_label.get(old)
    else:
        parents = q.parent_labels(db, actor, new_v)
        earlier = [v for v in versions if v.created_at <= new_v.created_at and v.id != new_v.id]
        old_v = by_label.get(parents[0]) if parents else (earlier[-1] if earlier else new_v)
    if old_v is None:
        raise NotFound("version")
    return old_v, new_v


@router.get(PAGE + "/{doc_key}/diff", include_in_schema=False)
def diff_page(
    request: Request,
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    old: str | None = None,
    new: str | None = None,
    language: str | None = None,
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    if old is None and new is None and not q.versions(db, actor, doc):
        # The document is shared, none of its versions yet: say so instead of a 404.
        return render(
            request,
            "error.html",
            process=process,
            title=f"Redline of {doc.title}",
            message="No version of this document is shared with you yet.",
            back=("Back to the document", f"/p/{key}/texts/{doc_key}"),
        )
    old_v, new_v = _pair(db, actor, doc, old, new)
    language = _diff_language(db, doc, new_v, language)
    changes = redline_of(db, actor, doc, old_v, new_v, language)
    return render(
        request,
        "texts/diff.html",
        process=process,
        doc=doc,
        old=old_v.label,
        new=new_v.label,
        language=language or q.lead_language(doc),
        languages=q.version_languages(db, doc, new_v),
        labels=[v.label for v in q.versions(db, actor, doc)],
        counts=changes.counts(),
        fragment=redline_to_html(changes),
    )


@router.get(API + "/{doc_key}/diff", tags=["texts"])
def diff_api(
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    old: str | None = None,
    new: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """The word-level redline from `old` to `new` (moved provisions marked as moved), in
    `language` (default: the document's lead language)."""
    _, doc = doc_of(db, actor, key, doc_key)
    old_v, new_v = _pair(db, actor, doc, old, new)
    language = _diff_language(db, doc, new_v, language)
    return redline_to_dict(redline_of(db, actor, doc, old_v, new_v, language))


def _diff_language(db: Session, doc: Document, v: Version, language: str | None) -> str | None:
    if language is None or language == q.lead_language(doc):
        return None
    if language not in q.version_languages(db, doc, v):
        raise NotFound("language")
    return language


@router.get(PAGE + "/{doc_key}/diff/{fmt}", include_in_schema=False)
def diff_download_page(
    key: str,
    doc_key: str,
    fmt: str,
    db: Db,
    actor: CurrentActor,
    old: str | None = None,
    new: str | None = None,
) -> Response:
    if fmt not in DIFF_FORMATS:
        raise NotFound("format")
    _, doc = doc_of(db, actor, key, doc_key)
    old_v, new_v = _pair(db, actor, doc, old, new)
    return download(diff_download(redline_of(db, actor, doc, old_v, new_v), fmt, doc))


def _columns(db: Session, actor: Actor, doc: Document, labels: list[str]) -> list[Version]:
    versions = q.versions(db, actor, doc)
    if not labels:
        return versions
    by_label = {v.label: v for v in versions}
    chosen = [by_label.get(label) for label in labels]
    if any(v is None for v in chosen):
        raise NotFound("version")
    return [v for v in chosen if v is not None]


def _comparison_json(result: Any) -> dict[str, Any]:
    return {
        "columns": [
            {"label": v.label, "kind": v.kind, "author": v.author, "date": v.date}
            for v in result.columns
        ],
        "open_rows": result.open_rows(),
        "rows": [
            {
                "key": row.key,
                "differs": row.differs,
                "cells": [
                    [
                        {"wid": p.wid, "number": p.number, "heading": p.heading, "text": p.text}
                        for p in cell
                    ]
                    for cell in row.cells
                ],
            }
            for row in result.rows
        ],
    }


@router.get(PAGE + "/{doc_key}/compare", include_in_schema=False)
def compare_page(
    request: Request,
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    v: Annotated[list[str] | None, Query()] = None,
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    columns = _columns(db, actor, doc, v or [])
    result = comparison_of(db, actor, doc, columns)
    rows = [
        {
            "key": row.key,
            "differs": row.differs,
            "cells": [
                {
                    "numbers": ", ".join(p.number for p in cell),
                    "headings": " / ".join(p.heading for p in cell if p.heading),
                    "html": ops_to_html(ops or ()),
                }
                if cell
                else None
                for cell, ops in zip(row.cells, row.ops, strict=True)
            ],
        }
        for row in result.rows
    ]
    query = "&".join(f"v={c.label}" for c in result.columns)
    return render(
        request,
        "texts/compare.html",
        process=process,
        doc=doc,
        columns=result.columns,
        rows=rows,
        open_rows=result.open_rows(),
        labels=[x.label for x in q.versions(db, actor, doc)],
        chosen=[c.label for c in columns],
        query=query,
    )


@router.get(API + "/{doc_key}/compare", tags=["texts"])
def compare_api(
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    v: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """Versions side by side (`v` repeated, default all), one row per provision via lineage."""
    _, doc = doc_of(db, actor, key, doc_key)
    return _comparison_json(comparison_of(db, actor, doc, _columns(db, actor, doc, v or [])))


@router.get(PAGE + "/{doc_key}/compare/{fmt}", include_in_schema=False)
def compare_download(
    key: str,
    doc_key: str,
    fmt: str,
    db: Db,
    actor: CurrentActor,
    v: Annotated[list[str] | None, Query()] = None,
) -> Response:
    if fmt not in ("html", "docx"):
        raise NotFound("format")
    _, doc = doc_of(db, actor, key, doc_key)
    result = comparison_of(db, actor, doc, _columns(db, actor, doc, v or []))
    return download(comparison_download(result, fmt, doc))


# ---------------------------------------------------------------- matching


def _matching(
    db: Session, actor: Actor, doc: Document, old_v: Version, new_v: Version
) -> dict[str, Any]:
    old_rows = {r.wid: r for r in q.provision_rows(db, old_v)}
    new_rows = {r.wid: r for r in q.provision_rows(db, new_v)}
    stored = q.lineage(db, actor, [old_v, new_v], confirmed=None)
    links = []
    for row, a, b in stored:
        if row.from_version_id != old_v.id or row.to_version_id != new_v.id:
            continue
        links.append(
            {
                "id": str(row.id),
                "kind": str(row.kind),
                "score": row.score,
                "old": a,
                "old_number": old_rows[a].number if a in old_rows else None,
                "old_text": old_rows[a].text if a in old_rows else None,
                "new": b,
                "new_number": new_rows[b].number if b in new_rows else None,
                "new_text": new_rows[b].text if b in new_rows else None,
                "confirmed": row.confirmed_at is not None,
                "confirmed_at": jsonable(row.confirmed_at),
            }
        )
    if not links:  # nothing stored for this pair: fresh suggestions, not yet saved
        for s in match_of(db, doc, old_v, new_v).suggestions:
            for a, b in svc._suggestion_pairs(s.kind, s.old_wids, s.new_wids):
                links.append(
                    {
                        "id": None,
                        "kind": s.kind,
                        "score": round(s.score, 4),
                        "old": a,
                        "old_number": old_rows[a].number if a else None,
                        "old_text": old_rows[a].text if a else None,
                        "new": b,
                        "new_number": new_rows[b].number if b else None,
                        "new_text": new_rows[b].text if b else None,
                        "confirmed": False,
                        "confirmed_at": None,
                    }
                )
    return {
        "old": old_v.label,
        "new": new_v.label,
        "links": links,
        "old_provisions": [{"wid": r.wid, "number": r.number} for r in old_rows.values()],
    }


@router.get(PAGE + "/{doc_key}/match", include_in_schema=False)
def match_page(
    request: Request,
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    old: str | None = None,
    new: str | None = None,
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    old_v, new_v = _pair(db, actor, doc, old, new)
    return render(
        request,
        "texts/match.html",
        process=process,
        doc=doc,
        data=_matching(db, actor, doc, old_v, new_v),
        labels=[v.label for v in q.versions(db, actor, doc)],
        membership=membership(actor, process),
        kinds=["same", "changed", "moved", "split", "merged", "new"],
    )


@router.get(API + "/{doc_key}/match", tags=["texts"])
def match_api(
    key: str,
    doc_key: str,
    db: Db,
    actor: CurrentActor,
    old: str | None = None,
    new: str | None = None,
) -> dict[str, Any]:
    """Stored lineage links (suggested and confirmed) from `old` to `new`, with texts."""
    _, doc = doc_of(db, actor, key, doc_key)
    old_v, new_v = _pair(db, actor, doc, old, new)
    return _matching(db, actor, doc, old_v, new_v)


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old: str
    new: str
    confirm_all: bool = False
    new_wid: str | None = None
    old_wid: str | None = None
    kind: str = "changed"


def _match_write(
    request: Request, actor: Actor, key: str, doc_key: str, body: MatchIn
) -> dict[str, Any]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        old_v = q.version(session, actor, doc, body.old)
        new_v = q.version(session, actor, doc, body.new)
        if body.confirm_all:
            return {"confirmed": svc.confirm_lineage(session, actor=actor, old=old_v, new=new_v)}
        if not body.new_wid:
            raise svc.TextError("new_wid: which provision of the new version")
        row = svc.correct_lineage(
            session,
            actor=actor,
            doc=doc,
            old=old_v,
            new=new_v,
            new_wid=body.new_wid,
            old_wid=body.old_wid or None,
            kind=body.kind,
        )
        return {"corrected": str(row.id), "kind": str(row.kind)}

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/match", tags=["texts"], dependencies=[Csrf])
def match_write_api(
    request: Request, key: str, doc_key: str, body: MatchIn, actor: SignedIn
) -> dict[str, Any]:
    """Confirm every suggested link (`confirm_all`), or correct one provision's link."""
    return api_write(_match_write, request, actor, key, doc_key, body)


@router.post(PAGE + "/{doc_key}/match", include_in_schema=False, dependencies=[Csrf])
def match_form(
    request: Request, key: str, doc_key: str, actor: SignedIn, form: PostedForm
) -> Response:
    # Any value ticks the box, as a checkbox's presence does.
    body = form_body(MatchIn, form, confirm_all=bool(form.get("confirm_all")))
    then = f"/p/{key}/texts/{doc_key}/match?old={body.old}&new={body.new}"
    return form_write(request, then, _match_write, request, actor, key, doc_key, body)


# ---------------------------------------------------------------- signing keys


def _keys(db: Session, actor: Actor, process: Process) -> dict[str, Any]:
    party_id = actor_party_id(actor, process.id)
    if party_id is None:
        return {"party": None, "keys": [], "can_create": False}
    return {
        "party": actor_party(actor, process.id),
        "can_create": actor_role(actor, process.id) == "head",
        "keys": [
            {
                "id": str(k.id),
                "public_key": k.public_key,
                "created_at": jsonable(k.created_at),
                "retired_at": jsonable(k.retired_at),
            }
            for k in q.keys_of(db, process.id, party_id)
        ],
    }


@router.get(PAGE + "-keys", include_in_schema=False)
def keys_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    return render(request, "texts/keys.html", process=process, data=_keys(db, actor, process))


@router.get(API + "-keys", tags=["texts"])
def keys_api(key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """The signing keys (public halves) of the caller's own delegation."""
    process = process_by_key(db, actor, key)
    return _keys(db, actor, process)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passphrase: str


def _keygen(request: Request, actor: Actor, key: str, passphrase: str) -> dict[str, str]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, str]:
        k = svc.generate_signing_key(session, actor=actor, process=process, passphrase=passphrase)
        return {"key_id": str(k.id), "public_key": k.public_key}

    return write(request, actor, key, None, run)


@router.post(API + "-keys", tags=["texts"], dependencies=[Csrf], status_code=201)
def keygen_api(request: Request, key: str, body: KeyIn, actor: SignedIn) -> dict[str, str]:
    """The head creates its delegation's Ed25519 key (an earlier key is retired)."""
    try:
        return _keygen(request, actor, key, body.passphrase)
    except svc.TextError as exc:
        raise unprocessable(exc) from None


@router.post(PAGE + "-keys", include_in_schema=False, dependencies=[Csrf])
def keygen_form(
    request: Request,
    key: str,
    actor: SignedIn,
    passphrase: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    if passphrase != confirm:
        return render(
            request,
            "error.html",
            422,
            title="Not done",
            message="confirm: the two passphrases differ",
        )
    try:
        _keygen(request, actor, key, passphrase)
    except svc.TextError as exc:
        return form_error(request, exc)
    return back(f"/p/{key}/texts-keys")
