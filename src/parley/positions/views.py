"""The convergence map and the package optimizer: HTML pages and their JSON twins.

Routes are thin: parse, call a query or a service from this package, render. Charts are built
here as plotly figures (JSON in a ``data-plotly`` attribute, drawn by /static/parley.js).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import FormData

from parley.authz import Actor
from parley.authz.navigation import party_names
from parley.authz.scope import reads_as_mediator, standing
from parley.positions import queries
from parley.positions.analytics import Convergence, PositionView, convergence
from parley.positions.service import (
    OptimizerInputError,
    OptimizerRequest,
    OptimizerRun,
    OptimizerSetup,
    ask_for_inputs,
    optimizer_setup,
    release_package,
    run_optimizer,
)
from parley.processes.models import Process
from parley.web.deps import (
    Csrf,
    Db,
    Form,
    SignedIn,
    StepUp,
    process_by_key,
    request_write_session,
)
from parley.web.flash import flash
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"

STANCE_COLOURS = ("#b3261e", "#d98e04", "#9bd3a6", "#216e39")  # red line → accept
STANCE_LABELS = ("red line", "reject", "accept with changes", "accept")
STANCE_CODES = {"red_line": 0, "reject": 1, "accept_with_changes": 2, "accept": 3}


# ---------------------------------------------------------------- convergence map


def _option_labels(rows: list[queries.PositionRow]) -> dict[uuid.UUID, str]:
    """An option's key, or bracket/key where one provision has options of two brackets."""
    keys: dict[uuid.UUID, set[tuple[str | None, str | None]]] = {}
    for row in rows:
        if row.option_id is not None:
            keys.setdefault(row.provision_id, set()).add((row.bracket_key, row.option_key))
    out = {}
    for row in rows:
        if row.option_id is None:
            continue
        plain = len({k for _, k in keys[row.provision_id]}) == len(keys[row.provision_id])
        out[row.option_id] = str(row.option_key) if plain else f"{row.bracket_key}/{row.option_key}"
    return out


def _party_order(parties: list[queries.PartyRow]) -> list[str]:
    rank = {"party": 0, "mediator": 1, "guarantor": 2, "observer": 3}
    return [p.key for p in sorted(parties, key=lambda p: (rank.get(p.kind, 9), p.key))]


def _convergence_data(
    db: Db, actor: Actor, process: Process, document: str | None
) -> dict[str, Any]:
    docs = queries.documents(db, actor, process.id)
    rows = queries.positions(db, actor, process.id)
    with_positions = [d.key for d in docs if any(r.document == d.key for r in rows)]
    chosen = document or (with_positions[0] if with_positions else None)
    if chosen is not None and chosen not in [d.key for d in docs]:
        raise HTTPException(404)
    mine = [r for r in rows if r.document == chosen]
    labels = _option_labels(mine)
    heads = queries.headings(db, actor, {r.provision_id for r in mine})
    refs = {r.provision: r.provision_id for r in mine}
    order = sorted(refs, key=lambda ref: (heads.get(refs[ref], ("", "", 1 << 30))[2], ref))
    views = [
        PositionView(
            party=r.party,
            provision=r.provision,
            option=labels.get(r.option_id) if r.option_id else None,
            stance=r.stance,
            priority=r.priority,
            utility=r.utility,
        )
        for r in mine
    ]
    parties = queries.parties(db, actor, process.id)
    present = {v.party for v in views}
    result = convergence(views, [p for p in _party_order(parties) if p in present], order)

    def heading(ref: str) -> str:
        found = heads.get(refs[ref])
        return f"{found[0]}. {found[1]}".strip(". ") if found else ""

    return {
        "document": chosen,
        "documents": [d.key for d in docs],
        "positions_used": len(views),
        "parties": list(result.parties),
        "document_score": result.document_score,
        "rows": [
            {
                "provision": r.provision,
                "option": r.option,
                "heading": heading(r.provision),
                "stances": r.stances,
                "utilities": r.utilities,
                "score": r.score,
                "blocked": r.blocked,
            }
            for r in result.rows
        ],
        "provisions": [
            {
                "provision": s.provision,
                "heading": heading(s.provision),
                "score": s.score,
                "best": s.best,
                "parties": list(s.parties),
            }
            for s in result.provisions
        ],
        "sticking_points": {
            "computed": [
                {
                    "provision": s.provision,
                    "heading": heading(s.provision),
                    "option": s.option,
                    "red_line": list(s.red_line),
                    "accepting": list(s.accepting),
                }
                for s in result.sticking_points
            ],
            "named": queries.named_sticking_points(db, actor, process.id),
        },
        "_map": result,
    }


