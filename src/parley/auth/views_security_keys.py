"""Security keys (WebAuthn): the account page, and the JSON ceremonies behind static/webauthn.js.

Three ceremonies, each a pair of POSTs (options, then the browser's answer), all with the
session's CSRF token: adding a key (``/account/security-keys``), the second factor at sign-in
(``/login/security-key``, for a session whose second factor is pending) and step-up
(``/reauth/security-key``, password and key). Adding and removing a key need step-up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.auth import second_factor, security_keys, step_up, throttle
from parley.auth.models import SecurityKey, User
from parley.auth.views import _mark_session, _safe_next
from parley.authz import Actor, NotFound
from parley.web.deps import (
    Auth,
    Csrf,
    CurrentAuth,
    Db,
    FreshSignIn,
    LoginRequired,
    StepUp,
    request_write_session,
)
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter(include_in_schema=False)
T = TypeVar("T")

UNAVAILABLE = (
    "webauthn: security keys are not offered at this address (they need HTTPS, or "
    "PARLEY_WEBAUTHN_RP_ID and PARLEY_WEBAUTHN_ORIGIN set for it)"
)


def relying_party(request: Request) -> security_keys.RelyingParty | None:
    return security_keys.relying_party(
        request.app.state.settings, request.url.scheme, request.url.netloc
    )


def _ceremony(
    request: Request,
    auth: Auth,
    refused: int,
    step: Callable[[Session, security_keys.RelyingParty, str], T],
) -> T | JSONResponse:
    """One step of a ceremony, in its own transaction: 409 where keys are not offered, and a
    refusal answers ``refused`` after the commit, so that a spent challenge stays spent."""
    rp = relying_party(request)
    if rp is None:
        return JSONResponse({"detail": UNAVAILABLE}, status_code=409)
    assert auth.session_key is not None
    with request_write_session(request) as session:
        try:
            return step(session, rp, auth.session_key)
        except security_keys.SecurityKeyError as exc:
            failure = exc
    return JSONResponse({"detail": str(failure)}, status_code=refused)


def _has_factor(db: Db, user_id: Any) -> bool:
    return second_factor.enabled(db, user_id) or security_keys.has_keys(db, user_id)


def _key_owner(db: Db, auth: Auth) -> User:
    """The account that may manage keys: a full session, or a pending one with no factor yet
    (a role that requires a second factor, at the first sign-in). A pending session of an
    account that has a factor must give it first: adding a key must not route around it."""
    if auth.user_id is None or auth.session_key is None:
        raise LoginRequired()
    if auth.via not in ("cookie", "pending"):
        raise LoginRequired()
    if auth.via == "pending" and _has_factor(db, auth.user_id):
        raise LoginRequired()
    user = db.get(User, auth.user_id)
    if user is None:
        raise LoginRequired()
    return user


# ---------------------------------------------------------------- the account page


@router.get("/account/security-keys")
def keys_page(request: Request, auth: CurrentAuth, db: Db, next: str = "") -> Response:
    if auth.via == "pending" and auth.user_id is not None and _has_factor(db, auth.user_id):
        return RedirectResponse(f"/login/second-factor?next={_safe_next(next)}", status_code=303)
    user = _key_owner(db, auth)
    return render(
        request,
        "security_keys.html",
        keys=security_keys.keys_of(db, user.id),
        available=relying_party(request) is not None,
        pending=auth.via == "pending",
        next=_safe_next(next) if next else "/account/security-keys",
        error=None,
    )


@router.post("/account/security-keys/options", dependencies=[Csrf, StepUp, FreshSignIn])
def register_options(request: Request, auth: CurrentAuth, db: Db) -> Response:
    user = _key_owner(db, auth)
    options = _ceremony(
        request,
        auth,
        422,
        lambda session, rp, session_key: security_keys.registration_options(
            session, user=user, rp=rp, session_key=session_key
        ),
    )
    if isinstance(options, JSONResponse):
        return options
    return Response(options, media_type="application/json")


class Registration(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    credential: dict[str, Any]
    next: str = "/account/security-keys"


@router.post("/account/security-keys", dependencies=[Csrf, StepUp, FreshSignIn])
def register_finish(request: Request, auth: CurrentAuth, db: Db, body: Registration) -> Response:
    user = _key_owner(db, auth)

    def add(session: Session, rp: security_keys.RelyingParty, session_key: str) -> SecurityKey:
        return security_keys.finish_registration(
            session,
            actor=Actor(user_id=user.id, name=user.username),
            user=session.get(User, user.id) or user,
            rp=rp,
            session_key=session_key,
            name=body.name,
            credential=body.credential,
        )

    added = _ceremony(request, auth, 422, add)
    if isinstance(added, JSONResponse):
        return added
    assert auth.session_key is not None
    if auth.via == "pending":
        # At a first sign-in that requires a second factor, the new key is that factor.
        _mark_session(request, auth.session_key, factor_ok=True)
    return JSONResponse({"redirect": _safe_next(body.next)}, status_code=201)


@router.post("/account/security-keys/{key_id}/remove", dependencies=[Csrf, StepUp, FreshSignIn])
def remove(request: Request, auth: CurrentAuth, key_id: str) -> Response:
    if auth.via != "cookie":
        raise LoginRequired()
    try:
        key = uuid.UUID(key_id)
    except ValueError:
        raise NotFound("securitykey") from None
    with request_write_session(request) as session:
        security_keys.remove_key(session, actor=auth.actor, key_id=key)
    return RedirectResponse("/account/security-keys", status_code=303)


# ---------------------------------------------------------------- sign-in and step-up


class Assertion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    credential: dict[str, Any]
    next: str = "/"
    password: str = ""


def _assertion_options(request: Request, auth: Auth, purpose: str) -> Response:
    options = _ceremony(
        request,
        auth,
        409,
        lambda session, rp, session_key: security_keys.authentication_options(
            session, user_id=auth.user_id, rp=rp, session_key=session_key, purpose=purpose
        ),
    )
    if isinstance(options, JSONResponse):
        return options
    return Response(options, media_type="application/json")


def _check_assertion(
    request: Request, auth: Auth, purpose: str, body: Assertion
) -> JSONResponse | None:
    """None when one of the user's keys answered the challenge; otherwise the refusal.

    Wrong answers count towards the account's lock like wrong codes (:mod:`parley.auth.throttle`).
    """
    failures: list[security_keys.SecurityKeyError] = []

    def answer(session: Session, rp: security_keys.RelyingParty, session_key: str) -> bool:
        def check() -> bool:
            try:
                security_keys.finish_authentication(
                    session,
                    user_id=auth.user_id,
                    rp=rp,
                    session_key=session_key,
                    purpose=purpose,
                    credential=body.credential,
                )
            except security_keys.SecurityKeyError as exc:
                failures.append(exc)
                return False
            return True

        return throttle.guarded(
            session,
            user_id=auth.user_id,
            address=request.client.host if request.client else "unknown",
            kind="security-key",
            limits=throttle.Limits.of(request.app.state.settings),
            check=check,
        )

    try:
        checked = _ceremony(request, auth, 401, answer)
    except throttle.SecretRefused as exc:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(checked, JSONResponse):
        return checked
    if not checked:
        return JSONResponse({"detail": str(failures[0])}, status_code=401)
    return None


@router.post("/login/security-key/options", dependencies=[Csrf])
def login_options(request: Request, auth: CurrentAuth) -> Response:
    if auth.via != "pending":
        raise LoginRequired()
    return _assertion_options(request, auth, "login")


@router.post("/login/security-key", dependencies=[Csrf])
def login_finish(request: Request, auth: CurrentAuth, body: Assertion) -> Response:
    if auth.via != "pending":
        raise LoginRequired()
    refused = _check_assertion(request, auth, "login", body)
    if refused is not None:
        return refused
    _mark_session(request, auth.session_key, factor_ok=True)
    return JSONResponse({"redirect": _safe_next(body.next)})


@router.post("/reauth/security-key/options", dependencies=[Csrf])
def reauth_options(request: Request, auth: CurrentAuth) -> Response:
    if auth.via != "cookie":
        raise LoginRequired()
    return _assertion_options(request, auth, "reauth")


@router.post("/reauth/security-key", dependencies=[Csrf])
def reauth_finish(request: Request, auth: CurrentAuth, db: Db, body: Assertion) -> Response:
    if auth.via != "cookie":
        raise LoginRequired()
    user = db.get(User, auth.user_id)
    # The key first, so that its challenge is spent whatever happens next.
    refused = _check_assertion(request, auth, "reauth", body)
    if refused is not None:
        return refused
    # Step-up is the password and the key, as it is the password and the code with TOTP.
    if user is None:
        raise LoginRequired()
    try:
        with request_write_session(request) as session:
            ok = step_up.answers(
                session,
                user_id=user.id,
                password=body.password,
                code=None,  # the key was the second factor
                address=request.client.host if request.client else "unknown",
                settings=request.app.state.settings,
            )
            if ok:
                step_up.confirm(session, auth.session_key)
    except throttle.SecretRefused as exc:
        return JSONResponse(
            {"detail": str(exc)}, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    if not ok:
        return JSONResponse({"detail": "password: that did not match"}, status_code=401)
    return JSONResponse({"redirect": _safe_next(body.next)})
