"""Session pages (rooms, agenda, minutes life cycle, carry-over), joint statements with their
sign-off, the calendar (ICS) and the changes since a user's last visit; each HTML page has its
JSON twin under /api/v1/processes/{key}/..., behind the same service and permission check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound
from parley.authz.rules import NotInState, Subject, require_action
from parley.authz.scope import acts_as_mediator, get_visible_in, writable_spaces
from parley.db.base import utcnow
from parley.errors import InputError
from parley.exports.ics import calendar
from parley.processes.models import Process
from parley.sessions import queries
from parley.sessions.doors import Door, register
from parley.sessions.models import Meeting, Minutes, Statement, StatementKind
from parley.sessions.schemas import (
    CarryIn,
    JointDraftIn,
    MeetingUpdate,
    MinutesActionIn,
    MinutesIn,
    MinutesUpdate,
    ScheduleIn,
    StatementActionIn,
    StatementIn,
    StatementUpdate,
    StatusIn,
)
from parley.sessions.service import (
    amend_minutes,
    approve_minutes,
    carry_passage,
    circulate_minutes,
    draft_minutes,
    meeting_subject,
    minutes_subject,
    parties_of,
    schedule_meeting,
    set_meeting_status,
    update_meeting,
)
from parley.sessions.statements import (
    approve_statement,
    draft_joint_statement,
    publish_statement,
    record_statement,
    revise_statement,
    seal_of,
    statement_subject,
    update_statement,
)
from parley.texts.canonical_hash import text_hash
from parley.web.deps import (
    Csrf,
    CurrentActor,
    CurrentAuth,
    Db,
    SignedIn,
    check_step_up,
    process_by_key,
    request_write_session,
)
from parley.web.deps import Form as PostedForm  # the whole form; fastapi's Form is one field
from parley.web.flash import flash
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
API = "/api/v1/processes"
MINUTES_ACTIONS = ("circulate", "amend", "approve")
STATEMENT_ACTIONS = ("approve", "revise", "publish")
Problems = (InputError, ValidationError)


def _problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _write(request: Request, change: Callable[[Any], Any]) -> Any:
    """Run one service call in its own transaction."""
    with request_write_session(request) as session:
        return change(session)


def _api_write(request: Request, change: Callable[[Any], Any]) -> Any:
    try:
        return _write(request, change)
    except NotInState as exc:
        raise HTTPException(409, str(exc)) from None
    except Problems as exc:
        raise HTTPException(422, _problem(exc)) from None


def _form_write(request: Request, change: Callable[[Any], Any], back: str) -> Response:
    try:
        _write(request, change)
    except NotInState as exc:
        return render(request, "error.html", 409, title="Not now", message=str(exc))
    except Problems as exc:
        return render(request, "error.html", 422, title="Not done", message=_problem(exc))
    return RedirectResponse(back, status_code=303)


def _meeting(db: Db, actor: Actor, process: Process, session_id: str) -> Meeting:
    return get_visible_in(db, actor, Meeting, process.id, session_id)


# ---------------------------------------------------------------- sessions


@router.get("/p/{key}/meetings/{session_id}", include_in_schema=False)
def meeting_page(
    request: Request, key: str, session_id: str, db: Db, actor: CurrentActor
) -> Response:
    process = process_by_key(db, actor, key)
    page = queries.meeting_details(db, actor, process, session_id)
    return render(
        request,
        "sessions/meeting.html",
        process=process,
        meeting=page,
        carries=acts_as_mediator(actor, process.id) and not actor.is_system,
    )


@router.get(API + "/{key}/meetings/{session_id}", tags=["sessions"])
def meeting_api(key: str, session_id: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """A session with its participants, agenda, the rooms and minutes the caller can see."""
    process = process_by_key(db, actor, key)
    return queries.meeting_details(db, actor, process, session_id)


@router.post(API + "/{key}/meetings", tags=["sessions"], dependencies=[Csrf], status_code=201)
def schedule_api(
    request: Request, key: str, body: ScheduleIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Schedule a session; a proximity session gets a room per delegation and mediator notes."""
    process = process_by_key(db, actor, key)
    talk = _api_write(
        request, lambda s: schedule_meeting(s, actor=actor, process=process, data=body)
    )
    return {"id": str(talk.id), "space": talk.space, "url": f"/p/{key}/meetings/{talk.id}"}


