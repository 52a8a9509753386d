"""The ledger page, its JSON twin, its CSV download, and linking commitments.

Everything shown is computed from the commitments, events and links the caller may read
(``commitments.queries.ledger``); totals never mix currencies.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState, Subject, allowed_by
from parley.authz.scope import can_write_in, writable_spaces
from parley.commitments import service
from parley.commitments.queries import (
    ILLUSTRATIVE_RATES,
    RATE_SOURCE,
    STAGES,
    Ledger,
    Totals,
    commitment_choices,
    convert,
    currencies_convertible,
    delivered_share,
    ledger,
    ledger_csv,
    party_choices,
)
from parley.commitments.queries import (
    _plain as plain_rate,
)
from parley.commitments.schemas import CommitmentIn, CommitmentUpdate, FulfilmentIn, LinkIn
from parley.commitments.service import CommitmentError, link_commitment, money
from parley.errors import InputError
from parley.intake.evidence import source_choices
from parley.processes.models import Process
from parley.sequencing.queries import process_plan, visible_provisions
from parley.web.deps import (
    Csrf,
    CurrentActor,
    Db,
    RawBody,
    SignedIn,
    process_by_key,
    request_write_session,
)
from parley.web.deps import Form as FormData
from parley.web.inputs import body_schema, form_values, json_object, save_form, validated
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"
STAGE_COLORS = {"pledged": "#9db7d9", "allocated": "#1f5fa8", "delivered": "#216e39"}


def _totals_rows(groups: dict[str, Totals]) -> list[dict[str, Any]]:
    rows = []
    for name in sorted(groups):
        for currency in sorted(groups[name]):
            stages = groups[name][currency]
            share = delivered_share(stages)
            rows.append(
                {
                    "name": name,
                    "currency": currency,
                    **{s: stages[s] for s in STAGES},
                    "delivered_share": share,
                }
            )
    return rows


def _rows_json(groups: dict[str, Totals]) -> dict[str, Any]:
    return {
        name: {
            currency: {
                **{s: str(v) for s, v in stages.items()},
                "delivered_share": (
                    None if delivered_share(stages) is None else str(delivered_share(stages))
                ),
            }
            for currency, stages in sorted(totals.items())
        }
        for name, totals in sorted(groups.items())
    }


def _charts(book: Ledger) -> list[dict[str, Any]]:
    """One grouped bar chart per currency: pledged, allocated and delivered by donor."""
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    figures = []
    for currency in book.currencies:
        donors = sorted(d for d, totals in book.by_donor.items() if currency in totals)
        fig = go.Figure(layout={"template": "none"})
        for stage in STAGES:
            fig.add_trace(
                go.Bar(
                    name=stage,
                    x=donors,
                    y=[float(book.by_donor[d][currency][stage]) for d in donors],
                    marker={"color": STAGE_COLORS[stage]},
                    hovertemplate=f"%{{x}}: {currency} %{{y:,.0f}} {stage}<extra></extra>",
                )
            )
        fig.update_layout(
            title={"text": f"By donor, in {currency} (no conversion)"},
            barmode="group",
            height=320,
            margin={"l": 20, "r": 20, "t": 40, "b": 40},
            yaxis={"title": {"text": currency}, "tickformat": ",.0f", "automargin": True},
            legend={"orientation": "h", "y": -0.2},
            meta={"currency": currency},
        )
        figures.append({"currency": currency, "figure": json.loads(fig.to_json())})
    return figures


def _conversion(book: Ledger, target: str | None) -> Any:
    if not target:
        return None
    target = target.strip().upper()
    if target not in currencies_convertible():
        raise ValueError(
            f"convert: no illustrative rate to {target!r}; choose one of "
            f"{', '.join(currencies_convertible())}"
        )
    return convert(book.by_currency, target)


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


def _link_choices(db: Any, actor: Actor, process: Process) -> dict[str, list[str]]:
    provisions = sorted(
        f"{d}/{w}" for d, w, _ in visible_provisions(db, actor, process.id).values()
    )
    steps = [s.key for s in process_plan(db, actor, process).steps]
    return {"provisions": provisions, "steps": steps}


def _ledger_response(
    request: Request,
    process: Process,
    db: Any,
    actor: Actor,
    *,
    page: int = 1,
    convert: str = "",
    problem: str | None = None,
    status: int = 200,
) -> Response:
    book = ledger(db, actor, process)
    try:
        conversion = _conversion(book, convert)
    except ValueError as exc:
        conversion, problem = None, str(exc)
    size = _page_size(request)
    pager = Page(max(page, 1), size, len(book.entries))
    start = (pager.number - 1) * size
    writer = bool(writable_spaces(db, actor, process.id)) and bool(book.entries)
    return render(
        request,
        "commitments/ledger.html",
        status,
        process=process,
        book=book,
        entries=book.entries[start : start + size],
        page=pager,
        by_currency=_totals_rows({"all": book.by_currency}),
        by_donor=_totals_rows(book.by_donor),
        by_recipient=_totals_rows(book.by_recipient),
        by_document=_totals_rows(book.by_document),
        charts=_charts(book),
        conversion=conversion,
        convert=convert.strip().upper(),
        targets=currencies_convertible(),
        rates=ILLUSTRATIVE_RATES,
        rate_source=RATE_SOURCE,
        problem=problem,
        money=money,
        share=fmt_share,
        choices=_link_choices(db, actor, process) if writer else None,
        can_record=can_write_in(actor, process.id),
        editable=_editable(db, actor, process, book.entries[start : start + size]),
        plain=plain_rate,
    )


@router.get("/p/{key}/ledger", include_in_schema=False)
def ledger_page(
    request: Request, key: str, db: Db, actor: CurrentActor, page: int = 1, convert: str = ""
) -> Response:
    process = process_by_key(db, actor, key)
    return _ledger_response(request, process, db, actor, page=page, convert=convert)


@router.get(API + "/{key}/ledger", tags=["commitments"])
def ledger_api(
    request: Request, key: str, db: Db, actor: CurrentActor, page: int = 1, convert: str = ""
) -> dict[str, Any]:
    """Pledges, guarantees and obligations the caller can see, with pledged → allocated →
    delivered totals by currency, donor, recipient and document (never mixed across
    currencies). `convert=USD` adds the totals in USD with each illustrative rate and date."""
    process = process_by_key(db, actor, key)
    book = ledger(db, actor, process)
    try:
        conversion = _conversion(book, convert)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    size = _page_size(request)
    pager = Page(max(page, 1), size, len(book.entries))
    start = (pager.number - 1) * size
    return {
        "items": [e.to_json() for e in book.entries[start : start + size]],
        **pager.as_json(),
        "totals": {
            "by_currency": _rows_json({"all": book.by_currency}).get("all", {}),
            "by_donor": _rows_json(book.by_donor),
            "by_recipient": _rows_json(book.by_recipient),
            "by_document": _rows_json(book.by_document),
        },
        "conversion": conversion.to_json() if conversion else None,
        "charts": _charts(book),
    }


@router.get("/p/{key}/ledger.csv", include_in_schema=False)
def ledger_csv_download(key: str, db: Db, actor: CurrentActor) -> Response:
    """The ledger as CSV: one row per fulfilment event, amounts in their own currency."""
    process = process_by_key(db, actor, key)
    text = ledger_csv(ledger(db, actor, process))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{process.key}-ledger.csv"'},
    )


def _link(
    request: Request, actor: Actor, process: Process, commitment_id: str, data: LinkIn
) -> Any:
    with request_write_session(request) as session:
        link = link_commitment(
            session, actor=actor, process=process, commitment_id=commitment_id, data=data
        )
        return {"id": str(link.id), "commitment_id": str(link.commitment_id)}


@router.post(
    API + "/{key}/commitments/{object_id}/links",
    tags=["commitments"],
    dependencies=[Csrf],
    status_code=201,
)
def link_api(
    request: Request, key: str, object_id: str, body: LinkIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Tie a commitment to a provision (`{"provision": "econ/p2"}`) or a step
    (`{"step": "recon-1"}`)."""
    process = process_by_key(db, actor, key)
    try:
        return dict(_link(request, actor, process, object_id, body))
    except CommitmentError as exc:
        raise HTTPException(422, str(exc)) from None


