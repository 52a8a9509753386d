"""Sign-in, server-side sessions, API tokens and accounts. Every change is audited."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.audit.service import record
from parley.auth.models import ApiToken, LoginFailure, User, WebSession
from parley.auth.passwords import dummy_verify, hash_password, verify_password
from parley.authz.actor import Actor, Membership
from parley.db.base import utcnow
from parley.processes.models import Delegation, Party, PartyKind
from parley.processes.models import Membership as MembershipRow

SYSTEM_SPACE = "system"
MIN_PASSWORD = 10


class AuthError(ValueError):
    """A sign-in that did not succeed; the message never says which part was wrong."""


class AccountError(ValueError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")


def add_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    display_name: str = "",
    is_operator: bool = False,
) -> User:
    _check_password_strength(password)
    if session.scalars(sa.select(User.id).where(User.username == username)).first():
        raise AccountError(f"username: {username!r} is taken")
    return audited_add(
        session,
        User(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            is_operator=is_operator,
        ),
        actor=actor,
        action="admin:user:create",
        space=SYSTEM_SPACE,
    )


def _user(session: Session, username: str) -> User:
    user = session.scalars(sa.select(User).where(User.username == username)).one_or_none()
    if user is None:
        raise AccountError(f"username: no user {username!r}")
    return user


def set_password(
    session: Session,
    *,
    actor: Actor,
    username: str,
    password: str,
    keep_credentials: bool = False,
) -> CredentialsEnded:
    """Set a password. Every API token and web session of the user ends with the old one,
    unless ``keep_credentials`` (the operator's explicit choice)."""
    _check_password_strength(password)
    user = _user(session, username)
    user.password_hash = hash_password(password)
    # The hash itself never goes into the log; only that it changed.
    record(
        session,
        actor=actor,
        process_id=None,
        space=SYSTEM_SPACE,
        action="admin:user:password",
        object_type="users",
        object_id=user.id,
        changes={"password": ["(set)", "(changed)"]},
    )
    if keep_credentials:
        return CredentialsEnded(0, 0)
    return end_credentials(session, actor=actor, user=user, reason="password changed")


@dataclass(frozen=True)
class CredentialsEnded:
    tokens: int
    sessions: int


def end_credentials(session: Session, *, actor: Actor, user: User, reason: str) -> CredentialsEnded:
    """Revoke every API token and end every web session of ``user``; one audited event."""
    now = utcnow()
    tokens = list(
        session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
    )
    for token in tokens:
        token.revoked_at = now
    ended = session.execute(sa.delete(WebSession).where(WebSession.user_id == user.id))
    count = int(getattr(ended, "rowcount", 0) or 0)
    record(
        session,
        actor=actor,
        process_id=None,
        space=SYSTEM_SPACE,
        action="auth:credentials:end",
        object_type="users",
        object_id=user.id,
        changes={"reason": [None, reason], "tokens": [len(tokens), 0], "sessions": [count, 0]},
    )
    return CredentialsEnded(len(tokens), count)


def reset_second_factor(
    session: Session, *, actor: Actor, username: str, keep_credentials: bool = False
) -> CredentialsEnded:
    """The operator removes a user's TOTP factor and security keys (a lost phone or key).

    Audited on the user's chain, told to the user at the next sign-in (who must then set up a
    factor again where their role requires one), and, unless ``keep_credentials``, every API
    token and web session of the user ends.
    """
    from parley.auth.models import AccountNotice, SecondFactor, SecurityKey

    user = _user(session, username)
    factor = session.get(SecondFactor, user.id)
    keys = list(session.scalars(sa.select(SecurityKey).where(SecurityKey.user_id == user.id)))
    if factor is None and not keys:
        raise AccountError(f"username: {username!r} has no second factor")
    if factor is not None:
        session.delete(factor)
    for key in keys:
        session.delete(key)
    session.flush()
    record(
        session,
        actor=actor,
        process_id=None,
        space=SYSTEM_SPACE,
        action="auth:second-factor:reset",
        object_type="users",
        object_id=user.id,
        changes={
            "second_factor": ["totp" if factor is not None else None, None],
            "security_keys": [len(keys), 0],
        },
    )
    session.add(
        AccountNotice(
            user_id=user.id,
            message=(
                f"The operator reset your second factor on {utcnow():%Y-%m-%d %H:%M} UTC. "
                "If you did not ask for this, tell the operator now."
            ),
        )
    )
    if keep_credentials:
        return CredentialsEnded(0, 0)
    return end_credentials(session, actor=actor, user=user, reason="second factor reset")


def unseen_notices(session: Session, user_id: Any) -> list[str]:
    """The notices the user has not seen yet, now marked seen (shown once, at sign-in)."""
    from parley.auth.models import AccountNotice

    rows = list(
        session.scalars(
            sa.select(AccountNotice)
            .where(AccountNotice.user_id == user_id, AccountNotice.seen_at.is_(None))
            .order_by(AccountNotice.created_at)
        )
    )
    for row in rows:
        row.seen_at = utcnow()
    return [row.message for row in rows]


def _recent_failures(session: Session, column: Any, value: str, since: datetime) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(LoginFailure)
            .where(column == value, LoginFailure.at >= since)
        )
        or 0
    )


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    address: str,
    max_failures: int,
    window_seconds: int,
) -> User:
    """Check a password with throttling per account and per address.

    After ``max_failures`` failures within the window, further attempts fail without even
    checking the password, and with the same message, so an attacker learns nothing.
    """
    since = utcnow() - timedelta(seconds=window_seconds)
    throttled = (
        _recent_failures(session, LoginFailure.username, username, since) >= max_failures
        or _recent_failures(session, LoginFailure.address, address, since) >= max_failures * 4
    )
    user = session.scalars(sa.select(User).where(User.username == username)).one_or_none()
    if throttled or user is None or not user.is_active:
        dummy_verify()
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok or user is None:
        session.add(LoginFailure(username=username[:64], address=address[:64]))
        raise AuthError(
            "Unknown username or wrong password, or too many attempts; try again later."
        )
    return user


