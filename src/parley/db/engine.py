"""Engines and sessions. SQLite runs in WAL mode with synchronous=FULL and foreign keys on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from parley.db import rls

_ENGINES: dict[str, sa.Engine] = {}


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and pick psycopg 3, the driver Parley ships with."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine_or_url: sa.Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return make_url(normalise_url(url)).get_backend_name() == "sqlite"


def create_db_engine(
    url: str, *, synchronous: str = "FULL", rls_system_default: bool = True
) -> sa.Engine:
    """On PostgreSQL, ``rls_system_default`` makes transactions whose session binds no spaces
    see every row (the owner's engine: CLI, migrations, jobs); without it they see none
    (the web app's engine for ``PARLEY_DATABASE_APP_URL``). See :mod:`parley.db.rls`."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        pg = sa.create_engine(url, pool_pre_ping=True, future=True)
        if rls_system_default:
            rls.install_system_default(pg)
        return pg

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so writers can BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that reads and then
        # writes can fail at once with "database is locked" when another writer got there first.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def get_engine(url: str, *, rls_system_default: bool = True) -> sa.Engine:
    url = normalise_url(url)
    key = url if rls_system_default else f"{url}#app"
    if key not in _ENGINES:
        _ENGINES[key] = create_db_engine(url, rls_system_default=rls_system_default)
    return _ENGINES[key]


def dispose_engines() -> None:
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


def _writer_bind(engine: sa.Engine) -> sa.Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(sqlite_begin="IMMEDIATE")
    return engine


@contextmanager
def write_session(engine: sa.Engine) -> Iterator[Session]:
    """One transaction for one change: commit on success, roll back on any error."""
    factory = sessionmaker(bind=_writer_bind(engine), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


@contextmanager
def read_session(engine: sa.Engine) -> Iterator[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:  # closing ends the read transaction; loaded objects stay usable
        yield session
