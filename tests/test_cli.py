"""The command line end to end: the demo, show, verify, accounts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_demo_loads_the_miami_scenario_and_it_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = ROOT / "examples" / "miami" / "scenario.yaml"
    result = runner.invoke(app, ["demo", "--no-serve", "--scenario", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "ukraine" in result.output and "mediator" in result.output
    url = f"sqlite:///{tmp_path / 'var' / 'demo.db'}"
    assert runner.invoke(app, ["verify", "--db", url]).exit_code == 0
    shown = runner.invoke(app, ["show", "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "territory" in shown.output.lower()
    assert "plan20" in shown.output
    # Running the demo again starts from a clean database rather than failing.
    again = runner.invoke(app, ["demo", "--no-serve", "--scenario", str(scenario)])
    assert again.exit_code == 0, again.output


def test_accounts_and_memberships(small_url: str) -> None:
    result = runner.invoke(app, ["user", "add", "newbie", "--password", "short", "--db", small_url])
    assert result.exit_code == 2 and "at least" in result.output
    result = runner.invoke(
        app, ["user", "add", "newbie", "--password", "long-enough-pw", "--db", small_url]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "user",
            "join",
            "newbie",
            "--process",
            "small",
            "--party",
            "ZZZ",
            "--role",
            "member",
            "--db",
            small_url,
        ],
    )
    assert result.exit_code == 2 and "no party 'ZZZ'" in result.output
    result = runner.invoke(
        app,
        [
            "user",
            "join",
            "newbie",
            "--process",
            "small",
            "--party",
            "BBB",
            "--role",
            "member",
            "--db",
            small_url,
        ],
    )
    assert result.exit_code == 0, result.output
    token = runner.invoke(app, ["token", "create", "newbie", "--db", small_url])
    assert token.exit_code == 0 and token.output.startswith("pt_")
    assert runner.invoke(app, ["verify", "--db", small_url]).exit_code == 0


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 2
    assert "parley db upgrade" in result.output
