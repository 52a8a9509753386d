"""Benchmark of the audit record states (issue 14): the Miami demo load, and ``parley verify``.

Run ``python benchmarks/audit.py`` (``--quick`` for one round). The baseline, in the same run,
is the same load with the record-state hash switched off (``parley.audit.service._state``
returning None), so the ratio is what hashing every record's new state costs a load. Figures are
CPU seconds (``time.process_time``), the minimum over the rounds, on a fresh SQLite file each.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from parley.audit import service
from parley.audit.verify import verify_all
from parley.authz import Actor
from parley.db import migrate
from parley.db.engine import create_db_engine, read_session, write_session
from parley.scenario.loader import load_scenario, read_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "examples" / "miami" / "scenario.yaml"


def _load(data: dict[str, Any], directory: Path, name: str) -> tuple[float, float]:
    engine = create_db_engine(f"sqlite:///{directory / name}.db")
    migrate.upgrade(engine)
    start = time.process_time()
    with write_session(engine) as session:
        load_scenario(session, data, actor=Actor.system("bench"))
    loaded = time.process_time() - start
    start = time.process_time()
    with read_session(engine) as session:
        report = verify_all(session)
    verified = time.process_time() - start
    engine.dispose()
    assert report.ok or name.startswith("off"), report.lines()
    return loaded, verified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    rounds = 1 if parser.parse_args().quick else 3
    data = read_scenario(SCENARIO)
    on: list[tuple[float, float]] = []
    off: list[float] = []
    original = service._state
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(rounds):
            service._state = lambda *args: None  # type: ignore[assignment]
            try:
                off.append(_load(data, Path(tmp), f"off{i}")[0])
            finally:
                service._state = original  # type: ignore[assignment]
            on.append(_load(data, Path(tmp), f"on{i}"))
    load_on = min(x for x, _ in on)
    verify = min(y for _, y in on)
    print(f"Miami load, record states off (baseline): {min(off):.2f} s CPU")
    print(f"Miami load, record states on:             {load_on:.2f} s CPU")
    print(f"ratio on/off: {load_on / min(off):.2f}x")
    print(f"parley verify of the loaded database:     {verify:.2f} s CPU")


if __name__ == "__main__":
    main()
