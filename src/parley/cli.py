"""The command line: ``parley --help`` lists every command."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from parley.config import get_settings

app = typer.Typer(
    help="Parley: a secure workspace and verifiable record for mediated negotiations.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)
scenario_app = typer.Typer(help="Validate and load scenario files.", no_args_is_help=True)
export_app = typer.Typer(help="Export a process.", no_args_is_help=True)
import_app = typer.Typer(help="Import a process.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(scenario_app, name="scenario")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")

console = Console()
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."),
]
ProcessOption = Annotated[
    str | None, typer.Option("--process", help="Process key (default: the only process).")
]

# Commands contributed by the capability packages, each through its own register(app).
COMMAND_MODULES = (
    "parley.positions.cli",
    "parley.sequencing.cli",
    "parley.intake.cli",
    "parley.texts.cli",
    "parley.auth.cli",
    "parley.sessions.cli",
    "parley.commitments.cli",
    "parley.operations.cli",
)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def database_url(db: str | None) -> str:
    return db or get_settings().database_url


def open_engine(db: str | None, *, create: bool = False) -> sa.Engine:
    """The engine for ``--db``; with ``create`` a brand-new database gets the schema."""
    from parley.db import migrate
    from parley.db.engine import get_engine

    engine = get_engine(database_url(db))
    try:
        current = migrate.current_revision(engine)
    except sa.exc.OperationalError as exc:
        raise fail(f"cannot open the database: {exc.orig}") from None
    if current is None and create:
        migrate.upgrade(engine)
    elif current != migrate.head_revision(engine):
        raise fail(
            f"the database schema is at {current or 'nothing'}, this Parley needs "
            f"{migrate.head_revision(engine)}: run `parley db upgrade`"
        )
    return engine


def resolve_process_key(engine: sa.Engine, key: str | None) -> str:
    from parley.db.engine import read_session
    from parley.processes.models import Process

    with read_session(engine) as session:
        keys = list(session.scalars(sa.select(Process.key).order_by(Process.key)))
    if key is not None:
        if key not in keys:
            raise fail(f"no process {key!r}; known: {', '.join(keys) or 'none'}")
        return key
    if len(keys) != 1:
        raise fail(f"give --process; known processes: {', '.join(keys) or 'none'}")
    return keys[0]


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the schema or bring it to the newest revision."""
    from parley.db import migrate
    from parley.db.engine import get_engine

    engine = get_engine(database_url(db))
    migrate.upgrade(engine)
    console.print(f"database at revision {migrate.current_revision(engine)}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the schema revision of the database."""
    from parley.db import migrate
    from parley.db.engine import get_engine

    console.print(migrate.current_revision(get_engine(database_url(db))) or "empty")


@db_app.command("app-role")
def db_app_role(
    name: Annotated[str, typer.Argument(help="The role to create, e.g. parley_app.")],
    with_password: Annotated[
        bool,
        typer.Option("--with-password", help="Ask for a password for the role (hidden)."),
    ] = False,
    db: DbOption = None,
) -> None:
    """PostgreSQL: create a role that owns no table, for PARLEY_DATABASE_APP_URL."""
    from parley.db.engine import get_engine
    from parley.db.rls import AppRoleError, create_app_role

    password = (
        typer.prompt("password", hide_input=True, confirmation_prompt=True)
        if with_password
        else None
    )
    engine = get_engine(database_url(db))
    try:
        created = create_app_role(engine, name, password=password)
    except AppRoleError as exc:
        raise fail(str(exc)) from None
    except sa.exc.SQLAlchemyError as exc:
        raise fail(f"cannot create the role: {getattr(exc, 'orig', exc)}") from None
    console.print(
        f"role {name} {'created' if created else 'already existed; grants refreshed'}; "
        f"serve with PARLEY_DATABASE_APP_URL=postgresql://{name}:PASSWORD@HOST/DATABASE"
    )


@scenario_app.command("check")
def scenario_check(file: Path) -> None:
    """Validate a scenario file and list every problem (exit code 2 when there are any)."""
    data = _read_scenario(file)
    console.print(f"{file}: valid ({len(data.get('documents', []))} documents)")


def _read_scenario(file: Path) -> dict[str, Any]:
    from parley.scenario.loader import read_scenario
    from parley.scenario.validate import ScenarioError
    from parley.scenario.yamlfile import YamlError

    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        return read_scenario(file)
    except ScenarioError as exc:
        err.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(2) from None
    except YamlError as exc:
        raise fail(str(exc)) from None


@scenario_app.command("load")
def scenario_load(file: Path, db: DbOption = None) -> None:
    """Validate FILE, then load the whole process in one transaction (or nothing at all)."""
    from parley.authz import Actor
    from parley.db.engine import write_session
    from parley.scenario.loader import ScenarioRefused, load_scenario

    data = _read_scenario(file)
    engine = open_engine(db, create=True)
    try:
        with write_session(engine) as session:
            process = load_scenario(session, data, actor=Actor.system("cli:scenario-load"))
            key = process.key
    except ScenarioRefused as exc:
        raise fail(str(exc)) from None
    console.print(f"loaded process [bold]{key}[/bold] from {file}")


@scenario_app.command("schema")
def scenario_schema() -> None:
    """Print the JSON Schema of scenario files."""
    from parley.scenario.validate import schema

    typer.echo(json.dumps(schema(), indent=1))


@export_app.command("bundle")
def export_bundle_command(out: Path, process: ProcessOption = None, db: DbOption = None) -> None:
    """Write a complete JSON bundle of a process (every record, audit chains included)."""
    from parley.db.engine import read_session
    from parley.exports.bundle import dumps, export_bundle

    engine = open_engine(db)
    key = resolve_process_key(engine, process)
    with read_session(engine) as session:
        text = dumps(export_bundle(session, key))
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out} ({len(text):,} bytes)")


