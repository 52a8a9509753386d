"""What the three atheris tests share: run a target briefly, fail with the crashing input."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from security.fuzz_targets import crashes, run

SHORT_RUNS = {"scenario": 1000, "numbered": 5000, "html": 1000}
LONG_SECONDS = 300


def fuzz_briefly(name: str, workdir: Path, long_run: bool) -> int:
    """Fuzz ``name`` (short in the suite, five minutes in the long version); return the
    number of inputs tried. Fails with the crashing input and its traceback."""
    pytest.importorskip("atheris")
    if long_run:
        result = run(name, workdir, seconds=LONG_SECONDS)
    else:
        result = run(name, workdir, runs=SHORT_RUNS[name])
    _assert_clean(name, result, workdir)
    done = re.search(r"Done (\d+) runs", result.stderr)
    assert done is not None, result.stderr[-2000:]
    return int(done.group(1))


def _assert_clean(name: str, result: subprocess.CompletedProcess[str], workdir: Path) -> None:
    found = crashes(workdir)
    if result.returncode == 0 and not found:
        return
    inputs = "\n".join(f"{p.name}: {p.read_bytes()[:400]!r}" for p in found)
    pytest.fail(
        f"fuzz target {name!r} crashed (exit {result.returncode}); input(s):\n{inputs}\n"
        f"--- output ---\n{result.stderr[-3000:]}"
    )
