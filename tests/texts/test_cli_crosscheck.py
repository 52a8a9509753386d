"""``parley text crosscheck``: plain files, no database; exit 0, 1 or 2 with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from parley.cli import app

LANGUAGES = Path(__file__).resolve().parent / "fixtures" / "languages"
EN, UK, RU = (LANGUAGES / f"{lang}.md" for lang in ("en", "uk", "ru"))
runner = CliRunner()


def _run(*args: str | Path) -> object:
    return runner.invoke(app, ["text", "crosscheck", *map(str, args)])


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_faithful_versions_exit_0_with_every_provision_aligned() -> None:
    result = _run(EN, UK, RU)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["languages"] == ["en", "uk", "ru"]
    assert body["findings"] == []
    assert body["provisions"][:2] == [
        {"en": "1", "uk": "1", "ru": "1"},
        {"en": "2", "uk": "2", "ru": "2"},
    ]
    assert len(body["provisions"]) == 14


def test_a_divergence_exits_1_with_the_finding(tmp_path: Path) -> None:
    ru = _write(tmp_path, "ru.md", RU.read_text(encoding="utf-8").replace("50 км", "30 км"))
    result = _run(EN, UK, ru)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["findings"] == [
        {
            "kind": "number",
            "numbers": {"en": "2", "ru": "2"},
            "languages": ["en", "ru"],
            "detail": "50 km in en, 30 km in ru",
        }
    ]
    text = _run(EN, UK, ru, "--format", "text")
    assert text.exit_code == 1
    assert "point 2 (en) / 2 (ru): number: 50 km in en, 30 km in ru" in text.stdout


def test_a_glossary_file_adds_terms(tmp_path: Path) -> None:
    glossary = _write(tmp_path, "g.yaml", "commission:\n  en: [joint commission]\n  uk: [комісі]\n")
    uk = _write(
        tmp_path,
        "uk.md",
        UK.read_text(encoding="utf-8").replace("Спільна комісія", "Спільна група"),
    )
    assert _run(EN, uk).exit_code == 0
    result = _run(EN, uk, "--glossary", glossary)
    assert result.exit_code == 1
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["kind"] == "name" and finding["numbers"] == {"en": "8", "uk": "8"}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["en.md", "nolang.md"], "nolang.md: no language: add 'language: xx' to the front matter"),
        (["en.md", "en2.md"], "en2.md: language en again (already"),
        (["en.md", "broken.md"], "broken.md: line 6: point 3 follows 1"),
        (["en.md", "badlang.md"], "badlang.md: line 2: language 'English' is not a two-letter"),
        (["en.md"], "give at least two language versions"),
        (["en.md", "absent.md"], "absent.md: cannot read"),
    ],
)
def test_bad_input_exits_2_naming_the_file(tmp_path: Path, files: list[str], message: str) -> None:
    _write(tmp_path, "en.md", EN.read_text(encoding="utf-8"))
    _write(tmp_path, "en2.md", EN.read_text(encoding="utf-8"))
    _write(tmp_path, "nolang.md", "1. Text.\n")
    _write(tmp_path, "broken.md", "---\nlanguage: uk\n---\n# T\n1. Один.\n3. Три.\n")
    _write(tmp_path, "badlang.md", "---\nlanguage: English\n---\n1. Text.\n")
    result = _run(*(tmp_path / f for f in files))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_a_bad_glossary_or_format_exits_2(tmp_path: Path) -> None:
    glossary = _write(tmp_path, "g.yaml", "kyiv:\n  english: [Kyiv]\n")
    result = _run(EN, UK, "--glossary", glossary)
    assert result.exit_code == 2
    assert "g.yaml: term kyiv: 'english' is not a two-letter language code" in result.stderr
    assert _run(EN, UK, "--format", "xml").exit_code == 2


def test_crosscheck_runs_in_a_fresh_process_without_a_database(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": str(src), "PARLEY_DATABASE_URL": "sqlite:////nonexistent/x"}
    code = "import sys; from parley.cli import app; sys.argv[0] = 'parley'; app()"
    done = subprocess.run(
        [sys.executable, "-c", code, "text", "crosscheck", str(EN), str(UK), str(RU)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["findings"] == []
