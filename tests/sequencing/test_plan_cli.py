"""``parley plan check`` and ``parley plan what-if`` through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parley.sequencing.cli import register

from .test_stn_plan import ISSUE_EXAMPLE, plan_with


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:  # a group, as in parley's own CLI
        """Parley."""

    register(app)
    return app


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "plan.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def test_check_prints_the_windows_as_json(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["plan", "check", write(tmp_path, ISSUE_EXAMPLE)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["consistent"] is True
    assert out["earliest"]["elections"] == 60 and out["latest"]["elections"] is None
    assert out["critical_path"][0] == "signing"


def test_check_adds_calendar_dates(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_EXAMPLE)
    result = runner.invoke(app, ["plan", "check", path, "--origin-date", "2025-12-20"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["earliest_date"]["elections"] == "2026-02-18"
    bad = runner.invoke(app, ["plan", "check", path, "--origin-date", "next week"])
    assert bad.exit_code == 2 and "--origin-date: expected YYYY-MM-DD" in bad.stderr


def test_an_inconsistent_plan_exits_1_with_the_conflict(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    data = plan_with()
    data["constraints"].append({"id": "c7", "from": "signing", "to": "elections", "max": 50})
    result = runner.invoke(app, ["plan", "check", write(tmp_path, data)])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["consistent"] is False and out["excess_days"] == 10
    assert set(out["conflict"]) == {"c1", "c2", "c7", "ceasefire.duration"}


def test_the_plan_can_come_from_standard_input(app: typer.Typer, runner: CliRunner) -> None:
    result = runner.invoke(app, ["plan", "check", "-"], input=json.dumps(ISSUE_EXAMPLE))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["finish"] == 60


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON: line 1 column 2"),
        (plan_with(origin="nowhere"), "origin: unknown event 'nowhere'"),
        (
            plan_with(constraints=[{"id": "c1", "from": "signing", "to": "mars", "min": 1}]),
            "constraints[0] (c1).to: unknown event 'mars'",
        ),
        (
            plan_with(
                constraints=[{"id": "c1", "from": "signing", "to": "elections", "min": 5, "max": 1}]
            ),
            "constraints[0] (c1): min 5 is greater than max 1",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    app: typer.Typer, runner: CliRunner, tmp_path: Path, content: Any, message: str
) -> None:
    result = runner.invoke(app, ["plan", "check", write(tmp_path, content)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_missing_file_exits_2(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["plan", "check", str(tmp_path / "absent.json")])
    assert result.exit_code == 2 and "absent.json: cannot read" in result.stderr


def test_what_if_reports_what_moves(app: typer.Typer, runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_EXAMPLE)
    result = runner.invoke(app, ["plan", "what-if", path, "ceasefire.end", "20"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["moved"] == {"ceasefire.end": 20, "elections": 20}
    assert out["finish_delay"] == 20
    broken = runner.invoke(app, ["plan", "what-if", path, "ceasefire", "10"])
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["conflict"] == ["c1", "what-if"]
    unknown = runner.invoke(app, ["plan", "what-if", path, "truce", "10"])
    assert unknown.exit_code == 2 and "unknown event or step 'truce'" in unknown.stderr


DOCS = Path(__file__).resolve().parents[2] / "docs" / "sequencing.md"


def test_every_plan_command_is_documented() -> None:
    from parley.sequencing.cli import plan_app

    text = DOCS.read_text(encoding="utf-8")
    names = [c.name for c in plan_app.registered_commands]
    assert names == ["check", "what-if"]
    for name in names:
        assert f"parley plan {name}" in text


def test_the_documented_input_example_checks_as_documented(
    app: typer.Typer, runner: CliRunner, tmp_path: Path
) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("### Input", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    result = runner.invoke(app, ["plan", "check", write(tmp_path, example)])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["earliest_date"]["elections"] == "2026-02-18"
    assert f'"critical_path": {json.dumps(out["critical_path"])}' in text
