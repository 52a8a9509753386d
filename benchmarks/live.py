"""Live updates: what 500 open pages cost the database when nothing changes (PostgreSQL).

A Parley server (``uvicorn --workers 2``) serves the reliability scenario from a fresh
PostgreSQL database; 500 browser-like clients (session cookies of the scenario's users) open
``/p/{key}/events`` and keep it open. Once every stream has sent its first line, the database's
transaction counter (``pg_stat_database.xact_commit + xact_rollback``) is read, the pages stay
open and idle for ``--seconds``, and it is read again: the difference (less this benchmark's own
reads) is what the idle pages cost. Then one change is written and the benchmark counts the
pages that heard of it, and the transactions that cost.

    python benchmarks/live.py [--pages 500] [--seconds 30]

Goal (issue 18): < 5 queries/s for 500 idle pages. Before, every page polled every 2 s:
500 / 2 = 250 queries/s whatever happened.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from reliability import harness  # noqa: E402


def transactions(name: str) -> int:
    import psycopg

    with psycopg.connect(harness.PG_ADMIN, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", (name,)
        ).fetchone()
        return int(row[0]) if row else 0


def write_one_change(url: str) -> None:
    import sqlalchemy as sa

    from parley.audit.service import record
    from parley.authz import Actor
    from parley.db.engine import create_db_engine, write_session
    from parley.processes.models import Process

    engine = create_db_engine(url)
    try:
        with write_session(engine) as s:
            process_id = s.scalars(sa.select(Process.id).where(Process.key == harness.KEY)).one()
            record(
                s, actor=Actor.system("benchmark:live"), process_id=process_id, space="public",
                action="benchmark:live", object_type="benchmark", object_id=uuid.uuid4(),
                changes={},
            )  # fmt: skip
    finally:
        engine.dispose()


async def page(
    client: httpx.AsyncClient, cookie: str, opened: asyncio.Event, heard: list[int], i: int
) -> None:
    path = f"/p/{harness.KEY}/events"
    async with client.stream("GET", path, headers={"Cookie": f"parley_session={cookie}"}) as r:
        r.raise_for_status()
        async for line in r.aiter_lines():
            if line.startswith("retry"):
                opened.set()
            if line.startswith("event: change"):
                heard[i] += 1


async def run(args: argparse.Namespace, database: Any, host: str, db_name: str) -> None:
    cookies = [cookie for cookie, _ in database.sessions.values()]
    limits = httpx.Limits(max_connections=args.pages + 10, max_keepalive_connections=0)
    timeout = httpx.Timeout(60.0, read=None)  # a stream may stay quiet for long
    baseline = await asyncio.to_thread(transactions, db_name)
    await asyncio.sleep(args.seconds / 2)
    baseline = max(await asyncio.to_thread(transactions, db_name) - baseline - 1, 0)
    print(f"no page open, {args.seconds / 2:.0f} s: {baseline} transactions "
          f"({baseline / (args.seconds / 2):.2f}/s: the server's own background work)")  # fmt: skip
    async with httpx.AsyncClient(base_url=host, timeout=timeout, limits=limits) as client:
        events = [asyncio.Event() for _ in range(args.pages)]
        heard = [0] * args.pages
        tasks = [
            asyncio.create_task(page(client, cookies[i % len(cookies)], events[i], heard, i))
            for i in range(args.pages)
        ]
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in events)), 600)
        print(f"{args.pages} pages open in {time.perf_counter() - started:.1f} s")
        await asyncio.sleep(3)  # let the last opening queries finish and the stats flush
        before = await asyncio.to_thread(transactions, db_name)
        await asyncio.sleep(args.seconds)
        after = await asyncio.to_thread(transactions, db_name)
        idle = max(after - before - 1, 0)  # one of them is our own read
        print(f"idle for {args.seconds:.0f} s: {idle} transactions, {idle / args.seconds:.2f}/s "
              f"(goal < 5/s: {'met' if idle / args.seconds < 5 else 'MISSED'})")  # fmt: skip
        before = await asyncio.to_thread(transactions, db_name)
        await asyncio.to_thread(write_one_change, database.url)
        await asyncio.sleep(5)
        after = await asyncio.to_thread(transactions, db_name)
        print(f"one change: heard by {sum(1 for h in heard if h)} of {args.pages} pages, "
              f"{max(after - before - 2, 0)} transactions (the write, and one look per user "
              f"and worker)")  # fmt: skip
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30.0, help="idle time measured")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if (problem := harness.postgres_problem()) is not None:
        raise SystemExit(f"PostgreSQL is needed: {problem}")
    print(f"load average {os.getloadavg()[0]:.2f}; uvicorn --workers {args.workers}")
    with tempfile.TemporaryDirectory(prefix="parley-live-") as tmp:
        database = harness.prepare_database("postgresql", Path(tmp), extra_users_per_party=4)
        server = harness.Server(
            database.url, Path(tmp) / "server.log", workers=args.workers,
            env={"PARLEY_WARM_ENGINES": "false"},
        )  # fmt: skip
        try:
            host = server.start()
            asyncio.run(run(args, database, host, database.pg_name or ""))
        finally:
            server.stop()
            database.drop()


if __name__ == "__main__":
    main()
