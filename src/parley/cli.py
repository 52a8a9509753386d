"""The command line: ``parley --help`` lists every command.

The command group is lazy: ``parley --help`` and ``parley plan check`` import Typer and the
module of the command they run, nothing else. The capability packages contribute their commands
through their own ``register(app)``; :data:`CAPABILITIES` names each lazily loaded command with
its module and the one-line help that ``--help`` lists without importing it
(``tests/test_cli.py`` fails when a line drifts from the command's own help). Commands that open
a database load every model first (:func:`load_models`), so foreign keys between packages
resolve in a fresh process.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    import sqlalchemy as sa
    from rich.console import Console


@dataclass(frozen=True)
class Lazy:
    """A command loaded on first use: its module's ``register(app)`` defines it."""

    module: str
    help: str
    group: bool = False


# Commands contributed by the capability packages, in the order ``parley --help`` lists them.
CAPABILITIES: dict[str, Lazy] = {
    "optimize": Lazy(
        "parley.positions.cli",
        "Find the max-min, Nash or Pareto packages, or the acceptable ones, with a proof.",
    ),
    "intake": Lazy(
        "parley.intake.cli",
        "Propose evidence-linked records from news reports (and with --process, queue them).",
    ),
    "intake-eval": Lazy(
        "parley.intake.cli", "Precision, recall and F1 per field against hand-annotated reports."
    ),
    "backup": Lazy(
        "parley.operations.cli",
        "Back up the database to OUT, restore the copy elsewhere and verify it there.",
    ),
    "restore": Lazy(
        "parley.operations.cli",
        "Restore IN into an empty database, then verify it against the backup.",
    ),
    "plan": Lazy(
        "parley.sequencing.cli",
        "Sequencing plans: consistency, windows, critical path, what-if.",
        group=True,
    ),
    "text": Lazy(
        "parley.texts.cli",
        "Negotiating texts: import, redline, match, compare, freeze, sign, export.",
        group=True,
    ),
    "user": Lazy("parley.auth.cli", "Manage user accounts.", group=True),
    "token": Lazy("parley.auth.cli", "Manage API tokens.", group=True),
    "statement": Lazy(
        "parley.sessions.cli",
        "Joint statements: export one with its signatures, verify offline.",
        group=True,
    ),
    "checkpoint": Lazy(
        "parley.operations.cli", "Signed checkpoints of the audit chains.", group=True
    ),
}
# ... and to the ``export`` group.
EXPORTS: dict[str, Lazy] = {
    "ics": Lazy(
        "parley.sessions.cli",
        "Write the sessions and deadlines a user may see as an iCalendar (RFC 5545) file.",
    ),
    "ledger": Lazy(
        "parley.commitments.cli",
        "Write the commitments ledger as CSV: one row per fulfilment event, own currencies.",
    ),
}
COMMAND_MODULES = tuple(
    dict.fromkeys(e.module for e in (*CAPABILITIES.values(), *EXPORTS.values()))
)


@functools.cache
def capability_tree(module: str) -> TyperGroup | None:
    """The commands ``module.register`` adds to an empty app; None for an absent capability."""
    try:
        imported = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        # Absent capability (the module or its package): skip; a broken import inside it raises.
        if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
            raise
        return None
    scratch = typer.Typer()
    scratch.add_typer(typer.Typer(), name="export")
    imported.register(scratch)
    group = typer.main.get_command(scratch)
    assert isinstance(group, TyperGroup)
    return group


def _present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


