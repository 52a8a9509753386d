"""Plan, what-if, constraints, milestones and the status board: HTML pages and JSON twins.

Every page is computed from the records the caller may read (``sequencing.queries``); every
change goes through ``sequencing.service``. The plan is rebuilt and checked on each request:
for a plan the size of a peace process (tens of events) loading it costs a few milliseconds and
the check well under one, so a cache would save little and could only go stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.scope import can_write_in, writable_spaces
from parley.errors import InputError
from parley.intake.evidence import source_choices
from parley.processes.models import Process
from parley.sequencing import service
from parley.sequencing.check import CheckResult
from parley.sequencing.queries import (
    PLAN_START,
    ProcessPlan,
    StatusBoard,
    day_date,
    process_plan,
    status_board,
)
from parley.sequencing.service import (
    ConstraintIn,
    ConstraintUpdate,
    MilestoneIn,
    MilestoneUpdate,
    PlanEdit,
    StatusClaimIn,
    StatusClaimUpdate,
    StepIn,
    StepUpdate,
    add_constraint,
    add_milestone,
    get_constraint,
    get_milestone,
    remove_constraint,
    update_constraint,
    update_milestone,
)
from parley.sequencing.whatif import what_if
from parley.web.deps import (
    Csrf,
    CurrentActor,
    Db,
    Form,
    RawBody,
    SignedIn,
    process_by_key,
    request_write_session,
)
from parley.web.inputs import (
    body_schema,
    field_errors,
    form_values,
    json_object,
    plain_error,
    validated,
)
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"
MAX_SLIP = 365


# --------------------------------------------------------------------------- the plan


def _when(pp: ProcessPlan, day: int | None) -> str | None:
    found = day_date(pp.origin_date, day)
    return found.isoformat() if found else None


def _conflict_rows(pp: ProcessPlan, result: CheckResult, key: str) -> list[dict[str, Any]]:
    """Each constraint of the contradiction, with where to fix it."""
    assert result.conflict is not None
    constraints = {c.key: c for c in pp.constraints}
    steps = {s.key: s for s in pp.steps}
    milestones = {m.key: m for m in pp.milestones}
    rows = []
    for link in result.conflict.links:
        head, _, tail = link.id.rpartition(".")
        fix = None
        if link.id in constraints:
            what = "constraint"
            fix = f"/p/{key}/constraints/{constraints[link.id].id}/edit"
        elif tail == "duration" and head in steps:
            what = "step duration"
            fix = f"/p/{key}/steps/{steps[head].id}/edit"
        elif tail == "date" and head in milestones:
            what = "milestone date"
            fix = f"/p/{key}/milestones/{milestones[head].id}/edit"
        else:
            what = "the plan starts at its origin" if tail == "after_origin" else "derived"
        rows.append({**link.to_json(), "what": what, "fix": fix})
    return rows


def _step_rows(pp: ProcessPlan, result: CheckResult | None) -> list[dict[str, Any]]:
    rows = []
    critical = set(result.critical_steps) if result and result.consistent else set()
    for s in pp.steps:
        row: dict[str, Any] = {
            "id": str(s.id),
            "key": s.key,
            "title": s.title,
            "kind": s.kind,
            "min_days": s.min_days,
            "max_days": s.max_days,
            "parties": list(s.parties),
            "provisions": list(s.provisions),
            "space": s.space,
            "critical": s.key in critical,
        }
        if result is not None and result.consistent:
            for end in ("start", "end"):
                name = f"{s.key}.{end}"
                early, late = result.earliest.get(name), result.latest.get(name)
                row[f"earliest_{end}"] = early
                row[f"latest_{end}"] = late
                row[f"earliest_{end}_date"] = _when(pp, early)
                row[f"latest_{end}_date"] = _when(pp, late)
                row[f"slack_{end}"] = result.slack.get(name)
        rows.append(row)
    return rows


def plan_data(db: Any, actor: Actor, process: Process) -> tuple[ProcessPlan, dict[str, Any]]:
    """The plan page's content, the same for the HTML page and its JSON twin."""
    pp = process_plan(db, actor, process)
    result = None if pp.is_empty else pp.check()
    data: dict[str, Any] = {
        "origin": pp.origin if not pp.is_empty else None,
        "origin_label": pp.label(pp.origin) if not pp.is_empty else None,
        "origin_date": pp.origin_date.isoformat() if pp.origin_date else None,
        "consistent": result.consistent if result else True,
        "steps": _step_rows(pp, result),
        "milestones": [
            {
                "id": str(m.id),
                "key": m.key,
                "title": m.title,
                "on_date": m.on_date.isoformat() if m.on_date else None,
                "space": m.space,
                "earliest": result.earliest.get(m.key) if result and result.consistent else None,
                "latest": result.latest.get(m.key) if result and result.consistent else None,
            }
            for m in pp.milestones
        ],
        "constraints": [
            {
                "id": str(c.id),
                "key": c.key,
                "from": c.from_ref,
                "to": c.to_ref,
                "min": c.min_days,
                "max": c.max_days,
                "explanation": c.spec().describe(),
                "space": c.space,
            }
            for c in pp.constraints
        ],
        "skipped": [{"kind": s.kind, "key": s.key, "reason": s.reason} for s in pp.skipped],
        "figure": None,
    }
    if result is None:
        return pp, data
    check = result.to_json()
    if result.consistent:
        highlight = set(result.critical_steps) | {
            m.key for m in pp.milestones if m.key in result.critical_path
        }
        data.update(
            earliest=check["earliest"],
            latest=check["latest"],
            slack=check["slack"],
            critical_path=check["critical_path"],
            critical_steps=check["critical_steps"],
            finish=check["finish"],
            finish_date=_when(pp, result.finish),
        )
        from parley.sequencing.gantt import gantt_figure  # Plotly: only when a chart is drawn

        data["figure"] = gantt_figure(pp, result.earliest, result.latest, highlight)
    else:
        data.update(
            conflict=check["conflict"],
            excess_days=check["excess_days"],
            explanation=check["explanation"],
            conflict_detail=_conflict_rows(pp, result, process.key),
        )
    return pp, data


