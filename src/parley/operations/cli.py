"""``parley backup``, ``parley restore`` and ``parley checkpoint ...``: the operator's tools.

Every command prints JSON on standard output. Exit codes: 0 verified, 1 verification found a
problem (listed under ``problems``), 2 bad input or the operation could not run.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

# The same as parley.cli.DbOption, defined here so that importing this module alone does not
# import the command line (which imports this module while it registers its commands).
DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."),
]
ProcessOption = Annotated[
    str | None,
    typer.Option("--process", help="Only the chains of this process (default: every chain)."),
]
ScratchOption = Annotated[
    str | None,
    typer.Option(
        "--scratch-db",
        help="An empty database to verify in (PostgreSQL; default: a temporary database "
        "created on the same server, which needs CREATEDB).",
    ),
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _emit(data: dict[str, Any], ok: bool) -> None:
    typer.echo(json.dumps(data, indent=1))
    if not ok:
        raise typer.Exit(1)


def read_checkpoint_file(path: Path) -> list[dict[str, Any]]:
    """The checkpoints of a kept file, or a clear error (exit 2) naming the file and field."""
    from parley.operations.checkpoints import CheckpointFileError, read_file

    try:
        return read_file(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{path}: cannot read: {exc}") from None
    except CheckpointFileError as exc:
        raise _fail(f"{path}: {exc}") from None


def _process_id(session: Session, key: str | None) -> uuid.UUID | None:
    import sqlalchemy as sa

    from parley.processes.models import Process

    if key is None:
        return None
    found = session.scalar(sa.select(Process.id).where(Process.key == key))
    if found is None:
        raise _fail(f"--process: no process {key!r}")
    return found


def register(app: typer.Typer) -> None:
    from parley.cli import database_url, open_engine

    checkpoint_app = typer.Typer(
        help="Signed checkpoints of the audit chains.", no_args_is_help=True
    )
    app.add_typer(checkpoint_app, name="checkpoint")

    @app.command("backup")
    def backup_command(
        out: Annotated[Path, typer.Argument(help="The backup file to write.")],
        db: DbOption = None,
        force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
        scratch_db: ScratchOption = None,
    ) -> None:
        """Back up the database to OUT, restore the copy elsewhere and verify it there."""
        from parley.operations.backup import BackupError, backup

        try:
            outcome = backup(database_url(db), out, force=force, scratch_url=scratch_db)
        except BackupError as exc:
            raise _fail(str(exc)) from None
        _emit(outcome.as_dict(), outcome.ok)

    @app.command("restore")
    def restore_command(
        file: Annotated[Path, typer.Argument(metavar="IN", help="The backup file to restore.")],
        db: DbOption = None,
        force: Annotated[
            bool, typer.Option("--force", help="Replace the content of a non-empty database.")
        ] = False,
        scratch_db: ScratchOption = None,
    ) -> None:
        """Restore IN into an empty database, then verify it against the backup."""
        from parley.operations.backup import BackupError, restore

        try:
            outcome = restore(file, database_url(db), force=force, scratch_url=scratch_db)
        except BackupError as exc:
            raise _fail(str(exc)) from None
        _emit(outcome.as_dict(), outcome.ok)

    @checkpoint_app.command("create")
    def checkpoint_create(process: ProcessOption = None, db: DbOption = None) -> None:
        """Sign a checkpoint of every chain that changed since its last checkpoint."""
        from parley.authz import Actor
        from parley.db.engine import write_session
        from parley.operations.checkpoints import as_dict, create_checkpoints, public_keys
        from parley.operations.signing import SealError

        engine = open_engine(db)
        try:
            with write_session(engine) as session:
                run = create_checkpoints(
                    session,
                    Actor.system("cli:checkpoint-create"),
                    process_id=_process_id(session, process),
                )
                keys = public_keys(session)
                created = [as_dict(c, keys[c.key_id]) for c in run.created]
        except SealError as exc:
            raise _fail(str(exc)) from None
        result = {
            "created": len(created),
            "unchanged": run.unchanged,
            "refused": [str(p) for p in run.refused],
            "checkpoints": created,
        }
        _emit(result, not run.refused)

    @checkpoint_app.command("list")
    def checkpoint_list(process: ProcessOption = None, db: DbOption = None) -> None:
        """Print the newest checkpoint of each chain, as the file a delegation keeps."""
        from parley.authz import Actor
        from parley.db.engine import read_session
        from parley.operations.checkpoints import document, latest_checkpoints

        with read_session(open_engine(db)) as session:
            latest = latest_checkpoints(
                session, Actor.system("cli:checkpoint-list"), _process_id(session, process)
            )
            _emit(document(session, latest), True)

    @checkpoint_app.command("verify")
    def checkpoint_verify(
        file: Annotated[Path, typer.Argument(help="A file of checkpoints kept by a delegation.")],
        db: DbOption = None,
    ) -> None:
        """Verify every audit chain and prove the log extends each checkpoint in FILE."""
        from parley.audit.verify import verify_all
        from parley.db.engine import read_session
        from parley.operations.checkpoints import verify_checkpoints

        items = read_checkpoint_file(file)
        with read_session(open_engine(db)) as session:
            # The file's checkpoints are the point here; the stored ones are `parley verify`'s.
            report = verify_all(session, stored_checkpoints=False)
            problems = verify_checkpoints(session, items)
        result = {
            "ok": report.ok and not problems,
            "chains": report.chains,
            "events": report.events,
            "checkpoints": len(items),
            "breaks": report.lines(),
            "problems": [str(p) for p in problems],
        }
        _emit(result, bool(result["ok"]))
