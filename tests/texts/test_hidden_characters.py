"""Text shown as signed is exactly the signed text: every door that writes what a version shows
(import of a numbered text, a version made of provisions, an amendment, a bracket option) refuses
bidirectional controls and zero-width characters, naming the field; nothing is written.

On the small scenario, on SQLite and PostgreSQL (the ``world`` fixture). The example texts are
illustrative.
"""

from __future__ import annotations

import pytest

from parley.textguard import HiddenCharacter
from parley.texts import queries as q
from parley.texts.plain import PlainProvision
from parley.texts.service import create_version, import_version
from parley.texts.service_amendments import add_option, create_amendment

from .conftest import World

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "stays" would display reversed
ZWSP = "\u200b"  # ZERO WIDTH SPACE: invisible, but changes the hash


def _labels(w: World) -> set[str]:
    with w.read() as s:
        doc = q.document(s, w.med, w.process.id, "plan")  # type: ignore[arg-type]
        return {v.label for v in q.versions(s, w.med, doc)}  # type: ignore[arg-type]


def test_an_imported_text_with_a_bidirectional_control_is_refused_naming_its_line(
    world: World,
) -> None:
    w = world
    before = _labels(w)
    text = f"1. The parties agree to talk.\n2. The border {RLO}stays where it is.\n"
    with pytest.raises(HiddenCharacter) as refused, w.write() as s:
        import_version(
            s, actor=w.alpha, process=w.process, document="plan", label="aaa-hidden", text=text
        )
    assert refused.value.field == "text"
    assert "U+202E RIGHT-TO-LEFT OVERRIDE at line 2, character 15" in str(refused.value)
    assert _labels(w) == before
    # The same text without the control imports (the refusal is about the character only).
    with w.write() as s:
        imported = import_version(
            s,
            actor=w.alpha,
            process=w.process,
            document="plan",
            label="aaa-visible",
            text=text.replace(RLO, ""),
        )
        assert imported.summary()["provisions"] == 2


def test_a_version_is_refused_when_any_shown_part_hides_a_character(world: World) -> None:
    w = world
    before = _labels(w)
    clean = (
        PlainProvision("p1", "1", None, "The parties agree to talk."),
        PlainProvision("p2", "2", "Border", "The border stays where it is."),
    )
    tainted = {
        "text": (clean[0], PlainProvision("p2", "2", "Border", f"The border{ZWSP} stays.")),
        "heading": (clean[0], PlainProvision("p2", "2", f"Bor{RLO}der", clean[1].text)),
    }
    expect = {"text": "in point 2 at line 1", "heading": "in point 2's heading at line 1"}
    for part, provisions in tainted.items():
        with pytest.raises(HiddenCharacter, match=f"^text: .* {expect[part]}"), w.write() as s:
            doc = q.document(s, w.med, w.process.id, "plan")  # type: ignore[arg-type]
            create_version(
                s,  # type: ignore[arg-type]
                actor=w.med,
                doc=doc,
                label=f"med-{part}",
                kind="mediator_text",
                space="participants",
                provisions=provisions,
                parents=[],
                author_party_id=None,
            )
    with pytest.raises(HiddenCharacter) as refused, w.write() as s:
        doc = q.document(s, w.med, w.process.id, "plan")  # type: ignore[arg-type]
        create_version(
            s,  # type: ignore[arg-type]
            actor=w.med,
            doc=doc,
            label="med-title",
            kind="mediator_text",
            space="participants",
            provisions=clean,
            parents=[],
            author_party_id=None,
            title=f"Plan{ZWSP}",
        )
    assert refused.value.field == "title"
    assert _labels(w) == before


def _amend(w: World, **change: str) -> None:
    with w.write() as s:
        doc = q.document(s, w.alpha, w.process.id, "plan")  # type: ignore[arg-type]
        base = q.version(s, w.alpha, doc, "v2")  # type: ignore[arg-type]
        create_amendment(s, actor=w.alpha, doc=doc, base=base, **change)  # type: ignore[arg-type]


def test_an_amendment_or_a_bracket_option_with_a_hidden_character_is_refused(
    world: World,
) -> None:
    w = world
    with pytest.raises(HiddenCharacter) as text_refused:
        _amend(w, kind="substitute", wid="p2", text=f"The old{ZWSP} border.")
    assert text_refused.value.field == "text"
    assert "U+200B ZERO WIDTH SPACE" in str(text_refused.value)
    with pytest.raises(HiddenCharacter) as heading_refused:
        _amend(w, kind="insert", after="p2", heading=f"Civ{RLO}ilians", text="Illustrative.")
    assert heading_refused.value.field == "heading"
    with pytest.raises(HiddenCharacter, match="^text: bidirectional control"), w.write() as s:
        doc = q.document(s, w.med, w.process.id, "plan")  # type: ignore[arg-type]
        v2 = q.version(s, w.med, doc, "v2")  # type: ignore[arg-type]
        [border] = q.brackets(s, w.med, [v2], key="border")  # type: ignore[arg-type]
        add_option(
            s,  # type: ignore[arg-type]
            actor=w.med,
            bracket=border.bracket,
            text=f"A {RLO}new line.",
        )
    with w.read() as s:
        doc = q.document(s, w.med, w.process.id, "plan")  # type: ignore[arg-type]
        v2 = q.version(s, w.med, doc, "v2")  # type: ignore[arg-type]
        [border] = q.brackets(s, w.med, [v2], key="border")  # type: ignore[arg-type]
        assert len(border.options) == 2
        assert q.amendments(s, w.alpha, doc) == []  # type: ignore[arg-type]
