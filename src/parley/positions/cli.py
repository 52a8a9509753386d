"""``parley optimize``: the package optimizer's command-line contract (JSON in, JSON out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from parley.positions.optimizer import Objective, OptimizerTimeout, solve
from parley.positions.problem import ProblemError, parse_problem


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def optimize(
    problem_file: Annotated[
        Path, typer.Argument(metavar="PROBLEM.json", help="The problem, as a JSON file.")
    ],
    objective: Annotated[
        Objective,
        typer.Option(
            "--objective",
            case_sensitive=False,
            help="maxmin (then leximin), nash, pareto or acceptable.",
        ),
    ],
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help="Most packages to list (acceptable: 100 by default; pareto: whole exact "
            "frontier by default, representative sets at most 100).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.001,
            help="Seconds per solver call; exit 1 rather than print an uncertified answer.",
        ),
    ] = None,
) -> None:
    """Find the max-min, Nash or Pareto packages, or the acceptable ones, with a proof."""
    try:
        text = problem_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"{problem_file}: cannot read: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            f"{problem_file}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    try:
        problem = parse_problem(data)
        result = solve(problem, objective, limit, time_limit=time_limit)
    except ProblemError as exc:
        for message in exc.messages:
            typer.echo(f"error: {problem_file}: {message}", err=True)
        raise typer.Exit(2) from exc
    except OptimizerTimeout as exc:
        typer.echo(f"error: {exc}; no certified answer within --time-limit", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result.to_dict()))


def register(app: typer.Typer) -> None:
    """Add the top-level ``optimize`` command to ``app``."""
    app.command("optimize")(optimize)
