"""Sign-in and sign-out pages, and API tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import segno
import sqlalchemy as sa
from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from parley.auth import second_factor, security_keys, step_up, throttle
from parley.auth.models import AccountNotice, ApiToken, User
from parley.auth.service import (
    AuthError,
    actor_for,
    authenticate,
    create_token,
    end_session,
    start_session,
    unseen_notices,
)
from parley.authz import Actor
from parley.config import second_factor_roles
from parley.web.deps import (
    Auth,
    Csrf,
    CurrentAuth,
    Db,
    FreshSignIn,
    LoginRequired,
    SignedIn,
    check_fresh_sign_in,
    cookie_name,
    request_write_session,
)
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()
T = TypeVar("T")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _password_sign_in(
    request: Request, username: str, password: str, then: Callable[[Session, User], T]
) -> T | AuthError:
    """Check a password (throttled); if it matches, run ``then`` in the same transaction.

    A failed attempt is returned, not raised: it must be committed, since it is what throttling
    counts, rather than rolled back with the error.
    """
    settings = request.app.state.settings
    with request_write_session(request) as session:
        try:
            user = authenticate(
                session,
                username=username,
                password=password,
                address=_address(request),
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
            )
        except AuthError as exc:
            return exc
        return then(session, user)


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

    def start(session: Session, user: User) -> tuple[str, bool, bool, bool]:
        # A TOTP app or a security key: either one is the second factor.
        has_factor = second_factor.enabled(session, user.id) or security_keys.has_keys(
            session, user.id
        )
        needs_factor = has_factor or second_factor.required_for(
            actor_for(session, user), second_factor_roles(settings)
        )
        token, _ = start_session(
            session, user, settings.session_hours, second_factor_ok=not needs_factor
        )
        notices = bool(
            session.scalar(
                sa.select(sa.func.count(AccountNotice.id)).where(
                    AccountNotice.user_id == user.id, AccountNotice.seen_at.is_(None)
                )
            )
        )
        return token, has_factor, needs_factor, notices

    started = _password_sign_in(request, username, password, start)
    if isinstance(started, AuthError):
        return render(request, "login.html", 401, next=_safe_next(next), error=str(started))
    token, has_factor, needs_factor, notices = started
    target = _safe_next(next)
    if needs_factor:
        page = "/login/second-factor" if has_factor else "/account/second-factor"
        target = f"{page}?next={quote(target)}"
    if notices:
        # What the operator did to the account (a reset second factor) is told first.
        target = f"/account/notices?next={quote(target)}"
    response = RedirectResponse(target, status_code=303)
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


@router.get("/account/notices", include_in_schema=False)
def notices_page(request: Request, auth: CurrentAuth, next: str = "/") -> Response:
    """What the operator did to this account since the last sign-in, shown once."""
    if auth.user_id is None:
        raise LoginRequired()
    with request_write_session(request) as session:
        messages = unseen_notices(session, auth.user_id)
    return render(request, "account_notices.html", notices=messages, next=_safe_next(next))


@router.post("/logout", include_in_schema=False, dependencies=[Csrf])
def logout(request: Request, auth: CurrentAuth) -> Response:
    token = request.cookies.get(cookie_name(request))
    if token:
        with request_write_session(request) as session:
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
    from fastapi.responses import JSONResponse

    token = _password_sign_in(
        request,
        body.username,
        body.password,
        lambda session, user: create_token(
            session,
            actor=Actor(user_id=user.id, name=user.username),
            user=user,
            name=body.name or "api",
        ),
    )
    if isinstance(token, AuthError):
        return JSONResponse({"detail": str(token)}, status_code=401)
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


# ---------------------------------------------------------------- second factor and step-up


def _mark_session(request: Request, session_key: str | None, *, factor_ok: bool) -> None:
    with request_write_session(request) as session:
        step_up.confirm(session, session_key, factor_ok=factor_ok)


def _factor_choices(request: Request, db: Any, user_id: Any) -> dict[str, bool]:
    """What the user can answer with: a TOTP code, a security key (where offered)."""
    from parley.auth.views_security_keys import relying_party

    return {
        "has_code": second_factor.enabled(db, user_id),
        "has_key": security_keys.has_keys(db, user_id) and relying_party(request) is not None,
    }


def _factor_page(
    request: Request,
    db: Any,
    auth: Auth,
    page: str,
    next: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    """The second-factor or step-up page, offering what this account can answer with."""
    return render(
        request,
        page,
        status,
        next=_safe_next(next),
        error=error,
        needs_code=second_factor.enabled(db, auth.user_id),
        **_factor_choices(request, db, auth.user_id),
    )


@router.get("/login/second-factor", include_in_schema=False)
def second_factor_page(request: Request, auth: CurrentAuth, db: Db, next: str = "/") -> Response:
    if auth.via != "pending":
        return RedirectResponse(_safe_next(next), status_code=303)
    return _factor_page(request, db, auth, "second_factor.html", next)


@router.post("/login/second-factor", include_in_schema=False, dependencies=[Csrf])
def second_factor_submit(
    request: Request,
    auth: CurrentAuth,
    db: Db,
    code: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    if auth.via != "pending":
        return RedirectResponse("/login", status_code=303)
    settings = request.app.state.settings
    try:
        with request_write_session(request) as session:
            ok = throttle.guarded(
                session,
                user_id=auth.user_id,
                address=_address(request),
                kind="second-factor",
                limits=throttle.Limits.of(settings),
                check=lambda: second_factor.check_code(
                    session, user_id=auth.user_id, secret_key=settings.secret_key, code=code
                ),
            )
    except throttle.SecretRefused as exc:
        return _refused_page(request, "second_factor.html", exc, next, db, auth)
    if not ok:
        error = "Wrong or already used code."
        return _factor_page(request, db, auth, "second_factor.html", next, 401, error)
    _mark_session(request, auth.session_key, factor_ok=True)
    return RedirectResponse(_safe_next(next), status_code=303)


def _refused_page(
    request: Request, page: str, exc: throttle.SecretRefused, next: str, db: Any, auth: Auth
) -> Response:
    """429 with Retry-After: the answer was not even checked."""
    response = _factor_page(request, db, auth, page, next, 429, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _same_user(session: Any, user: User) -> User:
    """The account row in the writing session (the request's read session is separate)."""
    found = session.get(User, user.id)
    if found is None:
        raise LoginRequired()
    return found


def _enrolment_user(db: Db, auth: Auth) -> User:
    if auth.user_id is None or auth.via not in ("pending", "cookie"):
        raise LoginRequired()
    if auth.via == "pending" and security_keys.has_keys(db, auth.user_id):
        # The account's factor is its security key: setting up TOTP must not route around it.
        raise LoginRequired()
    user = db.get(User, auth.user_id)
    if user is None:
        raise LoginRequired()
    return user


@router.get("/account/second-factor", include_in_schema=False)
def enrol_page(request: Request, auth: CurrentAuth, db: Db, next: str = "/") -> Response:
    user = _enrolment_user(db, auth)
    if second_factor.enabled(db, user.id):
        return render(
            request,
            "second_factor_status.html",
            next=_safe_next(next),
            remaining=second_factor.remaining_recovery_codes(db, user.id),
            codes=None,
        )
    check_fresh_sign_in(request, auth)
    with request_write_session(request) as session:
        secret, uri = second_factor.begin_enrolment(
            session, _same_user(session, user), request.app.state.settings.secret_key
        )
    qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    from parley.auth.views_security_keys import relying_party

    return render(
        request,
        "second_factor_enrol.html",
        next=_safe_next(next),
        secret=secret,
        qr=qr,
        error=None,
        keys_offered=relying_party(request) is not None,
    )


@router.post("/account/second-factor", include_in_schema=False, dependencies=[Csrf, FreshSignIn])
def enrol_submit(
    request: Request,
    auth: CurrentAuth,
    db: Db,
    code: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    user = _enrolment_user(db, auth)
    try:
        with request_write_session(request) as session:
            codes = second_factor.confirm_enrolment(
                session,
                actor=Actor(user_id=user.id, name=user.username),
                user=_same_user(session, user),
                secret_key=request.app.state.settings.secret_key,
                code=code,
            )
    except second_factor.SecondFactorError as exc:
        return render(
            request,
            "second_factor_enrol.html",
            422,
            next=_safe_next(next),
            secret=None,
            qr=None,
            error=str(exc),
        )
    _mark_session(request, auth.session_key, factor_ok=True)
    return render(
        request,
        "second_factor_status.html",
        next=_safe_next(next),
        remaining=len(codes),
        codes=codes,
    )


@router.get("/reauth", include_in_schema=False)
def reauth_page(request: Request, auth: CurrentAuth, db: Db, next: str = "/") -> Response:
    if auth.via != "cookie":
        raise LoginRequired()
    return _factor_page(request, db, auth, "reauth.html", next)


@router.post("/reauth", include_in_schema=False, dependencies=[Csrf])
def reauth_submit(
    request: Request,
    auth: CurrentAuth,
    db: Db,
    password: Annotated[str, Form()],
    code: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    if auth.via != "cookie":
        raise LoginRequired()
    key_only = step_up.key_is_the_factor(db, auth.user_id)
    if key_only:
        ok = False  # the account's second factor is its security key: a password is not enough
    else:
        try:
            with request_write_session(request) as session:
                ok = step_up.answers(
                    session,
                    user_id=auth.user_id,
                    password=password,
                    code=code,
                    address=_address(request),
                    settings=request.app.state.settings,
                )
                if ok:
                    step_up.confirm(session, auth.session_key)
        except throttle.SecretRefused as exc:
            return _refused_page(request, "reauth.html", exc, next, db, auth)
    if not ok:
        error = "Confirm with your security key." if key_only else "That did not match; try again."
        return _factor_page(request, db, auth, "reauth.html", next, 401, error)
    return RedirectResponse(_safe_next(next), status_code=303)
