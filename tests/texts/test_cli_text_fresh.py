"""``parley text`` commands that write, run in a fresh process as an operator runs them.

The other CLI tests run in the test process, which has imported every model; a command run on its
own must load them itself (``parley text import`` with a parent and ``parley text sign`` once
failed with ``NoReferencedTableError`` on ``users``). Each fresh process costs seconds, so
this runs the commands that write; a CLI-wide test runs every command once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import COUNTER, US_DRAFT

SRC = Path(__file__).resolve().parents[2] / "src"
ENTRY = "import sys; from parley.cli import app; sys.argv[0] = 'parley'; app()"


def _parley(*args: str, cwd: Path, input: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        input=input,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def _last_json(stdout: str) -> dict[str, object]:
    """The JSON object a command printed (after a passphrase prompt, if any)."""
    data = json.loads(stdout[stdout.index("{") :])
    assert isinstance(data, dict)
    return data


def test_import_with_a_parent_freeze_keygen_and_sign_work_in_a_fresh_process(
    small_url: str, tmp_path: Path
) -> None:
    if not small_url.startswith("sqlite"):
        # Loading the models does not depend on the backend; each fresh process costs seconds.
        pytest.skip("one backend is enough for the fresh-process check")
    db = ["--db", small_url]

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        done = _parley("text", *args, *db, cwd=tmp_path, input=input)
        assert done.returncode == 0, f"parley text {args[0]}: {done.stderr}"
        assert "Traceback" not in done.stderr
        return done

    run("import", "--document", "plan20", "--version", "us", str(US_DRAFT), "--author", "MED")
    counter = run(
        "import",
        "--document",
        "plan20",
        "--version",
        "counter",
        str(COUNTER),
        "--author",
        "AAA",
        "--parent",
        "us",
    )
    matched = _last_json(counter.stdout)["matched"]
    assert isinstance(matched, dict) and matched["same"] >= 10
    run("freeze", "plan20", "counter")
    run("keygen", "--party", "AAA", input="AAA passphrase!\nAAA passphrase!\n")
    signed = run("sign", "plan20", "counter", "--party", "AAA", input="AAA passphrase!\n")
    assert _last_json(signed.stdout)["party"] == "AAA"
