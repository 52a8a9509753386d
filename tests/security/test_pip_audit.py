"""pip-audit: no installed package has a known vulnerability, or each one is explained.

pip-audit needs an advisory database from the network (PyPI's JSON API or OSV), one query per
installed package. It therefore runs only when asked, with ``PARLEY_NETWORK_TESTS=1`` (skipped
loudly if the service cannot be reached) or ``PARLEY_REQUIRE_NETWORK=1`` (then an unreachable
service fails the test). Without either it is skipped loudly. The offline half (pip-audit can
read the environment at all) always runs.

Accepted advisories are rows under "pip-audit" in accepted_findings.md: the advisory id (or one
of its aliases), a glob on the package name, and why it does not apply to Parley.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings

import pytest

from security.findings import accepted

PIP_AUDIT = [sys.executable, "-m", "pip_audit", "--local", "--skip-editable"]
PIP_AUDIT += ["--progress-spinner", "off"]


def _loud_skip(message: str) -> None:
    warnings.warn("!!! " + message, stacklevel=2)
    pytest.skip("!!! " + message)


def test_pip_audit_reads_the_environment_offline() -> None:
    pytest.importorskip("pip_audit")
    done = subprocess.run(
        [*PIP_AUDIT, "--dry-run", "-v"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    counted = re.search(r"would have audited (\d+) packages", done.stderr)
    assert counted is not None and int(counted.group(1)) > 50, done.stderr[-2000:]


def test_no_installed_package_has_an_unexplained_advisory() -> None:
    pytest.importorskip("pip_audit")
    required = os.environ.get("PARLEY_REQUIRE_NETWORK") == "1"
    if not (required or os.environ.get("PARLEY_NETWORK_TESTS") == "1"):
        _loud_skip(
            "pip-audit NOT RUN: it needs the advisory database from the network; set "
            "PARLEY_NETWORK_TESTS=1 (or PARLEY_REQUIRE_NETWORK=1 to fail when unreachable)"
        )
    done = subprocess.run([*PIP_AUDIT, "-f", "json"], capture_output=True, text=True, timeout=900)
    if not done.stdout.strip().startswith("{"):
        message = f"pip-audit could not query its advisory service: {done.stderr[-800:]}"
        if required:
            pytest.fail(message + " (PARLEY_REQUIRE_NETWORK=1)")
        _loud_skip(message)
    rows = accepted("pip-audit")
    open_advisories = []
    for dependency in json.loads(done.stdout)["dependencies"]:
        for vuln in dependency.get("vulns", []):
            ids = [vuln["id"], *vuln.get("aliases", [])]
            if not any(r.matches(i, dependency["name"]) for r in rows for i in ids):
                fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
                open_advisories.append(
                    f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})"
                )
    assert not open_advisories, (
        "known vulnerabilities with no row in tests/security/accepted_findings.md (upgrade, or "
        "explain why Parley is not affected):\n" + "\n".join(open_advisories)
    )
