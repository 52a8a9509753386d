"""atheris: the scenario loader (load_with_lines, then validate) raises only YamlError or
ScenarioError, whatever bytes it reads."""

from __future__ import annotations

from pathlib import Path

from security.fuzz_support import SHORT_RUNS, fuzz_briefly


def test_the_scenario_loader_raises_only_its_own_errors(tmp_path: Path, long_run: bool) -> None:
    tried = fuzz_briefly("scenario", tmp_path, long_run)
    assert tried >= (1 if long_run else SHORT_RUNS["scenario"])
