"""Language versions in the database (issue 15), on SQLite and PostgreSQL.

A document with authentic languages en, uk, ru: texts imported in each language share the
permanent provision ids; an uncertain pairing is stored only once a person settles it; a change
in one language marks the others pending; freeze and sign refuse (409) while a language is
pending or the cross-language check has findings, unless the mediator overrides with a reason;
the content hash covers every authentic language and still verifies from an exported bundle.
All texts are illustrative, written for these tests.
"""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from parley.audit.models import AuditEvent
from parley.authz.permissions import Forbidden, StepUpRequired
from parley.authz.rules import NotInState
from parley.exports.bundle import export_bundle
from parley.texts import queries as q
from parley.texts.canonical import content_hash
from parley.texts.service import (
    TextError,
    freeze_version,
    generate_signing_key,
    import_version,
    sign_version,
)
from parley.texts.service_amendments import accept_amendments, create_amendment, submit_amendment
from parley.texts.service_languages import (
    blockers,
    confirm_translation,
    crosscheck_version,
    import_language,
    set_languages,
    update_language_text,
    version_hash,
)
from parley.texts.signing import verify_bundle

from .conftest import World

EN = """---
language: en
---
# Illustrative ceasefire text

1. The ceasefire takes effect within 72 hours of signature.
2. Heavy weapons are withdrawn at least 50 km from the line of contact:
a) artillery of 100 mm and above;
b) multiple rocket launchers.
3. The OSCE monitors the measures of point 2.
4. Prisoners are exchanged all for all by 15 February 2026.
"""

UK = """---
language: uk
---
# Ілюстративний текст про припинення вогню

1. Припинення вогню набирає чинності протягом 72 годин після підписання.
2. Важке озброєння відводиться щонайменше на 50 км від лінії зіткнення:
а) артилерія калібру 100 мм і більше;
б) реактивні системи залпового вогню.
3. ОБСЄ здійснює моніторинг заходів, передбачених пунктом 2.
4. Обмін полоненими здійснюється за принципом «всіх на всіх» до 15 лютого 2026 року.
"""

# The Russian text differs in one place: 30 km instead of 50 km (a planted divergence).
RU = """---
language: ru
---
# Иллюстративный текст о прекращении огня

1. Прекращение огня вступает в силу в течение 72 часов после подписания.
2. Тяжёлое вооружение отводится не менее чем на 30 км от линии соприкосновения:
а) артиллерия калибра 100 мм и выше;
б) реактивные системы залпового огня.
3. ОБСЕ осуществляет мониторинг мер, предусмотренных пунктом 2.
4. Обмен пленными осуществляется по принципу «всех на всех» до 15 февраля 2026 года.
"""

PASS = {"MED": "mediator passphrase", "AAA": "alpha passphrase", "BBB": "beta passphrase"}


def _setup(w: World, label: str = "v1") -> None:
    with w.write() as s:
        import_version(
            s,
            actor=w.system,
            process=w.process,
            document="cease",
            label=label,
            text=EN,
            kind="mediator_text",
            author="MED",
            space="participants",
        )
        doc = q.document(s, w.system, w.process.id, "cease")
        set_languages(s, actor=w.med, doc=doc, authentic=["en", "uk", "ru"])


def _doc(s: object, w: World, label: str = "v1") -> tuple[object, object]:
    doc = q.document(s, w.med, w.process.id, "cease")  # type: ignore[arg-type]
    return doc, q.version(s, w.med, doc, label)  # type: ignore[arg-type]


