"""atheris: the numbered-text importer raises only NumberedTextError, whatever it reads."""

from __future__ import annotations

from pathlib import Path

from security.fuzz_support import SHORT_RUNS, fuzz_briefly


def test_the_numbered_importer_raises_only_its_own_error(tmp_path: Path, long_run: bool) -> None:
    tried = fuzz_briefly("numbered", tmp_path, long_run)
    assert tried >= (1 if long_run else SHORT_RUNS["numbered"])