def start_session(
    session: Session, user: User, hours: int, *, second_factor_ok: bool = True
) -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    web = WebSession(
        token_hash=token_hash(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + timedelta(hours=hours),
        second_factor_ok=second_factor_ok,
        reauthenticated_at=utcnow() if second_factor_ok else None,
    )
    session.add(web)
    return token, web


def end_session(session: Session, token: str) -> None:
    session.execute(sa.delete(WebSession).where(WebSession.token_hash == token_hash(token)))


def session_user(session: Session, token: str) -> tuple[User, WebSession] | None:
    row = session.execute(_SESSION_BY_HASH, {"token_hash": token_hash(token)}).first()
    if row is None:
        return None
    web, user = row
    if web.expires_at <= utcnow() or not user.is_active:
        return None
    return user, web


def create_token(session: Session, *, actor: Actor, user: User, name: str = "") -> str:
    token = "pt_" + secrets.token_urlsafe(32)
    audited_add(
        session,
        ApiToken(user_id=user.id, name=name, token_hash=token_hash(token)),
        actor=actor,
        action="auth:token:create",
        space=SYSTEM_SPACE,
    )
    return token


def revoke_token(session: Session, *, actor: Actor, token_id: uuid.UUID) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccountError(f"token: no token {token_id}")
    audited_update(
        session,
        token,
        {"revoked_at": utcnow()},
        actor=actor,
        action="auth:token:revoke",
        space=SYSTEM_SPACE,
    )
    return token


# Statements of every request's sign-in, built once (each request only binds its values); the
# session or token and its user in one query.
_TOKEN_BY_HASH = (
    sa.select(ApiToken, User)
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.token_hash == sa.bindparam("token_hash"))
)
_SESSION_BY_HASH = (
    sa.select(WebSession, User)
    .join(User, User.id == WebSession.user_id)
    .where(WebSession.token_hash == sa.bindparam("token_hash"))
)


def token_user(session: Session, token: str) -> tuple[User, ApiToken] | None:
    """The active user of a valid token, with the token's row (as ``session_user`` does)."""
    row = session.execute(_TOKEN_BY_HASH, {"token_hash": token_hash(token)}).first()
    if row is None:
        return None
    token_row, user = row
    if token_row.revoked_at is not None or not user.is_active:
        return None
    return user, token_row


@dataclass(frozen=True)
class _MembershipRow:
    process_id: uuid.UUID
    role: str
    party_id: uuid.UUID | None
    party_key: str | None
    kind: str | None


_MEMBERSHIPS_OF = (
    sa.select(MembershipRow.process_id, MembershipRow.role, Party.id, Party.key, Party.kind)
    .select_from(MembershipRow)
    .outerjoin(Delegation, Delegation.id == MembershipRow.delegation_id)
    .outerjoin(Party, Party.id == Delegation.party_id)
    .where(MembershipRow.user_id == sa.bindparam("user_id"))
    .execution_options(authz_internal=True)  # the actor's own delegation, to build the actor
)


def actor_for(session: Session, user: User) -> Actor:
    """The actor a user acts as: its memberships, with party keys, loaded once a request."""
    rows = session.execute(_MEMBERSHIPS_OF, {"user_id": user.id}).all()
    memberships = {
        row[0]: Membership(
            process_id=row[0],
            role=str(row[1]),
            party_id=row[2],
            party_key=row[3],
            is_mediator=row[4] == PartyKind.MEDIATOR,
            party_kind=None if row[4] is None else str(row[4]),
        )
        for row in rows
    }
    return Actor(
        user_id=user.id,
        name=user.username,
        is_operator=user.is_operator,
        memberships=memberships,
    )