def convergence_figure(result: Convergence) -> str:
    """A heatmap of provisions (and options) × parties, one colour per stance."""
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    labels = [r.label for r in result.rows]
    z: list[list[int | None]] = []
    text: list[list[str]] = []
    hover: list[list[str]] = []
    for row in result.rows:
        z.append([STANCE_CODES.get(row.stances.get(p, "")) for p in result.parties])
        text.append([row.stances.get(p, "").replace("_", " ") for p in result.parties])
        hover.append(
            [
                f"{p} on {row.label}: "
                + (
                    row.stances[p].replace("_", " ")
                    + (f", utility {row.utilities[p]}" if row.utilities.get(p) is not None else "")
                    if p in row.stances
                    else "no position you can see"
                )
                for p in result.parties
            ]
        )
    scale = []
    for i, colour in enumerate(STANCE_COLOURS):
        scale += [[i / 4, colour], [(i + 1) / 4, colour]]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=list(result.parties),
            y=labels,
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            zmin=-0.5,
            zmax=3.5,
            colorscale=scale,
            xgap=2,
            ygap=2,
            colorbar={
                "tickvals": [0, 1, 2, 3],
                "ticktext": list(STANCE_LABELS),
                "title": {"text": "stance"},
            },
        )
    )
    figure.update_layout(
        height=120 + 28 * max(len(labels), 1),
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        xaxis={"side": "top", "type": "category"},
        plot_bgcolor="#f1f3f6",
    )
    return str(figure.to_json())


def _public(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if not k.startswith("_")}


@router.get("/p/{key}/convergence", include_in_schema=False)
def convergence_page(
    request: Request, key: str, db: Db, actor: SignedIn, document: str | None = None
) -> Response:
    process = process_by_key(db, actor, key)
    data = _convergence_data(db, actor, process, document)
    return render(
        request,
        "positions/convergence.html",
        process=process,
        data=data,
        figure=convergence_figure(data["_map"]) if data["rows"] else None,
        membership=standing(actor, process.id),
    )


@router.get(API + "/{key}/convergence", tags=["positions"])
def convergence_api(
    key: str, db: Db, actor: SignedIn, document: str | None = None
) -> dict[str, Any]:
    """The convergence map of one document (default: the first with positions you can see):
    stances per provision/option and party, agreement scores, and sticking points — computed
    only from the positions you can see."""
    process = process_by_key(db, actor, key)
    return _public(_convergence_data(db, actor, process, document))


# ---------------------------------------------------------------- optimizer: charts


def utilities_figure(run: OptimizerRun) -> str | None:
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    utilities = run.result.utilities
    if not utilities:
        return None
    parties = list(utilities)
    figure = go.Figure(
        go.Bar(
            x=parties,
            y=[utilities[p] for p in parties],
            text=[f"{utilities[p]:,}" for p in parties],
            textposition="outside",
            marker_color="#1f5fa8",
            hovertemplate="%{x}: %{y} of 10,000<extra></extra>",
        )
    )
    reservation = run.request.reservation
    if reservation:
        figure.add_trace(
            go.Scatter(
                x=[p for p in parties if p in reservation],
                y=[reservation[p] for p in parties if p in reservation],
                mode="markers",
                marker={"symbol": "line-ew-open", "size": 30, "color": "#b3261e"},
                name="reservation level",
            )
        )
    figure.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        yaxis={"range": [0, 10_500], "title": {"text": "utility (0–10,000)"}},
        showlegend=bool(reservation),
    )
    return str(figure.to_json())


