"""Throttling, then locking, every check of a secret after the password.

TOTP codes, recovery codes, step-up passwords (the /reauth form and the ``X-Parley-Password``
header) and security-key answers all go through :func:`guarded`. Wrong answers are counted per
account and per source address within ``secret_window_seconds``:

* from ``secret_throttle_after`` failures on, each further attempt must wait twice as long as
  the one before (1 s, 2 s, 4 s, … at most a minute) after the newest failure;
* at ``secret_lock_after`` failures the account (or the address, at four times as many,
  across accounts) is locked: every check is refused unread until the newest failure is
  ``secret_lock_seconds`` old, or until an operator runs ``parley user unlock``.

A refused attempt is not checked at all, so a right guess during a lock does not pass. Every
failure, every lock and every unlock is an event on the account's (``system``) chain. The check
and its count share one transaction that first locks the account's row, so parallel guesses
are counted one after another.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.service import record_account
from parley.auth.models import LoginFailure, SecretFailure, User
from parley.authz.actor import Actor
from parley.db.base import utcnow

ADDRESS_FACTOR = 4  # an address may fail this many times more often than one account
MAX_DELAY_SECONDS = 60


class SecretRefused(Exception):
    """The check was not made: the account or the address must wait (or is locked)."""

    def __init__(self, message: str, retry_after: int, *, locked: bool) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)
        self.locked = locked


@dataclass(frozen=True)
class Limits:
    throttle_after: int
    lock_after: int
    window_seconds: int
    lock_seconds: int

    @classmethod
    def of(cls, settings: Any) -> Limits:
        return cls(
            throttle_after=settings.secret_throttle_after,
            lock_after=settings.secret_lock_after,
            window_seconds=settings.secret_window_seconds,
            lock_seconds=settings.secret_lock_seconds,
        )


def _failures(session: Session, where: Any, since: datetime) -> tuple[int, datetime | None]:
    count, newest = session.execute(
        sa.select(sa.func.count(SecretFailure.id), sa.func.max(SecretFailure.at)).where(
            where, SecretFailure.at >= since
        )
    ).one()
    if newest is not None and newest.tzinfo is None:  # SQLite aggregates lose the type
        newest = datetime.fromisoformat(str(newest)).replace(tzinfo=utcnow().tzinfo)
    elif isinstance(newest, str):
        newest = datetime.fromisoformat(newest)
    return int(count or 0), newest


def wait_seconds(failures: int, newest: datetime | None, now: datetime, limits: Limits) -> int:
    """How long until the next check is allowed (0: now). Pure, for the rule's tests."""
    if newest is None or failures < limits.throttle_after:
        return 0
    if failures >= limits.lock_after:
        until = newest + timedelta(seconds=limits.lock_seconds)
    else:
        delay = min(2 ** (failures - limits.throttle_after), MAX_DELAY_SECONDS)
        until = newest + timedelta(seconds=delay)
    return max(0, math.ceil((until - now).total_seconds()))


def status(
    session: Session, *, user_id: Any, address: str, limits: Limits, now: datetime | None = None
) -> SecretRefused | None:
    """Why a check must not be made now, or None."""
    now = now or utcnow()
    since = now - timedelta(seconds=max(limits.window_seconds, limits.lock_seconds))
    count, newest = _failures(session, SecretFailure.user_id == user_id, since)
    wait = wait_seconds(count, newest, now, limits)
    if wait:
        locked = count >= limits.lock_after
        text = "This account is locked after too many wrong answers" if locked else "Too many"
        return SecretRefused(f"{text}; try again in {wait} s.", wait, locked=locked)
    address_limits = Limits(
        limits.throttle_after * ADDRESS_FACTOR,
        limits.lock_after * ADDRESS_FACTOR,
        limits.window_seconds,
        limits.lock_seconds,
    )
    count, newest = _failures(session, SecretFailure.address == address[:64], since)
    wait = wait_seconds(count, newest, now, address_limits)
    if wait:
        locked = count >= address_limits.lock_after
        return SecretRefused(
            f"Too many wrong answers from this address; try again in {wait} s.", wait, locked=locked
        )
    return None


def _lock_account_row(session: Session, user_id: Any) -> None:
    # Serializes the checks of one account on PostgreSQL (SQLite writers are serial already).
    session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())


def guarded(
    session: Session,
    *,
    user_id: Any,
    address: str,
    kind: str,
    limits: Limits,
    check: Callable[[], bool],
) -> bool:
    """Run ``check`` (a secret check) unless the account or address must wait; count failures.

    Raises :class:`SecretRefused` without running ``check`` when throttled or locked. The
    caller must commit ``session`` even when the answer is wrong: the count is the point.
    """
    _lock_account_row(session, user_id)
    refused = status(session, user_id=user_id, address=address, limits=limits)
    if refused is not None:
        raise refused
    if check():
        return True
    session.add(SecretFailure(user_id=user_id, address=address[:64], kind=kind))
    session.flush()
    now = utcnow()
    since = now - timedelta(seconds=max(limits.window_seconds, limits.lock_seconds))
    count, _ = _failures(session, SecretFailure.user_id == user_id, since)
    actor = Actor.system(f"auth:{kind}")
    record_account(
        session,
        actor=actor,
        user_id=user_id,
        action="auth:secret:fail",
        changes={"kind": [None, kind], "address": [None, address[:64]], "failures": [None, count]},
    )
    if count == limits.lock_after:
        record_account(
            session,
            actor=actor,
            user_id=user_id,
            action="auth:secret:lock",
            changes={"locked_until": [None, now + timedelta(seconds=limits.lock_seconds)]},
        )
    return False


def unlock(session: Session, *, actor: Actor, user: User) -> int:
    """The operator ends a lock: the account's counted failures (and sign-in failures) go."""
    removed = session.execute(sa.delete(SecretFailure).where(SecretFailure.user_id == user.id))
    logins = session.execute(sa.delete(LoginFailure).where(LoginFailure.username == user.username))
    count = int(removed.rowcount or 0) + int(logins.rowcount or 0)  # type: ignore[attr-defined]
    record_account(
        session,
        actor=actor,
        user_id=user.id,
        action="auth:secret:unlock",
        changes={"failures": [count, 0]},
    )
    return count
