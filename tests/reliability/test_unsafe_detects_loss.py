"""Proof that the durability harness can fail.

1. The power-cut shim keeps exactly what was synced: a plain SQLite writer under it keeps all
   of its rows across a simulated power cut with synchronous=FULL, and none with NORMAL or OFF
   (in WAL mode NORMAL syncs only at checkpoints, OFF never).
2. The harness, run against a server whose SQLite engine was switched to synchronous=OFF
   (tests/reliability/unsafe/sitecustomize.py), reports acknowledged writes as lost.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from reliability.harness import mark_durable, prepare_database, run_cycles, simulate_power_loss

WRITE_ROWS = """
import os, sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA synchronous=" + sys.argv[2])
for i in range(40):
    connection.execute("INSERT INTO t VALUES (?)", (i,))
os._exit(0)  # like SIGKILL: no close, no checkpoint
"""


@pytest.mark.parametrize(("synchronous", "rows_left"), [("FULL", 40), ("NORMAL", 0), ("OFF", 0)])
def test_the_shim_keeps_what_was_synced_and_drops_the_rest(
    tmp_path: Path, shim: Path, synchronous: str, rows_left: int
) -> None:
    # Prepared like the harness's databases: already in WAL mode, synced, no journal.
    path = tmp_path / "t.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    mark_durable(path)
    env = {**os.environ, "LD_PRELOAD": str(shim), "PARLEY_POWERLOSS_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", WRITE_ROWS, str(path), synchronous], env=env, check=True)
    with closing(sqlite3.connect(path)) as before:
        assert before.execute("SELECT count(*) FROM t").fetchone() == (40,)  # a crash keeps all
    simulate_power_loss(path)
    with closing(sqlite3.connect(path)) as after:
        assert after.execute("SELECT count(*) FROM t").fetchone() == (rows_left,)


def _modes(long_run: bool) -> list[str]:
    return ["OFF", "NORMAL"] if long_run else ["OFF"]


@pytest.mark.parametrize("synchronous", ["OFF", "NORMAL"])
def test_the_harness_detects_loss_when_sqlite_does_not_sync(
    tmp_path: Path, shim: Path, long_run: bool, synchronous: str
) -> None:
    if synchronous not in _modes(long_run):
        pytest.skip("synchronous=NORMAL runs in the long version only (PARLEY_LONG_RELIABILITY=1)")
    database = prepare_database("sqlite", tmp_path)
    figures = run_cycles(
        database,
        tmp_path,
        cycles=3 if long_run else 1,
        seed=13,
        shim=shim,
        unsafe_synchronous=synchronous,
        log=print,
    )
    print(json.dumps(figures.as_json(), indent=1))
    active = tmp_path / "unsafe-active"
    assert active.exists() and f"synchronous={synchronous}" in active.read_text()
    assert figures.acknowledged > 0
    assert figures.lost > 0, "the unsafe setting lost nothing: the harness cannot see loss"
    assert figures.first_loss_cycle == 1
