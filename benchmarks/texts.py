"""Benchmark: redline + provision matching of two 200-provision versions against difflib.

Two versions of about 20,000 words each are generated with a fixed seed: the second is a
counter-version with fresh provision ids (as after an import), word edits in a third of the
points, moves, splits, merges, deletions and insertions, and every point renumbered.

Measured in the same run:

* ours: ``match_provisions`` (similarity matrix + optimal assignment + split/merge detection)
  followed by ``redline`` over the suggested links: the whole comparison a user waits for;
* baseline: ``difflib.SequenceMatcher`` over the two documents' words, ``get_opcodes()``,
  the obvious way to redline two texts (it knows nothing of provisions or moves);
* also, engine against engine: our word diff against difflib over the same provision pairs.

Goal (issue 9): the whole comparison under 200 ms and no slower than difflib.

    python benchmarks/texts.py            # 7 repetitions, median
    python benchmarks/texts.py --quick    # smaller smoke run
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from parley.texts.matching import MatchResult, match_provisions  # noqa: E402
from parley.texts.plain import PlainProvision, PlainVersion  # noqa: E402
from parley.texts.redline import Redline, redline, word_diff  # noqa: E402

T = TypeVar("T")
SEED = 20251130
FUNCTION_WORDS = [
    *("the", "of", "and", "to", "in", "a", "is", "that", "for", "on", "be", "by", "with"),
    *("as", "are", "this", "shall", "from", "at", "or", "its", "an", "all", "not", "will"),
    *("which", "any", "such", "each", "other", "their", "within", "after", "under", "than"),
]


def vocabulary(rng: random.Random, size: int = 1500) -> list[str]:
    syllables = [
        "ra",
        "to",
        "mi",
        "sec",
        "ur",
        "i",
        "ty",
        "com",
        "mis",
        "sion",
        "pa",
        "ce",
        "gua",
        "ran",
        "tee",
        "line",
        "zone",
        "mon",
        "it",
        "or",
        "el",
        "ec",
        "tion",
        "fund",
        "de",
        "ploy",
        "ment",
        "bor",
        "der",
        "sanc",
        "ex",
        "change",
        "pri",
    ]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def sentence(rng: random.Random, vocab: list[str], words: int) -> str:
    out = []
    for _ in range(words):
        # About 45% function words, as in English legal prose; content words Zipf-like.
        if rng.random() < 0.45:
            out.append(rng.choice(FUNCTION_WORDS))
        else:
            out.append(
                vocab[
                    min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)
                    if rng.random() < 0.5
                    else rng.randrange(len(vocab))
                ]
            )
    text = " ".join(out)
    return text[0].upper() + text[1:] + "."


def provision_text(rng: random.Random, vocab: list[str], words: int) -> str:
    parts, left = [], words
    while left > 0:
        n = min(left, rng.randint(12, 30))
        parts.append(sentence(rng, vocab, n))
        left -= n
    return " ".join(parts)


def edit_words(rng: random.Random, vocab: list[str], text: str, rate: float) -> str:
    words = text.split(" ")
    for _ in range(max(1, int(len(words) * rate))):
        at = rng.randrange(len(words))
        action = rng.random()
        if action < 0.4:
            words[at] = rng.choice(vocab)
        elif action < 0.7:
            words.insert(at, " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 4))))
        elif len(words) > 5:
            del words[at : at + rng.randint(1, 3)]
    return " ".join(words)


def make_versions(
    n: int, words_each: int, seed: int = SEED
) -> tuple[PlainVersion, PlainVersion, dict[str, set[str]]]:
    """Old, new, and the truth: old wid -> the new wids it became (empty when dropped)."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    old = [
        PlainProvision(f"o{i}", str(i + 1), None, provision_text(rng, vocab, words_each))
        for i in range(n)
    ]
    # Items of the new version: (text, old wids it comes from).
    items: list[tuple[str, list[str]]] = [(p.text, [p.wid]) for p in old]
    scale = n / 200
    for _ in range(int(6 * scale)):  # deletions
        items.pop(rng.randrange(len(items)))
    for _ in range(int(4 * scale)):  # splits at a sentence boundary
        i = rng.randrange(len(items))
        text, src = items[i]
        sentences = text.split(". ")
        cut = max(1, len(sentences) // 2)
        first, second = ". ".join(sentences[:cut]) + ".", ". ".join(sentences[cut:])
        items[i : i + 1] = [(first, src), (second, src)]
    for _ in range(int(3 * scale)):  # merges of neighbours
        i = rng.randrange(len(items) - 1)
        (a, sa), (b, sb) = items[i], items[i + 1]
        items[i : i + 2] = [(a + " " + b, sa + sb)]
    for i in range(len(items)):  # word edits in a third of the points
        if rng.random() < 0.33:
            items[i] = (edit_words(rng, vocab, items[i][0], rng.uniform(0.03, 0.15)), items[i][1])
    for _ in range(int(8 * scale)):  # moves
        item = items.pop(rng.randrange(len(items)))
        items.insert(rng.randrange(len(items) + 1), item)
    for _ in range(int(6 * scale)):  # insertions
        items.insert(rng.randrange(len(items) + 1), (provision_text(rng, vocab, words_each), []))
    new = [PlainProvision(f"n{j}", str(j + 1), None, t) for j, (t, _) in enumerate(items)]
    truth: dict[str, set[str]] = {p.wid: set() for p in old}
    for j, (_, src) in enumerate(items):
        for wid in src:
            truth[wid].add(f"n{j}")

    def version(provisions: list[PlainProvision], label: str) -> PlainVersion:
        return PlainVersion(
            "Benchmark plan", "plan", label, "party_draft", "bench", tuple(provisions)
        )

    return version(old, "v1"), version(new, "v2"), truth


def timed(fn: Callable[[], T], repeat: int) -> tuple[float, T]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller smoke run")
    args = parser.parse_args()
    n, words_each, repeat = (40, 100, 2) if args.quick else (200, 100, 7)
    old, new, truth = make_versions(n, words_each)
    n_words = (
        sum(len(p.text.split()) for p in old.provisions),
        sum(len(p.text.split()) for p in new.provisions),
    )
    print(
        f"versions: {len(old.provisions)} -> {len(new.provisions)} provisions, "
        f"{n_words[0]} -> {n_words[1]} words, median of {repeat}"
    )

    def ours() -> tuple[MatchResult, Redline]:
        matched = match_provisions(old, new)
        return matched, redline(old, new, links=matched.links())

    def matching_only() -> MatchResult:
        return match_provisions(old, new)

    old_words = [w for p in old.provisions for w in p.text.split()]
    new_words = [w for p in new.provisions for w in p.text.split()]

    def baseline() -> object:
        return difflib.SequenceMatcher(None, old_words, new_words).get_opcodes()

    t_ours, result = timed(ours, repeat)
    t_match, _ = timed(matching_only, repeat)
    t_base, _ = timed(baseline, repeat)
    matched, red = result

    # Engine against engine over the same provision pairs.
    links = matched.links()
    by_old = {p.wid: p.text for p in old.provisions}
    by_new = {p.wid: p.text for p in new.provisions}
    pairs = [(by_old[o], by_new[nw]) for o, nw in links.items()]
    t_wd, _ = timed(lambda: [word_diff(a, b) for a, b in pairs], repeat)
    t_dl, _ = timed(
        lambda: [
            difflib.SequenceMatcher(None, a.split(), b.split()).get_opcodes() for a, b in pairs
        ],
        repeat,
    )

    # Quality against the generated truth.
    suggested: dict[str, set[str]] = {p.wid: set() for p in old.provisions}
    for s in matched.suggestions:
        for o in s.old_wids:
            suggested[o].update(s.new_wids)
    correct = sum(1 for w in truth if suggested[w] == truth[w])
    kinds: dict[str, int] = {}
    for s in matched.suggestions:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    counts = red.counts()

    print(f"ours, whole comparison (match + redline): {t_ours * 1000:8.1f} ms")
    print(f"  of which matching:                      {t_match * 1000:8.1f} ms")
    print(f"difflib, whole document words:            {t_base * 1000:8.1f} ms")
    print(f"ratio ours / difflib:                     {t_ours / t_base:8.2f}")
    print(
        f"word diff over {len(pairs)} pairs: ours {t_wd * 1000:.1f} ms, "
        f"difflib {t_dl * 1000:.1f} ms, ratio {t_wd / t_dl:.2f}"
    )
    print(
        f"matching: {correct}/{len(truth)} old provisions mapped exactly as generated; "
        f"suggestions {dict(sorted(kinds.items()))}"
    )
    print(f"redline rows: {dict((k, v) for k, v in counts.items() if not k.startswith('words'))}")
    goal_time = t_ours < 0.200
    goal_ratio = t_ours <= t_base
    print(
        f"goal under 200 ms: {'met' if goal_time else 'MISSED'}; "
        f"no slower than difflib: {'met' if goal_ratio else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
