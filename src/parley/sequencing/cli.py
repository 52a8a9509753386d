"""``parley plan ...``: check a sequencing plan and ask what-if questions, as JSON.

Exit codes: 0 the plan holds, 1 it does not (the JSON names the conflict), 2 bad input.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from parley.sequencing.check import check_plan
from parley.sequencing.plan import Plan, PlanError, parse_plan
from parley.sequencing.whatif import what_if

plan_app = typer.Typer(
    help="Sequencing plans: consistency, windows, critical path, what-if.",
    no_args_is_help=True,
)

PlanPath = Annotated[
    str, typer.Argument(metavar="PLAN.json", help="The plan as JSON; '-' reads standard input.")
]


def register(app: typer.Typer) -> None:
    """Add the ``plan`` command group to the main CLI."""
    app.add_typer(plan_app, name="plan")


def _fail(messages: list[str]) -> NoReturn:
    for message in messages:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _load(path: str) -> Plan:
    label = "standard input" if path == "-" else path
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        _fail([f"{label}: cannot read: {exc.strerror or exc}"])
    except UnicodeDecodeError:
        _fail([f"{label}: not UTF-8 text"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail([f"{label}: not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"])
    try:
        return parse_plan(data)
    except PlanError as exc:
        _fail([f"{label}: {m}" for m in exc.messages])


def _emit(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))


@plan_app.command("check")
def check_command(
    path: PlanPath,
    origin_date: Annotated[
        str | None,
        typer.Option(help="Calendar date of the origin (YYYY-MM-DD); adds dates to the output."),
    ] = None,
) -> None:
    """Check a plan: earliest/latest days, slack and critical path, or the conflict by name."""
    when = None
    if origin_date is not None:
        try:
            when = date.fromisoformat(origin_date)
        except ValueError:
            _fail([f"--origin-date: expected YYYY-MM-DD, got {origin_date!r}"])
    result = check_plan(_load(path), origin_date=when)
    _emit(result.to_json())
    if not result.consistent:
        raise typer.Exit(1)


@plan_app.command("what-if")
def what_if_command(
    path: PlanPath,
    subject: Annotated[str, typer.Argument(help="An event, 'step.start'/'step.end' or a step.")],
    slip_days: Annotated[int, typer.Argument(help="How many days it slips (0 or more).")],
) -> None:
    """Slip an event or step by some days: what moves, by how much, and what breaks."""
    plan = _load(path)
    try:
        result = what_if(plan, subject, slip_days)
    except ValueError as exc:
        _fail([str(exc)])
    _emit(result.to_json())
    if not result.consistent:
        raise typer.Exit(1)
