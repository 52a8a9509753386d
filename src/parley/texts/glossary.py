"""The glossary of the cross-language check: each term's agreed forms per language (pure).

The YAML maps a term id to a mapping of ISO 639-1 language codes to lists of forms::

    kyiv:
      en: [Kyiv]
      uk: [Київ, Києва, Києві, київськ]

How a form matches (case ignored, ``ё`` read as ``е``, apostrophes unified):

* a form written all in lower case is a **stem**: each of its words matches any word that
  starts with it (``київськ`` matches "Київська", "київського"; ``рад миру`` matches "Рада
  миру", "Ради миру", "Радою миру");
* a form written all in capitals is an **acronym** and matches only that exact word, in
  capitals (``US`` does not match "us");
* any other form matches the same whole words (``Kyiv`` matches "Kyiv", not "Kyivan").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "Glossary",
    "GlossaryError",
    "LANGUAGE_CODE",
    "default_glossary",
    "load_glossary",
    "parse_glossary",
]

LANGUAGE_CODE = re.compile(r"[a-z]{2}")
_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*|\d+")


class GlossaryError(ValueError):
    """The glossary could not be read; ``errors`` name the term and language."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


def _norm(text: str) -> str:
    return text.casefold().replace("’", "'").replace("ʼ", "'").replace("`", "'").replace("ё", "е")


def words_of(text: str, *, keep_case: bool = False) -> list[str]:
    """The words of ``text`` (normalised unless ``keep_case``), without an English "'s"."""
    source = text.replace("’", "'").replace("ʼ", "'") if keep_case else _norm(text)
    out = []
    for w in _WORD.findall(source):
        if w.endswith("'s") or w.endswith("'"):
            w = w[: -2 if w.endswith("'s") else -1]
        out.append(w)
    return out


@dataclass(frozen=True)
class Form:
    words: tuple[str, ...]
    kind: str  # stem | acronym | words

    def matches_at(self, words: list[str], cased: list[str], i: int) -> bool:
        n = len(self.words)
        if i + n > len(words):
            return False
        if self.kind == "acronym":
            return tuple(cased[i : i + n]) == self.words
        if self.kind == "stem":
            return all(w.startswith(f) for w, f in zip(words[i : i + n], self.words, strict=True))
        return tuple(words[i : i + n]) == self.words


def _form(text: str) -> Form:
    letters = [c for c in text if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return Form(tuple(words_of(text, keep_case=True)), "acronym")
    if letters and all(c.islower() for c in letters):
        return Form(tuple(words_of(text)), "stem")
    return Form(tuple(words_of(text)), "words")


@dataclass(frozen=True)
class Glossary:
    """Term id → language → forms (as written)."""

    terms: dict[str, dict[str, tuple[str, ...]]]

    def merged(self, other: Glossary) -> Glossary:
        """This glossary with ``other``'s terms added; a term in both takes ``other``'s forms."""
        return Glossary({**self.terms, **other.terms})

    def _index(self, language: str) -> tuple[dict[str, list[tuple[str, Form]]], int]:
        """The forms of ``language`` keyed by their first word, built once per glossary.

        Acronyms are keyed case-folded; a stem's first word is looked up as a prefix of each
        word of the text, up to the longest stem's length.
        """
        cache: dict[str, tuple[dict[str, list[tuple[str, Form]]], int]]
        cache = self.__dict__.setdefault("_indexes", {})
        if language not in cache:
            index: dict[str, list[tuple[str, Form]]] = {}
            longest = 0
            for term, by_language in self.terms.items():
                for written in by_language.get(language, ()):
                    form = _form(written)
                    if not form.words:
                        continue
                    first = form.words[0].casefold()
                    index.setdefault(first, []).append((term, form))
                    if form.kind == "stem":
                        longest = max(longest, len(first))
            cache[language] = (index, longest)
        return cache[language]

    def present(self, text: str, language: str) -> set[str]:
        """The ids of the terms, with forms in ``language``, that ``text`` contains."""
        words = words_of(text)
        cased = words_of(text, keep_case=True)
        index, longest = self._index(language)
        found: set[str] = set()
        for i, word in enumerate(words):
            keys = {word} | {word[:k] for k in range(1, min(longest, len(word)) + 1)}
            for key in keys:
                for term, form in index.get(key, ()):
                    if term not in found and form.matches_at(words, cased, i):
                        found.add(term)
        return found

    def has_forms(self, term: str, language: str) -> bool:
        return bool(self.terms.get(term, {}).get(language))

    def label(self, term: str, language: str) -> str:
        forms = self.terms.get(term, {}).get(language) or ()
        return forms[0] if forms else term


def parse_glossary(data: Any, *, source: str = "glossary") -> Glossary:
    """Check the loaded YAML and build a :class:`Glossary`, or raise :class:`GlossaryError`."""
    if data is None:
        return Glossary({})
    if not isinstance(data, dict):
        raise GlossaryError([f"{source}: must map term ids to languages"])
    errors: list[str] = []
    terms: dict[str, dict[str, tuple[str, ...]]] = {}
    for term, languages in data.items():
        if not isinstance(languages, dict) or not languages:
            errors.append(f"{source}: term {term}: must map languages (en, uk, ...) to forms")
            continue
        forms: dict[str, tuple[str, ...]] = {}
        for language, values in languages.items():
            if not isinstance(language, str) or not LANGUAGE_CODE.fullmatch(language):
                errors.append(
                    f"{source}: term {term}: {language!r} is not a two-letter language code"
                )
                continue
            if isinstance(values, str):
                values = [values]
            if (
                not isinstance(values, list)
                or not values
                or not all(isinstance(v, str) and words_of(v) for v in values)
            ):
                errors.append(f"{source}: term {term}, {language}: forms must be a list of words")
                continue
            forms[language] = tuple(values)
        terms[str(term)] = forms
    if errors:
        raise GlossaryError(errors)
    return Glossary(terms)


def load_glossary(text: str, *, source: str = "glossary") -> Glossary:
    """Parse glossary YAML text; a YAML syntax error names its line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise GlossaryError([f"{source}: not valid YAML{where}"]) from exc
    return parse_glossary(data, source=source)


def default_glossary() -> Glossary:
    """The names of the Miami scenario in en, uk and ru (``texts/data/glossary.yaml``)."""
    text = resources.files("parley.texts").joinpath("data/glossary.yaml").read_text("utf-8")
    return load_glossary(text, source="default glossary")
