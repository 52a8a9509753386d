"""Start-up cost: building the app must not import the heavy engines. Each web worker pays for
what ``create_app()`` imports; spaCy, OR-Tools, SciPy and friends load on first use instead."""

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
