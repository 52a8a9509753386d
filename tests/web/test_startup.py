"""Start-up cost: building the app must not import the heavy engines. Each web worker pays for
what ``create_app()`` imports; spaCy, OR-Tools, SciPy and friends load in the background once
the worker serves (parley.warmup), so no request pays for them either."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = (
    "docx",
    "highspy",
    "lxml",
    "ortools",
    "pandas",
    "plotly",
    "rapidfuzz",
    "rustworkx",
    "scipy",
    "spacy",
)

PROBE = """
import json, sys
from parley.app import create_app
create_app()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    """Top-level packages imported by ``code`` in a fresh interpreter."""
    env = {**os.environ, "PARLEY_DATABASE_URL": f"sqlite:///{tmp_path / 'startup.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_building_the_app_imports_no_heavy_engine(tmp_path: Path) -> None:
    loaded = _modules_after(PROBE, tmp_path)
    assert "fastapi" in loaded and "parley" in loaded  # the probe did build the app
    assert sorted(loaded & set(HEAVY)) == []


WARM_PROBE = """
import json, sys
from fastapi.testclient import TestClient
from parley.app import create_app
from parley.config import Settings
app = create_app(Settings(database_url=sys.argv[1], environment="development"))
with TestClient(app) as client:  # the lifespan runs: the worker "serves"
    assert client.get("/api/v1/health").status_code == 200
    from parley import warmup
    warmup.start().join(timeout=300)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_a_serving_worker_imports_its_engines_in_the_background(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'warm.db'}"
    done = subprocess.run(
        [sys.executable, "-c", WARM_PROBE, url], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"ortools", "scipy", "spacy", "docx", "lxml", "plotly", "rapidfuzz"} <= loaded


def test_the_warm_up_is_a_setting() -> None:
    from parley.config import Settings

    assert Settings(database_url="sqlite://", environment="development").warm_engines is True