class LazyGroup(TyperGroup):
    """A Typer group whose capability commands are imported when run, not when listed.

    ``commands`` (the whole tree, e.g. for the docs test) loads every lazy command;
    ``list_commands`` and ``get_command`` (what running and ``--help`` use) load only the one
    command being run, and ``--help`` lists the others from :class:`Lazy` without importing them.
    """

    lazy: ClassVar[Mapping[str, Lazy]] = {}
    path: ClassVar[tuple[str, ...]] = ()  # where this group sits below ``parley``

    _listing = False

    @property
    def commands(self) -> MutableMapping[str, Any]:
        for name in self.lazy:
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        self._commands = value

    def list_commands(self, ctx: Any) -> list[str]:
        # Typer's order: commands, then groups; capabilities after the group's own.
        def is_group(name: str) -> bool:
            known = self._commands.get(name)
            return isinstance(known, TyperGroup) if known is not None else self.lazy[name].group

        lazy = [n for n, e in self.lazy.items() if n not in self._commands and _present(e.module)]
        names = [*self._commands, *lazy]
        return [n for n in names if not is_group(n)] + [n for n in names if is_group(n)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        known = self._commands.get(cmd_name)
        if known is not None or cmd_name not in self.lazy:
            return known
        if self._listing:
            return TyperCommand(cmd_name, help=self.lazy[cmd_name].help)
        return self._load(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def _load(self, name: str) -> Any:
        if name in self._commands:
            return self._commands[name]
        tree: Any = capability_tree(self.lazy[name].module)
        for step in (*self.path, name):
            tree = tree.commands.get(step) if tree is not None else None
        if tree is not None:
            self._commands[name] = tree
        return tree


class RootGroup(LazyGroup):
    lazy = CAPABILITIES


class ExportGroup(LazyGroup):
    lazy = EXPORTS
    path = ("export",)


app = typer.Typer(
    cls=RootGroup,
    help="Parley: a secure workspace and verifiable record for mediated negotiations.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Create and upgrade the database schema.", no_args_is_help=True)
scenario_app = typer.Typer(help="Validate and load scenario files.", no_args_is_help=True)
export_app = typer.Typer(cls=ExportGroup, help="Export a process.", no_args_is_help=True)
import_app = typer.Typer(help="Import a process.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(scenario_app, name="scenario")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@functools.cache
def _consoles() -> tuple[Console, Console]:
    from rich.console import Console

    return Console(), Console(stderr=True, soft_wrap=True)


def _print(*objects: Any, **options: Any) -> None:
    _consoles()[0].print(*objects, **options)


def _eprint(*objects: Any, **options: Any) -> None:
    _consoles()[1].print(*objects, **options)


def __getattr__(name: str) -> Any:
    """``console`` and ``err`` (rich consoles), made on first use: rich is not imported for
    commands that print none."""
    if name == "console":
        return _consoles()[0]
    if name == "err":
        return _consoles()[1]
    raise AttributeError(name)


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."),
]
ProcessOption = Annotated[
    str | None, typer.Option("--process", help="Process key (default: the only process).")
]


def load_models() -> None:
    """Import every model, so that the foreign keys between packages resolve (a fresh process
    running one command has imported only that command's models)."""
    import parley.db.registry  # noqa: F401


def fail(message: str, code: int = 2) -> typer.Exit:
    _eprint(f"[red]error:[/red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def database_url(db: str | None) -> str:
    """The URL of ``--db``, else of the settings; every model is loaded for it."""
    from parley.config import get_settings

    load_models()
    return db or get_settings().database_url


def open_engine(db: str | None, *, create: bool = False) -> sa.Engine:
    """The engine for ``--db``; with ``create`` a brand-new database gets the schema."""
    import sqlalchemy as sa

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
    import sqlalchemy as sa

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
    _print(f"database at revision {migrate.current_revision(engine)}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the schema revision of the database."""
    from parley.db import migrate
    from parley.db.engine import get_engine

    _print(migrate.current_revision(get_engine(database_url(db))) or "empty")


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
    import sqlalchemy as sa

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
    _print(
        f"role {name} {'created' if created else 'already existed; grants refreshed'}; "
        f"serve with PARLEY_DATABASE_APP_URL=postgresql://{name}:PASSWORD@HOST/DATABASE"
    )


@scenario_app.command("check")
def scenario_check(file: Path) -> None:
    """Validate a scenario file and list every problem (exit code 2 when there are any)."""
    data = _read_scenario(file)
    _print(f"{file}: valid ({len(data.get('documents', []))} documents)")


def _read_scenario(file: Path) -> dict[str, Any]:
    from parley.scenario.loader import read_scenario
    from parley.scenario.validate import ScenarioError
    from parley.scenario.yamlfile import YamlError

    if not file.is_file():
        raise fail(f"{file}: no such file")
    try:
        return read_scenario(file)
    except ScenarioError as exc:
        _eprint(str(exc), highlight=False, markup=False)
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
    _print(f"loaded process [bold]{key}[/bold] from {file}")


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
    _print(f"wrote {out} ({len(text):,} bytes)")


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
    _print(f"imported process {bundle.get('process')!r} from {file}")


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
    """Re-compute every audit chain and record state; exit 0 only when all of them verify.

    Checks the chains, that no chain vanished, every record against its last audited state,
    and the server's stored checkpoints; with --checkpoints, also a delegation's own file.
    """
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
    for line in report.lines():
        _eprint(line, highlight=False, markup=False)
    for problem in problems:
        _eprint(f"NOT HONOURED {problem}", highlight=False, markup=False)
    if not report.ok or problems:
        raise typer.Exit(1)
    line = (
        f"ok: {report.chains} chains, {report.events} events, {report.records} records, "
        f"{report.checkpoints} stored checkpoints verified"
    )
    if kept is not None:
        line += f", {len(kept)} checkpoints honoured"
    _print(line)


@app.command()
def show(process: ProcessOption = None, db: DbOption = None) -> None:
    """Summarise a loaded process: parties, documents and versions, sessions, sticking points."""
    from rich.table import Table

    from parley.processes.summary import summarise

    engine = open_engine(db)
    key = resolve_process_key(engine, process)
    summary = summarise(engine, key)
    _print(f"[bold]{summary['title']}[/bold] ({key}, {summary['status']})")
    for title, rows, columns in summary["tables"]:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*[str(v) for v in row])
        _print(table)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    db: DbOption = None,
) -> None:
    """Serve the web UI and the JSON API."""
    import uvicorn

    from parley.app import create_app
    from parley.config import get_settings

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
    from rich.table import Table

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
    _print(table)
    _print(_demo_guide(data.get("users", []), port))
    if no_serve:
        _print(f"loaded {path}")
        return
    _print(f"serving http://127.0.0.1:{port}  (database {path})")
    serve(host="127.0.0.1", port=port, db=url)


DEMO_SIGNING_PASSPHRASE = "demo-signing-2025"  # noqa: S105  # nosec B105 - an illustrative demo value


def _demo_guide(users: list[dict[str, Any]], port: int) -> str:
    """What a newcomer needs after the table: whom to sign in as first, and what is wiped."""
    first = next((u for u in users if u.get("username") == "mediator"), users[0] if users else None)
    delegation = next(
        (u for u in users if u.get("role") == "head" and u is not first and u.get("party")), None
    )
    lines = []
    if first is not None:
        lines.append(
            f"Try first: sign in at http://127.0.0.1:{port}/login as [bold]{first['username']}[/]"
            f" / {first['password']} (the mediator's team: it sees every space and runs the"
            " optimizer)."
        )
    if delegation is not None:
        lines.append(
            f"Then as [bold]{delegation['username']}[/] / {delegation['password']} in another"
            " browser profile, to see what one delegation sees."
        )
    lines.append(
        "Signing keys: the scenario creates none. On the Texts page, \"Your delegation's signing"
        '" key" makes one with any passphrase of 10 characters or more (for example'
        f" {DEMO_SIGNING_PASSPHRASE}); give the same passphrase when you sign."
    )
    lines.append(
        "The demo database var/demo.db is wiped and loaded again on every run of `parley demo`."
    )
    return "\n".join(lines)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover - python -m parley.cli
    main()
