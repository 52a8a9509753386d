"""The review queue and the report form: HTML pages and their JSON twins.

    GET  /p/{key}/review                          the queue (status, kind, source filters)
    GET  /p/{key}/review/{id}                     one proposal: whole source, edit, merge
    POST /p/{key}/review/{id}/accept|reject|merge|edit
    POST /p/{key}/review/bulk                     accept or reject the selected proposals
    GET  /p/{key}/intake, POST /p/{key}/intake    submit a report (text, file or URL)

Each has its twin under /api/v1/processes/{key}/..., behind the same service and checks.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData, UploadFile

from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.scope import writable_spaces
from parley.db.engine import read_session
from parley.intake import queries as q
from parley.intake.review import (
    EDITABLE_FIELDS,
    AlreadyReviewed,
    ReviewError,
    accept_proposal,
    bulk_review,
    edit_proposal,
    merge_proposal,
    reject_proposal,
)
from parley.intake.service import (
    IntakeError,
    default_space,
    extract_plan,
    plan_intake,
    read_submission,
    store_intake,
)
from parley.processes.models import Process
from parley.web.deps import Csrf, Db, Form, SignedIn, process_by_key, request_write_session
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"


def _size(request: Request) -> int:
    return int(request.app.state.settings.page_size) * 2


def _filter(status: str | None, kind: str | None, source: str | None) -> q.QueueFilter:
    if status not in (None, "", "all", *q.STATUSES):
        raise HTTPException(422, f"status: expected one of all, {', '.join(q.STATUSES)}")
    if kind not in (None, "", *q.KIND_LABELS):
        raise HTTPException(422, f"kind: expected one of {', '.join(q.KIND_LABELS)}")
    try:
        source_id = uuid.UUID(source) if source else None
    except ValueError:
        raise HTTPException(422, "source: not an id") from None
    return q.QueueFilter(
        status=None if status in ("", "all") else (status or "pending"),
        kind=kind or None,
        source_id=source_id,
    )


def _error(exc: Exception) -> HTTPException:
    return HTTPException(409 if isinstance(exc, AlreadyReviewed) else 422, str(exc))


def _writer_process(db: Any, actor: Actor, key: str) -> Process:
    """The process, for a caller who may write in at least one of its spaces."""
    process = process_by_key(db, actor, key)
    if not writable_spaces(db, actor, process.id):
        raise Forbidden("read only")
    return process


# ---------------------------------------------------------------- the queue


@router.get("/p/{key}/review", include_in_schema=False)
def review_page(
    request: Request,
    key: str,
    db: Db,
    actor: SignedIn,
    status: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    page: int = 1,
) -> Response:
    process = process_by_key(db, actor, key)
    flt = _filter(status, kind, source)
    items, pager = q.review_queue(
        db, actor=actor, process=process, flt=flt, page=max(page, 1), size=_size(request)
    )
    q.add_snippets(db, actor, items)
    return render(
        request,
        "intake/review.html",
        process=process,
        groups=q.grouped(items),
        page=pager,
        flt=flt,
        counts=q.status_counts(db, actor, process, flt),
        statuses=q.STATUSES,
        kinds=q.KIND_LABELS,
        can_take_in=bool(writable_spaces(db, actor, process.id)),
    )


@router.get(API + "/{key}/review", tags=["intake"])
def review_api(
    request: Request,
    key: str,
    db: Db,
    actor: SignedIn,
    status: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    page: int = 1,
) -> dict[str, Any]:
    """Proposals in the review queue the caller can see (default: pending), newest report first.

    `status` is pending, accepted, merged, rejected or all; `kind` one of warning, party,
    person, document, meeting, quote, commitment, demand; `source` a source id."""
    process = process_by_key(db, actor, key)
    flt = _filter(status, kind, source)
    items, pager = q.review_queue(
        db, actor=actor, process=process, flt=flt, page=max(page, 1), size=_size(request)
    )
    return {"items": items, "counts": q.status_counts(db, actor, process, flt), **pager.as_json()}


def _detail_page(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    proposal_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    proposal, source, item = q.proposal_detail(
        db, actor=actor, process=process, proposal_id=proposal_id
    )
    return render(
        request,
        "intake/review_item.html",
        status_code,
        process=process,
        item=item,
        text=q.highlight(source.text, proposal.start, proposal.end, whole=True),
        error=error,
        kinds=q.KIND_LABELS,
    )


@router.get("/p/{key}/review/{proposal_id}", include_in_schema=False)
def proposal_page(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    return _detail_page(request, db, actor, process, proposal_id)


@router.get(API + "/{key}/review/{proposal_id}", tags=["intake"])
def proposal_api(key: str, proposal_id: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """One proposal with its evidence, warnings, and the records it may be merged into."""
    process = process_by_key(db, actor, key)
    return q.proposal_detail(db, actor=actor, process=process, proposal_id=proposal_id)[2]


# ---------------------------------------------------------------- review actions


def _act(request: Request, call: Any, **kwargs: Any) -> dict[str, Any]:
    with request_write_session(request) as session:
        result = call(session, **kwargs)
        out: dict[str, Any] = result.to_dict()
        return out


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_id: uuid.UUID


class EditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: dict[str, Any]
    accept: bool = False


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(max_length=1000)
    action: Literal["accept", "reject"]


@router.post(API + "/{key}/review/bulk", tags=["intake"], dependencies=[Csrf])
def bulk_api(request: Request, key: str, body: BulkIn, db: Db, actor: SignedIn) -> dict[str, Any]:
    """Accept or reject many proposals; each succeeds or fails on its own (see `results`)."""
    process = _writer_process(db, actor, key)
    return {"results": _bulk(request, actor, process, body.ids, body.action)}


def _bulk(
    request: Request,
    actor: Actor,
    process: Process,
    ids: list[str],
    action: Literal["accept", "reject"],
) -> list[dict[str, Any]]:
    with request_write_session(request) as session:
        return bulk_review(session, actor=actor, process=process, proposal_ids=ids, action=action)


@router.post("/p/{key}/review/bulk", include_in_schema=False, dependencies=[Csrf])
def bulk_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    process = _writer_process(db, actor, key)
    action: Literal["accept", "reject"] = "accept" if form.get("action") == "accept" else "reject"
    if form.get("action") not in ("accept", "reject"):
        raise HTTPException(422, "action: expected accept or reject")
    results = _bulk(request, actor, process, [str(v) for v in form.getlist("ids")], action)
    return render(
        request, "intake/review_bulk.html", process=process, results=results, action=action
    )


def _back(key: str, form_next: str) -> str:
    """Only back into this process's review pages (never an open redirect)."""
    base = f"/p/{key}/review"
    ok = form_next.startswith(base) and "//" not in form_next and "\\" not in form_next
    return form_next if ok else base