def frontier_figure(run: OptimizerRun, x: str, y: str) -> str | None:
    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    packages = run.result.packages or []
    if not packages or x not in run.setup.chosen_parties or y not in run.setup.chosen_parties:
        return None
    hover = [
        ", ".join(f"{prov} {opt}" for prov, opt in p.package.items())
        + "<br>"
        + " · ".join(f"{k} {v:,}" for k, v in p.utilities.items())
        for p in packages
    ]
    exact = not run.result.representative
    figure = go.Figure(
        go.Scatter(
            x=[p.utilities[x] for p in packages],
            y=[p.utilities[y] for p in packages],
            mode="markers",
            marker={"size": 9, "color": "#1f5fa8", "opacity": 0.75},
            hovertext=hover,
            hoverinfo="text",
        )
    )
    title = "Pareto frontier" if exact else "Representative frontier packages"
    if len(run.setup.chosen_parties) > 2:
        title += f" (seen from {x} and {y}; other parties' utilities in the tooltips)"
    figure.update_layout(
        title={"text": title, "font": {"size": 14}},
        height=420,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": {"text": f"{x} utility"}, "range": [0, 10_200]},
        yaxis={"title": {"text": f"{y} utility"}, "range": [0, 10_200]},
    )
    return str(figure.to_json())


# ---------------------------------------------------------------- optimizer: input


class OptimizerIn(BaseModel):
    """A run of the optimizer (the JSON twin of the optimizer form)."""

    model_config = ConfigDict(extra="forbid")
    objective: str = Field("maxmin", description="maxmin, nash, pareto or acceptable")
    version: str | None = Field(None, description="document/label; default: the first contested")
    provisions: list[str] | None = Field(None, description="document/wid; default: all contested")
    parties: list[str] | None = Field(None, description="party keys; default: those with positions")
    reservation: dict[str, int] = Field(default_factory=dict)
    disagreement: dict[str, int] = Field(default_factory=dict)
    linkages: str = Field("", description="one a line: p10=c -> p5=a")
    limit: int | None = Field(None, ge=1, le=1000)
    assume_missing: bool = Field(
        False, description="run on the positions there are: a utility not shared counts as 0"
    )

    def to_request(self) -> OptimizerRequest:
        return OptimizerRequest(
            objective=self.objective,
            version=self.version,
            provisions=tuple(self.provisions) if self.provisions is not None else None,
            parties=tuple(self.parties) if self.parties is not None else None,
            reservation=self.reservation,
            disagreement=self.disagreement,
            linkages=self.linkages,
            limit=self.limit,
            assume_missing=self.assume_missing,
        )


class ReleaseIn(OptimizerIn):
    """Release a package found with these settings to the parties."""

    package: dict[str, str] = Field(description="provision (document/wid) -> option key")
    title: str
    note: str = ""
    space: str = "participants"


def _int_field(form: FormData, name: str, errors: list[str], low: int, high: int) -> int | None:
    raw = str(form.get(name, "")).strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.append(f"{name}: must be a whole number, got {raw!r}")
        return None
    if not low <= value <= high:
        errors.append(f"{name}: must be from {low} to {high}")
        return None
    return value


def _request_from_form(form: FormData) -> OptimizerRequest:
    """The optimizer form's fields as a request; raises OptimizerInputError naming the field."""
    errors: list[str] = []
    levels: dict[str, dict[str, int]] = {"reservation": {}, "disagreement": {}}
    for name in form:
        kind, _, party = name.partition(".")
        if kind in levels and party:
            low = -10_000 if kind == "disagreement" else 0
            value = _int_field(form, name, errors, low, 10_000)
            if value is not None:
                levels[kind][party] = value
    limit = _int_field(form, "limit", errors, 1, 1000)
    if errors:
        raise OptimizerInputError(errors)
    parties = [str(v) for v in form.getlist("party")]
    # Levels typed for a party that is not ticked are ignored, not an error.
    return OptimizerRequest(
        objective=str(form.get("objective", "maxmin")),
        version=str(form["version"]) if form.get("version") else None,
        provisions=tuple(str(v) for v in form.getlist("provision")),
        parties=tuple(parties),
        reservation={k: v for k, v in levels["reservation"].items() if k in parties},
        disagreement={k: v for k, v in levels["disagreement"].items() if k in parties},
        linkages=str(form.get("linkages", "")),
        limit=limit,
        assume_missing=form.get("assume_missing") is not None,
    )


