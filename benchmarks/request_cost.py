"""CPU time per request of the main pages and JSON lists, in one process, on the Miami demo,
against a bare Starlette endpoint served the same way in the same run (the ceiling).

    python benchmarks/request_cost.py  # SQLite and PostgreSQL, 20 rounds
    python benchmarks/request_cost.py --quick  # SQLite, 5 rounds
    python benchmarks/request_cost.py --baseline-src OLD/src  # also OLD/src, alternating

Requests go through ``httpx.ASGITransport`` with FastAPI's thread-pool calls run inline, so the
figure is the Python a request costs (routing, dependencies, statements, rendering, the driver)
without the network or uvicorn, and — unlike ``benchmarks/load.py`` on a busy machine — it
hardly moves with the machine's other load: CPU time, not wall time. With ``--baseline-src``
each round runs the old code and the new one in turn (fresh processes each), so both see the
same load. "load mix" is ``benchmarks/load.py``'s read mix, weighted as there (dashboard 30,
notes 25, positions 20, one record 10: a document, as the Miami user has no note); its reads
are 85 % of that benchmark's requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEY = "miami-2025"
API = f"/api/v1/processes/{KEY}"
PAGES = [
    ("home", "/"),
    ("dashboard", f"/p/{KEY}"),
    ("texts", f"/p/{KEY}/texts"),
    ("text plan20", f"/p/{KEY}/texts/plan20"),
    ("positions", f"/p/{KEY}/positions"),
    ("plan", f"/p/{KEY}/plan"),
    ("ledger", f"/p/{KEY}/ledger"),
    ("history", f"/p/{KEY}/history"),
    ("search", f"/p/{KEY}/search?q=security"),
    ("notes", f"/p/{KEY}/notes"),
    ("api dashboard", API),
    ("api processes", "/api/v1/processes"),
    ("api texts", f"{API}/texts"),
    ("api positions", f"{API}/positions"),
    ("api notes", f"{API}/notes"),
    ("api record", f"{API}/documents/{{record}}"),
    ("api plan", f"{API}/plan"),
    ("api ledger", f"{API}/ledger"),
    ("api history", f"{API}/history"),
    ("api search", f"{API}/search?q=security"),
]
MIX = {"api dashboard": 30, "api notes": 25, "api positions": 20, "api record": 10}


def measure(backend: str, rounds: int) -> dict[str, Any]:
    """In this process: CPU ms per request of each page (median over rounds), and the ceiling."""
    import anyio.to_thread

    async def inline(func: Any, *args: Any, **_kw: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    sys.path.insert(0, str(ROOT / "tests"))
    import httpx
    import sqlalchemy as sa
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from parley.app import create_app
    from support.databases import TemplateDatabases, fill_miami
    from web.support import make_settings

    async def ok(_request: Any) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    ceiling = Starlette(routes=[Route("/ceiling", ok)])
    tmp = Path(tempfile.mkdtemp(prefix="parley-requests-"))
    templates = TemplateDatabases("requests", tmp, fill_miami)
    url, sessions = templates.copy(backend, tmp)
    app = create_app(make_settings(url))
    engine: sa.Engine = app.state.engine
    statements = [0]
    sa.event.listen(
        engine,
        "before_cursor_execute",
        lambda *_a, **_k: statements.__setitem__(0, statements[0] + 1),
    )

    async def run() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=app)
        base = "http://testserver"
        bare_transport = httpx.ASGITransport(app=ceiling)
        async with (
            httpx.AsyncClient(transport=transport, base_url=base) as client,
            httpx.AsyncClient(transport=bare_transport, base_url=base) as bare,
        ):
            client.cookies.set("parley_session", sessions["ukraine"][0])
            records = (await client.get(f"{API}/documents")).json()["items"]
            pages = [(n, p.replace("{record}", records[0]["id"])) for n, p in PAGES]
            counts: dict[str, int] = {}
            for name, path in pages:  # warm: the first request of each compiles its statements
                response = await client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                statements[0] = 0
                await client.get(path)
                counts[name] = statements[0]
            for _ in range(50):
                await bare.get("/ceiling")
            cpu: dict[str, list[float]] = {name: [] for name, _ in pages}
            cpu["ceiling"] = []
            for _ in range(rounds):
                for name, path in pages:
                    started = time.process_time()
                    await client.get(path)
                    cpu[name].append((time.process_time() - started) * 1000)
                started = time.process_time()
                for _ in range(20):
                    await bare.get("/ceiling")
                cpu["ceiling"].append((time.process_time() - started) * 1000 / 20)
            return {
                "ms": {name: statistics.median(values) for name, values in cpu.items()},
                "statements": counts,
            }

    try:
        result = asyncio.run(run())
    finally:
        engine.dispose()
        templates.drop(url)
        templates.cleanup()
    mix = sum(result["ms"][n] * w for n, w in MIX.items()) / sum(MIX.values())
    result["ms"]["load mix"] = mix
    result["load"] = os.getloadavg()[0]
    return result


def _child(src: Path, backend: str, rounds: int) -> dict[str, Any]:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{ROOT / 'tests'}")
    command = [sys.executable, str(Path(__file__).resolve()), "--child", backend]
    command += ["--rounds", str(rounds), "--out", str(out)]
    subprocess.run(command, check=True, env=env)  # noqa: S603 (our own script)
    result: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="SQLite, 5 rounds")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--baseline-src", type=Path, help="the src/ of the code to compare with")
    parser.add_argument("--runs", type=int, default=2, help="alternating runs per code")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        args.out.write_text(json.dumps(measure(args.child, args.rounds)))
        return
    if args.quick:
        args.rounds, args.backends, args.runs = 5, "sqlite", 1
    codes = {"now": ROOT / "src"}
    if args.baseline_src:
        codes = {"before": args.baseline_src.resolve(), **codes}
    for backend in [b for b in args.backends.split(",") if b]:
        runs: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
        for _ in range(args.runs):
            for code, src in codes.items():
                runs[code].append(_child(src, backend, args.rounds))
        _report(backend, runs)


def _report(backend: str, runs: dict[str, list[dict[str, Any]]]) -> None:
    """Best (lowest) of the runs for each code; the ratio is taken on each run's figures divided
    by its own ceiling, so that a run on a busier machine does not pass for slower code."""
    codes = list(runs)
    names = [n for n in runs[codes[-1]][0]["ms"] if n != "ceiling"]
    loads = [r["load"] for rs in runs.values() for r in rs]
    print(
        f"\n{backend}: CPU ms per request, best of {len(runs[codes[-1]])} runs (median of each "
        f"run's rounds); load average {min(loads):.1f}-{max(loads):.1f}"
    )
    head = " | ".join(f"{c} ms | {c} statements" for c in codes)
    print(f"| page | {head} |" + (" before / now |" if len(codes) == 2 else ""))
    print("|---" * (1 + 2 * len(codes) + (len(codes) == 2)) + "|")

    def best(code: str, name: str, *, relative: bool = False) -> float:
        return min(r["ms"][name] / (r["ms"]["ceiling"] if relative else 1) for r in runs[code])

    for name in [*names, "ceiling"]:
        cells = []
        for code in codes:
            count = runs[code][0]["statements"].get(name, "")
            cells.append(f"{best(code, name):.2f} | {count}")
        ratio = ""
        if len(codes) == 2 and name != "ceiling":
            ratio = (
                f" {best('before', name, relative=True) / best('now', name, relative=True):.2f}× |"
            )
        print(f"| {name} | " + " | ".join(cells) + " |" + ratio)
    for code in codes:
        print(f"load mix / ceiling ({code}): {best(code, 'load mix', relative=True):.1f}×")


if __name__ == "__main__":
    main()
