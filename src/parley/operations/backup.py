"""Verified backups and restores: SQLite's online backup API, ``pg_dump`` / ``pg_restore``.

A backup is not trusted until it has been restored. :func:`backup` copies the database and, in
the very same snapshot, counts and checksums every row of every table of the source; then it
restores the copy into a scratch database, runs the audit verification there and compares the
figures table by table. The figures go into a manifest next to the backup (``OUT.manifest.json``)
that :func:`restore` checks the restored database against.

The checksum of a table is the SHA-256 over its rows in primary-key order, each row encoded
as canonical JSON of the values the database driver returns. It is only compared between
databases of the same kind (a SQLite backup against its SQLite source, and so on).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from parley.db.engine import create_db_engine, is_sqlite, normalise_url

MANIFEST_FORMAT = "parley-backup-manifest/1"
MANIFEST_SUFFIX = ".manifest.json"


class BackupError(RuntimeError):
    """Something that stops a backup or a restore; the message says what to do."""


# ---------------------------------------------------------------- figures


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal | dt.timedelta):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    raise TypeError(f"cannot checksum a {type(value).__name__}")


def _row_bytes(row: Any) -> bytes:
    return json.dumps(
        list(row), default=_encode, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def table_figures(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Rows and a checksum of every table, read in the connection's current transaction."""
    inspector = sa.inspect(conn)
    quote = conn.dialect.identifier_preparer.quote
    postgres = conn.dialect.name == "postgresql"
    out: dict[str, dict[str, Any]] = {}
    # One catalogue query for all tables, not two per table.
    all_columns = {name: cols for (_, name), cols in inspector.get_multi_columns().items()}
    all_keys: dict[str, list[str]] = {
        name: list(pk.get("constrained_columns") or [])
        for (_, name), pk in inspector.get_multi_pk_constraint().items()
    }
    for name in sorted(all_columns):
        columns = all_columns[name]
        key = all_keys.get(name, [])
        types = {c["name"]: c["type"] for c in columns}
        # Byte order for text keys, so that a database with another default collation
        # (a scratch or restored one) lists the rows in the same order.
        order = [
            quote(c) + (' COLLATE "C"' if postgres and isinstance(types[c], sa.String) else "")
            for c in key
        ]
        # Names come from the database's own catalogue, quoted by the dialect.
        sql = f"SELECT {', '.join(quote(c['name']) for c in columns)} FROM {quote(name)}"  # noqa: S608
        if order:
            sql += f" ORDER BY {', '.join(order)}"
        # Raw driver values: what is stored, with no application type in between.
        result = conn.exec_driver_sql(sql)
        encoded: Iterator[bytes] = (_row_bytes(row) for row in result)
        if not order:
            encoded = iter(sorted(encoded))  # no key (and JSON cannot be ordered in SQL)
        digest = hashlib.sha256()
        rows = 0
        for line in encoded:
            digest.update(line + b"\n")
            rows += 1
        out[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return out


def audit_figures(engine: sa.Engine) -> dict[str, Any]:
    """``parley verify`` over a database, and its own checkpoints where it has any."""
    from parley.audit.verify import verify_all
    from parley.db.engine import read_session

    with read_session(engine) as session:
        report = verify_all(session)
        figures: dict[str, Any] = {
            "ok": report.ok,
            "chains": report.chains,
            "events": report.events,
            "breaks": [str(b) for b in report.breaks],
        }
        if "audit_checkpoints" in sa.inspect(session.connection()).get_table_names():
            figures["checkpoints"] = _own_checkpoints(session)
    return figures


def _own_checkpoints(session: Any) -> dict[str, Any]:
    """The log must still extend the newest checkpoint the server signed of each chain."""
    from parley.authz import Actor
    from parley.operations.checkpoints import (
        as_dict,
        latest_checkpoints,
        public_keys,
        verify_checkpoints,
    )

    keys = public_keys(session)
    latest = latest_checkpoints(session, Actor.system("backup-verify"))
    problems = verify_checkpoints(session, [as_dict(c, keys.get(c.key_id, "")) for c in latest])
    return {"ok": not problems, "checked": len(latest), "problems": [str(p) for p in problems]}


def compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """Every table whose rows or checksum differ, and tables only one side has."""
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"table {name}: missing from the copy")
        elif name not in expected:
            problems.append(f"table {name}: only in the copy")
        elif expected[name]["rows"] != actual[name]["rows"]:
            want, got = expected[name]["rows"], actual[name]["rows"]
            problems.append(f"table {name}: {want} rows expected, {got} found")
        elif expected[name]["sha256"] != actual[name]["sha256"]:
            problems.append(f"table {name}: same row count, different content")
    return problems


