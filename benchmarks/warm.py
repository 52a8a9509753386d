"""Warm workers: the first optimizer request in a new worker against the second.

A fresh ``uvicorn`` worker serves the Miami scenario (illustrative) from a throwaway SQLite
database; the mediator runs the optimizer through the JSON API three times. Without the
background warm-up the first run also imported the engine (NumPy, OR-Tools, HiGHS, SciPy);
with it (``PARLEY_WARM_ENGINES``, on by default) the worker imported them once it served.

Two cases each time, each in new workers: ``immediately`` sends the first run as soon as the
worker answers ``/api/v1/health`` (the worst case: the warm-up is still running and the first
request waits for the rest of it), ``after N s`` a few seconds later (``--wait``, default 10),
when a real first user arrives; each case runs with the warm-up off (the baseline) and on.

    python benchmarks/warm.py [--rounds 3]

Goal (issue 18): the first optimizer request no slower than the second + 20 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "examples" / "miami" / "scenario.yaml"
PROCESS = "miami-2025"


def parley(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments, no shell
        [sys.executable, "-m", "parley", *args], capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True,
    )  # fmt: skip
    return done.stdout.strip()


def one_worker(url: str, token: str, log: Path, *, warm: bool, wait: float) -> list[float]:
    """Seconds of three optimizer runs in a new worker."""
    sys.path.insert(0, str(ROOT / "tests"))
    from reliability.harness import Server

    env = {"PYTHONPATH": str(ROOT / "src"), "PARLEY_WARM_ENGINES": "true" if warm else "false"}
    server = Server(url, log, workers=1, env=env)
    host = server.start()
    try:
        time.sleep(wait)
        times = []
        with httpx.Client(base_url=host, timeout=300) as client:
            for _ in range(3):
                started = time.perf_counter()
                answer = client.post(
                    f"/api/v1/processes/{PROCESS}/optimizer",
                    json={"objective": "nash", "provisions": ["plan20/p5"]},
                    headers={"Authorization": f"Bearer {token}"},
                )
                times.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise SystemExit(f"optimizer: HTTP {answer.status_code} {answer.text[:500]}")
        return times
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="new workers per case")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds before a late first run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="parley-warm-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'warm.db'}"
        parley("scenario", "load", str(SCENARIO), "--db", url)
        token = parley("token", "create", "mediator", "--db", url).splitlines()[-1]
        print(f"load average {os.getloadavg()[0]:.2f}; {args.rounds} new workers per case; "
              "optimizer (Nash) over the Miami scenario, seconds")  # fmt: skip
        print(f"{'case':<28} {'1st':>7} {'2nd':>7} {'3rd':>7}  1st / 2nd")
        for warm in (False, True):
            for wait in (0.0, args.wait):
                runs = [
                    one_worker(url, token, Path(tmp) / "server.log", warm=warm, wait=wait)
                    for _ in range(args.rounds)
                ]
                first, second, third = (statistics.median(r[i] for r in runs) for i in range(3))
                when = "immediately" if not wait else f"after {wait:.0f} s"
                name = f"{'warm-up' if warm else 'no warm-up'}, {when}"
                verdict = "goal <= 1.20: " + ("met" if first <= second * 1.2 else "MISSED")
                print(f"{name:<28} {first:>7.3f} {second:>7.3f} {third:>7.3f}  "
                      f"{first / second:.2f} {verdict if warm else ''}")  # fmt: skip


if __name__ == "__main__":
    main()
