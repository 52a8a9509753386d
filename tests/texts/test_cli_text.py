"""``parley text ...`` end to end on the small scenario, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from typer.testing import CliRunner

from parley.cli import app

from .conftest import COUNTER, US_DRAFT

runner = CliRunner()


def _run(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input)


def test_import_diff_compare_freeze_sign_export_and_verify(small_url: str, tmp_path: Path) -> None:
    db = ["--db", small_url]
    made = _run(
        "text",
        "import",
        "--document",
        "plan20",
        "--version",
        "us",
        str(US_DRAFT),
        "--author",
        "MED",
        "--space",
        "participants",
        *db,
    )
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout)["provisions"] == 20
    counter = _run(
        "text",
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
        *db,
    )
    assert counter.exit_code == 0, counter.output
    assert json.loads(counter.stdout)["matched"]["same"] >= 10

    diff = _run("text", "diff", "plan20", "us", "counter", "--format", "md", *db)
    assert diff.exit_code == 0 and "~~" in diff.stdout
    as_json = json.loads(_run("text", "diff", "plan20", "us", "counter", *db).stdout)
    assert {row["status"] for row in as_json["rows"]} >= {"same", "changed", "deleted", "inserted"}
    html = tmp_path / "diff.html"
    assert (
        _run(
            "text", "diff", "plan20", "us", "counter", "--format", "html", "-o", str(html), *db
        ).exit_code
        == 0
    )
    assert html.read_text().startswith("<!doctype html>")
    match = json.loads(_run("text", "match", "plan20", "us", "counter", *db).stdout)
    assert any(s["kind"] == "same" and s["old"] == ["p1"] for s in match["suggestions"])
    table = tmp_path / "cmp.docx"
    assert (
        _run(
            "text", "compare", "plan20", "us", "counter", "--format", "docx", "-o", str(table), *db
        ).exit_code
        == 0
    )
    assert zipfile.is_zipfile(table)

    frozen = _run("text", "freeze", "plan20", "counter", *db)
    assert frozen.exit_code == 0, frozen.output
    digest = json.loads(frozen.stdout)["content_hash"]
    again = _run("text", "freeze", "plan20", "counter", *db)
    assert again.exit_code == 2 and "frozen" in again.stderr

    for party in ("MED", "AAA", "BBB"):
        key = _run(
            "text",
            "keygen",
            "--party",
            party,
            *db,
            input=f"{party} passphrase!\n{party} passphrase!\n",
        )
        assert key.exit_code == 0, key.output
    wrong = _run(
        "text", "sign", "plan20", "counter", "--party", "AAA", *db, input="nope-nope-nope\n"
    )
    assert wrong.exit_code == 2 and "wrong passphrase" in wrong.stderr
    for party in ("MED", "AAA", "BBB"):
        signed = _run(
            "text",
            "sign",
            "plan20",
            "counter",
            "--party",
            party,
            *db,
            input=f"{party} passphrase!\n",
        )
        assert signed.exit_code == 0, signed.output
        assert json.loads(signed.stdout.splitlines()[-1])["content_hash"] == digest

    for fmt, check in (("md", "## 2. Ceasefire"), ("akn", "<bill"), ("docx", None)):
        out = tmp_path / f"counter.{fmt}"
        args = ["text", "export", "plan20", "counter", "--format", fmt, "-o", str(out), *db]
        if fmt == "docx":
            args += ["--against", "us"]
        done = _run(*args)
        assert done.exit_code == 0, done.output
        if check:
            assert check in out.read_text(encoding="utf-8")
        else:
            assert "<w:ins " in zipfile.ZipFile(out).read("word/document.xml").decode()

    bundle = tmp_path / "bundle.json"
    assert _run("export", "bundle", str(bundle), "--process", "small", *db).exit_code == 0
    checked = _run("text", "verify-signatures", str(bundle))
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["valid"] == 3
    data = json.loads(bundle.read_text())
    data["tables"]["signatures"][0]["content_hash"] = "0" * 64
    bundle.write_text(json.dumps(data))
    broken = _run("text", "verify-signatures", str(bundle))
    assert broken.exit_code == 1 and "signatures[0]" in broken.stderr


def test_a_text_hiding_a_character_is_refused_by_the_cli(small_url: str, tmp_path: Path) -> None:
    hidden = tmp_path / "hidden.md"
    hidden.write_text("# A plan\n\n1. First\u200b.\n", encoding="utf-8")
    result = _run(
        "text", "import", "--document", "plan", "--version", "v9", str(hidden), "--db", small_url
    )
    assert result.exit_code == 2, result.output
    assert f"error: {hidden}: text: zero-width character U+200B" in result.stderr
    assert "line 3, character 9" in result.stderr


def test_bad_numbering_is_reported_with_lines_and_nothing_is_written(
    small_url: str, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.md"
    bad.write_text("# A plan\n\n1. First.\n3. Third.\n4.\n", encoding="utf-8")
    result = _run(
        "text", "import", "--document", "newdoc", "--version", "v1", str(bad), "--db", small_url
    )
    assert result.exit_code == 2
    assert f"error: {bad}: line 4: point 3 follows 1" in result.stderr
    assert f"error: {bad}: line 5: point 4 is empty" in result.stderr
    # Nothing written: not even the document.
    listing = _run("text", "diff", "newdoc", "v1", "v1", "--db", small_url)
    assert listing.exit_code == 2 and "no document 'newdoc'" in listing.stderr
    unknown = _run(
        "text",
        "import",
        "--document",
        "plan",
        "--version",
        "v9",
        str(bad),
        "--kind",
        "final",
        "--db",
        small_url,
    )
    assert unknown.exit_code == 2
    missing = _run("text", "verify-signatures", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