@router.post("/p/{key}/meetings/{session_id}/status", include_in_schema=False, dependencies=[Csrf])
def status_form(
    request: Request,
    key: str,
    session_id: str,
    db: Db,
    actor: SignedIn,
    status: Annotated[str, Form()],
    outcome: Annotated[str, Form()] = "",
) -> Response:
    process = process_by_key(db, actor, key)
    _meeting(db, actor, process, session_id)
    answer = _form_write(
        request,
        lambda s: set_meeting_status(
            s,
            actor=actor,
            process=process,
            session_id=session_id,
            status=status,
            outcome=outcome or None,
        ),
        f"/p/{key}/meetings/{session_id}",
    )
    if answer.status_code != 303:
        return answer
    words = {"held": "Meeting marked as held.", "closed": "Meeting closed: it is now final."}
    return flash(request, answer, words.get(status, f"Meeting marked as {status}."))


@router.post(API + "/{key}/meetings/{session_id}/status", tags=["sessions"], dependencies=[Csrf])
def status_api(
    request: Request, key: str, session_id: str, body: StatusIn, db: Db, actor: SignedIn
) -> dict[str, str]:
    """Move a session forward: planned → held → closed (optionally with its outcome)."""
    process = process_by_key(db, actor, key)
    talk = _api_write(
        request,
        lambda s: set_meeting_status(
            s,
            actor=actor,
            process=process,
            session_id=session_id,
            status=body.status,
            outcome=body.outcome,
        ),
    )
    return {"status": str(talk.status)}


def _minutes_change(
    process: Process, actor: Actor, minutes_id: str, action: str, text: str, digest: str
) -> Callable[[Any], Any]:
    if action == "circulate":
        return lambda s: circulate_minutes(s, actor=actor, process=process, minutes_id=minutes_id)
    if action == "amend":
        return lambda s: amend_minutes(
            s,
            actor=actor,
            process=process,
            minutes_id=minutes_id,
            text=text,
            expected_hash=digest,
        )
    if action == "approve":
        return lambda s: approve_minutes(
            s, actor=actor, process=process, minutes_id=minutes_id, expected_hash=digest
        )
    raise NotFound("page")


@router.post(
    "/p/{key}/meetings/{session_id}/minutes/{minutes_id}/{action}",
    include_in_schema=False,
    dependencies=[Csrf],
)
def minutes_form(
    request: Request,
    key: str,
    session_id: str,
    minutes_id: str,
    action: str,
    db: Db,
    actor: SignedIn,
    text: Annotated[str, Form()] = "",
    hash: Annotated[str, Form()] = "",
) -> Response:
    process = process_by_key(db, actor, key)
    _meeting(db, actor, process, session_id)
    change = _minutes_change(process, actor, minutes_id, action, text, hash)
    return _form_write(request, change, f"/p/{key}/meetings/{session_id}#minutes-{minutes_id}")


@router.post(
    API + "/{key}/meetings/{session_id}/minutes/{minutes_id}/{action}",
    tags=["sessions"],
    dependencies=[Csrf],
)
def minutes_api(
    request: Request,
    key: str,
    session_id: str,
    minutes_id: str,
    action: str,
    body: MinutesActionIn,
    db: Db,
    actor: SignedIn,
) -> dict[str, Any]:
    """`circulate`, `amend` (with `text` and the `hash` of the text edited: a stale one is a
    409) or `approve` (with the `hash` of the text read)."""
    process = process_by_key(db, actor, key)
    _meeting(db, actor, process, session_id)
    change = _minutes_change(process, actor, minutes_id, action, body.text or "", body.hash or "")
    minutes = _api_write(request, change)
    return {"status": str(minutes.status), "content_hash": minutes.content_hash}