@import_app.command("bundle")
def import_bundle_command(file: Path, db: DbOption = None) -> None:
    """Import a JSON bundle into this database in one transaction."""
    from parley.db.engine import write_session
    from parley.exports.bundle import BundleError, import_bundle

    try:
        bundle = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise fail(f"{file}: {exc}") from None
    engine = open_engine(db, create=True)
    try:
        with write_session(engine) as session:
            import_bundle(session, bundle)
    except BundleError as exc:
        raise fail(f"{file}: {exc}") from None
    console.print(f"imported process {bundle.get('process')!r} from {file}")


@app.command()
def verify(
    db: DbOption = None,
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            "--checkpoints",
            help="A file of signed checkpoints kept by a delegation: also prove that the log "
            "extends every one of them.",
        ),
    ] = None,
) -> None:
    """Re-compute every audit chain; exit 0 only when all of them verify."""
    from parley.audit.verify import verify_all
    from parley.db.engine import read_session

    kept = None
    if checkpoints is not None:
        from parley.operations.cli import read_checkpoint_file

        kept = read_checkpoint_file(checkpoints)
    engine = open_engine(db)
    problems: list[object] = []
    with read_session(engine) as session:
        report = verify_all(session)
        if kept is not None:
            from parley.operations.checkpoints import verify_checkpoints

            problems = list(verify_checkpoints(session, kept))
    for broken in report.breaks:
        err.print(f"BROKEN {broken}", highlight=False, markup=False)
    for problem in problems:
        err.print(f"NOT HONOURED {problem}", highlight=False, markup=False)
    if not report.ok or problems:
        raise typer.Exit(1)
    line = f"ok: {report.chains} chains, {report.events} events verified"
    if kept is not None:
        line += f", {len(kept)} checkpoints honoured"
    console.print(line)


@app.command()
def show(process: ProcessOption = None, db: DbOption = None) -> None:
    """Summarise a loaded process: parties, documents and versions, sessions, sticking points."""
    from parley.processes.summary import summarise

    engine = open_engine(db)
    key = resolve_process_key(engine, process)
    summary = summarise(engine, key)
    console.print(f"[bold]{summary['title']}[/bold] ({key}, {summary['status']})")
    for title, rows, columns in summary["tables"]:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*[str(v) for v in row])
        console.print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    db: DbOption = None,
) -> None:
    """Serve the web UI and the JSON API."""
    import uvicorn

    from parley.app import create_app

    settings = get_settings().model_copy(update={"database_url": database_url(db)})
    open_engine(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    scenario: Annotated[Path, typer.Option(help="Scenario to load.")] = Path(
        "examples/miami/scenario.yaml"
    ),
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Load only.")] = False,
) -> None:
    """(Re)create var/demo.db from the Miami scenario, print the demo logins and serve it."""
    from parley.authz import Actor
    from parley.db.engine import dispose_engines, write_session
    from parley.scenario.loader import load_scenario

    path = Path("var/demo.db").resolve()
    dispose_engines()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    data = _read_scenario(scenario)
    engine = open_engine(url, create=True)
    with write_session(engine) as session:
        load_scenario(session, data, actor=Actor.system("cli:demo"))
    table = Table(title="Demo logins (illustrative scenario)", title_justify="left")
    for column in ("username", "password", "party", "role"):
        table.add_column(column)
    for user in data.get("users", []):
        table.add_row(user["username"], user["password"], user.get("party") or "-", user["role"])
    console.print(table)
    if no_serve:
        console.print(f"loaded {path}")
        return
    console.print(f"serving http://127.0.0.1:{port}  (database {path})")
    serve(host="127.0.0.1", port=port, db=url)


def _register_capabilities() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Absent capability (the module or its package): skip; a broken import inside it raises.
            if exc.name is None or not (name == exc.name or name.startswith(exc.name + ".")):
                raise
            continue
        module.register(app)


_register_capabilities()


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
