"""atheris fuzz targets for the parsers that take text from outside.

Run one by hand (a longer run than the suite's; libFuzzer flags pass through)::

    python tests/security/fuzz_targets.py scenario -max_total_time=600 CORPUS_DIR
    python tests/security/fuzz_targets.py numbered -runs=200000
    python tests/security/fuzz_targets.py html -max_total_time=600

Each target may raise only the module's own, documented error; anything else (a KeyError, a
RecursionError, a TypeError from a value of the wrong type...) is a crash, and libFuzzer writes
the input that caused it to ``crash-<hash>`` (``-artifact_prefix=`` says where).

* ``scenario``: ``parley.scenario.yamlfile.load_with_lines`` then ``validate``: only
  ``YamlError`` or ``ScenarioError``.
* ``numbered``: ``parley.texts.numbered.parse_numbered``: only ``NumberedTextError``.
* ``html``: ``parley.intake.sources.from_html``: only ``SourceError`` (no article found).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

try:
    import atheris
except ImportError:  # the tests skip; running this file by hand needs it
    atheris = None

ROOT = Path(__file__).resolve().parents[2]
SEEDS = {
    "scenario": [ROOT / "tests/scenario/small.yaml", ROOT / "tests/reliability/scenario.yaml"],
    "numbered": sorted((ROOT / "tests/texts/fixtures").glob("*.md")),
    "html": [],  # written by seed_corpus(): an illustrative article page
}
ILLUSTRATIVE_ARTICLE = """<!doctype html><html><head><title>Talks resume (illustrative)</title>
<meta property="og:site_name" content="Example Wire"><meta name="date" content="2025-12-22">
</head><body><nav><a href="/">Home</a></nav><article><h1>Talks resume (illustrative)</h1>
<p>The envoy met both delegations in Miami on Monday, an illustrative report says.</p>
<p>A second round is planned for January; the parties exchanged drafts of a framework.</p>
</article><footer>Example Wire</footer></body></html>"""


Target = Callable[[str], None]


def _guarded(
    name: str, call: Target, allowed: tuple[type[Exception], ...]
) -> Callable[[bytes], None]:
    """The libFuzzer entry: ``call`` on the input as text; the allowed errors, and the open
    findings listed under "atheris" in accepted_findings.md, are not crashes."""
    from security.findings import accepted

    known = accepted("atheris")

    def one(data: bytes) -> None:
        try:
            call(data.decode("utf-8", errors="replace"))
        except allowed:
            pass
        except Exception as exc:
            if not any(e.matches(name, type(exc).__name__, str(exc)) for e in known):
                raise

    return one


def scenario() -> Callable[[bytes], None]:
    # Coverage feedback from our code and PyYAML only: instrumenting jsonschema and the rest
    # of what the validator imports slows every run several times over.
    with atheris.instrument_imports(include=["parley", "yaml"]):
        import yaml  # noqa: F401 - instrumented for coverage feedback

        from parley.scenario.validate import ScenarioError, validate
        from parley.scenario.yamlfile import YamlError, load_with_lines

    def call(text: str) -> None:
        parsed, lines = load_with_lines(text, "<fuzz>")
        validate(parsed, lines, "<fuzz>")

    return _guarded("scenario", call, (YamlError, ScenarioError))


def numbered() -> Callable[[bytes], None]:
    with atheris.instrument_imports(include=["parley"]):
        from parley.texts.numbered import NumberedTextError, parse_numbered

    return _guarded("numbered", parse_numbered, (NumberedTextError,))


def html() -> Callable[[bytes], None]:
    with atheris.instrument_imports(include=["parley", "trafilatura", "htmldate"]):
        import htmldate  # noqa: F401 - from_html imports these lazily; instrument them here
        import trafilatura  # noqa: F401

        from parley.intake.sources import SourceError, from_html

    def call(text: str) -> None:
        from_html(text, origin="<fuzz>")

    return _guarded("html", call, (SourceError,))


TARGETS = {"scenario": scenario, "numbered": numbered, "html": html}


def seed_corpus(name: str, directory: Path) -> None:
    """Copy the target's seed inputs into ``directory`` (libFuzzer adds what it finds)."""
    directory.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(SEEDS[name]):
        (directory / f"seed-{i}").write_bytes(path.read_bytes())
    if name == "html":
        (directory / "seed-article").write_text(ILLUSTRATIVE_ARTICLE, encoding="utf-8")


def run(
    name: str, workdir: Path, *, runs: int | None = None, seconds: int | None = None, seed: int = 1
) -> subprocess.CompletedProcess[str]:
    """Fuzz ``name`` in a child process (libFuzzer exits the process when it stops)."""
    corpus = workdir / "corpus"
    seed_corpus(name, corpus)
    flags = [f"-seed={seed}", f"-artifact_prefix={workdir}/", "-print_final_stats=1"]
    flags += [f"-runs={runs}"] if runs is not None else []
    flags += [f"-max_total_time={seconds}"] if seconds is not None else []
    command = [sys.executable, str(Path(__file__).resolve()), name, *flags, str(corpus)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT / "src")])}
    return subprocess.run(
        command, capture_output=True, text=True, cwd=workdir, env=env, timeout=1800
    )


def crashes(workdir: Path) -> list[Path]:
    return sorted(workdir.glob("crash-*")) + sorted(workdir.glob("timeout-*"))


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: fuzz_targets.py {{{','.join(TARGETS)}}} [libFuzzer flags]")
    name = sys.argv.pop(1)
    target = TARGETS[name]()
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
