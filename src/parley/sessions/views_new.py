"""Scheduling a meeting by clicking: one page with its parties, people and agenda picked from
lists; a proximity meeting gets one room per delegation taking part (the service opens them).

``GET /p/{key}/sessions/new`` shows the form to those the rules let schedule (the mediator's
team); ``POST /p/{key}/sessions`` schedules through :func:`parley.sessions.service.schedule_meeting`
in one transaction. A refusal shows the form again with every value kept and each problem in
plain words under its field.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from parley.authz import Actor
from parley.authz.navigation import party_names
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, permits
from parley.authz.scope import writable_spaces
from parley.authz.visibility import INTERNAL
from parley.errors import InputError
from parley.processes.models import Process
from parley.sessions.forms import party_choices, people_choices, provision_choices
from parley.sessions.models import Room
from parley.sessions.schemas import AgendaIn, ScheduleIn
from parley.sessions.service import schedule_meeting
from parley.web.deps import Csrf, Db, Form, SignedIn, process_by_key, request_write_session
from parley.web.flash import flash
from parley.web.formatting import space_words
from parley.web.inputs import field_errors
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()

ZONES = (
    "UTC",
    "America/New_York",
    "Europe/London",
    "Europe/Brussels",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Asia/Dubai",
)
FORMATS = (
    ("proximity", "Proximity: the mediator shuttles between one room per delegation"),
    ("bilateral", "Bilateral: two sides at one table"),
    ("plenary", "Plenary: every delegation at one table"),
    ("call", "Call"),
)


def may_schedule(actor: Actor, process: Process) -> bool:
    return permits(actor, "meeting", "schedule", Subject(process.id, state="planned"))


def _zone(process: Process, chosen: str = "") -> tuple[str, list[str]]:
    default = chosen or getattr(process, "time_zone", None) or "UTC"
    zones = list(ZONES) if default in ZONES else [default, *ZONES]
    return default, zones


def _page(
    request: Request,
    db: Db,
    actor: Actor,
    process: Process,
    values: FormData | dict[str, Any],
    errors: dict[str, str] | None = None,
) -> Response:
    names = party_names(db, process.id)
    spaces = [(s, space_words(s, names)[0]) for s in writable_spaces(db, actor, process.id)]
    zone, zones = _zone(process, str(values.get("timezone") or ""))
    getlist = getattr(values, "getlist", None)

    def many(name: str) -> list[str]:
        if getlist:
            return [str(v) for v in getlist(name)]
        return [str(v) for v in values.get(name) or []]  # type: ignore[union-attr]

    return render(
        request,
        "sessions/new.html",
        422 if errors else 200,
        process=process,
        errors=errors or {},
        values={
            "title": values.get("title", ""),
            "key": values.get("key", ""),
            "format": values.get("format", "proximity"),
            "starts_at": values.get("starts_at", ""),
            "ends_at": values.get("ends_at", ""),
            "timezone": zone,
            "place": values.get("place", ""),
            "space": values.get("space", "participants"),
            "parties": many("parties"),
            "people": many("people"),
            "agenda": many("agenda"),
            "agenda_other": values.get("agenda_other", ""),
        },
        formats=FORMATS,
        zones=zones,
        spaces=spaces,
        parties=party_choices(db, process),
        people=people_choices(db, actor, process),
        provisions=provision_choices(db, actor, process),
    )


@router.get("/p/{key}/sessions/new", include_in_schema=False)
def new_meeting_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process = process_by_key(db, actor, key)
    if not may_schedule(actor, process):
        raise Forbidden("only the mediator's team schedules meetings")
    return _page(request, db, actor, process, {})


def _key_from(title: str, starts: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "meeting"
    return f"{words}-{starts[:10]}" if starts[:10] else words


def _when(raw: str, zone: str, field: str, errors: dict[str, str]) -> datetime | None:
    """A ``datetime-local`` value in the chosen time zone (an offset given wins)."""
    if not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors[field] = "Enter a date and time, for example 20 Dec 2025, 14:00."
        return None
    if value.tzinfo is None:
        try:
            value = value.replace(tzinfo=ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            errors["timezone"] = "Choose a time zone from the list."
            return None
    return value


def schedule_input(form: FormData, labels: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form as ScheduleIn's fields, and the problems found before the model's checks."""
    errors: dict[str, str] = {}
    zone = str(form.get("timezone") or "UTC")
    starts_raw = str(form.get("starts_at") or "")
    starts = _when(starts_raw, zone, "starts_at", errors)
    ends = _when(str(form.get("ends_at") or ""), zone, "ends_at", errors)
    if not starts_raw.strip():
        errors["starts_at"] = "Enter the date and time the meeting starts."
    title = str(form.get("title") or "").strip()
    agenda = [
        AgendaIn(title=labels.get(ref, ref)[:300], provision=ref).model_dump()
        for ref in (str(v) for v in form.getlist("agenda"))
        if ref.strip()
    ]
    agenda += [
        {"title": line.strip()[:300]}
        for line in str(form.get("agenda_other") or "").splitlines()
        if line.strip()
    ]
    data: dict[str, Any] = {
        "key": str(form.get("key") or "").strip() or _key_from(title, starts_raw),
        "title": title,
        "format": str(form.get("format") or ""),
        "starts_at": starts,
        "ends_at": ends,
        "timezone": zone,
        "place": str(form.get("place") or "").strip(),
        "space": str(form.get("space") or ""),
        "parties": [str(v) for v in form.getlist("parties")],
        "people": [str(v) for v in form.getlist("people")],
        "agenda": agenda,
    }
    return {k: v for k, v in data.items() if v is not None}, errors


def _form_errors(exc: ValidationError | InputError) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, message in field_errors(exc).items():
        out.setdefault("agenda" if name.startswith("agenda") else name, message)
    return out


@router.post("/p/{key}/sessions", include_in_schema=False, dependencies=[Csrf])
def schedule_form(request: Request, key: str, db: Db, actor: SignedIn, form: Form) -> Response:
    process = process_by_key(db, actor, key)
    if not may_schedule(actor, process):
        raise Forbidden("only the mediator's team schedules meetings")
    labels = dict(provision_choices(db, actor, process))
    data, errors = schedule_input(form, labels)
    meeting, rooms = None, 0
    if not errors:
        try:
            body = ScheduleIn.model_validate(data)
            with request_write_session(request) as session:
                meeting = schedule_meeting(session, actor=actor, process=process, data=body)
                rooms = session.scalar(  # type: ignore[assignment]  # a count: never None
                    sa.select(sa.func.count())
                    .select_from(Room)
                    .where(Room.session_id == meeting.id)
                    .execution_options(**{INTERNAL: True})  # the rooms this call just opened
                )
        except (ValidationError, InputError) as exc:
            errors = _form_errors(exc)
    if errors or meeting is None:
        return _page(request, db, actor, process, form, errors)
    words = f"Meeting “{meeting.title}” scheduled"
    if rooms:
        words += f", with {rooms} rooms: one for each delegation and the mediator's notes"
    response = RedirectResponse(f"/p/{key}/meetings/{meeting.id}", status_code=303)
    return flash(request, response, words + ".")
