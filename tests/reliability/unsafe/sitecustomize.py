"""DELIBERATELY UNSAFE: loaded only by the durability harness's proof-it-can-fail run.

The harness starts the server with ``PYTHONPATH=tests/reliability/unsafe``, so that Python
imports this file at start-up. When ``PARLEY_UNSAFE_SYNCHRONOUS`` is set (OFF or NORMAL), every
SQLite engine Parley creates runs with that ``synchronous`` setting instead of FULL: commits are
acknowledged without being forced to disk. The file named by ``PARLEY_UNSAFE_MARKER`` records
that the patch really took effect, so the test cannot pass by accident on a safe server.
Never put this directory on a real server's path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_MODE = os.environ.get("PARLEY_UNSAFE_SYNCHRONOUS", "").upper()

if _MODE in ("OFF", "NORMAL"):
    import parley.db.engine as _engine

    _original = _engine.create_db_engine

    def _unsafe_engine(url: str, *, synchronous: str = "FULL", **options: Any) -> Any:
        marker = os.environ.get("PARLEY_UNSAFE_MARKER")
        if marker:
            Path(marker).write_text(f"synchronous={_MODE} for {url}\n")
        return _original(url, synchronous=_MODE, **options)

    _engine.create_db_engine = _unsafe_engine