@router.post("/p/{key}/ledger/links", include_in_schema=False, dependencies=[Csrf])
def link_form(
    request: Request,
    key: str,
    db: Db,
    actor: SignedIn,
    commitment: Annotated[str, Form()],
    target: Annotated[str, Form()],
) -> Response:
    """``target`` is ``provision:doc/wid`` or ``step:key`` (one select on the page)."""
    process = process_by_key(db, actor, key)
    kind, _, ref = target.partition(":")
    try:
        data = LinkIn.model_validate({kind: ref} if kind in ("provision", "step") else {})
        _link(request, actor, process, commitment, data)
    except (ValidationError, CommitmentError) as exc:
        message = str(exc) if isinstance(exc, CommitmentError) else "target: choose a link"
        return _ledger_response(request, process, db, actor, problem=message, status=422)
    return RedirectResponse(f"/p/{key}/ledger#entries", status_code=303)


def fmt_share(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


# --------------------------------------------------------------------------- writing the ledger
# JSON on the URLs the generic record stack used (POST .../commitments, PATCH
# .../commitments/{id}, POST .../fulfilment-events), and forms reached from the ledger page.
# Every change goes through parley.commitments.service.

COMMITMENT_FIELDS = tuple(CommitmentIn.model_fields)
COMMITMENT_EDIT_FIELDS = tuple(CommitmentUpdate.model_fields)
EVENT_FIELDS = tuple(f for f in FulfilmentIn.model_fields if f != "evidence")


def _write(request: Request, action: Any, **kwargs: Any) -> Any:
    """Run one service call in its own transaction; its refusals become HTTP answers."""
    try:
        with request_write_session(request) as session:
            obj = action(session, **kwargs)
            return {"id": str(obj.id), "space": obj.space}
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    except NotInState as exc:
        raise HTTPException(409, str(exc)) from None


@router.post(
    API + "/{key}/commitments",
    tags=["commitments"],
    dependencies=[Csrf],
    status_code=201,
    openapi_extra=body_schema(CommitmentIn),
)
def create_commitment_api(
    request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody
) -> dict[str, Any]:
    """Record a pledge, guarantee or obligation. A pledge is recorded by the donor's
    delegation (a coalition's for its members) or the mediator; unknown fields are refused."""
    process = process_by_key(db, actor, key)
    data = validated(CommitmentIn, json_object(raw))
    return dict(_write(request, service.record_commitment, actor=actor, process=process, data=data))


@router.patch(
    API + "/{key}/commitments/{object_id}",
    tags=["commitments"],
    dependencies=[Csrf],
    openapi_extra=body_schema(CommitmentUpdate),
)
def update_commitment_api(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, raw: RawBody
) -> dict[str, Any]:
    """Change a commitment's title, conditions or period in words, while nothing has been
    allocated or assessed (409 after). Its status follows from its events: not an input."""
    process = process_by_key(db, actor, key)
    service.get_commitment(db, actor, process, object_id)  # 404 before the body is read
    data = validated(CommitmentUpdate, json_object(raw))
    return dict(
        _write(
            request,
            service.update_commitment,
            actor=actor,
            process=process,
            commitment_id=object_id,
            data=data,
        )
    )


@router.post(
    API + "/{key}/fulfilment-events",
    tags=["commitments"],
    dependencies=[Csrf],
    status_code=201,
    openapi_extra=body_schema(FulfilmentIn),
)
def create_event_api(
    request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody
) -> dict[str, Any]:
    """Record an allocation, delivery or (re)pledge, or assess a guarantee or obligation as
    honoured or breached, with evidence (`[{"source": key, "quote": "..."}]`). Beyond the
    pledge or the allocations needs `overrun_reason`; another currency needs `rate`,
    `rate_on` and `rate_source`."""
    process = process_by_key(db, actor, key)
    data = validated(FulfilmentIn, json_object(raw))
    return dict(_write(request, service.record_event, actor=actor, process=process, data=data))


def _form_page(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    template: str,
    *,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    **context: Any,
) -> Response:
    return render(
        request,
        f"commitments/{template}",
        status,
        process=process,
        values=values,
        errors=errors or {},
        **context,
    )


def _commitment_form(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    editing: Any = None,
) -> Response:
    action = (
        f"/p/{process.key}/commitments/{editing.id}/edit"
        if editing is not None
        else f"/p/{process.key}/commitments"
    )
    return _form_page(
        request,
        db,
        actor,
        process,
        "commitment_form.html",
        values=values,
        errors=errors,
        status=status,
        action=action,
        editing=editing,
        parties=party_choices(db, actor, process),
        spaces=[(s, s) for s in writable_spaces(db, actor, process.id)],
    )


def _event_form(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    commitments = commitment_choices(db, actor, process)
    chosen = next((c for c in commitments if c[0] == values.get("commitment_id")), None)
    return _form_page(
        request,
        db,
        actor,
        process,
        "event_form.html",
        values=values,
        errors=errors,
        status=status,
        commitments=commitments,
        commitment={"key": chosen[1]} if chosen else None,
        sources=source_choices(db, actor, process.id),
    )


def _require_writer(actor: Actor, process: Process) -> None:
    if not can_write_in(actor, process.id):
        raise Forbidden("read only")


def _save_form(
    request: Request,
    schema: type[BaseModel],
    data: dict[str, Any],
    action: Any,
    **kwargs: Any,
) -> dict[str, str] | None:
    """Validate and save a form; the problems by field when refused (nothing written)."""
    _, errors = save_form(
        request, lambda session: action(session, data=schema.model_validate(data), **kwargs)
    )
    return errors or None


@router.get("/p/{key}/commitments/new", include_in_schema=False)
def new_commitment_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(actor, process)
    return _commitment_form(request, db, actor, process, {})


@router.post("/p/{key}/commitments", include_in_schema=False, dependencies=[Csrf])
def create_commitment_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: FormData
) -> Response:
    process = process_by_key(db, actor, key)
    errors = _save_form(
        request,
        CommitmentIn,
        form_values(form, COMMITMENT_FIELDS),
        service.record_commitment,
        actor=actor,
        process=process,
    )
    if errors:
        return _commitment_form(request, db, actor, process, dict(form), errors, 422)
    return RedirectResponse(f"/p/{key}/ledger#entries", status_code=303)


def _editable(db: Any, actor: Actor, process: Process, entries: list[Any]) -> set[str]:
    """Ids of the shown commitments whose words the actor may edit (the link is shown only
    for those: nobody is offered a page that answers 403)."""
    if not can_write_in(actor, process.id):
        return set()
    out = set()
    for entry in entries:
        obj = service.get_commitment(db, actor, process, entry.id)
        subject = Subject(process.id, owners=service.owners(db, obj))
        if actor.is_system or allowed_by(actor, "commitment", "update", subject):
            out.add(str(entry.id))
    return out


def _may_update(db: Any, actor: Actor, process: Process, obj: Any) -> None:
    # The role decides whether the form is offered; the state is explained when it is sent.
    subject = Subject(process.id, owners=service.owners(db, obj))
    if not actor.is_system and not allowed_by(actor, "commitment", "update", subject):
        raise Forbidden("read only")


@router.get("/p/{key}/commitments/{object_id}/edit", include_in_schema=False)
def edit_commitment_page(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_commitment(db, actor, process, object_id)
    _may_update(db, actor, process, obj)
    values = {n: getattr(obj, n) for n in COMMITMENT_EDIT_FIELDS}
    return _commitment_form(request, db, actor, process, values, editing=obj)


@router.post("/p/{key}/commitments/{object_id}/edit", include_in_schema=False, dependencies=[Csrf])
def edit_commitment_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: FormData
) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_commitment(db, actor, process, object_id)
    # Every field of the edit form is sent; a field left out keeps its value.
    data = {n: form[n] for n in COMMITMENT_EDIT_FIELDS if n in form}
    if not str(data.get("title", "x")).strip():
        data.pop("title")
    errors = _save_form(
        request,
        CommitmentUpdate,
        data,
        service.update_commitment,
        actor=actor,
        process=process,
        commitment_id=object_id,
    )
    if errors:
        return _commitment_form(request, db, actor, process, dict(form), errors, 422, obj)
    return RedirectResponse(f"/p/{key}/ledger#entries", status_code=303)


@router.get("/p/{key}/fulfilment-events/new", include_in_schema=False)
def new_event_page(
    request: Request, key: str, db: Db, actor: SignedIn, commitment: str = ""
) -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(actor, process)
    return _event_form(request, db, actor, process, {"commitment_id": commitment})


def _event_data(form: Any) -> dict[str, Any]:
    data = form_values(form, EVENT_FIELDS)
    source = str(form.get("evidence_source", "")).strip()
    quote = str(form.get("evidence_quote", "")).strip()
    if source or quote:
        data["evidence"] = [{"source": source, "quote": quote or None}]
    return data


@router.post("/p/{key}/fulfilment-events", include_in_schema=False, dependencies=[Csrf])
def create_event_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: FormData
) -> Response:
    process = process_by_key(db, actor, key)
    errors = _save_form(
        request, FulfilmentIn, _event_data(form), service.record_event, actor=actor, process=process
    )
    if errors:
        return _event_form(request, db, actor, process, dict(form), errors, 422)
    return RedirectResponse(f"/p/{key}/ledger#entries", status_code=303)
