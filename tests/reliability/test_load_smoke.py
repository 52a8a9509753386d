"""The load scenario runs (benchmarks/load.py --quick): a few seconds against a live server on
SQLite with two workers, next to the bare Starlette ceiling, and no request fails.

The figures themselves are measured by ``python benchmarks/load.py`` (``make reliability``) and
recorded in docs/reliability.md; a smoke run on a shared CI machine judges no latency goal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_load_scenario_runs_without_errors(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "load.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {row["target"]: row for row in json.loads(out.read_text())}
    assert set(rows) == {"ceiling", "sqlite"}
    for row in rows.values():
        assert row["requests"] > 0 and row["rps"] > 0, row
        assert row["errors"] == 0, row["error_kinds"]
    sqlite = rows["sqlite"]
    assert {"GET dashboard", "GET notes", "POST note"} <= set(sqlite["per_request"]), sqlite
    assert sqlite["database_is_locked_in_log"] == 0
