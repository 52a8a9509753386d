"""Request dependencies: the database session, the current actor, CSRF, the process."""

from __future__ import annotations

import dataclasses
import hmac
import weakref
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, cast

import sqlalchemy as sa
from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from parley.auth import step_up, throttle
from parley.auth.models import ApiToken
from parley.auth.service import actor_for, session_user, token_user
from parley.auth.step_up import Attempt
from parley.authz import Actor
from parley.authz.permissions import StepUpRequired
from parley.authz.scope import visible_process
from parley.authz.visibility import guard_scoped_reads
from parley.db.base import utcnow
from parley.db.engine import write_session
from parley.db.rls import NOTHING, bind_actor, bind_spaces
from parley.web.routing import current_read_session

SESSION_COOKIE = "parley_session"
SECURE_SESSION_COOKIE = "__Host-parley_session"


def cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if request.url.scheme == "https" else SESSION_COOKIE


_FACTORIES: weakref.WeakKeyDictionary[sa.Engine, sessionmaker[Session]] = (
    weakref.WeakKeyDictionary()
)


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """The request sessions' factory for ``engine``, made once: a sessionmaker is a new Session
    class, and the scoped-reads guard is listened for on it once instead of on every session
    (both cost more per request than the request's own queries)."""
    factory = _FACTORIES.get(engine)
    if factory is None:
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        guard_scoped_reads(cast(Session, factory))  # listens on every session it makes
        factory = _FACTORIES.setdefault(engine, factory)
    return factory


async def get_db(request: Request) -> AsyncIterator[Session]:
    """A read session for the request; unscoped reads of confidential models raise.

    Async on purpose: its clean-up (giving the connection back) then runs on the event loop.
    Run in the thread pool, the clean-up would need a free thread while the threads could all be
    waiting for a connection held by requests waiting to clean up: a deadlock under load.
    """
    with session_factory(request.app.state.engine)() as session:
        bind_spaces(session, NOTHING)  # row-level security: nothing until get_auth binds the actor
        request.state.db = session
        current_read_session.set(session)
        yield session


@contextmanager
def request_write_session(request: Request) -> Iterator[Session]:
    """The request's write transaction, opened only after its read transaction has ended.

    A request thus holds one pooled connection at a time: holding the read connection while
    waiting for a writer let a burst of requests take every connection twice and starve.
    """
    read: Session | None = getattr(request.state, "db", None)
    if read is not None:
        # Nothing is pending in a read session, so this only ends its transaction and returns
        # the connection; loaded objects stay usable (expire_on_commit=False).
        read.commit()
    with write_session(request.app.state.engine) as session:
        auth: Auth | None = getattr(request.state, "auth", None)
        if auth is None:
            bind_spaces(session, NOTHING)
        else:
            bind_actor(session, auth.actor)
        yield session


Db = Annotated[Session, Depends(get_db)]


@dataclass(frozen=True)
class Auth:
    actor: Actor
    csrf_token: str | None  # set when signed in through the session cookie
    via: str  # "anonymous" | "cookie" | "token" | "pending" (password given, second factor not)
    user_id: Any = None  # the account, also while its second factor is pending
    session_key: str | None = None  # the web session's token hash
    reauthenticated_at: datetime | None = None


def get_auth(request: Request, db: Db) -> Auth:
    auth = _authenticate(request, db)
    # Give the connection back while the request waits for its handler's thread; the loaded
    # objects stay usable (expire_on_commit=False), and the next read takes a connection again.
    db.commit()
    bind_actor(db, auth.actor)  # row-level security: this request sees the actor's spaces
    return auth


def _authenticate(request: Request, db: Session) -> Auth:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip()
        owned = token_user(db, token)
        if owned is None:
            raise HTTPException(401, "Invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        user, row = owned
        _note_token_use(request, row)
        auth = Auth(actor_for(db, user), None, "token", user_id=user.id)
        request.state.auth = auth
        return auth
    cookie = request.cookies.get(cookie_name(request))
    if cookie:
        found = session_user(db, cookie)
        if found is not None:
            user, web = found
            if not web.second_factor_ok:
                auth = Auth(
                    Actor.anonymous(),
                    web.csrf_token,
                    "pending",
                    user_id=user.id,
                    session_key=web.token_hash,
                )
            else:
                auth = Auth(
                    actor_for(db, user),
                    web.csrf_token,
                    "cookie",
                    user_id=user.id,
                    session_key=web.token_hash,
                    reauthenticated_at=web.reauthenticated_at,
                )
            request.state.auth = auth
            return auth
    auth = Auth(Actor.anonymous(), None, "anonymous")
    request.state.auth = auth
    return auth


# "Last used" is for spotting stale tokens, so minute precision is plenty; writing it on every
# request turned each API read into a write.
TOKEN_USE_PRECISION = timedelta(minutes=1)


def _note_token_use(request: Request, row: ApiToken) -> None:
    now = utcnow()
    if row.last_used_at is not None and row.last_used_at >= now - TOKEN_USE_PRECISION:
        return  # the row was just read by token_user: no second query
    with request_write_session(request) as w:
        w.execute(
            sa.update(ApiToken)
            .where(
                ApiToken.id == row.id,
                sa.or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - TOKEN_USE_PRECISION,
                ),
            )
            .values(last_used_at=now)
        )


CurrentAuth = Annotated[Auth, Depends(get_auth)]


