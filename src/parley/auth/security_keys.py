"""WebAuthn security keys: a second option for the second factor and for step-up.

The ceremonies follow the usual two steps. ``*_options`` makes a random challenge, keeps it on
the server (one per web session and purpose, for a few minutes) and returns the options the
browser passes to ``navigator.credentials``; ``finish_*`` takes the browser's answer, spends the
challenge (a challenge is never accepted twice, even when the answer is refused) and lets the
``webauthn`` package check the origin, the relying-party id, the signature and the counter.

A key is bound to its relying-party id (the hostname): the browser will not use it for another
site, so a look-alike host cannot collect an assertion that Parley would accept.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from parley.audit.service import record_account
from parley.auth.models import SecurityKey, User, WebAuthnChallenge
from parley.authz import Actor
from parley.authz.accounts import get_own
from parley.config import Settings, webauthn_origins
from parley.db.base import utcnow

CHALLENGE_SECONDS = 180
TIMEOUT_MS = 120_000
NAME_MAX = 100
PURPOSES = ("register", "login", "reauth")
T = TypeVar("T")


class SecurityKeyError(ValueError):
    """A refused ceremony; the message starts with the field it is about."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origins: tuple[str, ...]


def relying_party(settings: Settings, scheme: str, netloc: str) -> RelyingParty | None:
    """Who the keys are for on this request, or None when WebAuthn is not offered.

    Configured (PARLEY_WEBAUTHN_RP_ID): always that. Otherwise only on HTTPS, for the request's
    own host: browsers refuse WebAuthn outside a secure context anyway.
    """
    if settings.webauthn_rp_id:
        return RelyingParty(
            settings.webauthn_rp_id.strip().lower(),
            settings.webauthn_rp_name,
            tuple(webauthn_origins(settings)),
        )
    if scheme != "https" or not netloc:
        return None
    host = netloc.rsplit("@", 1)[-1]
    hostname = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    return RelyingParty(hostname.lower(), settings.webauthn_rp_name, (f"https://{host}",))


# ---------------------------------------------------------------- reads


def keys_of(session: Session, user_id: Any) -> list[SecurityKey]:
    return list(
        session.scalars(
            sa.select(SecurityKey)
            .where(SecurityKey.user_id == user_id)
            .order_by(SecurityKey.created_at, SecurityKey.name)
        )
    )


def has_keys(session: Session, user_id: Any) -> bool:
    found = session.scalars(
        sa.select(SecurityKey.id).where(SecurityKey.user_id == user_id).limit(1)
    ).first()
    return found is not None


# ---------------------------------------------------------------- challenges


def _keep_challenge(session: Session, session_key: str, purpose: str, challenge: bytes) -> None:
    assert purpose in PURPOSES
    row = session.get(WebAuthnChallenge, (session_key, purpose))
    if row is None:
        row = WebAuthnChallenge(session_key=session_key, purpose=purpose)
        session.add(row)
    # A new ceremony replaces an unfinished one of the same purpose.
    row.challenge = bytes_to_base64url(challenge)
    row.expires_at = utcnow() + timedelta(seconds=CHALLENGE_SECONDS)


def _spend_challenge(session: Session, session_key: str, purpose: str) -> bytes:
    row = session.get(WebAuthnChallenge, (session_key, purpose))
    if row is None:
        raise SecurityKeyError("challenge: none pending; start again")
    challenge, expires_at = row.challenge, row.expires_at
    session.delete(row)
    session.flush()
    if expires_at <= utcnow():
        raise SecurityKeyError("challenge: expired; start again")
    return base64url_to_bytes(challenge)


def _verified(verify: Callable[..., T], rp: RelyingParty, challenge: bytes, **answer: Any) -> T:
    """The library's check of a key's answer to ``challenge``; a refusal is a SecurityKeyError."""
    try:
        return verify(
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=list(rp.origins),
            **answer,
        )
    except (
        InvalidRegistrationResponse,
        InvalidAuthenticationResponse,
        InvalidJSONStructure,
        ValueError,
        KeyError,
    ) as exc:
        if "sign count" in str(exc):  # only an assertion has a counter
            raise SecurityKeyError(
                "credential: the key's signature counter went backwards, as when a key has "
                "been copied; refused"
            ) from None
        raise SecurityKeyError(f"credential: the key's answer was refused ({exc})") from None


def _descriptor(key: SecurityKey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in key.transports or []:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue  # a transport this version of the package does not know: leave it out
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(key.credential_id), transports=transports or None
    )


# ---------------------------------------------------------------- registration


