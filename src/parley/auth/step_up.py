"""Step-up: has this request proven, a moment ago, who is behind it? Decided here only.

Consequential actions (the rules marked step-up in :mod:`parley.authz.rules`, exports, API
tokens, security keys) need it. A request proves itself in one of these ways:

* its web session re-authenticated within ``step_up_minutes``: at ``/reauth`` (the password and
  the authenticator code, or the password and a security key), or in the confirmation dialog
  of an earlier action;
* it gives the password again with the request itself (and the authenticator code when the
  account uses one): the dialog's ``step_up_password`` / ``step_up_code`` for a web session,
  ``X-Parley-Password`` / ``X-Parley-Code`` for an API token;
* the settings ask for no step-up at all (``PARLEY_STEP_UP``; off in development).

An account whose only second factor is a security key is not proven by a password alone in a
web session: it re-authenticates at ``/reauth`` with its key. Every password given again is
throttled and counted like every other secret (:mod:`parley.auth.throttle`, kind ``step-up``).
The web layer (:mod:`parley.web.deps`) only gathers what a request offers and calls
:func:`proven`; the ``/reauth`` pages call :func:`answers` and :func:`confirm`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from parley.auth import second_factor, security_keys, throttle
from parley.auth.models import User, WebSession
from parley.auth.passwords import verify_password
from parley.db.base import utcnow


@dataclass(frozen=True)
class Attempt:
    """What one request offers as proof."""

    user_id: Any
    via: str  # "cookie" (a web session) or "token" (an API token); anything else proves nothing
    address: str
    session_key: str | None = None  # the web session's token hash
    reauthenticated_at: datetime | None = None
    password: str | None = None  # given again with this request
    code: str = ""


def recent(reauthenticated_at: datetime | None, minutes: int, now: datetime | None = None) -> bool:
    """Re-authenticated within the last ``minutes``."""
    if reauthenticated_at is None:
        return False
    return reauthenticated_at >= (now or utcnow()) - timedelta(minutes=minutes)


def key_is_the_factor(session: Session, user_id: Any) -> bool:
    """The account's second factor is a security key and no authenticator app: a password
    (even with an empty code) is not the whole proof; the key ceremony is."""
    return security_keys.has_keys(session, user_id) and not second_factor.enabled(session, user_id)


def answers(
    session: Session,
    *,
    user_id: Any,
    password: str,
    code: str | None,
    address: str,
    settings: Any,
) -> bool:
    """The password given again, and the authenticator code when the account has one
    (``code=None``: the second factor was answered otherwise, by a security key). Throttled:
    raises :class:`parley.auth.throttle.SecretRefused` unread while the account or address
    must wait. The caller commits ``session`` whatever the answer (the count is the point)."""
    user = session.get(User, user_id)
    if user is None:
        return False

    def check() -> bool:
        if not verify_password(user.password_hash, password):
            return False
        return (
            code is None
            or not second_factor.enabled(session, user.id)
            or second_factor.check_code(
                session, user_id=user.id, secret_key=settings.secret_key, code=code
            )
        )

    return throttle.guarded(
        session,
        user_id=user.id,
        address=address,
        kind="step-up",
        limits=throttle.Limits.of(settings),
        check=check,
    )


def confirm(session: Session, session_key: str | None, *, factor_ok: bool = False) -> None:
    """The web session proved itself now: fresh for the next ``step_up_minutes`` (and, with
    ``factor_ok``, past its second factor at sign-in)."""
    web = session.get(WebSession, session_key) if session_key else None
    if web is not None:
        web.second_factor_ok = web.second_factor_ok or factor_ok
        web.reauthenticated_at = utcnow()


def proven(
    attempt: Attempt,
    settings: Any,
    open_session: Callable[[], AbstractContextManager[Session]],
) -> bool:
    """Whether the request has proven who it is a moment ago (see the module's docstring).

    ``open_session`` opens the write transaction in which a password given again is checked
    and counted (and the web session marked fresh): only when there is one to check."""
    from parley.config import step_up_required

    if not step_up_required(settings):
        return True
    if attempt.via == "cookie" and recent(attempt.reauthenticated_at, settings.step_up_minutes):
        return True
    if attempt.password is None or attempt.via not in ("cookie", "token"):
        return False
    with open_session() as session:
        if attempt.via == "cookie" and key_is_the_factor(session, attempt.user_id):
            return False  # the account's factor is its key: /reauth asks for it
        ok = answers(
            session,
            user_id=attempt.user_id,
            password=attempt.password,
            code=attempt.code,
            address=attempt.address,
            settings=settings,
        )
        if ok and attempt.via == "cookie":
            confirm(session, attempt.session_key)  # fresh for the next few minutes too
    return ok


def fresh_sign_in(attempt: Attempt, settings: Any) -> bool:
    """Enrolling or removing a second factor: a web session re-authenticated a moment ago,
    always (whatever ``PARLEY_STEP_UP`` says), so that a stolen, stale session cannot plant its
    own factor. Other doors (a pending sign-in, which has just given its password) pass."""
    return attempt.via != "cookie" or recent(attempt.reauthenticated_at, settings.step_up_minutes)


def dialog(session: Session, user_id: Any, stepped_up: bool) -> dict[str, bool]:
    """What a confirmation dialog asks for: ``step_up`` (the password) unless the actor is
    already fresh, and ``has_code`` when the account uses an authenticator app. An account
    whose factor is a security key is not asked in the dialog (it goes to /reauth)."""
    if stepped_up or user_id is None or key_is_the_factor(session, user_id):
        return {"step_up": False, "has_code": False}
    return {"step_up": True, "has_code": second_factor.enabled(session, user_id)}
