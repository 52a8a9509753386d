"""The ledger page, its JSON twin, its CSV download, and linking commitments.

Everything shown is computed from the commitments, events and links the caller may read
(``commitments.queries.ledger``); totals never mix currencies.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from parley.authz import Actor
from parley.authz.scope import writable_spaces
from parley.commitments.queries import (
    ILLUSTRATIVE_RATES,
    RATE_SOURCE,
    STAGES,
    Ledger,
    Totals,
    convert,
    currencies_convertible,
    delivered_share,
    ledger,
    ledger_csv,
    money,
)
from parley.commitments.service import CommitmentError, LinkIn, link_commitment
from parley.processes.models import Process
from parley.sequencing.queries import process_plan, visible_provisions
from parley.web.deps import Csrf, CurrentActor, Db, SignedIn, process_by_key, request_write_session
from parley.web.pagination import Page
from parley.web.routing import ReleasingRoute
from parley.web.templating import render

router = APIRouter(route_class=ReleasingRoute)
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
    import plotly.graph_objects as go  # here, not at start-up: Plotly is slow to import

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
