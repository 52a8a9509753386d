"""A delegation's members, managed by its head: the page /p/{key}/delegation and its JSON twin.

Who may see and change them is :func:`parley.authz.scope.headed_party` (the head of the
delegation; the mediator's head for the mediator's team); everyone else gets the answer of a
missing page, and so does a member named in a URL who is not in the head's delegation. Every
change goes through :func:`parley.processes.service.set_membership` or
:func:`~parley.processes.service.remove_membership`, which ask ``require_action``; adding a
member or changing a role needs step-up (the dialog's password, or X-Parley-Password).
The operator names first heads and observers on its own page (/admin/users).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from parley.auth import step_up
from parley.authz import Actor, NotFound
from parley.authz.navigation import party_names
from parley.authz.scope import require_headed_party
from parley.processes.models import Process
from parley.processes.schemas import MemberRole
from parley.processes.service import (
    DELEGATION_ROLES,
    Member,
    MembershipError,
    candidates,
    delegation_members,
    remove_membership,
    set_membership,
)
from parley.web.deps import (
    Csrf,
    CurrentAuth,
    Db,
    SignedIn,
    StepUpFields,
    process_by_key,
    request_write_session,
    require_step_up,
)
from parley.web.flash import flash
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
PAGE = "/p/{key}/delegation"
API = "/api/v1/processes/{key}/delegation"

ROLE_WORDS = {
    "head": "Head: manages the members",
    "member": "Member: reads and writes",
    "viewer": "Viewer: reads only",
}


def _headed(db: Db, actor: Actor, key: str) -> tuple[Process, str]:
    process = process_by_key(db, actor, key)
    return process, require_headed_party(actor, process.id)


def _member(db: Db, process: Process, party: str, username: str) -> Member:
    """A member of the head's own delegation, or NotFound like any missing record."""
    for member in delegation_members(db, process.id, party):
        if member.username == username:
            return member
    raise NotFound("member")


def _page(
    request: Request,
    db: Db,
    actor: Actor,
    process: Process,
    party: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    auth = getattr(request.state, "auth", None)
    found = candidates(db, process.id)
    return render(
        request,
        "delegation.html",
        status,
        process=process,
        party=party,
        party_name=party_names(db, process.id).get(party, party),
        members=delegation_members(db, process.id, party),
        candidates=found,
        candidate_options=[("", "Choose an account")]
        + [
            (
                c.username,
                c.display_name
                if c.display_name == c.username
                else f"{c.display_name} ({c.username})",
            )
            for c in found
        ],
        roles=[(r.value, ROLE_WORDS[r.value]) for r in DELEGATION_ROLES],
        errors=errors or {},
        values=values or {},
        **step_up.dialog(db, auth.user_id if auth else None, actor.stepped_up),
    )


@router.get(PAGE, include_in_schema=False)
def delegation_page(request: Request, key: str, db: Db, actor: SignedIn) -> Response:
    process, party = _headed(db, actor, key)
    return _page(request, db, actor, process, party)


def _change(
    request: Request,
    db: Db,
    auth: CurrentAuth,
    actor: Actor,
    target: tuple[Process, str],
    username: str,
    role: str | None,
    fields: tuple[str, str] | None = None,
) -> Response:
    """One change from the page, in the head's own delegation: step-up for a grant, then the
    service; a refusal shows the page again with the message by its field and the choice kept."""
    process, party = target
    if role is not None:
        actor = require_step_up(request, auth, db, fields)
    names = {m.username: m.display_name for m in candidates(db, process.id)}
    members = {m.username: m.display_name for m in delegation_members(db, process.id, party)}
    names.update(members)
    try:
        with request_write_session(request) as session:
            if role is None:
                remove_membership(
                    session,
                    actor=actor,
                    process_key=process.key,
                    username=username,
                    party_key=party,
                )
            else:
                set_membership(
                    session,
                    actor=actor,
                    process_key=process.key,
                    username=username,
                    party_key=party,
                    role=role,
                )
    except MembershipError as exc:
        errors = {exc.field if exc.field != "body" else "username": exc.problem}
        values = {"username": username, "role": role or ""}
        return _page(request, db, actor, process, party, 422, errors, values)
    name = names.get(username, username)
    if role is None:
        done = f"{name} removed from the delegation."
    elif username in members:
        done = f"{name} is now {role}."
    else:
        done = f"{name} added to the delegation as {role}."
    return flash(request, RedirectResponse(f"/p/{process.key}/delegation", status_code=303), done)


@router.post(PAGE + "/members", include_in_schema=False, dependencies=[Csrf])
def add_member_form(
    request: Request,
    key: str,
    db: Db,
    auth: CurrentAuth,
    actor: SignedIn,
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    fields: StepUpFields = None,
) -> Response:
    target = _headed(db, actor, key)
    return _change(request, db, auth, actor, target, username, role, fields)


@router.post(PAGE + "/members/{username}/role", include_in_schema=False, dependencies=[Csrf])
def change_role_form(
    request: Request,
    key: str,
    username: str,
    db: Db,
    auth: CurrentAuth,
    actor: SignedIn,
    role: Annotated[str, Form()],
    fields: StepUpFields = None,
) -> Response:
    target = _headed(db, actor, key)
    _member(db, *target, username)
    return _change(request, db, auth, actor, target, username, role, fields)


@router.post(PAGE + "/members/{username}/remove", include_in_schema=False, dependencies=[Csrf])
def remove_member_form(
    request: Request, key: str, username: str, db: Db, auth: CurrentAuth, actor: SignedIn
) -> Response:
    target = _headed(db, actor, key)
    _member(db, *target, username)
    return _change(request, db, auth, actor, target, username, None)


# ---------------------------------------------------------------- the JSON twin


def _json(db: Db, process: Process, party: str) -> dict[str, Any]:
    return {
        "party": party,
        "members": [
            {"username": m.username, "display_name": m.display_name, "role": m.role}
            for m in delegation_members(db, process.id, party)
        ],
        "candidates": [
            {"username": c.username, "display_name": c.display_name}
            for c in candidates(db, process.id)
        ],
    }


@router.get(API, tags=["processes"])
def delegation_api(key: str, db: Db, actor: SignedIn) -> dict[str, Any]:
    """The caller's delegation (for its head): members with their roles, and the accounts
    that take no part in the process, which may be added."""
    process, party = _headed(db, actor, key)
    return _json(db, process, party)


@router.put(API + "/members/{username}", tags=["processes"], dependencies=[Csrf])
def put_member_api(
    request: Request, key: str, username: str, body: MemberRole, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Add an account to the caller's delegation, or change its role there (step-up:
    ``X-Parley-Password``, and ``X-Parley-Code`` with an authenticator app)."""
    process, party = _headed(db, actor, key)
    with request_write_session(request) as session:
        set_membership(
            session,
            actor=actor,
            process_key=key,
            username=username,
            party_key=party,
            role=body.role,
        )
    return _json(db, process, party)


@router.delete(API + "/members/{username}", tags=["processes"], dependencies=[Csrf])
def delete_member_api(
    request: Request, key: str, username: str, db: Db, actor: SignedIn
) -> dict[str, Any]:
    """Take an account out of the caller's delegation (404 when it is not in it)."""
    process, party = _headed(db, actor, key)
    _member(db, process, party, username)
    with request_write_session(request) as session:
        remove_membership(session, actor=actor, process_key=key, username=username, party_key=party)
    return _json(db, process, party)
