"""Administration for operators: user accounts and delegation memberships."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from parley.auth.models import User
from parley.auth.service import AccountError, add_user
from parley.authz import Permission, require
from parley.authz.permissions import Forbidden
from parley.processes.models import Delegation, Membership, Party, Process
from parley.web.deps import Csrf, Db, SignedIn, request_write_session
from parley.web.pagination import Page
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()


def _users(db: Db, page: int, size: int) -> tuple[list[dict[str, object]], Page]:
    total = db.scalar(sa.select(sa.func.count()).select_from(User)) or 0
    users = db.scalars(
        sa.select(User).order_by(User.username).limit(size).offset((page - 1) * size)
    ).all()
    rows = db.execute(
        sa.select(Membership.user_id, Process.key, Party.key, Membership.role)
        .join(Process, Process.id == Membership.process_id)
        .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
        .outerjoin(Party, Party.id == Delegation.party_id)
        .where(Membership.user_id.in_([u.id for u in users]))
        # Operators administer accounts: which party a user belongs to is theirs to see.
        .execution_options(authz_internal=True)
    ).all()
    places: dict[object, list[str]] = {}
    for user_id, process_key, party_key, role in rows:
        places.setdefault(user_id, []).append(f"{process_key}: {party_key or '-'} ({role})")
    items = [
        {
            "id": str(u.id),
            "username": u.username,
            "display_name": u.display_name,
            "operator": u.is_operator,
            "active": u.is_active,
            "memberships": sorted(places.get(u.id, [])),
        }
        for u in users
    ]
    return items, Page(page, size, total)


@router.get("/admin/users", include_in_schema=False)
def users_page(request: Request, db: Db, actor: SignedIn, page: int = 1) -> Response:
    require(actor, Permission.ADMIN_USERS_MANAGE)
    items, pager = _users(db, max(page, 1), request.app.state.settings.page_size)
    return render(request, "admin_users.html", users=items, page=pager, error=None)


@router.get("/api/v1/admin/users", tags=["admin"])
def users_api(request: Request, db: Db, actor: SignedIn, page: int = 1) -> dict[str, object]:
    """Every account with its memberships (operators only)."""
    require(actor, Permission.ADMIN_USERS_MANAGE)
    items, pager = _users(db, max(page, 1), request.app.state.settings.page_size)
    return {"items": items, **pager.as_json()}


@router.post("/admin/users", include_in_schema=False, dependencies=[Csrf])
def create_user(
    request: Request,
    actor: SignedIn,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
) -> Response:
    require(actor, Permission.ADMIN_USERS_MANAGE)
    try:
        with request_write_session(request) as session:
            add_user(
                session,
                actor=actor,
                username=username,
                password=password,
                display_name=display_name,
            )
    except AccountError as exc:
        return render(
            request, "admin_users.html", 400, users=[], page=Page(1, 1, 0), error=str(exc)
        )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/memberships", include_in_schema=False, dependencies=[Csrf])
def set_membership_form(
    request: Request,
    actor: SignedIn,
    process: Annotated[str, Form()],
    username: Annotated[str, Form()],
    role: Annotated[str, Form()],
    party: Annotated[str, Form()] = "",
) -> Response:
    from parley.db.rls import SYSTEM, bind_spaces
    from parley.processes.service import MembershipError, set_membership

    require(actor, Permission.ADMIN_USERS_MANAGE)
    try:
        with request_write_session(request) as session:
            # Row-level security: an operator names first heads in processes it does not belong
            # to (the service's rules decide what it may do), so this change runs as the system.
            bind_spaces(session, SYSTEM)
            set_membership(
                session,
                actor=actor,
                process_key=process,
                username=username,
                party_key=party or None,
                role=role,
            )
    except (MembershipError, Forbidden) as exc:
        status = 403 if isinstance(exc, Forbidden) else 400
        return render(
            request, "admin_users.html", status, users=[], page=Page(1, 1, 0), error=str(exc)
        )
    return RedirectResponse("/admin/users", status_code=303)