# ---------------------------------------------------------------- optimizer: pages


def _released(db: Db, actor: Actor, process: Process) -> list[dict[str, Any]]:
    return [r.as_json() for r in queries.released(db, actor, process.id)]


def _optimizer_context(
    db: Db,
    actor: Actor,
    process: Process,
    *,
    request: OptimizerRequest | None = None,
    run: OptimizerRun | None = None,
    error: OptimizerInputError | None = None,
    axes: tuple[str, str] | None = None,
) -> dict[str, Any]:
    runs_optimizer = reads_as_mediator(actor, process.id)
    setup: OptimizerSetup | None = None
    if runs_optimizer:
        try:
            setup = optimizer_setup(db, actor=actor, process_id=process.id, request=request)
        except OptimizerInputError as exc:
            error = error or exc
            setup = optimizer_setup(db, actor=actor, process_id=process.id)
    chosen = setup.chosen_parties if setup else []
    x, y = axes or (chosen[0] if chosen else "", chosen[1] if len(chosen) > 1 else "")
    return {
        "process": process,
        "membership": standing(actor, process.id),
        "runs_optimizer": runs_optimizer,
        "setup": setup,
        "form": request or OptimizerRequest(assume_missing=True),
        "run": run,
        "error": error,
        "x": x,
        "y": y,
        "charts": _charts(run, x, y) if run else {},
        "released": _released(db, actor, process),
        "party_names": party_names(db, process.id),  # htmx fragments have no layout context
    }


def _charts(run: OptimizerRun, x: str, y: str) -> dict[str, str | None]:
    return {"utilities": utilities_figure(run), "frontier": frontier_figure(run, x, y)}


@router.get("/p/{key}/optimizer", include_in_schema=False)
def optimizer_page(
    request: Request, key: str, db: Db, actor: SignedIn, version: str | None = None
) -> Response:
    process = process_by_key(db, actor, key)
    wanted = OptimizerRequest(version=version, assume_missing=True) if version else None
    return render(
        request,
        "positions/optimizer.html",
        **_optimizer_context(db, actor, process, request=wanted),
    )


@router.get(API + "/{key}/optimizer", tags=["positions"])
def optimizer_api(key: str, db: Db, actor: SignedIn, version: str | None = None) -> dict[str, Any]:
    """Released packages you can see (a party: the package and its own concessions); for the
    mediator's team also the contested provisions and parties it can run the optimizer over."""
    process = process_by_key(db, actor, key)
    out: dict[str, Any] = {"can_run": reads_as_mediator(actor, process.id)}
    if out["can_run"]:
        wanted = OptimizerRequest(version=version) if version else None
        try:
            setup = optimizer_setup(db, actor=actor, process_id=process.id, request=wanted)
        except OptimizerInputError as exc:
            raise HTTPException(422, "; ".join(exc.messages)) from None
        out["setup"] = setup.as_json()
    out["released"] = _released(db, actor, process)
    return out


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


@router.post("/p/{key}/optimizer", include_in_schema=False, dependencies=[Csrf])
def optimizer_run_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    # A plain function, run in the thread pool: the optimizer must not block the event loop.
    process = process_by_key(db, actor, key)
    wanted: OptimizerRequest | None = None
    run = error = None
    try:
        wanted = _request_from_form(form)
        run = run_optimizer(db, actor=actor, process_id=process.id, request=wanted)
    except OptimizerInputError as exc:
        error = exc
    axes = (str(form.get("x", "")), str(form.get("y", "")))
    context = _optimizer_context(
        db, actor, process, request=wanted, run=run, error=error, axes=axes if all(axes) else None
    )
    if _is_htmx(request):
        # htmx swaps only 2xx answers: the fragment carries the error itself (role=alert).
        return render(request, "positions/_optimizer_result.html", **context)
    return render(request, "positions/optimizer.html", 422 if error else 200, **context)


def _input_error(exc: OptimizerInputError) -> HTTPException:
    return HTTPException(
        422, {"message": "; ".join(exc.messages), "errors": exc.messages, "missing": exc.missing}
    )