def _audit_problems(audit: dict[str, Any]) -> list[str]:
    problems = [f"audit: {b}" for b in audit["breaks"]]
    problems += [f"checkpoint: {p}" for p in audit.get("checkpoints", {}).get("problems", [])]
    return problems


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _engine(url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def figures_of(url: str) -> dict[str, Any]:
    """Tables and audit of a database at rest (nothing else writing to it)."""
    with _engine(url) as engine:
        with engine.connect() as conn:
            tables = table_figures(conn)
        return {"tables": tables, "audit": audit_figures(engine)}


# ---------------------------------------------------------------- SQLite


def sqlite_path(url: str) -> Path:
    database = make_url(normalise_url(url)).database
    if not database or database == ":memory:":
        raise BackupError(f"{url}: not a SQLite database file")
    return Path(database)


def _sqlite_copy(source: sqlite3.Connection, target: Path) -> None:
    """Copy with the online backup API into ``target``, as one self-contained file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as dst:
        source.backup(dst)
        # A backup file should stand alone: no -wal file beside it to lose.
        dst.execute("PRAGMA journal_mode=DELETE")


def _sqlite_backup(url: str, out: Path) -> dict[str, Any]:
    """Copy the source and checksum it in one read transaction: both see the same snapshot."""
    with _engine(url) as engine, engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1")  # starts the snapshot
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        _sqlite_copy(raw, out)
        tables = table_figures(conn)
        conn.rollback()
    return tables


def _sqlite_restore(file: Path, url: str) -> None:
    target = sqlite_path(url)
    with contextlib.closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as src:
        try:
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{file}: not a SQLite database ({exc})") from None
        target.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(sqlite3.connect(target, isolation_level=None)) as dst:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")  # how Parley runs it


def _sqlite_scratch() -> tuple[str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="parley-verify-"))
    return f"sqlite:///{folder / 'scratch.db'}", folder


# ---------------------------------------------------------------- PostgreSQL


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools of the server's "
            "major version (Debian: apt-get install postgresql-client)"
        )
    return path


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for the tools, with the password passed in the environment, not argv."""
    parsed = make_url(normalise_url(url)).set(drivername="postgresql")
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
        parsed = parsed.set(password=None)
    # Row-level security (parley.db.rls): the tools act as the system and see every row. A
    # table owner is subject to the policies too (FORCE), so pg_dump also needs
    # --enable-row-security rather than its default of refusing such tables.
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c parley.spaces=*".strip()
    return parsed.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed (exit {done.returncode}): {' / '.join(detail[-5:])}")


def _pg_backup(url: str, out: Path) -> dict[str, Any]:
    """pg_dump of an exported snapshot, and the figures of that same snapshot."""
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    with _engine(url) as engine:
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ")
        with conn, conn.begin():
            snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
            command = [pg_dump, "--format=custom", f"--file={out}", f"--snapshot={snapshot}"]
            command.append("--enable-row-security")
            _run([*command, f"--dbname={uri}"], env, "pg_dump")
            tables = table_figures(conn)
    return tables


def _pg_restore(file: Path, url: str) -> None:
    pg_restore = _tool("pg_restore")
    uri, env = _libpq(url)
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, "--single-transaction", f"--dbname={uri}", str(file)], env, "pg_restore")


def _pg_admin(url: str, sql: str) -> None:
    uri, env = _libpq(url)
    password = env.get("PGPASSWORD")
    with psycopg.connect(uri, autocommit=True, password=password) as conn:
        conn.execute(sql.encode())


def _pg_scratch(url: str) -> str:
    """A new, empty database on the same server (the role needs CREATEDB)."""
    name = f"parley_verify_{uuid.uuid4().hex[:12]}"
    try:
        _pg_admin(url, f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        raise BackupError(
            f"cannot create a scratch database to verify in ({str(exc).strip()}); grant the "
            "role CREATEDB or pass --scratch-db with an empty database"
        ) from None
    return str(make_url(normalise_url(url)).set(database=name).render_as_string(False))


def _pg_drop(url: str, scratch: str) -> None:
    name = make_url(normalise_url(scratch)).database
    with contextlib.suppress(psycopg.Error):
        _pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- emptiness


def table_names(url: str) -> list[str]:
    with _engine(url) as engine:
        try:
            with engine.connect() as conn:
                return sorted(sa.inspect(conn).get_table_names())
        except sa.exc.OperationalError as exc:
            raise BackupError(f"cannot open the database: {exc.orig}") from None


def _empty(url: str) -> None:
    """Drop every table of the target (``--force``)."""
    if is_sqlite(url):
        path = sqlite_path(url)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with _engine(url) as engine, engine.begin() as conn:
        quote = conn.dialect.identifier_preparer.quote
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote(name)} CASCADE")
        # Parley's functions (row-level security, the live-update trigger) belong to it too.
        functions = conn.execute(
            sa.text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p "
                "WHERE p.pronamespace = current_schema()::regnamespace "
                "AND p.proname LIKE 'parley\\_%'"
            )
        ).scalars()
        for function in list(functions):
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")


# ---------------------------------------------------------------- backup and restore