@router.post(API + "/{key}/review/{proposal_id}/accept", tags=["intake"], dependencies=[Csrf])
def accept_api(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Accept: create or update the record, link the source as evidence (exact offsets)."""
    process = process_by_key(db, actor, key)
    try:
        return _act(request, accept_proposal, actor=actor, process=process, proposal_id=proposal_id)
    except ReviewError as exc:
        raise _error(exc) from None


@router.post(API + "/{key}/review/{proposal_id}/reject", tags=["intake"], dependencies=[Csrf])
def reject_api(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Reject a proposal (a warning: dismiss it)."""
    process = process_by_key(db, actor, key)
    try:
        return _act(request, reject_proposal, actor=actor, process=process, proposal_id=proposal_id)
    except ReviewError as exc:
        raise _error(exc) from None


@router.post(API + "/{key}/review/{proposal_id}/merge", tags=["intake"], dependencies=[Csrf])
def merge_api(
    request: Request, key: str, proposal_id: str, body: MergeIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Merge into an existing record of the same kind: evidence added, empty fields filled."""
    process = process_by_key(db, actor, key)
    try:
        return _act(
            request,
            merge_proposal,
            actor=actor,
            process=process,
            proposal_id=proposal_id,
            record_id=body.record_id,
        )
    except ReviewError as exc:
        raise _error(exc) from None


def _edit(
    request: Request,
    actor: Actor,
    process: Process,
    proposal_id: str,
    changes: dict[str, Any],
    accept: bool,
) -> dict[str, Any]:
    with request_write_session(request) as session:
        proposal = edit_proposal(
            session, actor=actor, process=process, proposal_id=proposal_id, changes=changes
        )
        out: dict[str, Any] = {"id": str(proposal.id), "payload": proposal.payload}
        if accept:
            out["result"] = accept_proposal(
                session, actor=actor, process=process, proposal_id=proposal_id
            ).to_dict()
        return out


@router.post(API + "/{key}/review/{proposal_id}/edit", tags=["intake"], dependencies=[Csrf])
def edit_api(
    request: Request, key: str, proposal_id: str, body: EditIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Change payload fields (and with `accept`, accept in the same transaction)."""
    process = process_by_key(db, actor, key)
    try:
        return _edit(request, actor, process, proposal_id, body.payload, body.accept)
    except ReviewError as exc:
        raise _error(exc) from None


def _form_action(
    request: Request, db: Any, actor: Actor, key: str, proposal_id: str, run: Any, back: str
) -> Response:
    process = process_by_key(db, actor, key)
    try:
        run(process)
    except ReviewError as exc:
        return _detail_page(
            request,
            db,
            actor,
            process,
            proposal_id,
            str(exc),
            409 if isinstance(exc, AlreadyReviewed) else 422,
        )
    return RedirectResponse(_back(key, back), status_code=303)


def _review_form(
    request: Request,
    db: Any,
    actor: Actor,
    key: str,
    proposal_id: str,
    form: FormData,
    call: Any,
    **kwargs: Any,
) -> Response:
    """Review one proposal from its page (``call``), then back to the form's ``next``."""
    return _form_action(
        request,
        db,
        actor,
        key,
        proposal_id,
        lambda p: _act(request, call, actor=actor, process=p, proposal_id=proposal_id, **kwargs),
        str(form.get("next", "")),
    )


@router.post("/p/{key}/review/{proposal_id}/accept", include_in_schema=False, dependencies=[Csrf])
def accept_form(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    return _review_form(request, db, actor, key, proposal_id, form, accept_proposal)


@router.post("/p/{key}/review/{proposal_id}/reject", include_in_schema=False, dependencies=[Csrf])
def reject_form(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    return _review_form(request, db, actor, key, proposal_id, form, reject_proposal)


def _merge_chosen(session: Any, *, record_id: str, **kwargs: Any) -> Any:
    if not record_id:
        raise ReviewError("record_id: choose a record to merge into")
    return merge_proposal(session, record_id=record_id, **kwargs)


@router.post("/p/{key}/review/{proposal_id}/merge", include_in_schema=False, dependencies=[Csrf])
def merge_form(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    record_id = str(form.get("record_id", ""))
    return _review_form(
        request, db, actor, key, proposal_id, form, _merge_chosen, record_id=record_id
    )


def _form_changes(kind: str, form: Any) -> dict[str, Any]:
    """Edit-form fields as payload changes: blanks are none, lists one item per line."""
    changes: dict[str, Any] = {}
    for name in EDITABLE_FIELDS.get(kind, ()):
        if name not in form:
            continue
        raw = str(form.get(name, "")).strip()
        if name in ("participants", "speakers", "people", "parties"):
            changes[name] = [line.strip() for line in raw.splitlines() if line.strip()]
        else:
            changes[name] = raw or None
    return changes


@router.post("/p/{key}/review/{proposal_id}/edit", include_in_schema=False, dependencies=[Csrf])
def edit_form(
    request: Request, key: str, proposal_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    proposal, _source, _item = q.proposal_detail(
        db, actor=actor, process=process, proposal_id=proposal_id
    )
    changes = _form_changes(proposal.kind, form)
    accept = form.get("then") == "accept"
    return _form_action(
        request,
        db,
        actor,
        key,
        proposal_id,
        lambda p: _edit(request, actor, p, proposal_id, changes, accept),
        f"/p/{key}/review" if accept else f"/p/{key}/review/{proposal_id}",
    )


# ---------------------------------------------------------------- submitting a report


class IntakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: str | None = None
    html: str | None = None
    url: str | None = Field(None, max_length=2000)
    title: str | None = Field(None, max_length=500)
    outlet: str | None = Field(None, max_length=200)
    published: date | None = None
    space: str | None = None


def _take_in(
    request: Request, actor: Actor, process: Process, sources: Any, space: str | None
) -> list[dict[str, Any]]:
    # Plan in a read transaction, extract with no transaction open (spaCy takes a moment),
    # then store in one write transaction, which checks again for a copy stored meanwhile.
    with read_session(request.app.state.engine) as session:
        plan = plan_intake(session, actor=actor, process=process, sources=sources, space=space)
    extractions = extract_plan(plan)
    with request_write_session(request) as session:
        outcomes = store_intake(
            session, actor=actor, process=process, plan=plan, extractions=extractions
        )
    return [o.to_dict() for o in outcomes]


@router.post(API + "/{key}/intake", tags=["intake"], dependencies=[Csrf], status_code=201)
def intake_api(
    request: Request, key: str, body: IntakeIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Take a report in (pasted `text` or `html`, or a `url`): store it once in `space`
    (default: public for the mediator, the delegation's own space otherwise) and queue the
    records it proposes for review."""
    process = _writer_process(db, actor, key)
    try:
        sources = read_submission(
            text=body.text,
            html=body.html,
            url=body.url,
            title=body.title,
            outlet=body.outlet,
            published=body.published,
        )
        return {"sources": _take_in(request, actor, process, sources, body.space)}
    except IntakeError as exc:
        raise HTTPException(422, str(exc)) from None


def _intake_form_page(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    error: str | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    spaces = writable_spaces(db, actor, process.id)
    if not spaces:
        raise Forbidden("read only")
    values = dict(values or {})
    values.setdefault("space", default_space(actor, process.id))
    return render(
        request,
        "intake/intake_form.html",
        status_code,
        process=process,
        spaces=spaces,
        values=values,
        error=error,
    )


@router.get("/p/{key}/intake", include_in_schema=False)
def intake_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    return _intake_form_page(request, db, actor, process)


@router.post("/p/{key}/intake", include_in_schema=False, dependencies=[Csrf])
def intake_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    process = _writer_process(db, actor, key)
    values = {
        k: str(form.get(k, "")).strip()
        for k in ("text", "url", "title", "outlet", "published", "space")
    }
    upload = form.get("file")
    try:
        published = date.fromisoformat(values["published"]) if values["published"] else None
    except ValueError:
        return _intake_form_page(
            request, db, actor, process, "published: expected a date YYYY-MM-DD", values, 422
        )
    try:
        file_part = None
        if isinstance(upload, UploadFile) and upload.filename:
            raw = upload.file.read()  # a blocking read is fine: this runs in the thread pool
            if raw:
                file_part = (upload.filename, raw)
        sources = read_submission(
            text=values["text"] or None,
            url=values["url"] or None,
            upload=file_part,
            title=values["title"] or None,
            outlet=values["outlet"] or None,
            published=published,
        )
        outcomes = _take_in(request, actor, process, sources, values["space"] or None)
    except IntakeError as exc:
        return _intake_form_page(request, db, actor, process, str(exc), values, 422)
    first = next((o for o in outcomes if o["source_id"] or o["duplicate_of"]), None)
    target = f"/p/{key}/review"
    if first is not None:
        target += f"?status=all&source={first['source_id'] or first['duplicate_of']}"
    return RedirectResponse(target, status_code=303)
