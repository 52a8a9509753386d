"""A bad scenario lists every problem with its path and line, and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from parley.cli import app
from parley.processes.models import Process
from parley.scenario.loader import read_scenario
from parley.scenario.validate import ScenarioError

runner = CliRunner()
SMALL = Path(__file__).with_name("small.yaml")


def _broken(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(SMALL.read_text())
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_the_small_scenario_is_valid() -> None:
    assert read_scenario(SMALL)["process"]["key"] == "small"


def test_every_problem_is_reported_at_once_with_paths_and_lines(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        del data["documents"][0]["versions"][1]["provisions"][1]["text"]  # missing field
        data["positions"][0]["party"] = "ZZZ"  # unknown party
        data["sessions"][0]["starts_at"] = "2025-13-45T10:00:00-05:00"  # bad date
        data["people"].append(dict(data["people"][0]))  # duplicate id
        data["commitments"][0]["space"] = "party:QQQ"  # wrong space

    path = _broken(tmp_path, edit)
    with pytest.raises(ScenarioError) as caught:
        read_scenario(path)
    messages = [str(p) for p in caught.value.problems]
    text = "\n".join(messages)
    assert "documents[0].versions[1].provisions[1].text: required (line" in text
    assert "positions[0].party: unknown party 'ZZZ'" in text
    assert "sessions[0].starts_at:" in text and "not a valid date" in text
    assert "people[1].key: duplicate key 'envoy'" in text
    assert "commitments[0].space:" in text and "unknown party 'QQQ'" in text
    assert len(messages) >= 5
    lines = path.read_text().splitlines()
    envoy_problem = next(p for p in caught.value.problems if p.path == "people[1].key")
    assert "envoy" in lines[envoy_problem.line - 1]


def test_unknown_fields_are_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, lambda d: d["process"].update(colour="blue"))
    with pytest.raises(ScenarioError, match="unknown field"):
        read_scenario(path)


def test_a_bad_file_exits_2_and_leaves_the_database_untouched(tmp_path: Path, db_url: str) -> None:
    path = _broken(tmp_path, lambda d: d["positions"][0].update(space="nowhere"))
    result = runner.invoke(app, ["scenario", "load", str(path), "--db", db_url])
    assert result.exit_code == 2
    assert "positions[0].space" in result.output
    engine = sa.create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Process)) == 0
    engine.dispose()


def test_a_failure_midway_rolls_everything_back(tmp_path: Path, db_url: str) -> None:
    # Loading the same process twice fails at the first record; nothing of it is left behind.
    first = runner.invoke(app, ["scenario", "load", str(SMALL), "--db", db_url])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["scenario", "load", str(SMALL), "--db", db_url])
    assert second.exit_code == 2
    assert "already exists" in second.output
    assert runner.invoke(app, ["verify", "--db", db_url]).exit_code == 0


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("scenario: 1\nprocess: [unclosed\n")
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2
    assert "line" in result.output


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (b"scenario: 1\nprocess:\n  key: a\x00b\n", 3),  # PyYAML's reader refuses NUL
        (b"scenario: 1\n\x07\n", 2),  # and the other C0 controls
        (b"scenario: 1\nprocess: caf\xe9\n", 2),  # Latin-1, not UTF-8
    ],
)
def test_a_file_with_characters_yaml_refuses_names_the_line(
    tmp_path: Path, content: bytes, line: int
) -> None:
    path = tmp_path / "control.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["scenario", "check", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"line {line}" in result.output
    assert "Traceback" not in result.output


def test_a_second_position_of_a_party_on_the_same_provision_is_refused(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["positions"].append({**data["positions"][0], "stance": "accept"})

    with pytest.raises(ScenarioError) as caught:
        read_scenario(_broken(tmp_path, edit))
    (problem,) = caught.value.problems
    assert problem.path == "positions[3]"
    assert "duplicate position 'AAA on plan/p2 option border/a'" in str(problem)
