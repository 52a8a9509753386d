"""bandit over src/parley: every finding is fixed or explained in accepted_findings.md.

A row under "bandit" names the test id, a glob on the file (relative to the repository), a
glob on bandit's message, and why the finding is accepted. Line numbers are left out on
purpose: they move with every edit. The test fails on a finding no row covers, and on a row
that no longer matches anything (so the file stays honest).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from security.findings import accepted

ROOT = Path(__file__).resolve().parents[2]


def _bandit() -> dict[str, object]:
    pytest.importorskip("bandit")
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", "src/parley", "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.stdout.strip(), done.stderr[-2000:]  # exit 1 just means "found something"
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_bandit_finds_nothing_that_is_not_explained() -> None:
    report = _bandit()
    assert report["errors"] == [], report["errors"]
    rows = accepted("bandit")
    unexplained = []
    used = set()
    for result in report["results"]:  # type: ignore[attr-defined]
        where = str(result["filename"])
        text = str(result["issue_text"])
        hits = [r for r in rows if r.matches(result["test_id"], where, text)]
        used.update(hits)
        if not hits:
            unexplained.append(
                f"{result['test_id']} {where}:{result['line_number']} "
                f"[{result['issue_severity']}] {text}"
            )
    stale = [r.key for r in rows if r not in used]
    assert not unexplained, (
        "bandit findings with no row in tests/security/accepted_findings.md (fix them, or add a "
        "row saying why they are safe):\n" + "\n".join(unexplained)
    )
    assert not stale, f"rows under 'bandit' that match nothing any more; remove them: {stale}"
