"""kill -9 under concurrent writes, on SQLite (each kill also a simulated power cut) and on
PostgreSQL: every acknowledged write survives, nothing is half-written, the audit chains verify.

Short in the suite (2 cycles each); ``PARLEY_LONG_RELIABILITY=1`` runs 25 cycles each, or
``PARLEY_RELIABILITY_CYCLES``. The figures are printed (run with ``-s``) and recorded in
docs/reliability.md.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reliability.conftest import require_backend
from reliability.harness import Figures, prepare_database, run_cycles


def _cycles(long_run: bool) -> int:
    return int(os.environ.get("PARLEY_RELIABILITY_CYCLES", "25" if long_run else "2"))


def _assert_durable(figures: Figures) -> None:
    report = json.dumps(figures.as_json(), indent=1)
    print(report)
    assert figures.acknowledged > 0, "no write was acknowledged: the harness tested nothing"
    assert figures.lost == 0, report
    assert figures.read_back_missing == 0, report
    assert figures.half_written == 0, report
    assert figures.verify_ok and figures.integrity == "ok", report
    assert figures.parley_verify_exit == 0, report


def test_sqlite_keeps_every_acknowledged_write_through_kills_and_power_cuts(
    tmp_path: Path, shim: Path, long_run: bool
) -> None:
    database = prepare_database("sqlite", tmp_path)
    figures = run_cycles(
        database, tmp_path, cycles=_cycles(long_run), seed=11, shim=shim, log=print
    )
    assert figures.mode == "kill -9 + power cut"
    _assert_durable(figures)


@pytest.mark.postgres
def test_postgresql_keeps_every_acknowledged_write_through_kills(
    tmp_path: Path, long_run: bool
) -> None:
    require_backend("postgresql")
    database = prepare_database("postgresql", tmp_path)
    try:
        figures = run_cycles(database, tmp_path, cycles=_cycles(long_run), seed=12, log=print)
    finally:
        database.drop()
    _assert_durable(figures)
