"""``parley optimize``: the JSON contract, its errors and exit codes, through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from parley.positions.cli import register

# Illustrative problem in the format (our own invented numbers).
EXAMPLE: dict[str, Any] = {
    "parties": ["UA", "RU", "EU"],
    "disagreement": {"UA": 0, "RU": 0, "EU": 0},
    "reservation": {"UA": 3000},
    "provisions": [
        {
            "id": "p7",
            "priority": {"UA": 30, "RU": 40, "EU": 10},
            "options": [
                {"id": "a", "utility": {"UA": 100, "RU": 0, "EU": 80}, "red_line": ["RU"]},
                {"id": "b", "utility": {"UA": 40, "RU": 70, "EU": 60}},
            ],
        },
        {
            "id": "p9",
            "priority": {"UA": 70, "RU": 60, "EU": 90},
            "options": [
                {"id": "a", "utility": {"UA": 90, "RU": 10, "EU": 50}},
                {"id": "b", "utility": {"UA": 20, "RU": 90, "EU": 40}},
                {"id": "c", "utility": {"UA": 60, "RU": 50, "EU": 70}},
            ],
        },
    ],
    "linkages": [],
}


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """A stand-in for parley's root command."""

    register(app)
    return app


def run(app: typer.Typer, tmp_path: Path, problem: Any, *args: str) -> Any:
    path = tmp_path / "problem.json"
    path.write_text(problem if isinstance(problem, str) else json.dumps(problem))
    return CliRunner().invoke(app, ["optimize", str(path), *args])


def test_maxmin_prints_the_contract_shape(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path, EXAMPLE, "--objective", "maxmin")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out) == [
        "status", "package", "utilities", "objective", "concessions", "proof"
    ]  # fmt: skip
    # p7 "a" is red-lined by RU, so p7 is "b"; p9 "c" gives min 40*30+... = UA 5400.
    assert out["status"] == "optimal"
    assert out["package"] == {"p7": "b", "p9": "c"}
    assert out["utilities"] == {"UA": 5400, "RU": 5800, "EU": 6900}
    assert out["objective"] == 5400
    assert out["proof"].startswith("optimal at every stage")  # the threshold programme
    assert out["concessions"]["UA"] == {
        "total": 2100,
        "provisions": {
            "p9": {"chosen": "c", "best": "a", "utility_lost": 30, "weighted_lost": 2100}
        },
    }


def test_nash_reports_the_product_of_gains(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path, EXAMPLE, "--objective", "nash")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["package"] == {"p7": "b", "p9": "c"}
    assert out["objective"] == 5400 * 5800 * 6900
    assert out["proof"].startswith("optimal by exact branch-and-bound dynamic programme")


def test_acceptable_lists_and_counts(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path, EXAMPLE, "--objective", "acceptable", "--limit", "2")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # p7 must be "b"; p9 "b" leaves UA at 1200 + 1400 = 2600 < its reservation 3000.
    assert out["count"] == 2
    assert sorted(p["package"]["p9"] for p in out["packages"]) == ["a", "c"]
    assert out["package"] is None and out["concessions"] is None


def test_pareto_is_exact_for_three_parties(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path, EXAMPLE, "--objective", "pareto")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["representative"] is False
    assert {tuple(p["utilities"].values()) for p in out["packages"]} == {
        (1200 + 6300, 2800 + 600, 600 + 4500),
        (5400, 5800, 6900),
    }
    assert "count" not in out


def test_linkage_is_a_hard_constraint(app: typer.Typer, tmp_path: Path) -> None:
    problem = {**EXAMPLE, "linkages": [{"if": ["p7", "b"], "then": ["p9", "a"]}]}
    out = json.loads(run(app, tmp_path, problem, "--objective", "maxmin").stdout)
    assert out["package"] == {"p7": "b", "p9": "a"}


def test_red_lines_everywhere_are_proven_infeasible(app: typer.Typer, tmp_path: Path) -> None:
    problem = json.loads(json.dumps(EXAMPLE))
    problem["provisions"][0]["options"][1]["red_line"] = ["EU"]
    for objective in ("maxmin", "nash", "pareto", "acceptable"):
        result = run(app, tmp_path, problem, "--objective", objective)
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["status"] == "infeasible"
        assert "infeasible proven" in out["proof"] and "p7" in out["proof"]
        assert out["package"] is None


def test_priorities_not_summing_to_100_name_the_party(app: typer.Typer, tmp_path: Path) -> None:
    problem = json.loads(json.dumps(EXAMPLE))
    problem["provisions"][1]["priority"]["EU"] = 80
    result = run(app, tmp_path, problem, "--objective", "maxmin")
    assert result.exit_code == 2
    assert "party EU: priorities sum to 90" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p: p["linkages"].append({"if": ["p8", "a"], "then": ["p9", "c"]}),
         "linkages[0].if: unknown provision 'p8'"),
        (lambda p: p["linkages"].append({"if": ["p7", "b"], "then": ["p9", "z"]}),
         "linkages[0].then: provision p9 has no option 'z'"),
        (lambda p: p["reservation"].update(US=100), "reservation: unknown party 'US'"),
        (lambda p: p["provisions"][0]["options"][0].update(red_line=["XX"]),
         "red_line: unknown party 'XX'"),
        (lambda p: p["provisions"][0]["options"][1].update(utility={}),
         "option has no utilities"),
        (lambda p: p["provisions"][0]["options"][1]["utility"].pop("RU"),
         "no utility for party RU"),
        (lambda p: p["provisions"][0]["options"][1]["utility"].update(RU=101),
         "must be an integer from 0 to 100"),
        (lambda p: p.update(reservations={}), "unknown field 'reservations'"),
    ],
)  # fmt: skip
def test_bad_problems_get_a_clear_error_and_exit_2(
    app: typer.Typer, tmp_path: Path, change: Any, message: str
) -> None:
    problem = json.loads(json.dumps(EXAMPLE))
    change(problem)
    result = run(app, tmp_path, problem, "--objective", "nash")
    assert result.exit_code == 2
    assert message in result.stderr


def test_malformed_json_gets_line_and_column(app: typer.Typer, tmp_path: Path) -> None:
    result = run(app, tmp_path, '{"parties": ["UA",\n  ]', "--objective", "maxmin")
    assert result.exit_code == 2
    assert "malformed JSON at line 2, column 3" in result.stderr


def test_missing_file_and_unknown_objective_exit_2(app: typer.Typer, tmp_path: Path) -> None:
    missing = CliRunner().invoke(
        app, ["optimize", str(tmp_path / "nope.json"), "--objective", "nash"]
    )
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    wrong = run(app, tmp_path, EXAMPLE, "--objective", "utilitarian")
    assert wrong.exit_code == 2


def test_limit_must_be_positive(app: typer.Typer, tmp_path: Path) -> None:
    assert run(app, tmp_path, EXAMPLE, "--objective", "pareto", "--limit", "0").exit_code == 2
