"""The JSON bundle round-trips a process losslessly, audit chains and all."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from parley.cli import app

runner = CliRunner()


def test_load_export_import_export_is_identical(
    small_url: str, db_url: str, tmp_path: Path
) -> None:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    result = runner.invoke(app, ["export", "bundle", str(first), "--db", small_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["import", "bundle", str(first), "--db", db_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["export", "bundle", str(second), "--db", db_url])
    assert result.exit_code == 0, result.output
    assert first.read_text() == second.read_text()
    assert runner.invoke(app, ["verify", "--db", db_url]).exit_code == 0


def test_the_bundle_keeps_every_space_and_no_password_hash(small_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    runner.invoke(app, ["export", "bundle", str(out), "--db", small_url])
    bundle = json.loads(out.read_text())
    spaces = {row["space"] for row in bundle["tables"]["positions"]}
    assert spaces == {"party:AAA", "party:AAA+mediator", "party:BBB"}
    assert bundle["tables"]["audit_events"]
    assert all("password_hash" not in user for user in bundle["tables"]["users"])


def test_a_corrupt_bundle_is_refused_whole(small_url: str, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bundle.json"
    runner.invoke(app, ["export", "bundle", str(out), "--db", small_url])
    bundle = json.loads(out.read_text())
    bundle["tables"]["positions"][0]["colour"] = "blue"
    out.write_text(json.dumps(bundle))
    result = runner.invoke(app, ["import", "bundle", str(out), "--db", db_url])
    assert result.exit_code == 2
    assert "tables.positions[0]" in result.output
    # Nothing was half-written: the same (fixed) bundle still imports afterwards.
    del bundle["tables"]["positions"][0]["colour"]
    out.write_text(json.dumps(bundle))
    assert runner.invoke(app, ["import", "bundle", str(out), "--db", db_url]).exit_code == 0
