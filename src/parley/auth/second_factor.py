"""TOTP second factor with replay protection and one-time recovery codes.

The TOTP secret is stored encrypted (AES-GCM under a key derived from PARLEY_SECRET_KEY), so a
copy of the database alone does not give the codes. A code is accepted once: the time step of
the last accepted code is kept, and older or equal steps are refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from parley.audit.service import record_account
from parley.auth.models import SecondFactor, User
from parley.authz import Actor
from parley.authz.scope import roles_held
from parley.db.base import utcnow

ISSUER = "Parley"
RECOVERY_CODES = 8
STEP_SECONDS = 30


class SecondFactorError(ValueError):
    pass


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"parley-totp", info=b"v1").derive(
        secret_key.encode("utf-8")
    )


def _encrypt(secret_key: str, plain: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, plain.encode("ascii"), b"totp")
    return base64.b64encode(nonce + sealed).decode("ascii")


def _decrypt(secret_key: str, sealed: str) -> str:
    raw = base64.b64decode(sealed)
    return AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], b"totp").decode("ascii")


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def required_for(actor: Actor, roles: set[str]) -> bool:
    """Whether any of the actor's roles needs a second factor."""
    if actor.is_operator and "operator" in roles:
        return True
    return bool(roles_held(actor) & roles)


def enabled(session: Session, user_id: object) -> bool:
    factor = session.get(SecondFactor, user_id)
    return factor is not None and factor.enabled_at is not None


def begin_enrolment(session: Session, user: User, secret_key: str) -> tuple[str, str]:
    """Create (or replace a not-yet-confirmed) secret; return (secret, otpauth URI)."""
    factor = session.get(SecondFactor, user.id)
    if factor is not None and factor.enabled_at is not None:
        raise SecondFactorError("code: a second factor is already set up")
    secret = pyotp.random_base32()
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret_encrypted="", last_step=0, recovery_hashes=[])
        session.add(factor)
    factor.secret_encrypted = _encrypt(secret_key, secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return secret, uri


def _accept_totp(factor: SecondFactor, secret_key: str, code: str, now: float) -> bool:
    totp = pyotp.TOTP(_decrypt(secret_key, factor.secret_encrypted))
    current = int(now // STEP_SECONDS)
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if step <= factor.last_step:
            continue  # already used: replay refused
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code.strip()):
            factor.last_step = step
            return True
    return False


def confirm_enrolment(
    session: Session,
    *,
    actor: Actor,
    user: User,
    secret_key: str,
    code: str,
    now: float | None = None,
) -> list[str]:
    """Check the first code; enable the factor and return fresh recovery codes (shown once)."""
    factor = session.get(SecondFactor, user.id)
    if factor is None or factor.enabled_at is not None:
        raise SecondFactorError("code: start the set-up first")
    if not _accept_totp(factor, secret_key, code, now if now is not None else time.time()):
        raise SecondFactorError("code: wrong or expired code")
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    factor.recovery_hashes = [_hash_code(c) for c in codes]
    factor.enabled_at = utcnow()
    record_account(
        session,
        actor=actor,
        user_id=user.id,
        action="auth:second-factor:enable",
        changes={"second_factor": [None, "totp"]},
    )
    return codes


def check_code(
    session: Session, *, user_id: object, secret_key: str, code: str, now: float | None = None
) -> bool:
    """A TOTP code (once only) or an unused recovery code (then spent)."""
    factor = session.get(SecondFactor, user_id)
    if factor is None or factor.enabled_at is None or not code.strip():
        return False
    if _accept_totp(factor, secret_key, code, now if now is not None else time.time()):
        return True
    hashed = _hash_code(code)
    if hashed in factor.recovery_hashes:
        factor.recovery_hashes = [h for h in factor.recovery_hashes if h != hashed]
        return True
    return False


def remaining_recovery_codes(session: Session, user_id: object) -> int:
    factor = session.get(SecondFactor, user_id)
    return len(factor.recovery_hashes) if factor else 0


__all__ = [
    "SecondFactorError",
    "begin_enrolment",
    "check_code",
    "confirm_enrolment",
    "enabled",
    "remaining_recovery_codes",
    "required_for",
]
