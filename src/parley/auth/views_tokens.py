"""The API tokens page of the account menu: list, create (with step-up), revoke.

The same tokens as ``/api/v1/auth/token(s)``; a new token is shown once, on the page that
created it, and only its name and dates afterwards.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from parley.auth.models import ApiToken, User
from parley.auth.service import create_token, revoke_token
from parley.authz import NotFound
from parley.web.deps import Csrf, Db, SignedIn, StepUp, request_write_session
from parley.web.flash import flash
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
NAME_MAX = 100


def _tokens(db: Db, user_id: uuid.UUID | None) -> list[ApiToken]:
    return list(
        db.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        )
    )


@router.get("/account/tokens", include_in_schema=False)
def tokens_page(request: Request, db: Db, actor: SignedIn) -> Response:
    return render(
        request, "account_tokens.html", tokens=_tokens(db, actor.user_id), new_token=None,
        errors={}, token_name="",
    )  # fmt: skip


@router.post("/account/tokens", include_in_schema=False, dependencies=[Csrf, StepUp])
def create_token_form(
    request: Request, db: Db, actor: SignedIn, name: Annotated[str, Form()] = ""
) -> Response:
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        message = "Give the token a name" if not name else f"At most {NAME_MAX} characters"
        return render(
            request, "account_tokens.html", 422, tokens=_tokens(db, actor.user_id),
            new_token=None, errors={"name": message}, token_name=name,
        )  # fmt: skip
    with request_write_session(request) as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user")
        token = create_token(session, actor=actor, user=user, name=name)
    return render(
        request, "account_tokens.html", 201, tokens=_tokens(db, actor.user_id),
        new_token=token, errors={}, token_name="",
    )  # fmt: skip


def _revoke_own(request: Request, actor: SignedIn, token_id: str) -> str:
    """Revoke one of the signed-in user's tokens; its name. Anyone else's, or a made-up id,
    is NotFound."""
    try:
        key = uuid.UUID(token_id)
    except ValueError:
        raise NotFound("token") from None
    with request_write_session(request) as session:
        token = session.get(ApiToken, key)
        if token is None or token.user_id != actor.user_id:
            raise NotFound("token")
        name = token.name
        revoke_token(session, actor=actor, token_id=key)
    return name


@router.post("/account/tokens/{token_id}/revoke", include_in_schema=False, dependencies=[Csrf])
def revoke_token_form(request: Request, token_id: str, actor: SignedIn) -> Response:
    name = _revoke_own(request, actor, token_id)
    response = RedirectResponse("/account/tokens", status_code=303)
    return flash(request, response, f"The token “{name}” is revoked: it no longer works.")


@router.post("/api/v1/auth/tokens/{token_id}/revoke", tags=["auth"], dependencies=[Csrf])
def revoke_my_token(request: Request, token_id: str, actor: SignedIn) -> dict[str, str]:
    """Revoke one of the signed-in user's tokens."""
    _revoke_own(request, actor, token_id)
    return {"status": "revoked"}
