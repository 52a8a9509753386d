"""Load: many users of several delegations against a live Parley server, next to a bare
Starlette endpoint on the same machine in the same run (the ceiling).

    python benchmarks/load.py            # 50 users, 30 s a run, SQLite and PostgreSQL
    python benchmarks/load.py --quick    # a smoke run: 10 users, a few seconds, SQLite only

Each target runs under uvicorn with ``--workers 2``. The load generator is locust in library
mode (FastHttpUser), in a child process of its own so that its gevent monkey-patching never
touches this process. Two profiles:

* ``paced``: each virtual user waits 0.5-1.5 s (mean 1 s) between requests, like a person
  working in the API or the pages; the goals (p95 <= 200 ms, p99 <= 500 ms, errors < 0.1 %)
  are judged on this profile;
* ``flat-out``: no waiting; requests per second at saturation, and the latency that costs.

The mix, per request: 30 % the process dashboard, 25 % the notes list, 20 % the positions
list, 10 % one's own note, 8 % a new note, 7 % a position; read-only users (a viewer, an
observer) only read. Half the users sign in like a browser (session cookie + CSRF header),
half like an API client (Bearer token). Latencies are exact percentiles over every request
after a 2 s warm-up. The server's log is searched for "database is locked".
Seeds are fixed (``--seed``); the figures still vary with the machine's other load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 2.0
MIX = (
    ("dashboard", 30),
    ("notes", 25),
    ("positions", 20),
    ("own note", 10),
    ("new note", 8),
    ("position", 7),
)
GOALS = {"p95_ms": 200.0, "p99_ms": 500.0, "error_rate": 0.001}
# Requests still in flight when a run ends are left out of the percentiles, so a server that
# stalls could look fast: it must also serve what the paced users offered, i.e. nearly what the
# bare ceiling served to the same users in the same run.
SERVED_VS_CEILING = 0.9


# ---------------------------------------------------------------- the ceiling


def ceiling_app() -> Any:
    """A bare Starlette endpoint: what uvicorn and the network stack cost, and nothing else."""
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def ok(_request: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    # /api/v1/health too: the harness waits for it before the run starts.
    return Starlette(routes=[Route("/ceiling", ok), Route("/api/v1/health", ok)])


# ---------------------------------------------------------------- the load generator (child)


def drive(args: argparse.Namespace) -> None:
    """Run locust in library mode against one target; write the samples' summary as JSON."""
    import gevent
    from locust import FastHttpUser, between, constant, events, task
    from locust.env import Environment

    plan = json.loads(Path(args.plan).read_text())
    samples: list[tuple[float, str, float, str]] = []  # (time, name, ms, error or "")
    started = time.monotonic()

    @events.request.add_listener
    def _record(name: str, response_time: float, exception: Any, **_kw: Any) -> None:
        samples.append((time.monotonic() - started, name, response_time, str(exception or "")))

    personas = plan.get("personas", [])
    counter = iter(range(1 << 30))
    wait = between(args.think * 0.5, args.think * 1.5) if args.think > 0 else constant(0)
    names = [n for n, _ in MIX]
    weights = [w for _, w in MIX]

    class ParleyUser(FastHttpUser):
        host = args.host
        wait_time = wait

        def on_start(self) -> None:
            n = next(counter)
            self.persona = personas[n % len(personas)]
            self.browser = n % 2 == 0
            self.rng = __import__("random").Random(args.seed * 1000 + n)
            self.notes: list[str] = []
            self.seq = 0
            if self.browser:
                self.headers = {
                    "Cookie": f"parley_session={self.persona['cookie']}",
                    "X-CSRF-Token": self.persona["csrf"],
                }
            else:
                self.headers = {"Authorization": f"Bearer {self.persona['token']}"}

        def _check(self, response: Any, expected: int) -> None:
            if response.status_code != expected:
                body = (response.text or "")[:120].replace("\n", " ")
                response.failure(f"HTTP {response.status_code}: {body}")

        @task
        def one(self) -> None:
            api = plan["api"]
            choice = self.rng.choices(names, weights)[0]
            writes = self.persona["space"] != ""
            if choice == "new note" and writes:
                self.seq += 1
                body = {
                    "title": f"Load note {self.persona['user']} {self.seq}",
                    "text": "An illustrative note written by the load test.",
                    "space": self.persona["space"],
                }
                with self.client.post(
                    f"{api}/notes", json=body, headers=self.headers, name="POST note",
                    catch_response=True,
                ) as r:  # fmt: skip
                    self._check(r, 201)
                    if r.status_code == 201:
                        self.notes.append(r.json()["id"])
            elif choice == "position" and writes:
                body = {
                    "provision_id": self.rng.choice(plan["provisions"]),
                    "stance": self.rng.choice(["accept", "reject", "accept_with_changes"]),
                    "priority": self.rng.randint(0, 100),
                    "reason": f"Load {self.persona['user']} {self.seq}",
                }
                with self.client.post(
                    f"{api}/positions", json=body, headers=self.headers, name="POST position",
                    catch_response=True,
                ) as r:  # fmt: skip
                    self._check(r, 201)
            elif choice == "own note" and self.notes:
                note = self.rng.choice(self.notes)
                with self.client.get(
                    f"{api}/notes/{note}", headers=self.headers, name="GET note",
                    catch_response=True,
                ) as r:  # fmt: skip
                    self._check(r, 200)
            elif choice == "notes":
                with self.client.get(
                    f"{api}/notes", headers=self.headers, name="GET notes", catch_response=True
                ) as r:
                    self._check(r, 200)
            elif choice == "positions":
                with self.client.get(
                    f"{api}/positions", headers=self.headers, name="GET positions",
                    catch_response=True,
                ) as r:  # fmt: skip
                    self._check(r, 200)
            else:
                with self.client.get(
                    api, headers=self.headers, name="GET dashboard", catch_response=True
                ) as r:
                    self._check(r, 200)

    class CeilingUser(FastHttpUser):
        host = args.host
        wait_time = wait

        @task
        def one(self) -> None:
            with self.client.get("/ceiling", name="GET ceiling", catch_response=True) as r:
                self._check(r)

        def _check(self, response: Any) -> None:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    user_class = CeilingUser if plan["kind"] == "ceiling" else ParleyUser
    env = Environment(user_classes=[user_class], events=events)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=max(args.users / 1.0, 1))
    gevent.spawn_later(WARMUP + args.duration, runner.quit)
    runner.greenlet.join()
    # Requests still in flight when the runner stops are cut off, not failed: leave them out.
    measured = [s for s in samples if WARMUP <= s[0] < WARMUP + args.duration]
    Path(args.out).write_text(json.dumps(summarise(measured, args.duration)))