def _subjects(pp: ProcessPlan) -> list[tuple[str, str]]:
    """What a what-if may slip: each step (its start) and each milestone but the origin."""
    out = [(s.key, f"{s.title} ({s.key})") for s in pp.steps]
    out += [(m.key, f"{m.title} ({m.key})") for m in pp.milestones if m.key != pp.origin]
    return out


def _endpoints(pp: ProcessPlan) -> list[tuple[str, str]]:
    return [(name, f"{pp.label(name)} — {name}") for name in pp.events() if name != PLAN_START]


def _page_size(request: Request) -> int:
    return int(request.app.state.settings.page_size)


def _form_context(
    db: Any, actor: Actor, process: Process, pp: ProcessPlan | None = None
) -> dict[str, Any]:
    pp = pp or process_plan(db, actor, process)
    return {
        "endpoints": _endpoints(pp),
        "spaces": writable_spaces(db, actor, process.id),
    }


@router.get("/p/{key}/plan", include_in_schema=False)
def plan_page(
    request: Request, key: str, db: Db, actor: CurrentActor, page: int = 1, added: str = ""
) -> Response:
    process = process_by_key(db, actor, key)
    pp, data = plan_data(db, actor, process)
    size = _page_size(request)
    pager = Page(max(page, 1), size, len(data["constraints"]))
    start = (pager.number - 1) * size
    return render(
        request,
        "sequencing/plan.html",
        process=process,
        plan=data,
        constraints=data["constraints"][start : start + size],
        page=pager,
        subjects=_subjects(pp),
        added=added,
        form=_form_context(db, actor, process, pp),
        values={},
        error=None,
        editable=_editable(actor, process, pp),
        can_write=can_write_in(actor, process.id),
    )


def _editable(actor: Actor, process: Process, pp: ProcessPlan) -> set[str]:
    """Ids of the plan records whose edit links the actor is offered (by the rules)."""
    out = set()
    for kind, rows in (("step", pp.steps), ("milestone", pp.milestones)):
        out |= {str(r.id) for r in rows if service.may(actor, kind, "update", process, r.space)}
    out |= {
        str(c.id)
        for c in pp.constraints
        if service.may(actor, "constraint", "update", process, c.space)
    }
    return out


