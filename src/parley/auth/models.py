"""Users and their credentials. Not process-scoped: one account may work in several processes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from parley.db.base import Base, IdMixin, utcnow


class User(IdMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # Empty until a password is set (an imported bundle carries no password hashes).
    password_hash: Mapped[str] = mapped_column(sa.String(200), default="")
    is_operator: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebSession(Base):
    """A server-side sign-in session; the cookie carries a token whose hash is the key."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False until the second factor is given (or enrolled, when the user's role requires one).
    second_factor_ok: Mapped[bool] = mapped_column(default=True)
    reauthenticated_at: Mapped[datetime | None]


class ApiToken(IdMixin, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class LoginFailure(IdMixin, Base):
    """Failed sign-ins, counted per account and per address for throttling."""

    __tablename__ = "login_failures"

    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SecondFactor(Base):
    """A user's TOTP secret (encrypted with the server secret) and hashed recovery codes."""

    __tablename__ = "second_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_encrypted: Mapped[str] = mapped_column(sa.String(200))
    # The last TOTP time step accepted: a code is never accepted twice (replay protection).
    last_step: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    recovery_hashes: Mapped[list[Any]] = mapped_column(default=list)
    enabled_at: Mapped[datetime | None]


class SecurityKey(IdMixin, Base):
    """A WebAuthn credential (a security key or platform authenticator) of one user."""

    __tablename__ = "security_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # base64url of the credential id, as the browser sends it back in every assertion.
    credential_id: Mapped[str] = mapped_column(sa.String(400), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary)  # COSE-encoded
    # The authenticator's signature counter: an assertion that does not raise it is refused
    # (a cloned key), unless the authenticator keeps no counter (always 0).
    sign_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    transports: Mapped[list[Any]] = mapped_column(default=list)
    name: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]


class WebAuthnChallenge(Base):
    """A ceremony's challenge, kept server-side: one per web session and purpose, used once."""

    __tablename__ = "webauthn_challenges"

    session_key: Mapped[str] = mapped_column(
        sa.ForeignKey("web_sessions.token_hash", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    challenge: Mapped[str] = mapped_column(sa.String(128))  # base64url
    expires_at: Mapped[datetime]


class SecretFailure(IdMixin, Base):
    """A wrong second-factor code, recovery code, step-up password or security-key answer.

    Counted per account and per address to throttle and then lock every secret check (see
    :mod:`parley.auth.throttle`); an operator's unlock deletes the account's rows.
    """

    __tablename__ = "secret_failures"

    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid, index=True)
    address: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AccountNotice(IdMixin, Base):
    """Something done to an account by the operator, told to its user at the next sign-in."""

    __tablename__ = "account_notices"

    user_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]
