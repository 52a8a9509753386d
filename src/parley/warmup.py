"""Warm workers: once a web worker serves, it imports its heavy engines in the background.

Building the app imports none of them (``tests/web/test_startup.py``), so a worker starts
fast; without this, the first optimizer run, redline, DOCX or Akoma Ntoso export, Gantt chart
or intake in each worker paid for importing its engine (0.4 s to 3 s). :func:`start` runs
:func:`warm` in a daemon thread right after start-up: the worker answers requests meanwhile,
and a request that needs an engine still being imported waits only for the rest of that
import (Python's import lock), never for a second one.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
import time
from types import ModuleType

log = logging.getLogger(__name__)

# What the capability views import on first use, heaviest first.
ENGINES = (
    "parley.positions.optimizer",  # NumPy, OR-Tools (pandas), HiGHS
    "scipy.optimize",  # the optimizer's LP fallback, provision matching
    "parley.intake.extract",  # spaCy
    "parley.intake.runner",
    "parley.texts.matching",  # RapidFuzz, SciPy
    "parley.texts.docx_export",  # python-docx, lxml
    "parley.texts.akn",  # lxml
    "parley.sequencing.gantt",  # Plotly
    "plotly.graph_objects",
    "scipy.sparse.csgraph",  # the temporal network's windows on large plans
)

# A tiny illustrative problem: solving it once initialises the solvers' native libraries.
_PROBLEM = {
    "parties": ["A", "B"],
    "disagreement": {"A": 0, "B": 0},
    "provisions": [
        {
            "id": "p",
            "priority": {"A": 100, "B": 100},
            "options": [
                {"id": "x", "utility": {"A": 100, "B": 0}},
                {"id": "y", "utility": {"A": 30, "B": 70}},
            ],
        }
    ],
    "linkages": [],
}

_started = threading.Lock()
_thread: threading.Thread | None = None


def warm(modules: tuple[str, ...] = ENGINES, *, model: bool = True) -> dict[str, float]:
    """Import ``modules`` (and load spaCy's model once); seconds spent on each, by name.

    A module that fails to import is logged and skipped: the request that needs it will
    report the failure as it always did.
    """
    spent: dict[str, float] = {}
    for name in modules:
        started = time.perf_counter()
        try:
            importlib.import_module(name)
            if name == "parley.positions.optimizer":
                _first_run()
        except Exception:  # pragma: no cover - a broken optional engine must not stop a worker
            log.exception("warm-up: %s failed", name)
        spent[name] = time.perf_counter() - started
    if model:
        started = time.perf_counter()
        try:
            from parley.intake.nlp import load_base

            load_base()  # the model's files and pipeline components, read once
        except Exception:  # pragma: no cover - a missing model is reported by intake itself
            log.exception("warm-up: loading spaCy's model failed")
        spent["spaCy model"] = time.perf_counter() - started
    log.info(
        "warm-up: %.1f s (%s)",
        sum(spent.values()),
        ", ".join(f"{k} {v:.2f}" for k, v in spent.items()),
    )
    return spent


def _first_run() -> None:
    """Solve a tiny problem once: the solvers' native libraries and caches initialise."""
    from parley.positions.optimizer import Objective, solve
    from parley.positions.problem import parse_problem

    problem = parse_problem(_PROBLEM)
    for objective in (Objective.MAXMIN, Objective.NASH, Objective.PARETO):
        solve(problem, objective)


def start() -> threading.Thread:
    """Warm this process once, in a daemon thread (a second call returns the first thread)."""
    global _thread
    with _started:
        if _thread is None:
            _thread = threading.Thread(target=warm, name="parley-warm-up", daemon=True)
            _thread.start()
        return _thread


# Plotly looks these up in ``sys.modules`` without importing them (to accept their arrays).
_PEEKED_BY_PLOTLY = ("numpy", "pandas")


def plotly_objects() -> ModuleType:
    """``plotly.graph_objects``, once the modules Plotly peeks at are whole.

    While the warm-up imports OR-Tools, pandas sits half made in ``sys.modules``; a chart built
    meanwhile saw it there and failed ("partially initialized module 'pandas'"). Importing such
    a module here waits for the warm-up's import to finish (Python's module lock); when it is
    not being imported, this costs a dictionary lookup.
    """
    for name in _PEEKED_BY_PLOTLY:
        if name in sys.modules:
            importlib.import_module(name)
    import plotly.graph_objects as go

    return go
