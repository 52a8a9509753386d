"""One Settings object for the whole application (environment prefix ``PARLEY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

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
    secret_key: str = DEVELOPMENT_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_seconds: int = 900
    page_size: int = 25
    # Roles that must use a second factor (comma-separated: mediator, head, member, viewer,
    # operator). Unset: "mediator,head,operator" in production, none in development.
    second_factor_roles: str | None = None
    # Re-authentication before releasing, signing and exporting. Unset: on in production.
    step_up: bool | None = None
    step_up_minutes: int = 5

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key.strip().lower() in (
            PLACEHOLDER_SECRETS
        ):
            raise ValueError(
                "PARLEY_SECRET_KEY is a placeholder; set a long random value outside development"
            )
        return self


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
