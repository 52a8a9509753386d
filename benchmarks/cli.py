"""Command-line start-up: whole-process wall time of ``parley --help`` and of ``parley plan
check`` on a one-step plan, against ``python -c pass`` in the same run.

Each command runs in a fresh interpreter (as a user or a script runs it), several times; the
median wall time is reported with the modules the process imported and its peak memory.

    python benchmarks/cli.py             # 7 runs each, median
    python benchmarks/cli.py --quick     # 3 runs each

Goals (issue 18): ``parley --help`` <= 0.3 s and ``parley plan check`` (small plan) <= 0.6 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOALS = {"parley --help": 0.3, "parley plan check": 0.6}
# What the console script ``parley`` runs (``[project.scripts] parley = "parley.cli:app"``).
PARLEY = "import sys; from parley.cli import app; sys.argv[0] = 'parley'; app()"
# An illustrative one-step plan (docs/sequencing.md).
PLAN = {
    "origin": "signing",
    "origin_date": "2025-12-20",
    "steps": [{"id": "ceasefire", "duration": [0, 30], "title": "Ceasefire holds"}],
    "events": ["signing"],
    "constraints": [
        {"id": "c1", "from": "signing", "to": "ceasefire.start", "min": 0, "max": 3},
    ],
}


def run(argv: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one fresh process."""
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    return wall


def footprint(argv: list[str], env: dict[str, str]) -> tuple[int, int]:
    """Modules imported and peak memory (MiB) of one more run, counted as it exits."""
    probe = (
        "import atexit, resource, sys; atexit.register(lambda: print('FOOTPRINT', "
        "len(sys.modules), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code, no shell
        [argv[0], "-c", f"{probe}\n{argv[2]}", *argv[3:]],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    line = [x for x in done.stderr.splitlines() if x.startswith("FOOTPRINT")][-1].split()
    return int(line[1]), int(line[2]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs each instead of 7")
    parser.add_argument(
        "--baseline-src", type=Path, help="also time the sources in this directory (e.g. an "
        "older checkout's src/), in the same run"
    )  # fmt: skip
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}
    older = {**env, "PYTHONPATH": str(args.baseline_src)} if args.baseline_src else None
    with tempfile.TemporaryDirectory() as tmp:
        plan = Path(tmp) / "plan.json"
        plan.write_text(json.dumps(PLAN), encoding="utf-8")
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "parley --help": [sys.executable, "-c", PARLEY, "--help"],
            "parley plan check": [sys.executable, "-c", PARLEY, "plan", "check", str(plan)],
        }
        print(f"{runs} runs each, median wall time of the whole process; load average "
              f"{os.getloadavg()[0]:.2f}; Python {sys.version.split()[0]}")  # fmt: skip
        print(f"{'command':<28} {'median':>8} {'min':>8} {'modules':>8} {'MiB':>5}  goal")
        baseline = 0.0
        for name, argv in cases.items():
            walls = sorted(run(argv, env) for _ in range(runs))
            median = statistics.median(walls)
            if older is not None and name != "python -c pass":
                before = statistics.median(run(argv, older) for _ in range(runs))
                print(f"{name + ' (baseline)':<28} {before:>7.3f}s")
            baseline = baseline or median
            count, mib = footprint(argv, env)
            goal = GOALS.get(name)
            met = goal is not None and median <= goal
            verdict = "" if goal is None else f"<= {goal} s: {'met' if met else 'MISSED'}"
            print(f"{name:<28} {median:>7.3f}s {walls[0]:>7.3f}s {count:>8} {mib:>5}  {verdict}")
        print(f"(the interpreter alone: {baseline * 1000:.0f} ms of each)")


if __name__ == "__main__":
    main()