def summarise(samples: list[tuple[float, str, float, str]], seconds: float) -> dict[str, Any]:
    times = sorted(s[2] for s in samples)
    errors: dict[str, int] = {}
    for _, name, _, error in samples:
        if error:
            key = f"{name}: {error[:140]}"
            errors[key] = errors.get(key, 0) + 1

    def pct(q: float) -> float:
        if not times:
            return float("nan")
        return round(times[min(len(times) - 1, int(q * len(times)))], 1)

    per_name: dict[str, int] = {}
    for _, name, _, _ in samples:
        per_name[name] = per_name.get(name, 0) + 1
    failed = sum(errors.values())
    return {
        "requests": len(samples),
        "rps": round(len(samples) / seconds, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(times[-1], 1) if times else float("nan"),
        "errors": failed,
        "error_rate": round(failed / len(samples), 5) if samples else 0.0,
        "error_kinds": dict(sorted(errors.items(), key=lambda kv: -kv[1])[:8]),
        "per_request": per_name,
    }


# ---------------------------------------------------------------- the orchestrator


def _harness() -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    from reliability import harness

    return harness


def _run_driver(
    host: str, plan: dict[str, Any], work: Path, *, users: int, seconds: float, think: float,
    seed: int,
) -> dict[str, Any]:  # fmt: skip
    plan_file = work / f"plan-{time.monotonic_ns()}.json"
    out = work / f"result-{time.monotonic_ns()}.json"
    plan_file.write_text(json.dumps(plan))
    command = [sys.executable, str(Path(__file__).resolve()), "--drive", "--host", host]
    command += ["--plan", str(plan_file), "--out", str(out), "--users", str(users)]
    command += ["--duration", str(seconds), "--think", str(think), "--seed", str(seed)]
    # Our own script and arguments, no shell.
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 300)  # noqa: S603
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"the load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def _plan(database: Any) -> dict[str, Any]:
    personas = [
        {
            "user": user,
            "token": database.tokens[user],
            "cookie": database.sessions[user][0],
            "csrf": database.sessions[user][1],
            "space": database.spaces.get(user, ""),
        }
        for user in sorted(database.tokens)
        if user in database.spaces
    ]
    return {
        "kind": "parley",
        "api": "/api/v1/processes/durability",
        "personas": personas,
        "provisions": database.provisions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 users, 3 s, SQLite")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured a run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profiles", default="paced,flat-out")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    # the child process
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--plan", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--think", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args)
        return
    if args.quick:
        args.users, args.duration, args.backends, args.profiles = 10, 3.0, "sqlite", "flat-out"
    think = {"paced": 1.0, "flat-out": 0.0}
    profiles = [p for p in args.profiles.split(",") if p]
    backends = [b for b in args.backends.split(",") if b]
    harness = _harness()
    if "postgresql" in backends and (problem := harness.postgres_problem()) is not None:
        print(f"!!! PostgreSQL skipped: {problem}", file=sys.stderr)
        backends.remove("postgresql")
    rows: list[dict[str, Any]] = []
    print(f"{args.users} users, {args.duration:.0f} s measured a run, uvicorn --workers "
          f"{args.workers}, {os.cpu_count()} cores", file=sys.stderr)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="parley-load-") as tmp:
        work = Path(tmp)
        targets: list[tuple[str, Any, Any]] = [("ceiling", None, None)]
        for backend in backends:
            targets.append((backend, None, None))
        for name, _, _ in targets:
            log = work / f"{name}.log"
            database = None
            if name == "ceiling":
                server = harness.Server(
                    "sqlite://", log, workers=args.workers, app="load:ceiling_app",
                    env={"PYTHONPATH": str(Path(__file__).resolve().parent)},
                )  # fmt: skip
                plan: dict[str, Any] = {"kind": "ceiling"}
            else:
                database = harness.prepare_database(name, work / name, extra_users_per_party=4)
                # The mix uses no heavy engine: no warm-up competing for the cores in the run.
                server = harness.Server(
                    database.url, log, workers=args.workers, env={"PARLEY_WARM_ENGINES": "false"}
                )
                plan = _plan(database)
            try:
                host = server.start()
                for profile in profiles:
                    figures = _run_driver(
                        host, plan, work, users=args.users, seconds=args.duration,
                        think=think[profile], seed=args.seed,
                    )  # fmt: skip
                    figures |= {"target": name, "profile": profile}
                    rows.append(figures)
                    print(_line(figures), file=sys.stderr)
            finally:
                server.stop()
                if database is not None:
                    database.drop()
            text = log.read_text(errors="replace")
            exceptions: dict[str, int] = {}
            for line in re.findall(r"^[\w.]+(?:Error|Exception|Timeout)\b.*$", text, re.M):
                exceptions[line[:160]] = exceptions.get(line[:160], 0) + 1
            for row in rows:
                if row["target"] == name:
                    row["database_is_locked_in_log"] = text.count("database is locked")
                    row["server_exceptions"] = exceptions
    _report(rows, args)


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['target']:>10} {row['profile']:>8}: {row['rps']:7.1f} req/s"
        f"  p50 {row['p50_ms']:6.1f}  p95 {row['p95_ms']:6.1f}  p99 {row['p99_ms']:6.1f} ms"
        f"  errors {row['error_rate']:.3%}"
    )


