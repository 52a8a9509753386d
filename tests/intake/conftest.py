"""Shared fixtures for the intake tests: the gold folder and a Typer app with intake registered."""

from pathlib import Path

import pytest
import typer

from parley.intake.cli import register

GOLD = Path(__file__).parent / "gold"
HELDOUT = Path(__file__).parent / "heldout"


@pytest.fixture(scope="session")
def intake_app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keeps `intake` a subcommand even with one command registered
        pass

    return app
