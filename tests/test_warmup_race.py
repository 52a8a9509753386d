"""A chart built while the warm-up imports pandas waits for pandas to be whole (Plotly peeks at
``sys.modules["pandas"]`` without importing it, and once found it half made)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys, threading, time
sys.path.insert(0, sys.argv[1])
started = threading.Event()
sys.modules_started = started
from parley.warmup import plotly_objects
warm = threading.Thread(target=lambda: __import__("pandas"))
warm.start()
started.wait(10)  # the slow pandas is now half made in sys.modules
assert "pandas" in sys.modules and not hasattr(sys.modules["pandas"], "Series")
plotly_objects()
print("whole" if hasattr(sys.modules["pandas"], "Series") else "half made")
"""

SLOW_PANDAS = """
import sys, time
sys.modules_started.set()
time.sleep(1.0)
class Series: ...
class Index: ...
"""


def test_plotly_objects_waits_for_a_module_the_warm_up_is_importing(tmp_path: Path) -> None:
    (tmp_path / "pandas").mkdir()
    (tmp_path / "pandas" / "__init__.py").write_text(SLOW_PANDAS, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "whole"
