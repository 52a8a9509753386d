"""Benchmark: the cross-language check of three 200-provision language versions.

The illustrative ceasefire framework of the tests (tests/texts/fixtures/languages/, 12 points
with sub-points in English, Ukrainian and Russian) is repeated to about 200 provisions per
language; point numbers run on, so the check aligns 3 x 200 provisions. One planted divergence
per repetition keeps the finding path busy.

Measured in the same run:

* ours: ``crosscheck`` over the three parsed texts (facts, alignment, findings), with the
  default glossary;
* baseline: ``parse_numbered`` of the three texts, the cost of merely reading them.

    python benchmarks/crosscheck.py            # 7 repetitions, median
    python benchmarks/crosscheck.py --quick    # smaller smoke run
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from parley.texts.crosscheck import LanguageText, crosscheck  # noqa: E402
from parley.texts.glossary import default_glossary  # noqa: E402
from parley.texts.numbered import parse_numbered  # noqa: E402

FIXTURES = ROOT / "tests" / "texts" / "fixtures" / "languages"


def scaled(language: str, copies: int) -> str:
    """The fixture's points repeated ``copies`` times, renumbered to run on."""
    text = (FIXTURES / f"{language}.md").read_text(encoding="utf-8")
    head, _, body = text.partition("\n# ")
    title, _, points = body.partition("\n")
    out = [head, "# " + title]
    for copy in range(copies):
        for line in points.strip().split("\n"):
            m = re.match(r"^(\s*)(\d+)((?:\.\d+)*)(\.?) (.*)$", line)
            if m:
                number = int(m.group(2)) + 12 * copy
                rest = m.group(5)
                if language == "ru" and copy % 2 and m.group(2) == "2" and not m.group(3):
                    rest = rest.replace("50 км", "30 км")  # a planted divergence
                line = f"{m.group(1)}{number}{m.group(3)}{m.group(4)} {rest}"
            out.append(line)
    return "\n".join(out) + "\n"


def median_ms(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller smoke run")
    args = parser.parse_args()
    copies, repeat = (3, 3) if args.quick else (14, 7)
    sources = {lang: scaled(lang, copies) for lang in ("en", "uk", "ru")}
    glossary = default_glossary()
    parsed = {lang: parse_numbered(text) for lang, text in sources.items()}
    texts = [LanguageText(lang, p.provisions) for lang, p in parsed.items()]
    result = crosscheck(texts, glossary=glossary)
    size = len(texts[0].provisions)
    words = sum(len(p.text.split()) for t in texts for p in t.provisions)

    def read() -> None:
        for text in sources.values():
            parse_numbered(text)

    ours = median_ms(lambda: crosscheck(texts, glossary=glossary), repeat)
    base = median_ms(read, repeat)
    print(f"provisions per language: {size}, words in all: {words}")
    print(f"findings: {len(result.findings)} (planted: {copies // 2})")
    print(f"crosscheck: {ours:.1f} ms (median of {repeat})")
    print(f"parse the three texts (baseline): {base:.1f} ms")
    print(f"ratio ours / baseline: {ours / base:.2f}")


if __name__ == "__main__":
    main()
