"""The CLI contract: `parley intake ... --format json`, the summary, errors, workers and Dask."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

GOLD = Path(__file__).parent / "gold"
MIAMI = str(GOLD / "01_miami_round.txt")
runner = CliRunner()


def test_json_prints_one_object_per_source_in_the_issue_shape(intake_app) -> None:
    result = runner.invoke(
        intake_app, ["intake", MIAMI, str(GOLD / "06_wire_eu_loan.txt"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["source"]["published"] for x in lines] == ["2025-12-23", None]
    miami = lines[0]
    assert miami["meetings"][0]["date"] == "2025-12-22"
    assert any(w["kind"] == "weekday_mismatch" for w in miami["warnings"])
    # The two reports give the EU pledge differently: both carry the cross-source warning.
    assert [w["kind"] for w in lines[1]["warnings"]] == ["amount_mismatch"]


def test_published_overrides_the_date_for_relative_expressions(intake_app) -> None:
    path = str(GOLD / "02_wire_miami_preview.txt")
    result = runner.invoke(
        intake_app, ["intake", path, "--published", "2025-12-02", "--format", "json"]
    )
    (data,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert data["meetings"][0]["date"] == "2025-12-04"  # "will meet ... on Thursday"


def test_the_summary_is_readable(intake_app) -> None:
    result = runner.invoke(intake_app, ["intake", MIAMI])
    assert result.exit_code == 0
    for needle in (
        "Steve Witkoff",
        "special envoy",
        "2025-12-22",
        "100,000,000,000 USD",
        "weekday_mismatch",
    ):
        assert needle in result.stdout


def test_duplicates_are_noted_and_skipped(intake_app, tmp_path: Path) -> None:
    copy = tmp_path / "copy.txt"
    copy.write_text(Path(MIAMI).read_text(encoding="utf-8"), encoding="utf-8")
    result = runner.invoke(intake_app, ["intake", MIAMI, str(copy), "--format", "json"])
    assert len(result.stdout.splitlines()) == 1
    assert "repeats" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--published", "23/12/2025"], "--published: expected a date YYYY-MM-DD"),
        (["--format", "xml"], "--format: expected 'text' or 'json'"),
        (["--gazetteer", "/nonexistent/gz.json"], "--gazetteer: cannot read"),
    ],
)
def test_bad_options_exit_2_naming_the_option(intake_app, args: list[str], message: str) -> None:
    result = runner.invoke(intake_app, ["intake", MIAMI, *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_missing_file_exits_2_naming_it(intake_app) -> None:
    result = runner.invoke(intake_app, ["intake", "no-such-report.txt"])
    assert result.exit_code == 2
    assert "no-such-report.txt: no such file" in result.stderr


def test_a_gazetteer_file_replaces_the_default(intake_app, tmp_path: Path) -> None:
    gz = tmp_path / "gz.yaml"
    gz.write_text(
        "parties:\n  - name: Freedonia\n    aliases: [Fredville]\npeople: []\n", encoding="utf-8"
    )
    report = tmp_path / "r.txt"
    report.write_text("Officials in Fredville said on Monday they were ready.\n", encoding="utf-8")
    result = runner.invoke(
        intake_app, ["intake", str(report), "--gazetteer", str(gz), "--format", "json"]
    )
    (data,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert data["parties"][0]["name"] == "Freedonia" and data["parties"][0]["known"] is True


def _json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_workers_and_dask_give_the_same_answer_as_one_process(intake_app) -> None:
    files = [str(p) for p in sorted(GOLD.glob("*.txt"))[:6]]
    single = runner.invoke(intake_app, ["intake", *files, "--format", "json"])
    assert single.exit_code == 0, single.output
    pooled = runner.invoke(intake_app, ["intake", *files, "--format", "json", "--workers", "2"])
    assert pooled.exit_code == 0, pooled.output
    assert _json_lines(pooled.stdout) == _json_lines(single.stdout)

    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = runner.invoke(
            intake_app, ["intake", *files, "--format", "json", "--dask", cluster.scheduler_address]
        )
    assert on_dask.exit_code == 0, on_dask.output
    assert _json_lines(on_dask.stdout) == _json_lines(single.stdout)