def _attempt(request: Request, auth: Auth, password: str | None, code: str = "") -> Attempt:
    return Attempt(
        user_id=auth.user_id,
        via=auth.via,
        address=request.client.host if request.client else "unknown",
        session_key=auth.session_key,
        reauthenticated_at=auth.reauthenticated_at,
        password=password,
        code=code,
    )


def _proven(request: Request, attempt: Attempt) -> bool:
    """:func:`parley.auth.step_up.proven` for this request; a throttled account answers 429."""
    try:
        return step_up.proven(
            attempt, request.app.state.settings, lambda: request_write_session(request)
        )
    except throttle.SecretRefused as exc:
        raise HTTPException(429, str(exc), {"Retry-After": str(exc.retry_after)}) from None


def _acting(request: Request, auth: Auth, db: Session) -> Actor:
    """The actor, marked as stepped up when the request has proven itself a moment ago
    (:mod:`parley.auth.step_up`: a fresh web session, or an API request's own
    ``X-Parley-Password`` and ``X-Parley-Code``, checked once a request)."""
    actor = auth.actor
    if actor.is_anonymous:
        return actor
    fresh = getattr(request.state, "stepped_up", False)
    if not fresh:
        password = None
        if auth.via == "token" and not getattr(request.state, "secrets_checked", False):
            password = request.headers.get("x-parley-password") or None
            if password is not None:
                request.state.secrets_checked = True  # a wrong password counts once
        code = request.headers.get("x-parley-code", "")
        fresh = _proven(request, _attempt(request, auth, password, code))
    if fresh:
        request.state.stepped_up = True
        return dataclasses.replace(actor, stepped_up=True)
    return actor


def get_actor(request: Request, auth: CurrentAuth, db: Db) -> Actor:
    return _acting(request, auth, db)


CurrentActor = Annotated[Actor, Depends(get_actor)]


class LoginRequired(Exception):
    pass


def require_user(request: Request, auth: CurrentAuth, db: Db) -> Actor:
    if auth.actor.is_anonymous:
        raise LoginRequired()
    return _acting(request, auth, db)


SignedIn = Annotated[Actor, Depends(require_user)]


async def check_csrf(request: Request, auth: CurrentAuth) -> None:
    """Cookie-authenticated changes need the session's CSRF token (form field or header)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or auth.via not in ("cookie", "pending"):
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = str((await request.form()).get("csrf_token", ""))
    if not sent or auth.csrf_token is None or not hmac.compare_digest(sent, auth.csrf_token):
        raise HTTPException(403, "Missing or wrong CSRF token; reload the page and try again")


Csrf = Depends(check_csrf)


async def read_body(request: Request) -> bytes:
    return await request.body()


async def read_form_data(request: Request) -> FormData:
    return await request.form()


# Reading the body is the only async part of a change; with these, the handler itself can be a
# plain function that FastAPI runs in its thread pool, off the event loop. A form is read as
# FormData: ``form.get(name)`` gives a field's last value, ``form.getlist(name)`` every value.
RawBody = Annotated[bytes, Depends(read_body)]
Form = Annotated[FormData, Depends(read_form_data)]


async def read_step_up_fields(request: Request) -> tuple[str, str] | None:
    """The password (and code) a confirmation dialog asked for, when the form carries them."""
    if "form" not in request.headers.get("content-type", ""):
        return None
    form = await request.form()
    password = form.get("step_up_password")
    if not isinstance(password, str):
        return None
    code = form.get("step_up_code")
    return password, code if isinstance(code, str) else ""


StepUpFields = Annotated[tuple[str, str] | None, Depends(read_step_up_fields)]


def check_step_up(request: Request, auth: CurrentAuth, db: Db, fields: StepUpFields = None) -> None:
    """Before releasing, signing or exporting: the user proved who they are a moment ago.

    Web sessions re-authenticate at /reauth, or give their password (and code) in the
    confirmation dialog of the action itself (``step_up_password``, ``step_up_code``: the
    ``confirm`` macro with ``step_up=True``); API clients send ``X-Parley-Password`` (and
    ``X-Parley-Code`` when they use a second factor) with the request itself. The decision is
    :func:`parley.auth.step_up.proven`'s.
    """
    if auth.actor.is_anonymous or _acting(request, auth, db).stepped_up:
        return
    if auth.via != "cookie" or fields is None:
        raise StepUpRequired()
    if not _proven(request, _attempt(request, auth, *fields)):
        raise StepUpRequired()
    request.state.stepped_up = True


def require_step_up(
    request: Request, auth: Auth, db: Session, fields: tuple[str, str] | None
) -> Actor:
    """:func:`check_step_up` called by a handler once it has decided the page is the
    actor's (so that others get its own answer first); returns the actor, stepped up."""
    check_step_up(request, auth, db, fields)
    return _acting(request, auth, db)


StepUp = Depends(check_step_up)


def check_fresh_sign_in(request: Request, auth: CurrentAuth) -> None:
    """Enrolling or removing a second factor: :func:`parley.auth.step_up.fresh_sign_in`."""
    if not step_up.fresh_sign_in(_attempt(request, auth, None), request.app.state.settings):
        raise StepUpRequired()


FreshSignIn = Depends(check_fresh_sign_in)


def process_by_key(db: Session, actor: Actor, key: str) -> Any:
    """The process, if the actor may open it; otherwise NotFound (as if it did not exist)."""
    return visible_process(db, actor, key)
