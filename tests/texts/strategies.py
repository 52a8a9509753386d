"""Hypothesis strategies and small builders shared by the text engine tests."""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from parley.texts.plain import PlainProvision, PlainVersion

# Letters from several scripts, digits, punctuation, spaces, tabs, an emoji outside the BMP.
TEXT_ALPHABET = st.sampled_from(
    list("abcdefgh xyz ABC 0123 .,;:!?()[]*_~#-+<>&\"'\\/ éèü ДніПро 日本 \t") + ["🕊", "\u00a0"]
)
WORDS = [
    "the",
    "parties",
    "agree",
    "ceasefire",
    "line",
    "of",
    "contact",
    "guarantees",
    "security",
    "elections",
    "within",
    "days",
    "sanctions",
    "lifted",
    "in",
    "stages",
    "prisoners",
    "exchange",
    "all",
    "for",
    "monitoring",
    "mission",
    "joint",
    "commission",
    "reconstruction",
    "fund",
    "zone",
]

free_text = st.text(alphabet=TEXT_ALPHABET, max_size=60)


@st.composite
def word_text(draw: st.DrawFn, min_words: int = 0, max_words: int = 25) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), min_size=min_words, max_size=max_words))
    seps = draw(
        st.lists(
            st.sampled_from([" ", " ", " ", ", ", ". ", "\n", "  "]),
            min_size=len(words),
            max_size=len(words),
        )
    )
    return "".join(w + s for w, s in zip(words, seps, strict=True)).strip()


@st.composite
def edited_text(draw: st.DrawFn, old: str) -> str:
    """``old`` with a few word-level insertions, deletions and substitutions."""
    tokens = old.split(" ")
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        at = draw(st.integers(0, max(len(tokens) - 1, 0)))
        word = draw(st.sampled_from(WORDS))
        if action == "insert":
            tokens.insert(at, word)
        elif tokens and action == "delete":
            del tokens[at]
        elif tokens:
            tokens[at] = word
    return " ".join(tokens)


def version(
    provisions: list[PlainProvision] | tuple[PlainProvision, ...],
    *,
    label: str = "v1",
    kind: str = "party_draft",
    author: str = "Illustrative Party",
    title: str = "Illustrative plan",
    date: str | None = "2025-11-30",
) -> PlainVersion:
    return PlainVersion(
        document_title=title,
        document_kind="plan",
        label=label,
        kind=kind,
        author=author,
        provisions=tuple(provisions),
        date=date,
    )


def flat(*texts: str, prefix: str = "p") -> list[PlainProvision]:
    """Provisions numbered 1..n with wids ``p1..pn``."""
    return [PlainProvision(f"{prefix}{i}", str(i), None, t) for i, t in enumerate(texts, 1)]


@st.composite
def version_pairs(
    draw: st.DrawFn, text: st.SearchStrategy[str] | None = None
) -> tuple[PlainVersion, PlainVersion]:
    """An old version and a new one derived from it by edits, moves, deletions, insertions,
    renumbering and heading changes, the way negotiators change a text."""
    if text is None:
        text = word_text()
    n = draw(st.integers(0, 8))
    old = [
        PlainProvision(
            wid=f"w{i}",
            number=str(i + 1),
            heading=draw(st.one_of(st.none(), st.sampled_from(["Security", "Elections"]))),
            text=draw(text),
        )
        for i in range(n)
    ]
    kept = [p for p in old if draw(st.booleans()) or draw(st.booleans())]
    new: list[PlainProvision] = []
    for p in draw(st.permutations(kept)) if draw(st.booleans()) else kept:
        changed = draw(st.booleans())
        new.append(
            dataclasses.replace(
                p,
                text=draw(edited_text(p.text)) if changed else p.text,
                heading=draw(st.one_of(st.just(p.heading), st.none(), st.just("Guarantees"))),
            )
        )
    for k in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(new)))
        new.insert(at, PlainProvision(f"n{k}", "0", None, draw(text)))
    new = [dataclasses.replace(p, number=str(i + 1)) for i, p in enumerate(new)]
    return version(old, label="v1"), version(new, label="v2")