def _report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    ceiling = {r["profile"]: r for r in rows if r["target"] == "ceiling"}
    print("\n| target | profile | req/s | p50 ms | p95 ms | p99 ms | errors | vs ceiling req/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        base = ceiling.get(row["profile"])
        ratio = f"{row['rps'] / base['rps']:.2f}" if base and base["rps"] else "-"
        print(
            f"| {row['target']} | {row['profile']} | {row['rps']:.1f} | {row['p50_ms']:.1f} | "
            f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['error_rate']:.3%} | {ratio} |"
        )
    for row in rows:
        if row["target"] == "ceiling" or row["profile"] != "paced":
            continue
        base = ceiling.get("paced")
        served = row["rps"] / base["rps"] if base and base["rps"] else 0.0
        p95, p99 = row["p95_ms"], row["p99_ms"]
        checks = [
            (f"p95 {p95:.0f} ms > {GOALS['p95_ms']:.0f}", p95 <= GOALS["p95_ms"]),
            (f"p99 {p99:.0f} ms > {GOALS['p99_ms']:.0f}", p99 <= GOALS["p99_ms"]),
            (f"errors {row['error_rate']:.3%}", row["error_rate"] < GOALS["error_rate"]),
            (f"served {served:.0%} of the ceiling's req/s", served >= SERVED_VS_CEILING),
        ]
        missed = [label for label, ok in checks if not ok]
        verdict = "met" if not missed else "MISSED (" + "; ".join(missed) + ")"
        print(f"goals ({row['target']}, paced, {args.users} users): {verdict}")
    for row in rows:
        if row["errors"]:
            print(f"errors ({row['target']}, {row['profile']}): {row['error_kinds']}")
        if row.get("server_exceptions"):
            print(f"exceptions in the {row['target']} server log: {row['server_exceptions']}")
        if row.get("database_is_locked_in_log"):
            print(f"'database is locked' in the {row['target']} server log: "
                  f"{row['database_is_locked_in_log']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
