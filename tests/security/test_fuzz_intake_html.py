"""atheris: the intake HTML path (trafilatura extraction, metadata, dates) never crashes: it
returns a source or raises SourceError ("no article text found")."""

from __future__ import annotations

from pathlib import Path

from security.fuzz_support import SHORT_RUNS, fuzz_briefly


def test_the_intake_html_path_never_crashes(tmp_path: Path, long_run: bool) -> None:
    tried = fuzz_briefly("html", tmp_path, long_run)
    assert tried >= (1 if long_run else SHORT_RUNS["html"])
