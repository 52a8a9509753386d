"""``parley export ledger``: the commitments ledger as CSV, from the command line.

Run by the operator on the server, it sees every space unless ``--user`` names an account,
in which case it writes exactly what that account sees on the ledger page.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from parley.commitments.queries import ledger, ledger_csv


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def export_ledger_command(
    process: Annotated[
        str | None, typer.Option("--process", help="Process key (default: the only process).")
    ] = None,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Where to write the CSV; '-' writes to stdout.")
    ] = "-",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--user", help="Export only what this account may see (default: every space)."
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."),
    ] = None,
) -> None:
    """Write the commitments ledger as CSV: one row per fulfilment event, own currencies."""
    import sqlalchemy as sa

    from parley.auth.models import User
    from parley.auth.service import actor_for
    from parley.authz import Actor
    from parley.cli import open_engine, resolve_process_key
    from parley.db.engine import read_session
    from parley.processes.models import Process

    engine = open_engine(db)
    key = resolve_process_key(engine, process)
    with read_session(engine) as session:
        found = session.scalars(sa.select(Process).where(Process.key == key)).one()
        actor = Actor.system("export-ledger")
        if as_user is not None:
            user = session.scalars(sa.select(User).where(User.username == as_user)).first()
            if user is None:
                _fail(f"--user: no account {as_user!r}")
            actor = actor_for(session, user)
        book = ledger(session, actor, found)
    text = ledger_csv(book)
    if out == "-":
        sys.stdout.write(text)
        return
    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"--out: cannot write {out}: {exc.strerror or exc}")
    summary: dict[str, Any] = {
        "process": key,
        "out": out,
        "rows": text.count("\n") - 1,
        "commitments": len(book.entries),
        "totals": {
            currency: {stage: str(v) for stage, v in stages.items()}
            for currency, stages in sorted(book.by_currency.items())
        },
    }
    typer.echo(json.dumps(summary, indent=2))


def register(app: typer.Typer) -> None:
    """Add ``export ledger`` to the existing ``export`` group (made if missing)."""
    group = next(
        (g.typer_instance for g in app.registered_groups if g.name == "export"),
        None,
    )
    if group is None:
        group = typer.Typer(help="Export a process.", no_args_is_help=True)
        app.add_typer(group, name="export")
    group.command("ledger")(export_ledger_command)