@router.get(API + "/{key}/plan", tags=["sequencing"])
def plan_api(key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """The plan the caller can see, checked: windows, slack, critical path and Gantt figure,
    or the conflict in the user's own words. Built only from records the caller may read."""
    process = process_by_key(db, actor, key)
    return plan_data(db, actor, process)[1]


# --------------------------------------------------------------------------- what-if


def _what_if(db: Any, actor: Actor, process: Process, subject: str, slip: int) -> dict[str, Any]:
    """Raises ValueError with a message for the user when the question cannot be asked."""
    pp = process_plan(db, actor, process)
    if pp.is_empty:
        raise ValueError("subject: the plan you can see has no steps or milestones")
    if subject == PLAN_START or subject not in {s for s, _ in _subjects(pp)}:
        raise ValueError(f"subject: no step or milestone '{subject}' in the plan you can see")
    if not 0 <= slip <= MAX_SLIP:
        raise ValueError(f"slip: between 0 and {MAX_SLIP} days")
    stn = pp.stn()
    if not stn.consistent:
        raise ValueError("subject: the plan is inconsistent; resolve its conflict first")
    windows = stn.windows()
    answer = what_if(stn, subject, slip)
    out = answer.to_json()
    out["subject_label"] = pp.label(answer.event)
    if not answer.consistent:
        assert answer.conflict is not None
        out["conflict_detail"] = [link.to_json() for link in answer.conflict.links]
        return out
    out["moved_detail"] = [
        {
            "event": name,
            "label": pp.label(name),
            "days": days,
            "earliest_before": windows[name][0],
            "earliest_after": (windows[name][0] or 0) + days,
            "date_before": _when(pp, windows[name][0]),
            "date_after": _when(pp, (windows[name][0] or 0) + days),
            "now_tight": name in answer.now_tight,
        }
        for name, days in answer.moved.items()
    ]
    out["finish_date_before"] = _when(pp, answer.finish_before)
    out["finish_date_after"] = _when(pp, answer.finish_after)
    earliest = {name: w[0] for name, w in windows.items()}
    for name, days in answer.moved.items():
        earliest[name] = (earliest[name] or 0) + days
    latest = {name: w[1] for name, w in windows.items()}
    moved_keys = {name.rpartition(".")[0] or name for name in answer.moved} | set(answer.moved)
    from parley.sequencing.gantt import MOVED, gantt_figure

    out["figure"] = gantt_figure(
        pp,
        earliest,
        latest,
        moved_keys,
        highlight_name="Moved by the slip",
        highlight_color=MOVED,
    )
    return out


@router.get("/p/{key}/plan/what-if", include_in_schema=False)
def what_if_fragment(
    request: Request, key: str, db: Db, actor: CurrentActor, subject: str = "", slip: int = 0
) -> Response:
    """The htmx fragment: what moves and what breaks. Problems are shown in the fragment."""
    process = process_by_key(db, actor, key)
    try:
        answer, error = _what_if(db, actor, process, subject, slip), None
    except ValueError as exc:
        answer, error = None, str(exc)
    return render(
        request,
        "sequencing/_whatif.html",
        process=process,
        answer=answer,
        error=error,
        subject=subject,
        slip=slip,
    )


@router.get(API + "/{key}/plan/what-if", tags=["sequencing"])
def what_if_api(key: str, db: Db, actor: CurrentActor, subject: str, slip: int) -> dict[str, Any]:
    """If ``subject`` (a step or milestone key) slips ``slip`` days: what moves, by how much,
    and what breaks (the conflict, by name)."""
    process = process_by_key(db, actor, key)
    try:
        return _what_if(db, actor, process, subject, slip)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None


# --------------------------------------------------------------------------- constraints


def _error_text(exc: ValidationError) -> str:
    return " ".join(plain_error(e) for e in exc.errors())


def _clean(form: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """Form values for pydantic: empty fields are left out (a blank bound means none)."""
    return {name: form[name] for name in fields if str(form.get(name, "")).strip() != ""}


def _require_writer(db: Any, actor: Actor, process: Process) -> None:
    if not can_write_in(actor, process.id):
        raise Forbidden("read only")


def _save(request: Request, action: Any, **kwargs: Any) -> Any:
    with request_write_session(request) as session:
        return action(session, **kwargs)


@dataclass(frozen=True)
class _FormPage:
    """A constraint or milestone form as shown: its values, where it posts, what it edits."""

    kind: str  # "constraint" | "milestone": names the template
    action: str
    values: Mapping[str, Any]
    editing: Any = None

    def show(
        self,
        request: Request,
        db: Any,
        actor: Actor,
        process: Process,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        # Only the constraint form lists the plan's events, which costs loading the plan.
        context: dict[str, Any] = (
            {"form": _form_context(db, actor, process)}
            if self.kind == "constraint"
            else {"spaces": writable_spaces(db, actor, process.id)}
        )
        return render(
            request,
            f"sequencing/{self.kind}_form.html",
            status,
            process=process,
            values=dict(self.values),
            error=error,
            action=self.action,
            editing=self.editing,
            **context,
        )


def _submit(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    page: _FormPage,
    *,
    parse: Callable[[], BaseModel],
    save: Callable[..., Any],
    done: Callable[[Any], str],
) -> Response:
    """Validate a posted form and save it (``save(session, data=...)``), then go to
    ``done(result)``; a problem shows the form again (422) as posted, with the message."""
    try:
        data = parse()
        result = _save(request, save, data=data)
    except (ValidationError, InputError) as exc:
        message = _error_text(exc) if isinstance(exc, ValidationError) else str(exc)
        return page.show(request, db, actor, process, message, 422)
    return RedirectResponse(done(result), status_code=303)


def _plan_after(key: str, edit: PlanEdit) -> str:
    """The plan after a constraint change: at the conflict if it made one."""
    anchor = "conflict" if not edit.result.consistent else "constraints"
    return f"/p/{key}/plan?added={edit.record.key}#{anchor}"


@router.post(API + "/{key}/constraints", tags=["sequencing"], dependencies=[Csrf], status_code=201)
def create_constraint_api(
    request: Request, key: str, body: ConstraintIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Add a constraint ``to − from ∈ [min, max]`` days. The answer says what it changed in the
    caller's plan, or names the constraints it contradicts and by how many days."""
    process = process_by_key(db, actor, key)
    try:
        edit: PlanEdit = _save(request, add_constraint, actor=actor, process=process, data=body)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return edit.to_json()


@router.patch(API + "/{key}/constraints/{object_id}", tags=["sequencing"], dependencies=[Csrf])
def update_constraint_api(
    request: Request, key: str, object_id: str, body: ConstraintUpdate, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Change a constraint's events, bounds or explanation; each change is audited."""
    process = process_by_key(db, actor, key)
    try:
        edit: PlanEdit = _save(
            request,
            update_constraint,
            actor=actor,
            process=process,
            constraint_id=object_id,
            data=body,
        )
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return edit.to_json()


@router.delete(API + "/{key}/constraints/{object_id}", tags=["sequencing"], dependencies=[Csrf])
def delete_constraint_api(
    request: Request, response: Response, key: str, object_id: str, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Remove a constraint (audited with its last values). From the edit page (htmx), the
    answer also sends the browser back to the plan."""
    process = process_by_key(db, actor, key)
    edit: PlanEdit = _save(
        request, remove_constraint, actor=actor, process=process, constraint_id=object_id
    )
    if request.headers.get("hx-request"):
        response.headers["HX-Redirect"] = f"/p/{key}/plan#constraints"
    out = edit.to_json()
    out["deleted"] = True
    return out


CONSTRAINT_FIELDS = ("key", "from_ref", "to_ref", "min_days", "max_days", "explanation", "space")


@router.get("/p/{key}/constraints/new", include_in_schema=False)
def new_constraint_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(db, actor, process)
    return _FormPage("constraint", f"/p/{key}/constraints", {}).show(request, db, actor, process)


@router.post("/p/{key}/constraints", include_in_schema=False, dependencies=[Csrf])
def create_constraint_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    return _submit(
        request,
        db,
        actor,
        process,
        _FormPage("constraint", f"/p/{key}/constraints", form),
        parse=lambda: ConstraintIn.model_validate(_clean(form, CONSTRAINT_FIELDS)),
        save=partial(add_constraint, actor=actor, process=process),
        done=partial(_plan_after, key),
    )


def _constraint_values(obj: Any) -> dict[str, Any]:
    return {
        "key": obj.key,
        "from_ref": obj.from_ref,
        "to_ref": obj.to_ref,
        "min_days": "" if obj.min_days is None else obj.min_days,
        "max_days": "" if obj.max_days is None else obj.max_days,
        "explanation": obj.explanation,
        "space": obj.space,
    }


@router.get("/p/{key}/constraints/{object_id}/edit", include_in_schema=False)
def edit_constraint_page(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    obj = get_constraint(db, actor, process, object_id)
    if not service.may(actor, "constraint", "update", process, obj.space):
        raise Forbidden("read only")
    page = _FormPage(
        "constraint", f"/p/{key}/constraints/{object_id}/edit", _constraint_values(obj), obj
    )
    return page.show(request, db, actor, process)


@router.post("/p/{key}/constraints/{object_id}/edit", include_in_schema=False, dependencies=[Csrf])
def edit_constraint_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    obj = get_constraint(db, actor, process, object_id)
    # Every field of the edit form is sent: a bound left blank means "no bound".
    fields = {
        "from_ref": form.get("from_ref") or obj.from_ref,
        "to_ref": form.get("to_ref") or obj.to_ref,
        "min_days": form.get("min_days") or None,
        "max_days": form.get("max_days") or None,
        "explanation": form.get("explanation", ""),
    }
    return _submit(
        request,
        db,
        actor,
        process,
        _FormPage(
            "constraint",
            f"/p/{key}/constraints/{object_id}/edit",
            {**_constraint_values(obj), **form},
            obj,
        ),
        parse=lambda: ConstraintUpdate.model_validate(fields),
        save=partial(update_constraint, actor=actor, process=process, constraint_id=object_id),
        done=partial(_plan_after, key),
    )


@router.post(
    "/p/{key}/constraints/{object_id}/delete", include_in_schema=False, dependencies=[Csrf]
)
def delete_constraint_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    _save(request, remove_constraint, actor=actor, process=process, constraint_id=object_id)
    return RedirectResponse(f"/p/{key}/plan#constraints", status_code=303)


# --------------------------------------------------------------------------- milestones

MILESTONE_FIELDS = ("key", "title", "on_date", "space")


@router.post(API + "/{key}/milestones", tags=["sequencing"], dependencies=[Csrf], status_code=201)
def create_milestone_api(
    request: Request, key: str, body: MilestoneIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Add a milestone (an event the plan can refer to); a date pins it to the calendar."""
    process = process_by_key(db, actor, key)
    try:
        obj = _save(request, add_milestone, actor=actor, process=process, data=body)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": str(obj.id), "key": obj.key, "space": obj.space}


@router.patch(API + "/{key}/milestones/{object_id}", tags=["sequencing"], dependencies=[Csrf])
def update_milestone_api(
    request: Request, key: str, object_id: str, body: MilestoneUpdate, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Change a milestone's title or date (a null date unpins it)."""
    process = process_by_key(db, actor, key)
    try:
        obj = _save(
            request,
            update_milestone,
            actor=actor,
            process=process,
            milestone_id=object_id,
            data=body,
        )
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": str(obj.id), "key": obj.key, "space": obj.space}


@router.get("/p/{key}/milestones/new", include_in_schema=False)
def new_milestone_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(db, actor, process)
    return _FormPage("milestone", f"/p/{key}/milestones", {}).show(request, db, actor, process)


@router.post("/p/{key}/milestones", include_in_schema=False, dependencies=[Csrf])
def create_milestone_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    return _submit(
        request,
        db,
        actor,
        process,
        _FormPage("milestone", f"/p/{key}/milestones", form),
        parse=lambda: MilestoneIn.model_validate(_clean(form, MILESTONE_FIELDS)),
        save=partial(add_milestone, actor=actor, process=process),
        done=lambda _: f"/p/{key}/plan",
    )


@router.get("/p/{key}/milestones/{object_id}/edit", include_in_schema=False)
def edit_milestone_page(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    obj = get_milestone(db, actor, process, object_id)
    if not service.may(actor, "milestone", "update", process, obj.space):
        raise Forbidden("read only")
    values = {"title": obj.title, "on_date": obj.on_date.isoformat() if obj.on_date else ""}
    page = _FormPage("milestone", f"/p/{key}/milestones/{object_id}/edit", values, obj)
    return page.show(request, db, actor, process)


@router.post("/p/{key}/milestones/{object_id}/edit", include_in_schema=False, dependencies=[Csrf])
def edit_milestone_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    obj = get_milestone(db, actor, process, object_id)
    fields = {"title": form.get("title") or obj.title, "on_date": form.get("on_date") or None}
    return _submit(
        request,
        db,
        actor,
        process,
        _FormPage("milestone", f"/p/{key}/milestones/{object_id}/edit", form, obj),
        parse=lambda: MilestoneUpdate.model_validate(fields),
        save=partial(update_milestone, actor=actor, process=process, milestone_id=object_id),
        done=lambda _: f"/p/{key}/plan",
    )


# --------------------------------------------------------------------------- status board


def _level_figure(board: StatusBoard) -> dict[str, Any] | None:
    """Mean implementation level (0–3) per document, one bar per assessor: never one truth."""
    if not board.documents:
        return None
    import json

    from parley.warmup import plotly_objects

    go = plotly_objects()  # on first use, not at start-up: Plotly is slow to import

    fig = go.Figure(layout={"template": "none"})
    for who in board.assessors:
        docs = [d for d in board.documents if who in d.levels]
        if not docs:
            continue
        fig.add_trace(
            go.Bar(
                name="neutral assessment" if who == "neutral" else who,
                x=[d.document for d in docs],
                y=[round(d.levels[who], 3) for d in docs],
                customdata=[d.assessed[who] for d in docs],
                hovertemplate="%{x}: mean level %{y} over %{customdata} provision(s)"
                "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        barmode="group",
        height=320,
        margin={"l": 50, "r": 20, "t": 20, "b": 40},
        yaxis={"range": [0, 3], "dtick": 1, "title": {"text": "mean level (0–3)"}},
        legend={"orientation": "h", "y": -0.2},
    )
    return dict(json.loads(fig.to_json()))


@router.get("/p/{key}/status", include_in_schema=False)
def status_page(request: Request, key: str, db: Db, actor: CurrentActor, page: int = 1) -> Response:
    process = process_by_key(db, actor, key)
    board = status_board(db, actor, process)
    size = _page_size(request)
    pager = Page(max(page, 1), size, len(board.rows))
    start = (pager.number - 1) * size
    return render(
        request,
        "sequencing/status.html",
        process=process,
        board=board,
        rows=board.rows[start : start + size],
        page=pager,
        figure=_level_figure(board),
        can_write=can_write_in(actor, process.id),
    )


@router.get(API + "/{key}/status", tags=["sequencing"])
def status_api(
    request: Request, key: str, db: Db, actor: CurrentActor, page: int = 1
) -> dict[str, Any]:
    """Implementation status: for each step and provision, each party's latest claim and the
    neutral assessment side by side, with dates and evidence; mean 0–3 level per document."""
    process = process_by_key(db, actor, key)
    board = status_board(db, actor, process)
    size = _page_size(request)
    pager = Page(max(page, 1), size, len(board.rows))
    start = (pager.number - 1) * size
    return {
        "assessors": board.assessors,
        "rows": [row.to_json() for row in board.rows[start : start + size]],
        "documents": [d.to_json() for d in board.documents],
        **pager.as_json(),
    }


# --------------------------------------------------------------------------- steps and claims
# JSON on the URLs the generic record stack used (POST .../steps, PATCH .../steps/{id}, the
# same for status-claims) and forms reached from the plan and status pages; every change goes
# through parley.sequencing.service.

STEP_FIELDS = tuple(StepIn.model_fields)
STEP_EDIT_FIELDS = tuple(StepUpdate.model_fields)
CLAIM_FIELDS = tuple(f for f in StatusClaimIn.model_fields if f != "evidence")
CLAIM_EDIT_FIELDS = tuple(f for f in StatusClaimUpdate.model_fields if f != "evidence")


def _json_write(request: Request, action: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        obj = _save(request, action, **kwargs)
    except InputError as exc:
        raise HTTPException(422, str(exc)) from None
    return {"id": str(obj.id), "space": obj.space}


def _form_write(request: Request, schema: Any, data: dict[str, Any], action: Any, **kw: Any) -> Any:
    """Save a form; ``(None, errors by field)`` when refused, nothing written."""
    try:
        parsed = schema.model_validate(data)
        return _save(request, action, data=parsed, **kw), None
    except (ValidationError, InputError) as exc:
        return None, field_errors(exc)


def _with_evidence(form: Mapping[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    source = str(form.get("evidence_source", "")).strip()
    quote = str(form.get("evidence_quote", "")).strip()
    if source or quote:
        data["evidence"] = [{"source": source, "quote": quote or None}]
    return data


@router.post(
    API + "/{key}/steps",
    tags=["sequencing"],
    dependencies=[Csrf],
    status_code=201,
    openapi_extra=body_schema(StepIn),
)
def create_step_api(request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody) -> Any:
    """Add an implementation step (the shared plan's are the mediator's; a delegation adds
    steps to its own plan in its own space)."""
    process = process_by_key(db, actor, key)
    data = validated(StepIn, json_object(raw))
    return _json_write(request, service.add_step, actor=actor, process=process, data=data)


@router.patch(
    API + "/{key}/steps/{object_id}",
    tags=["sequencing"],
    dependencies=[Csrf],
    openapi_extra=body_schema(StepUpdate),
)
def update_step_api(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, raw: RawBody
) -> Any:
    """Change a step's title, kind, duration bounds or description; audited old → new."""
    process = process_by_key(db, actor, key)
    service.get_step(db, actor, process, object_id)  # 404 before the body is read
    data = validated(StepUpdate, json_object(raw))
    return _json_write(
        request, service.update_step, actor=actor, process=process, step_id=object_id, data=data
    )


@router.post(
    API + "/{key}/status-claims",
    tags=["sequencing"],
    dependencies=[Csrf],
    status_code=201,
    openapi_extra=body_schema(StatusClaimIn),
)
def create_claim_api(request: Request, key: str, db: Db, actor: SignedIn, raw: RawBody) -> Any:
    """Record your delegation's status claim about a step or provision, or (`neutral`) the
    neutral assessment (a monitor or the mediator), with its evidence
    (`[{"source": key, "quote": "..."}]`)."""
    process = process_by_key(db, actor, key)
    data = validated(StatusClaimIn, json_object(raw))
    return _json_write(request, service.record_claim, actor=actor, process=process, data=data)


@router.patch(
    API + "/{key}/status-claims/{object_id}",
    tags=["sequencing"],
    dependencies=[Csrf],
    openapi_extra=body_schema(StatusClaimUpdate),
)
def update_claim_api(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, raw: RawBody
) -> Any:
    """Correct a claim's status, level or note, or add evidence (its claimant; the neutral
    assessment by a monitor or the mediator)."""
    process = process_by_key(db, actor, key)
    service.get_claim(db, actor, process, object_id)
    data = validated(StatusClaimUpdate, json_object(raw))
    return _json_write(
        request, service.update_claim, actor=actor, process=process, claim_id=object_id, data=data
    )


def _step_form(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    values: Mapping[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    editing: Any = None,
) -> Response:
    action = f"/p/{process.key}/steps" + (f"/{editing.id}/edit" if editing is not None else "")
    return render(
        request,
        "sequencing/step_form.html",
        status,
        process=process,
        values=dict(values),
        errors=errors or {},
        action=action,
        editing=editing,
        spaces=[(s, s) for s in writable_spaces(db, actor, process.id)],
    )


@router.get("/p/{key}/steps/new", include_in_schema=False)
def new_step_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(db, actor, process)
    return _step_form(request, db, actor, process, {})


@router.post("/p/{key}/steps", include_in_schema=False, dependencies=[Csrf])
def create_step_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    process = process_by_key(db, actor, key)
    data = form_values(form, STEP_FIELDS)
    _, errors = _form_write(request, StepIn, data, service.add_step, actor=actor, process=process)
    if errors:
        return _step_form(request, db, actor, process, form, errors, 422)
    return RedirectResponse(f"/p/{key}/plan#steps", status_code=303)


@router.get("/p/{key}/steps/{object_id}/edit", include_in_schema=False)
def edit_step_page(request: Request, key: str, object_id: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_step(db, actor, process, object_id)
    if not service.may(actor, "step", "update", process, obj.space):
        raise Forbidden("read only")
    values = {n: getattr(obj, n) for n in STEP_EDIT_FIELDS}
    return _step_form(request, db, actor, process, values, editing=obj)


@router.post("/p/{key}/steps/{object_id}/edit", include_in_schema=False, dependencies=[Csrf])
def edit_step_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_step(db, actor, process, object_id)
    # Every field of the edit form is sent: a bound left blank means "no bound".
    data: dict[str, Any] = {n: form[n] for n in STEP_EDIT_FIELDS if n in form}
    for bound in ("min_days", "max_days"):
        if bound in data and not str(data[bound]).strip():
            data[bound] = None
    if "title" in data and not str(data["title"]).strip():
        data.pop("title")
    _, errors = _form_write(
        request,
        StepUpdate,
        data,
        service.update_step,
        actor=actor,
        process=process,
        step_id=object_id,
    )
    if errors:
        return _step_form(request, db, actor, process, form, errors, 422, obj)
    return RedirectResponse(f"/p/{key}/plan#steps", status_code=303)


def _claim_form(
    request: Request,
    db: Any,
    actor: Actor,
    process: Process,
    values: Mapping[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
    editing: Any = None,
) -> Response:
    pp = process_plan(db, actor, process)
    action = f"/p/{process.key}/status-claims" + (
        f"/{editing.id}/edit" if editing is not None else ""
    )
    return render(
        request,
        "sequencing/claim_form.html",
        status,
        process=process,
        values=dict(values),
        errors=errors or {},
        action=action,
        editing=editing,
        steps=[(str(s.id), f"{s.key} — {s.title}") for s in pp.steps],
        spaces=[(s, s) for s in writable_spaces(db, actor, process.id)],
        sources=source_choices(db, actor, process.id),
    )


@router.get("/p/{key}/status-claims/new", include_in_schema=False)
def new_claim_page(request: Request, key: str, db: Db, actor: SignedIn, step: str = "") -> Response:
    process = process_by_key(db, actor, key)
    _require_writer(db, actor, process)
    return _claim_form(request, db, actor, process, {"step_id": step})


@router.post("/p/{key}/status-claims", include_in_schema=False, dependencies=[Csrf])
def create_claim_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    process = process_by_key(db, actor, key)
    data = _with_evidence(form, form_values(form, CLAIM_FIELDS))
    if "neutral" in data:
        data["neutral"] = str(data["neutral"]).lower() in ("1", "on", "true", "yes")
    _, errors = _form_write(
        request, StatusClaimIn, data, service.record_claim, actor=actor, process=process
    )
    if errors:
        return _claim_form(request, db, actor, process, form, errors, 422)
    return RedirectResponse(f"/p/{key}/status", status_code=303)


@router.get("/p/{key}/status-claims/{object_id}/edit", include_in_schema=False)
def edit_claim_page(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn
) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_claim(db, actor, process, object_id)
    if not service.may_change_claim(db, actor, process, obj):
        raise Forbidden("read only")
    values = {n: getattr(obj, n) for n in CLAIM_EDIT_FIELDS}
    return _claim_form(request, db, actor, process, values, editing=obj)


@router.post(
    "/p/{key}/status-claims/{object_id}/edit", include_in_schema=False, dependencies=[Csrf]
)
def edit_claim_form(
    request: Request, key: str, object_id: str, db: Db, actor: SignedIn, form: Form
) -> Response:
    process = process_by_key(db, actor, key)
    obj = service.get_claim(db, actor, process, object_id)
    data = _with_evidence(form, {n: form[n] for n in CLAIM_EDIT_FIELDS if n in form})
    if "level" in data and not str(data["level"]).strip():
        data["level"] = None
    _, errors = _form_write(
        request,
        StatusClaimUpdate,
        data,
        service.update_claim,
        actor=actor,
        process=process,
        claim_id=object_id,
    )
    if errors:
        return _claim_form(request, db, actor, process, form, errors, 422, obj)
    return RedirectResponse(f"/p/{key}/status", status_code=303)