def registration_options(
    session: Session, *, user: User, rp: RelyingParty, session_key: str
) -> str:
    """Options (JSON) for navigator.credentials.create(); the challenge stays here."""
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=user.username,
        user_id=user.id.bytes,
        user_display_name=user.display_name or user.username,
        timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # The same authenticator twice would only look like two factors.
        exclude_credentials=[_descriptor(k) for k in keys_of(session, user.id)],
    )
    _keep_challenge(session, session_key, "register", options.challenge)
    return options_to_json(options)


def clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise SecurityKeyError("name: give the key a name (for example “office key”)")
    if len(name) > NAME_MAX:
        raise SecurityKeyError(f"name: at most {NAME_MAX} characters")
    return name


def finish_registration(
    session: Session,
    *,
    actor: Actor,
    user: User,
    rp: RelyingParty,
    session_key: str,
    name: str,
    credential: dict[str, Any] | str,
) -> SecurityKey:
    """Check the authenticator's answer and keep the new key (audited like the TOTP set-up)."""
    name = clean_name(name)
    verified = _verified(
        verify_registration_response,
        rp,
        _spend_challenge(session, session_key, "register"),
        credential=credential,
    )
    credential_id = bytes_to_base64url(verified.credential_id)
    taken = session.scalars(
        sa.select(SecurityKey.id).where(SecurityKey.credential_id == credential_id)
    ).first()
    if taken is not None:
        raise SecurityKeyError("credential: this key is already registered")
    transports = _transports(credential)
    key = SecurityKey(
        user_id=user.id,
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=transports,
        name=name,
        created_at=utcnow(),
    )
    session.add(key)
    session.flush()
    record_account(
        session,
        actor=actor,
        user_id=user.id,
        action="auth:security-key:add",
        changes={"security_key": [None, name], "security_key_id": [None, str(key.id)]},
    )
    return key


def _transports(credential: dict[str, Any] | str) -> list[str]:
    data = json.loads(credential) if isinstance(credential, str) else credential
    response = data.get("response") if isinstance(data, dict) else None
    found = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(found, list):
        return []
    known = {t.value for t in AuthenticatorTransport}
    return [t for t in found if isinstance(t, str) and t in known]


# ---------------------------------------------------------------- authentication


def authentication_options(
    session: Session, *, user_id: Any, rp: RelyingParty, session_key: str, purpose: str
) -> str:
    """Options (JSON) for navigator.credentials.get(), limited to this user's keys."""
    keys = keys_of(session, user_id)
    if not keys:
        raise SecurityKeyError("credential: this account has no security key")
    options = generate_authentication_options(
        rp_id=rp.id,
        timeout=TIMEOUT_MS,
        allow_credentials=[_descriptor(k) for k in keys],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _keep_challenge(session, session_key, purpose, options.challenge)
    return options_to_json(options)


def finish_authentication(
    session: Session,
    *,
    user_id: Any,
    rp: RelyingParty,
    session_key: str,
    purpose: str,
    credential: dict[str, Any] | str,
) -> SecurityKey:
    """Check an assertion by one of the user's keys; raise SecurityKeyError if refused.

    A signature counter that does not go up (when the key keeps one) means two copies of the
    key exist: the assertion is refused.
    """
    challenge = _spend_challenge(session, session_key, purpose)
    data = json.loads(credential) if isinstance(credential, str) else credential
    credential_id = data.get("id") if isinstance(data, dict) else None
    key = None
    if isinstance(credential_id, str):
        key = session.scalars(
            sa.select(SecurityKey).where(
                SecurityKey.credential_id == credential_id, SecurityKey.user_id == user_id
            )
        ).first()
    if key is None:
        raise SecurityKeyError("credential: not a security key of this account")
    verified = _verified(
        verify_authentication_response,
        rp,
        challenge,
        credential=data,
        credential_public_key=key.public_key,
        credential_current_sign_count=key.sign_count,
    )
    key.sign_count = verified.new_sign_count
    key.last_used_at = utcnow()
    return key


# ---------------------------------------------------------------- removal


def remove_key(session: Session, *, actor: Actor, key_id: uuid.UUID) -> None:
    """Remove one of the actor's own keys (another user's key is NotFound, like a missing one)."""
    key = get_own(session, actor, SecurityKey, key_id)
    name = key.name
    session.delete(key)
    record_account(
        session,
        actor=actor,
        user_id=key.user_id,
        action="auth:security-key:remove",
        changes={"security_key": [name, None], "security_key_id": [str(key_id), None]},
    )


__all__ = [
    "RelyingParty",
    "SecurityKeyError",
    "authentication_options",
    "finish_authentication",
    "finish_registration",
    "has_keys",
    "keys_of",
    "registration_options",
    "relying_party",
    "remove_key",
]
