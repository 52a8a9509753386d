"""One Settings object for the whole application (environment prefix ``PARLEY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "secret", "development-only-secret"})
DEVELOPMENT_SECRET = "development-only-secret"  # noqa: S105 - refused outside development


def default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'var' / 'parley.db'}"


class Settings(BaseSettings):
    """Every setting Parley reads. Each is documented in docs/configuration.md (a test checks)."""

    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    environment: Literal["development", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    # PostgreSQL: the web app's own connection, as a role that does not own the tables (see
    # `parley db app-role`), so row-level security holds even for the table owner's mistakes.
    # Unset: the web app uses database_url. The CLI and background jobs always use database_url.
    database_app_url: str | None = None
    secret_key: str = DEVELOPMENT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # Second factors and step-up passwords (see parley.auth.throttle): from this many wrong
    # answers within the window each attempt waits longer; at the lock count the account is
    # locked for secret_lock_seconds (or until `parley user unlock`).
    secret_throttle_after: int = Field(default=3, ge=1)
    secret_lock_after: int = Field(default=10, ge=1)
    secret_window_seconds: int = Field(default=900, ge=1)
    secret_lock_seconds: int = Field(default=900, ge=1)
    page_size: int = 25
    # Hostile input: the largest request body (413 above it), and how deep and how large a
    # JSON body may be (422 beyond).
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    json_max_depth: int = Field(default=32, ge=2)
    json_max_items: int = Field(default=100_000, ge=10)
    # Roles that must use a second factor (comma-separated: mediator, head, member, viewer,
    # operator). Unset: "mediator,head,operator" in production, none in development.
    second_factor_roles: str | None = None
    # Re-authentication before releasing, signing and exporting. Unset: on in production.
    step_up: bool | None = None
    step_up_minutes: int = 5
    # WebAuthn security keys as a second factor: the relying-party id (the hostname, e.g.
    # "parley.example.org") and the origin(s) the browser reports (comma-separated; default
    # https://<rp id>). Unset: offered only on HTTPS requests, for the request's own host.
    webauthn_rp_id: str | None = None
    webauthn_origin: str | None = None
    webauthn_rp_name: str = "Parley"
    # How often the server signs checkpoints of the audit chains that changed; 0 turns it off.
    checkpoint_interval_seconds: int = Field(default=900, ge=0)
    # Import the heavy engines in the background once a worker serves (parley.warmup).
    warm_engines: bool = True

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key.strip().lower() in (
            PLACEHOLDER_SECRETS
        ):
            raise ValueError(
                "PARLEY_SECRET_KEY is a placeholder; set a long random value outside development"
            )
        return self

    @model_validator(mode="after")
    def _check_webauthn(self) -> Settings:
        if self.webauthn_origin and not self.webauthn_rp_id:
            raise ValueError("PARLEY_WEBAUTHN_ORIGIN is set: set PARLEY_WEBAUTHN_RP_ID too")
        if self.webauthn_rp_id:
            rp_id = self.webauthn_rp_id.strip().lower()
            for origin in webauthn_origins(self):
                host = urlsplit(origin).hostname or ""
                if urlsplit(origin).scheme not in ("http", "https") or not (
                    host == rp_id or host.endswith("." + rp_id)
                ):
                    raise ValueError(
                        f"PARLEY_WEBAUTHN_ORIGIN: {origin!r} is not an http(s) origin on "
                        f"PARLEY_WEBAUTHN_RP_ID {rp_id!r} or one of its subdomains"
                    )
        return self


def webauthn_origins(settings: Settings) -> list[str]:
    """The origins a WebAuthn response may come from (empty when no RP id is configured)."""
    if not settings.webauthn_rp_id:
        return []
    if not settings.webauthn_origin:
        return [f"https://{settings.webauthn_rp_id.strip().lower()}"]
    return [o.strip().rstrip("/") for o in settings.webauthn_origin.split(",") if o.strip()]


def second_factor_roles(settings: Settings) -> set[str]:
    if settings.second_factor_roles is None:
        return {"mediator", "head", "operator"} if settings.environment == "production" else set()
    return {r.strip() for r in settings.second_factor_roles.split(",") if r.strip()}


def step_up_required(settings: Settings) -> bool:
    return (
        settings.step_up if settings.step_up is not None else settings.environment == "production"
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
