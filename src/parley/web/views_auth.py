"""Sign-in and sign-out pages, and API tokens."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from parley.auth.models import ApiToken
from parley.auth.service import (
    AuthError,
    authenticate,
    create_token,
    end_session,
    revoke_token,
    start_session,
)
from parley.db.engine import write_session
from parley.web.deps import Csrf, CurrentAuth, SignedIn, cookie_name
from parley.web.templating import render

router = APIRouter()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, auth: CurrentAuth, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = request.app.state.settings
    try:
        with write_session(request.app.state.engine) as session:
            user = authenticate(
                session,
                username=username,
                password=password,
                address=_address(request),
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
            )
            token, _ = start_session(session, user, settings.session_hours)
    except AuthError as exc:
        return render(request, "login.html", 401, next=_safe_next(next), error=str(exc))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        cookie_name(request),
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        max_age=settings.session_hours * 3600,
    )
    return response


@router.post("/logout", include_in_schema=False, dependencies=[Csrf])
def logout(request: Request, auth: CurrentAuth) -> Response:
    token = request.cookies.get(cookie_name(request))
    if token:
        with write_session(request.app.state.engine) as session:
            end_session(session, token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(cookie_name(request), path="/")
    return response


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str
    name: str = ""


@router.post("/api/v1/auth/token", tags=["auth"])
def api_token(request: Request, body: TokenRequest) -> Response:
    """Exchange a username and password for an opaque API token (send as `Bearer`)."""
    settings = request.app.state.settings
    from fastapi.responses import JSONResponse

    from parley.authz import Actor

    try:
        with write_session(request.app.state.engine) as session:
            user = authenticate(
                session,
                username=body.username,
                password=body.password,
                address=_address(request),
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
            )
            token = create_token(
                session,
                actor=Actor(user_id=user.id, name=user.username),
                user=user,
                name=body.name or "api",
            )
    except AuthError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=401)
    return JSONResponse({"token": token})


@router.get("/api/v1/auth/tokens", tags=["auth"])
def my_tokens(request: Request, actor: SignedIn) -> list[dict[str, str | None]]:
    """The signed-in user's API tokens (never the tokens themselves)."""
    from parley.db.engine import read_session

    with read_session(request.app.state.engine) as session:
        rows = session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == actor.user_id)
            .order_by(ApiToken.created_at)
        ).all()
    return [
        {
            "id": str(t.id),
            "name": t.name,
            "created_at": t.created_at.isoformat(),
            "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in rows
    ]


@router.post("/api/v1/auth/tokens/{token_id}/revoke", tags=["auth"], dependencies=[Csrf])
def revoke_my_token(request: Request, token_id: str, actor: SignedIn) -> dict[str, str]:
    """Revoke one of the signed-in user's tokens."""
    import uuid

    from parley.authz import NotFound

    try:
        key = uuid.UUID(token_id)
    except ValueError:
        raise NotFound("token") from None
    with write_session(request.app.state.engine) as session:
        token = session.get(ApiToken, key)
        if token is None or token.user_id != actor.user_id:
            raise NotFound("token")
        revoke_token(session, actor=actor, token_id=key)
    return {"status": "revoked"}