def test_languages_are_declared_by_the_mediator_with_known_codes(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, _ = _doc(s, w)
        with pytest.raises(Forbidden):
            set_languages(s, actor=w.alpha, doc=doc, authentic=["en", "uk"])
        with pytest.raises(TextError, match=r"^languages: 'xx' is not a known ISO 639-1"):
            set_languages(s, actor=w.med, doc=doc, authentic=["en", "xx"])
        with pytest.raises(TextError, match=r"^translations: uk is already an authentic"):
            set_languages(s, actor=w.med, doc=doc, authentic=["en", "uk"], translations=["uk"])
    with w.read() as s:
        doc, _ = _doc(s, w)
        assert q.authentic_languages(doc) == ["en", "uk", "ru"]


def test_a_text_in_another_language_shares_the_provision_ids(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        result = import_language(s, actor=w.med, doc=doc, version=v, text=UK)
        assert result.stored and result.language == "uk"
        assert [p.wid for p in result.pairings] == ["p1", "p2", "p2-a", "p2-b", "p3", "p4"]
    with w.read() as s:
        doc, v = _doc(s, w)
        uk = q.plain(s, doc, v, "uk")
        assert uk.language == "uk"
        assert [(p.wid, p.number) for p in uk.provisions][2:4] == [
            ("p2-a", "2(а)"),
            ("p2-b", "2(б)"),
        ]
        assert uk.provisions[2].parent_wid == "p2"
        assert q.version_languages(s, doc, v) == ["en", "uk"]
        assert not crosscheck_version(s, doc, v).findings  # a faithful translation


def test_an_uncertain_pairing_is_stored_only_once_settled(world: World) -> None:
    w = world
    _setup(w)
    # The Ukrainian text leaves point 2 out and numbers the rest 2, 3: the pairing of its
    # point 2 with the English point 3 is uncertain.
    shifted = UK.replace(
        "2. Важке озброєння відводиться щонайменше на 50 км від лінії зіткнення:\n"
        "а) артилерія калібру 100 мм і більше;\nб) реактивні системи залпового вогню.\n",
        "",
    )
    shifted = shifted.replace("3. ОБСЄ", "2. ОБСЄ").replace("4. Обмін", "3. Обмін")
    with w.write() as s:
        doc, v = _doc(s, w)
        result = import_language(s, actor=w.med, doc=doc, version=v, text=shifted)
        assert not result.stored
        assert {(p.number, p.wid) for p in result.uncertain} == {("2", "p3"), ("3", "p4")}
        assert result.unpaired == ["2", "2(a)", "2(b)"]
    with w.read() as s:
        doc, v = _doc(s, w)
        assert q.version_languages(s, doc, v) == ["en"]  # nothing stored
    with w.write() as s:
        doc, v = _doc(s, w)
        with pytest.raises(TextError, match=r"^pairs: points 2 and 3 \(uk\) are both paired"):
            import_language(s, actor=w.med, doc=doc, version=v, text=shifted, pairs={"2": "p4"})
    with w.write() as s:
        doc, v = _doc(s, w)
        result = import_language(
            s, actor=w.med, doc=doc, version=v, text=shifted, pairs={"2": "p3", "3": "p4"}
        )
        assert result.stored
    with w.read() as s:
        doc, v = _doc(s, w)
        found = crosscheck_version(s, doc, v)
        missing = [f for f in found.findings if f.kind == "missing"]
        assert {f.numbers["en"] for f in missing} == {"2", "2(a)", "2(b)"}


def test_a_language_not_declared_or_the_lead_one_is_refused(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        with pytest.raises(TextError, match=r"^language: fr is not a language of cease"):
            import_language(s, actor=w.med, doc=doc, version=v, text=UK.replace("uk", "fr", 1))
        with pytest.raises(TextError, match=r"^language: the text says it is in uk, not ru"):
            import_language(s, actor=w.med, doc=doc, version=v, text=UK, language="ru")
        with pytest.raises(TextError, match=r"^language: en is the lead language"):
            import_language(s, actor=w.med, doc=doc, version=v, text=EN)
        with pytest.raises(Forbidden):
            import_language(s, actor=w.beta, doc=doc, version=v, text=UK)


def test_a_change_in_one_language_marks_the_others_pending_until_confirmed(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        import_language(s, actor=w.med, doc=doc, version=v, text=UK)
        import_language(s, actor=w.med, doc=doc, version=v, text=RU.replace("30 км", "50 км"))
        assert blockers(s, doc, v) == []
        update_language_text(
            s,
            actor=w.med,
            doc=doc,
            version=v,
            wid="p1",
            language="uk",
            text="Припинення вогню набирає чинності протягом 72 годин після підписання угоди.",
        )
        pending = {(r.language, r.changed_in) for r in q.pending(s, v)}
        assert pending == {("en", "uk"), ("ru", "uk")}
        assert blockers(s, doc, v) == [
            "1 provision(s) await the en translation",
            "1 provision(s) await the ru translation",
        ]
        with pytest.raises(NotInState, match=r"^status: cannot freeze v1 while its languages"):
            freeze_version(s, actor=w.med, doc=doc, version=v)
    with w.write() as s:
        doc, v = _doc(s, w)
        confirm_translation(s, actor=w.med, doc=doc, version=v, wid="p1", language="en")
        confirm_translation(s, actor=w.med, doc=doc, version=v, wid="p1", language="ru")
        with pytest.raises(TextError, match=r"^provision: p1 is not pending in ru"):
            confirm_translation(s, actor=w.med, doc=doc, version=v, wid="p1", language="ru")
        assert blockers(s, doc, v) == []
        digest = freeze_version(s, actor=w.med, doc=doc, version=v)
        # The hash covers the three texts: it is not the English text's alone.
        assert digest != content_hash(q.plain(s, doc, v))
        assert digest == version_hash(s, doc, v)


def test_a_finding_blocks_freezing_and_only_the_mediator_overrides(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        import_language(s, actor=w.med, doc=doc, version=v, text=UK)
        # The divergent point's content agrees less: its pairing is for a person to check.
        first = import_language(s, actor=w.med, doc=doc, version=v, text=RU)
        assert not first.stored and [p.number for p in first.uncertain] == ["2"]
        checked = import_language(
            s, actor=w.med, doc=doc, version=v, text=RU, accept_uncertain=True
        )
        assert checked.stored
        found = crosscheck_version(s, doc, v)
        assert [(f.kind, f.numbers, f.detail) for f in found.findings] == [
            ("number", {"en": "2", "ru": "2"}, "50 km in en, 30 km in ru")
        ]
        with pytest.raises(NotInState, match="1 open finding"):
            freeze_version(s, actor=w.med, doc=doc, version=v)
    with w.write() as s:
        doc, v = _doc(s, w)
        with pytest.raises(Forbidden):
            # AAA is no mediator: its override is refused before anything else.
            freeze_version(s, actor=w.alpha, doc=doc, version=v, override="we accept")
    with w.write() as s:
        doc, v = _doc(s, w)
        not_stepped = dataclasses.replace(w.med, stepped_up=False)
        with pytest.raises(StepUpRequired):
            freeze_version(s, actor=not_stepped, doc=doc, version=v, override="checked")
    with w.write() as s:
        doc, v = _doc(s, w)
        freeze_version(
            s, actor=w.med, doc=doc, version=v, override="The Russian text is corrected at signing"
        )
        assert v.language_override == "The Russian text is corrected at signing"
        for party, actor in (("MED", w.med), ("AAA", w.alpha)):
            generate_signing_key(s, actor=actor, process=w.process, passphrase=PASS[party])
        # Overridden once, signing goes ahead.
        sign_version(s, actor=w.alpha, doc=doc, version=v, passphrase=PASS["AAA"])
    with w.read() as s:
        bundle = export_bundle(s, w.process.key)
        actions = set(s.scalars(sa.select(AuditEvent.action)))
        assert "document:version:language-override" in actions
    check = verify_bundle(bundle)
    assert check.ok, check.problems
    assert check.as_dict()["valid"] == 1


def test_a_single_language_version_keeps_its_old_hash(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        digest = freeze_version(s, actor=w.med, doc=doc, version=v)
        assert digest == content_hash(q.plain(s, doc, v))


def test_a_new_version_carries_the_languages_and_marks_changes_pending(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        import_language(s, actor=w.med, doc=doc, version=v, text=UK)
    with w.write() as s:
        import_version(
            s,
            actor=w.system,
            process=w.process,
            document="cease",
            label="v2",
            text=EN.replace("within 72 hours", "within 48 hours"),
            kind="mediator_text",
            author="MED",
            parent="v1",
        )
    with w.read() as s:
        doc, v2 = _doc(s, w, "v2")
        assert q.version_languages(s, doc, v2) == ["en", "uk"]
        assert [r.number for r in q.language_rows(s, v2, "uk")][:2] == ["1", "2"]
        pending = q.pending(s, v2)
        ids = q.wid_ids(s, doc, ["p1"])
        assert [(r.provision_id, r.language, r.changed_in) for r in pending] == [
            (ids["p1"], "uk", "en")
        ]


def test_an_amendment_in_ukrainian_flags_english_when_accepted(world: World) -> None:
    w = world
    _setup(w)
    with w.write() as s:
        doc, v = _doc(s, w)
        import_language(s, actor=w.med, doc=doc, version=v, text=UK)
    with w.write() as s:
        doc = q.document(s, w.alpha, w.process.id, "cease")
        base = q.version(s, w.alpha, doc, "v1")
        with pytest.raises(TextError, match=r"language: only a substitution is written in uk"):
            create_amendment(
                s, actor=w.alpha, doc=doc, base=base, kind="delete", wid="p3", language="uk"
            )
        amendment = create_amendment(
            s,
            actor=w.alpha,
            doc=doc,
            base=base,
            kind="substitute",
            wid="p3",
            text="ОБСЄ та ООН здійснюють моніторинг заходів, передбачених пунктом 2.",
            language="uk",
        )
        assert amendment.language == "uk"
        submit_amendment(s, actor=w.alpha, amendment=amendment, to="mediator")
        key = amendment.key
    with w.write() as s:
        doc = q.document(s, w.med, w.process.id, "cease")
        amendment = q.amendment(s, w.med, doc, key)
        v2 = accept_amendments(s, actor=w.med, doc=doc, amendments=[amendment], label="v2")
        uk = {r.wid: r.text for r in q.language_rows(s, v2, "uk")}
        assert uk["p3"].startswith("ОБСЄ та ООН")
        en = {r.wid: r.text for r in q.provision_rows(s, v2)}
        assert en["p3"] == "The OSCE monitors the measures of point 2."  # unchanged, pending
        assert {(r.language, r.changed_in) for r in q.pending(s, v2)} == {("en", "uk")}