# ---------------------------------------------------------------- carry-over


def _require_mediator(actor: Actor, process: Process) -> None:
    require_action(actor, "passage", "carry", Subject(process.id))


def _target_room(db: Db, actor: Actor, process: Process, session_id: str, body: CarryIn) -> str:
    if body.target_room_id:
        return body.target_room_id
    page = queries.meeting_details(db, actor, process, session_id)
    for room in page["rooms"]:
        if body.target_party and room["party"] == body.target_party:
            return str(room["id"])
    raise HTTPException(422, "target_room_id: give a room, or the party key of a room here")


def _carry(
    db: Db, actor: Actor, process: Process, session_id: str, body: CarryIn
) -> Callable[[Any], Any]:
    if body.source_type not in ("minutes", "amendments"):
        raise HTTPException(422, "source_type: minutes or amendments")
    target = _target_room(db, actor, process, session_id, body)
    return lambda s: carry_passage(
        s,
        actor=actor,
        process=process,
        target_room_id=target,
        source_type=body.source_type,  # type: ignore[arg-type]
        source_id=body.source_id,
        text=body.text,
        attributed=body.attributed,
    )


@router.get("/p/{key}/meetings/{session_id}/carry", include_in_schema=False)
def carry_page(request: Request, key: str, session_id: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    page = queries.meeting_details(db, actor, process, session_id)
    _require_mediator(actor, process)
    return render(request, "sessions/carry.html", process=process, meeting=page)


@router.post("/p/{key}/meetings/{session_id}/carry", include_in_schema=False, dependencies=[Csrf])
def carry_form(
    request: Request,
    key: str,
    session_id: str,
    db: Db,
    actor: SignedIn,
    source_id: Annotated[str, Form()],
    text: Annotated[str, Form()],
    target_room_id: Annotated[str, Form()] = "",
    target_party: Annotated[str, Form()] = "",
    attributed: Annotated[str, Form()] = "",
) -> Response:
    process = process_by_key(db, actor, key)
    _meeting(db, actor, process, session_id)
    _require_mediator(actor, process)
    body = CarryIn(
        target_room_id=target_room_id or None,
        target_party=target_party or None,
        source_id=source_id,
        text=text,
        attributed=attributed == "yes",
    )
    try:
        change = _carry(db, actor, process, session_id, body)
    except HTTPException as exc:
        return render(request, "error.html", 422, title="Not done", message=str(exc.detail))
    return _form_write(request, change, f"/p/{key}/meetings/{session_id}")


@router.post(
    API + "/{key}/meetings/{session_id}/carry",
    tags=["sessions"],
    dependencies=[Csrf],
    status_code=201,
)
def carry_api(
    request: Request, key: str, session_id: str, body: CarryIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """The mediator carries a passage of one room's minutes (or a proposal) into another room."""
    process = process_by_key(db, actor, key)
    _meeting(db, actor, process, session_id)
    _require_mediator(actor, process)
    carry = _api_write(request, _carry(db, actor, process, session_id, body))
    return {
        "id": str(carry.id),
        "passage_id": str(carry.passage_id),
        "attribution": str(carry.attribution),
    }


# ---------------------------------------------------------------- joint statements


def _draft_options(db: Db, actor: Actor, process: Process) -> dict[str, Any]:
    return {
        "spaces": writable_spaces(db, actor, process.id),
        "parties": sorted((p.key, p.name) for p in parties_of(db, process.id).values()),
    }


@router.get("/p/{key}/joint-statements", include_in_schema=False)
def joint_list_page(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    process = process_by_key(db, actor, key)
    return render(
        request,
        "sessions/joint_statements.html",
        process=process,
        statements=queries.joint_statements(db, actor, process),
        **_draft_options(db, actor, process),
    )


@router.get(API + "/{key}/joint-statements", tags=["statements"])
def joint_list_api(key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """Joint statements the caller can see, with who approved the current text."""
    process = process_by_key(db, actor, key)
    items = queries.joint_statements(db, actor, process)
    return {"items": items, "total": len(items)}


@router.post("/p/{key}/joint-statements", include_in_schema=False, dependencies=[Csrf])
def joint_draft_form(
    request: Request, key: str, db: Db, actor: SignedIn, form: PostedForm
) -> Response:
    process = process_by_key(db, actor, key)
    try:
        body = JointDraftIn(
            key=str(form.get("key", "")),
            title=str(form.get("title", "")),
            text=str(form.get("text", "")),
            made_on=str(form.get("made_on") or "") or None,
            place=str(form.get("place", "")),
            signatories=[str(v) for v in form.getlist("signatories")],
            provisions=[str(v) for v in form.getlist("provisions") if v],
            space=str(form.get("space", "")),
        )
        statement = _write(
            request, lambda s: draft_joint_statement(s, actor=actor, process=process, data=body)
        )
    except NotInState as exc:
        return render(request, "error.html", 409, title="Not drafted", message=str(exc))
    except Problems as exc:
        return render(request, "error.html", 422, title="Not drafted", message=_problem(exc))
    return RedirectResponse(f"/p/{key}/joint-statements/{statement.id}", status_code=303)


@router.post(
    API + "/{key}/joint-statements", tags=["statements"], dependencies=[Csrf], status_code=201
)
def joint_draft_api(
    request: Request, key: str, body: JointDraftIn, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Draft a joint statement with its signatory delegations."""
    process = process_by_key(db, actor, key)

    def draft(s: Any) -> dict[str, Any]:
        statement = draft_joint_statement(s, actor=actor, process=process, data=body)
        return {
            "id": str(statement.id),
            "text_hash": statement.text_hash,
            "seal": seal_of(s, statement),
            "space": statement.space,
        }

    return dict(_api_write(request, draft))


@router.get("/p/{key}/joint-statements/{statement_id}", include_in_schema=False)
def joint_page(
    request: Request, key: str, statement_id: str, db: Db, actor: CurrentActor
) -> Response:
    process = process_by_key(db, actor, key)
    page = queries.joint_statement_page(db, actor, process, statement_id)
    return render(request, "sessions/joint_statement.html", process=process, statement=page)


@router.get(API + "/{key}/joint-statements/{statement_id}", tags=["statements"])
def joint_api(key: str, statement_id: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """A joint statement with its signatories, approvals and signatures."""
    process = process_by_key(db, actor, key)
    return queries.joint_statement_page(db, actor, process, statement_id)


@router.get(API + "/{key}/joint-statements/{statement_id}/statement.json", tags=["statements"])
def joint_file_api(key: str, statement_id: str, db: Db, actor: CurrentActor) -> Response:
    """The statement with its signatures and public keys: `parley statement verify` checks it."""
    import json

    process = process_by_key(db, actor, key)
    page = queries.joint_statement_page(db, actor, process, statement_id)
    body = json.dumps(queries.statement_file(page, process), indent=1, ensure_ascii=False)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{page["key"]}.statement.json"'},
    )


def _statement_change(
    process: Process, actor: Actor, statement_id: str, action: str, body: StatementActionIn
) -> Callable[[Any], Any]:
    if action == "approve":
        return lambda s: approve_statement(
            s,
            actor=actor,
            process=process,
            statement_id=statement_id,
            expected_hash=body.hash or "",
            passphrase=body.passphrase or "",
        )
    if action == "revise":
        fields = {
            k: v
            for k, v in body.model_dump(exclude_unset=True).items()
            if k in ("text", "title", "made_on", "place")
        }
        if not fields:
            raise HTTPException(422, "text: give the new text (or title, made_on, place)")
        return lambda s: revise_statement(
            s,
            actor=actor,
            process=process,
            statement_id=statement_id,
            changes=StatementUpdate.model_validate(fields),
        )
    if action == "publish":
        return lambda s: publish_statement(
            s, actor=actor, process=process, statement_id=statement_id
        )
    raise NotFound("page")


def step_up_to_sign(request: Request, auth: CurrentAuth, db: Db) -> None:
    """Approving a joint statement signs it: a fresh re-authentication first (PARLEY_STEP_UP),
    as for releasing; revising and publishing need none."""
    if request.path_params.get("action") == "approve":
        check_step_up(request, auth, db)


StepUpToSign = Depends(step_up_to_sign)


@router.post(
    "/p/{key}/joint-statements/{statement_id}/{action}",
    include_in_schema=False,
    dependencies=[Csrf, StepUpToSign],
)
def joint_action_form(
    request: Request,
    key: str,
    statement_id: str,
    action: str,
    db: Db,
    actor: SignedIn,
    hash: Annotated[str, Form()] = "",
    passphrase: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    process = process_by_key(db, actor, key)
    queries.joint_statement_page(db, actor, process, statement_id)  # 404 before anything else
    body = (
        StatementActionIn(hash=hash, passphrase=passphrase, text=text)
        if text
        else StatementActionIn(hash=hash, passphrase=passphrase)
    )
    change = _statement_change(process, actor, statement_id, action, body)
    answer = _form_write(request, change, f"/p/{key}/joint-statements/{statement_id}")
    words = {
        "approve": "Approved and signed with your delegation's key.",
        "publish": "Published: everyone can now read the statement and its signatures.",
        "revise": "Text revised: every approval was voided and is asked for again.",
    }
    if answer.status_code != 303 or action not in words:
        return answer
    return flash(request, answer, words[action])


@router.post(
    API + "/{key}/joint-statements/{statement_id}/{action}",
    tags=["statements"],
    dependencies=[Csrf, StepUpToSign],
)
def joint_action_api(
    request: Request,
    key: str,
    statement_id: str,
    action: str,
    body: StatementActionIn,
    db: Db,
    actor: SignedIn,
) -> dict[str, Any]:
    """`approve` (with `hash` and `passphrase`: approve and sign), `revise` (with `text`: voids
    every approval) or `publish` (once every signatory signed the current text)."""
    process = process_by_key(db, actor, key)
    queries.joint_statement_page(db, actor, process, statement_id)
    change = _statement_change(process, actor, statement_id, action, body)

    def act(s: Any) -> dict[str, Any]:
        result = change(s)
        if action == "approve":
            return {"signature": result.signature, "content_hash": result.content_hash}
        return {
            "status": str(result.status),
            "text_hash": result.text_hash,
            "seal": seal_of(s, result),
            "space": result.space,
        }

    return dict(_api_write(request, act))


# ---------------------------------------------------------------- calendar


@router.get("/p/{key}/calendar.ics", include_in_schema=False)
def calendar_ics(request: Request, key: str, db: Db, actor: CurrentActor) -> Response:
    """Sessions and deadlines the caller may see, as iCalendar (a token works for clients)."""
    process = process_by_key(db, actor, key)
    base = str(request.base_url).rstrip("/")
    events = queries.calendar_events(db, actor, process, base)
    text = calendar(events, name=process.title, stamp=utcnow())
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{key}.ics"'},
    )


@router.get(API + "/{key}/calendar", tags=["sessions"])
def calendar_api(request: Request, key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """The calendar's events as JSON (the same ones /p/{key}/calendar.ics holds)."""
    process = process_by_key(db, actor, key)
    base = str(request.base_url).rstrip("/")
    events = queries.calendar_events(db, actor, process, base)
    return {
        "items": [
            {
                "uid": e.uid,
                "summary": e.summary,
                "start": jsonable(e.start),
                "end": jsonable(e.end),
                "location": e.location,
                "status": e.status,
                "url": e.url,
            }
            for e in events
        ]
    }


# ---------------------------------------------------------------- changes since the last visit


@router.get("/p/{key}/changes", include_in_schema=False)
def changes_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    from parley.processes.inbox import waiting

    process = process_by_key(db, actor, key)
    return render(
        request,
        "sessions/changes.html",
        process=process,
        data=queries.changes(db, actor, process),
        items=waiting(db, actor, process),
    )


@router.get(API + "/{key}/changes", tags=["sessions"])
def changes_api(key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """What changed since the caller last marked the process seen, and what waits for it."""
    process = process_by_key(db, actor, key)
    return queries.changes(db, actor, process)


@router.post("/p/{key}/changes/seen", include_in_schema=False, dependencies=[Csrf])
def seen_form(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    _write(request, lambda s: queries.mark_seen(s, actor=actor, process=process))
    return RedirectResponse(f"/p/{key}/changes", status_code=303)


@router.post(API + "/{key}/changes/seen", tags=["sessions"], dependencies=[Csrf])
def seen_api(request: Request, key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """Mark everything so far as seen: later changes are listed from now on."""
    process = process_by_key(db, actor, key)
    seen = _write(request, lambda s: queries.mark_seen(s, actor=actor, process=process))
    return {"seen_at": jsonable(seen)}


# ---------------------------------------------------------------- create and edit (JSON + forms)
# On the URLs the generic record stack served: /api/v1/processes/{key}/sessions (meetings; the
# path keeps its old name), minutes and statements, with their forms under /p/{key}/...


def _edit_statement_rule(db: Any, statement: Statement) -> tuple[str, str, Any]:
    subject = statement_subject(db, statement)
    if statement.kind == StatementKind.JOINT:
        return "joint-statement", "revise", subject
    return "statement", "update", subject


for _door in (
    Door(
        "sessions",
        "Meetings",
        Meeting,
        ScheduleIn,
        lambda s, actor, process, data: schedule_meeting(
            s, actor=actor, process=process, data=data
        ),
        MeetingUpdate,
        lambda s, actor, process, object_id, data: update_meeting(
            s, actor=actor, process=process, meeting_id=object_id, data=data
        ),
        lambda db, meeting: ("meeting", "update", meeting_subject(meeting)),
        skip=("agenda",),
        create_form=False,  # the wizard of parley.sessions.views_new
        noun="meeting",
        done=lambda key, meeting: f"/p/{key}/meetings/{meeting.id}",
    ),
    Door(
        "minutes",
        "Minutes",
        Minutes,
        MinutesIn,
        lambda s, actor, process, data: draft_minutes(s, actor=actor, process=process, data=data),
        MinutesUpdate,
        lambda s, actor, process, object_id, data: amend_minutes(
            s,
            actor=actor,
            process=process,
            minutes_id=object_id,
            text=data.text,
            expected_hash=data.hash,
        ),
        lambda db, minutes: ("minutes", "amend", minutes_subject(db, minutes)),
        edit_values=lambda minutes: {"hash": text_hash(minutes.text)},
        noun="minutes",
        done=lambda key, minutes: f"/p/{key}/meetings/{minutes.session_id}#minutes-{minutes.id}",
    ),
    Door(
        "statements",
        "Statements",
        Statement,
        StatementIn,
        lambda s, actor, process, data: record_statement(
            s, actor=actor, process=process, data=data
        ),
        StatementUpdate,
        lambda s, actor, process, object_id, data: update_statement(
            s, actor=actor, process=process, statement_id=object_id, data=data
        ),
        _edit_statement_rule,
        noun="statement",
    ),
):
    register(router, _door, tag="sessions" if _door.slug != "statements" else "statements")
