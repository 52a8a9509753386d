"""Run Alembic from Parley's own code (``parley db upgrade``) and from the tests."""

from __future__ import annotations

from importlib.resources import files

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(files("parley") / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: sa.Engine, revision: str = "heads") -> None:
    """Bring the schema up to date. Capability packages may add branches off the same
    revision; "heads" applies every branch (they touch separate tables)."""
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_heads(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def script_heads(engine: sa.Engine) -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads())


def current_revision(engine: sa.Engine) -> str | None:
    """The applied revisions, comma-separated (None for an empty database)."""
    heads = current_heads(engine)
    return ",".join(sorted(heads)) if heads else None


def head_revision(engine: sa.Engine) -> str | None:
    return ",".join(sorted(script_heads(engine))) or None