@router.post(API + "/{key}/optimizer", tags=["positions"], dependencies=[Csrf])
def optimizer_run_api(key: str, body: OptimizerIn, db: Db, actor: SignedIn) -> dict[str, Any]:
    """Run the package optimizer (the mediator's team only) over the positions it can see.

    Returns the engine's answer (status, package, utilities, objective, packages, count,
    concessions, proof) with the request as resolved and each party's normalised priorities.
    422 names every missing input (party, provision, option) and every invalid field."""
    process = process_by_key(db, actor, key)
    try:
        run = run_optimizer(db, actor=actor, process_id=process.id, request=body.to_request())
    except OptimizerInputError as exc:
        raise _input_error(exc) from None
    return run.as_json()


def _release(
    request: Request, actor: Actor, process: Process, wanted: OptimizerRequest, body: dict[str, Any]
) -> dict[str, Any]:
    with request_write_session(request) as session:
        package = release_package(
            session,
            actor=actor,
            process_id=process.id,
            request=wanted,
            package=body["package"],
            title=body["title"],
            note=body.get("note", ""),
            space=body.get("space", "participants"),
        )
        return {"id": str(package.id), "title": package.title, "space": package.space}


@router.post(
    API + "/{key}/optimizer/release",
    tags=["positions"],
    dependencies=[Csrf, StepUp],
    status_code=201,
)
def optimizer_release_api(
    request: Request, key: str, body: ReleaseIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Release a package to the parties (the mediator's team only): every party then sees the
    package and its own concessions, never another party's utilities."""
    process = process_by_key(db, actor, key)
    try:
        return _release(request, actor, process, body.to_request(), body.model_dump())
    except OptimizerInputError as exc:
        raise _input_error(exc) from None


def _package_from_form(form: FormData) -> dict[str, Any]:
    """The package: a JSON object in ``package`` (the result page's field), or one
    ``choice.<provision>`` field per provision (for hand-written forms and scripts)."""
    choices = {k[len("choice.") :]: v for k, v in form.items() if k.startswith("choice.")}
    if "package" not in form and choices:
        return choices
    try:
        package = json.loads(str(form.get("package", "")))
    except json.JSONDecodeError:
        package = None
    if not isinstance(package, dict):
        raise OptimizerInputError(["package: choose a package to release"])
    return package


@router.post("/p/{key}/optimizer/release", include_in_schema=False, dependencies=[Csrf, StepUp])
def optimizer_release_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    # A plain function, run in the thread pool: the optimizer must not block the event loop.
    process = process_by_key(db, actor, key)
    try:
        wanted = _request_from_form(form)
        package = _package_from_form(form)
        body = {
            "package": {str(k): str(v) for k, v in package.items()},
            "title": str(form.get("title", "")),
            "note": str(form.get("note", "")),
            "space": str(form.get("space", "participants")),
        }
        released = _release(request, actor, process, wanted, body)
    except OptimizerInputError as exc:
        return render(
            request,
            "error.html",
            422,
            process=process,
            title="Cannot release this package",
            message="; ".join(exc.messages),
        )
    return RedirectResponse(f"/p/{key}/optimizer#package-{released['id']}", status_code=303)


@router.post("/p/{key}/optimizer/ask", include_in_schema=False, dependencies=[Csrf])
def optimizer_ask_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    """The mediator asks one delegation for the inputs the last run had to assume."""
    process = process_by_key(db, actor, key)
    party = str(form.get("ask_party", ""))
    try:
        wanted = _request_from_form(form)
        with request_write_session(request) as session:
            ask_for_inputs(session, actor=actor, process=process, party=party, request=wanted)
    except OptimizerInputError as exc:
        return render(
            request,
            "error.html",
            422,
            process=process,
            title="Nothing to ask for",
            message="; ".join(exc.messages),
        )
    name = party_names(db, process.id).get(party, party)
    response = RedirectResponse(f"/p/{key}/optimizer", status_code=303)
    words = f"Asked {name}: a note in “{name} + mediator” lists the utilities the optimizer needs."
    return flash(request, response, words)
