"""``parley statement verify|export`` and ``parley export ics``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer

statement_app = typer.Typer(
    help="Joint statements: export one with its signatures, verify offline.",
    no_args_is_help=True,
)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."),
]
ProcessOption = Annotated[
    str | None, typer.Option("--process", help="Process key (default: the only process).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}: malformed JSON at line {exc.lineno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise _fail(f"{path}: expected a JSON object")
    return data


@statement_app.command("verify")
def verify_command(
    bundle: Annotated[
        Path,
        typer.Argument(
            metavar="BUNDLE",
            help="A statement file (parley statement export) or a process bundle "
            "(parley export bundle).",
        ),
    ],
    statement: Annotated[
        str | None,
        typer.Option(
            "--statement", help="Verify only this statement key (default: every joint one)."
        ),
    ] = None,
) -> None:
    """Check every signature of joint statements offline; exit 1 if any fails to verify."""
    from parley.sessions.verify import VerifyError, verify_any

    data = _read_json(bundle)
    try:
        checks = verify_any(data, statement)
    except VerifyError as exc:
        raise _fail(f"{bundle}: {exc}") from None
    report = {"ok": all(c.ok for c in checks), "statements": [c.as_json() for c in checks]}
    typer.echo(json.dumps(report, indent=1))
    if not report["ok"]:
        raise typer.Exit(1)


def _engine(db: str | None) -> sa.Engine:
    from parley.cli import open_engine

    return open_engine(db)


@statement_app.command("export")
def export_command(
    key: Annotated[str, typer.Argument(metavar="KEY", help="The joint statement's key.")],
    out: Annotated[Path, typer.Argument(metavar="OUT", help="Where to write the JSON file.")],
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Write a joint statement with its signatures and public keys, for offline verification."""
    from parley.authz import Actor
    from parley.cli import resolve_process_key
    from parley.db.engine import read_session
    from parley.processes.models import Process
    from parley.sessions.models import Statement, StatementKind
    from parley.sessions.queries import joint_statement_page, statement_file

    engine = _engine(db)
    process_key = resolve_process_key(engine, process)
    with read_session(engine) as session:
        found = session.scalars(sa.select(Process).where(Process.key == process_key)).one()
        statement_id = session.scalar(
            sa.select(Statement.id).where(
                Statement.process_id == found.id,
                Statement.key == key,
                Statement.kind == StatementKind.JOINT,
            )
        )
        if statement_id is None:
            raise _fail(f"KEY: no joint statement {key!r} in {process_key}")
        # The operator's command line reads as the system, like `parley export bundle`.
        page = joint_statement_page(
            session, Actor.system("cli:statement-export"), found, statement_id
        )
        data = statement_file(page, found)
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(json.dumps({"wrote": str(out), "signatures": len(data["signatures"])}))


def export_ics_command(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="Where to write the .ics file.")],
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            help="Whose calendar: only what this account may see (default: the public record).",
        ),
    ] = None,
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Write the sessions and deadlines a user may see as an iCalendar (RFC 5545) file."""
    from parley.auth.models import User
    from parley.auth.service import actor_for
    from parley.authz import Actor
    from parley.authz.scope import is_member
    from parley.cli import resolve_process_key
    from parley.db.base import utcnow
    from parley.db.engine import read_session
    from parley.exports.ics import calendar
    from parley.processes.models import Process
    from parley.sessions.queries import calendar_events

    engine = _engine(db)
    process_key = resolve_process_key(engine, process)
    with read_session(engine) as session:
        found = session.scalars(sa.select(Process).where(Process.key == process_key)).one()
        actor = Actor.anonymous()
        if user is not None:
            account = session.scalars(sa.select(User).where(User.username == user)).first()
            if account is None:
                raise _fail(f"--user: no account {user!r}")
            actor = actor_for(session, account)
        if not is_member(actor, found.id) and not found.published:
            raise _fail(f"--user: {user or 'the public'} cannot see process {process_key!r}")
        events = calendar_events(session, actor, found)
        text = calendar(events, name=found.title, stamp=utcnow())
    out.write_bytes(text.encode("utf-8"))
    typer.echo(json.dumps({"wrote": str(out), "events": len(events)}))


def register(app: typer.Typer) -> None:
    """Add ``parley statement ...`` and ``parley export ics`` to the main command line."""
    app.add_typer(statement_app, name="statement")
    export = next((g.typer_instance for g in app.registered_groups if g.name == "export"), None)
    if export is None:  # pragma: no cover - the main app always has an export group
        export = typer.Typer(help="Export a process.", no_args_is_help=True)
        app.add_typer(export, name="export")
    export.command("ics")(export_ics_command)


__all__ = ["register", "statement_app"]