@dataclass
class Outcome:
    """What a backup or a restore did and found; ``problems`` empty means verified."""

    action: str
    file: Path
    backend: str
    expected: dict[str, Any] = field(default_factory=dict)  # table figures
    actual: dict[str, Any] = field(default_factory=dict)
    audit: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    manifest: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        size = self.file.stat().st_size if self.file.exists() else None
        return {
            "action": self.action,
            "ok": self.ok,
            "file": str(self.file),
            "bytes": size,
            "backend": self.backend,
            "manifest": None if self.manifest is None else str(self.manifest),
            "tables": len(self.actual),
            "rows": sum(t["rows"] for t in self.actual.values()),
            "audit": self.audit,
            "compared": {
                name: {
                    "expected_rows": self.expected.get(name, {}).get("rows"),
                    "rows": figures["rows"],
                    "same": self.expected.get(name) == figures,
                }
                for name, figures in self.actual.items()
            },
            "problems": self.problems,
        }


def manifest_path(file: Path) -> Path:
    return file.with_name(file.name + MANIFEST_SUFFIX)


def _verify_in_scratch(
    file: Path, backend: str, source_url: str, scratch_url: str | None
) -> dict[str, Any]:
    """Restore ``file`` into a scratch database and return its figures; the scratch goes."""
    if backend == "sqlite":
        url, folder = _sqlite_scratch()
        try:
            _sqlite_restore(file, url)
            return figures_of(url)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    if scratch_url is not None:
        if table_names(scratch_url):
            raise BackupError(f"--scratch-db {scratch_url}: not empty")
        try:
            _pg_restore(file, scratch_url)
            return figures_of(scratch_url)
        finally:
            _empty(scratch_url)
    url = _pg_scratch(source_url)
    try:
        _pg_restore(file, url)
        return figures_of(url)
    finally:
        _pg_drop(source_url, url)


def backup(url: str, out: Path, *, force: bool = False, scratch_url: str | None = None) -> Outcome:
    """Back up the database at ``url`` to ``out``, restore it elsewhere and verify it there."""
    backend = "sqlite" if is_sqlite(url) else "postgresql"
    if out.exists() and not force:
        raise BackupError(f"{out}: exists; pass --force to replace it")
    if backend == "sqlite" and not sqlite_path(url).is_file():
        raise BackupError(f"{url}: no such database file")
    if not table_names(url):
        raise BackupError(f"{url}: the database is empty; nothing to back up")
    manifest = manifest_path(out)
    manifest.unlink(missing_ok=True)  # never leave a manifest that speaks of another file
    if backend == "sqlite":
        if out.resolve() == sqlite_path(url).resolve():
            raise BackupError(f"{out}: is the database itself")
        out.unlink(missing_ok=True)
        expected = _sqlite_backup(url, out)
    else:
        expected = _pg_backup(url, out)
    figures = _verify_in_scratch(out, backend, url, scratch_url)
    outcome = Outcome("backup", out, backend, expected, figures["tables"], figures["audit"])
    outcome.problems = compare(expected, figures["tables"]) + _audit_problems(figures["audit"])
    if outcome.ok:
        body = {
            "format": MANIFEST_FORMAT,
            "backend": backend,
            "file": out.name,
            "sha256": file_sha256(out),
            "bytes": out.stat().st_size,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "tables": expected,
            "audit": figures["audit"],
        }
        manifest.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        outcome.manifest = manifest
    return outcome


def read_manifest(file: Path) -> dict[str, Any] | None:
    path = manifest_path(file)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"{path}: not a {MANIFEST_FORMAT} manifest")
    if not isinstance(data.get("tables"), dict):
        raise BackupError(f"{path}: tables: expected an object")
    return data


def restore(
    file: Path, url: str, *, force: bool = False, scratch_url: str | None = None
) -> Outcome:
    """Restore a backup into the (empty) database at ``url``, then verify it there.

    The restored database is compared with the backup's manifest when there is one (and the
    file must be the one the manifest describes), else with the backup restored to a scratch
    database.
    """
    backend = "sqlite" if is_sqlite(url) else "postgresql"
    if not file.is_file():
        raise BackupError(f"{file}: no such file")
    manifest = read_manifest(file)
    if manifest is not None:
        if manifest.get("backend") != backend:
            raise BackupError(
                f"{file}: a {manifest.get('backend')} backup cannot be restored into {backend}"
            )
        if manifest.get("sha256") != file_sha256(file):
            raise BackupError(f"{file}: its content differs from what its manifest records")
    existing = table_names(url)
    if existing and not force:
        raise BackupError(
            f"the target database is not empty ({len(existing)} tables, e.g. {existing[0]}); "
            "restore into an empty database, or pass --force to replace its content"
        )
    if backend == "sqlite" and file.resolve() == sqlite_path(url).resolve():
        raise BackupError(f"{file}: is the target database itself")
    if manifest is not None:
        expected = manifest["tables"]
    else:
        expected = _verify_in_scratch(file, backend, url, scratch_url)["tables"]
    if existing:
        _empty(url)
    if backend == "sqlite":
        _sqlite_restore(file, url)
    else:
        _pg_restore(file, url)
    figures = figures_of(url)
    outcome = Outcome("restore", file, backend, expected, figures["tables"], figures["audit"])
    outcome.problems = compare(expected, figures["tables"]) + _audit_problems(figures["audit"])
    outcome.manifest = manifest_path(file) if manifest is not None else None
    return outcome
