"""The issue's done-when flow, at the service level, on SQLite and PostgreSQL.

Both versions of the (illustrative) Miami plan are imported from files, matched and the
matching corrected, compared in columns; two parties amend (one privately first), the mediator
consolidates with a bracket, resolves it, freezes the text; every delegation signs; the text is
exported to Markdown, DOCX with tracked changes and Akoma Ntoso; and every signature verifies
offline from an exported bundle alone.
"""

from __future__ import annotations

import copy
import io
import json
import zipfile

import pytest
from lxml import etree

from parley.authz import NotFound
from parley.authz.permissions import Forbidden
from parley.exports.bundle import dumps, export_bundle
from parley.texts import queries as q
from parley.texts.canonical import content_hash
from parley.texts.exporting import comparison_of, redline_of, version_download
from parley.texts.numbered import parse_numbered
from parley.texts.service import (
    TextError,
    confirm_lineage,
    correct_lineage,
    freeze_version,
    generate_signing_key,
    import_version,
    sign_version,
)
from parley.texts.service_amendments import (
    AmendmentConflict,
    accept_amendments,
    bracket_amendment,
    check_amendment,
    create_amendment,
    resolve_bracket,
    set_support,
    submit_amendment,
)
from parley.texts.signing import verify_bundle

from .conftest import COUNTER, US_DRAFT, World

PASS = {"MED": "mediator passphrase", "AAA": "alpha passphrase", "BBB": "beta passphrase"}


def _doc(w: World, s: object, actor: object) -> tuple[object, dict[str, object]]:
    doc = q.document(s, actor, w.process.id, "plan20")  # type: ignore[arg-type]
    return doc, {v.label: v for v in q.versions(s, actor, doc)}  # type: ignore[arg-type]


def test_the_miami_plan_from_import_to_signatures_verified_offline(world: World) -> None:
    w = world
    # --- 1. Import both versions from their files (the CLI's service, as the operator).
    with w.write() as s:
        us = import_version(
            s,
            actor=w.system,
            process=w.process,
            document="plan20",
            label="us-draft",
            text=US_DRAFT.read_text(encoding="utf-8"),
            author="MED",
            space="participants",
        )
        assert us.summary()["provisions"] == 20 and us.document_created
        counter = import_version(
            s,
            actor=w.system,
            process=w.process,
            document="plan20",
            label="counter",
            text=COUNTER.read_text(encoding="utf-8"),
            author="AAA",
            parent="us-draft",
        )
        summary = counter.summary()
    assert summary["parent"] == "us-draft"
    # Unchanged points keep their permanent ids although most are renumbered (3 → p2).
    assert summary["wids"]["1"] == "p1" and summary["wids"]["3"] == "p2"
    assert summary["wids"]["20"] == "p20"
    ceasefire_wid = summary["wids"]["2"]  # rewritten too much to be matched with confidence
    assert ceasefire_wid != "p11" and ceasefire_wid.startswith("p2-")

    # --- 2. Matching: suggestions are stored unconfirmed; a person corrects and confirms.
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        old, new = versions["us-draft"], versions["counter"]
        unconfirmed = q.lineage(s, w.med, [old, new], confirmed=False)
        assert len(unconfirmed) >= 20 and all(r.confirmed_at is None for r, _, _ in unconfirmed)
        correct_lineage(
            s,
            actor=w.med,
            doc=doc,
            old=old,
            new=new,
            new_wid=ceasefire_wid,
            old_wid="p11",
            kind="moved",
        )
        confirmed = confirm_lineage(s, actor=w.med, old=old, new=new)
        assert confirmed >= 19
    with w.read() as s:
        doc, versions = _doc(w, s, w.med)
        counter_plain = q.plain(s, doc, versions["counter"])
        assert counter_plain.provisions[1].wid == "p11"  # re-keyed: the ceasefire keeps its id
        rows = q.lineage(s, w.med, [versions["us-draft"], versions["counter"]], confirmed=True)
        moved = [r for r, a, b in rows if a == "p11"]
        assert moved and moved[0].kind == "moved" and moved[0].confirmed_by_id == w.med.user_id
        changes = redline_of(s, w.med, doc, versions["us-draft"], versions["counter"])
        row = next(r for r in changes.rows if r.wid == "p11")
        assert row.status == "moved" and row.old.number == "11" and row.new.number == "2"
        assert any(r.status == "deleted" and r.old.wid == "p16" for r in changes.rows)

        # --- 3. Columns: one row per point, lineage joining the ids.
        table = comparison_of(s, w.med, doc, [versions["us-draft"], versions["counter"]])
        keyed = {r.key: r for r in table.rows}
        assert keyed["p1"].differs is False
        assert [p.number for p in keyed["p11"].cells[0]] == ["11"]
        assert [p.number for p in keyed["p11"].cells[1]] == ["2"]
        assert keyed["p16"].cells[1] == ()

    # --- 4. The mediator's first text, from the US draft.
    with w.write() as s:
        import_version(
            s,
            actor=w.system,
            process=w.process,
            document="plan20",
            label="med-1",
            text=US_DRAFT.read_text(encoding="utf-8"),
            kind="mediator_text",
            author="MED",
            parent="us-draft",
        )

    # --- 5. Two parties amend. AAA drafts privately, against the older base (us-draft).
    territory_aaa = (
        "The parties stop on the current line of contact; no territorial change made by force "
        "is recognised."
    )
    with w.write() as s:
        doc, versions = _doc(w, s, w.alpha)
        a_territory = create_amendment(
            s,
            actor=w.alpha,
            doc=doc,
            base=versions["us-draft"],
            kind="substitute",
            wid="p10",
            text=territory_aaa,
            justification="Illustrative: no recognition by force.",
        )
        a_insert = create_amendment(
            s,
            actor=w.alpha,
            doc=doc,
            base=versions["us-draft"],
            kind="insert",
            after="p12",
            heading="Civilians",
            text="Deported children are returned within 60 days.",
        )
        keys = {"aaa_territory": a_territory.key, "aaa_insert": a_insert.key}
        assert a_territory.space == "party:AAA"
    with w.read() as s:
        doc, _ = _doc(w, s, w.beta)
        for who in (w.beta, w.med):
            with pytest.raises(NotFound):
                q.amendment(s, who, doc, keys["aaa_territory"])
    with w.write() as s:
        doc, versions = _doc(w, s, w.beta)
        b_army = create_amendment(
            s,
            actor=w.beta,
            doc=doc,
            base=versions["med-1"],
            kind="substitute",
            wid="p6",
            text="Ukraine's armed forces in peacetime do not exceed 800,000 personnel.",
        )
        b_territory = create_amendment(
            s,
            actor=w.beta,
            doc=doc,
            base=versions["med-1"],
            kind="substitute",
            wid="p10",
            text="Ukrainian forces withdraw from the Donetsk region, which is demilitarised.",
        )
        keys.update(bbb_army=b_army.key, bbb_territory=b_territory.key)
        for amendment in (b_army, b_territory):
            submit_amendment(s, actor=w.beta, amendment=amendment, to="mediator")
        assert b_army.space == "party:BBB+mediator"
    with w.write() as s:
        doc, _ = _doc(w, s, w.alpha)
        with pytest.raises(Forbidden):  # a viewer cannot submit (a release)
            submit_amendment(
                s,
                actor=w.alpha_viewer,
                amendment=q.amendment(s, w.alpha_viewer, doc, keys["aaa_insert"]),
            )
    with w.write() as s:
        doc, _ = _doc(w, s, w.alpha)
        for key in ("aaa_territory", "aaa_insert"):
            submit_amendment(s, actor=w.alpha, amendment=q.amendment(s, w.alpha, doc, keys[key]))
    with w.read() as s:
        doc, _ = _doc(w, s, w.alpha)
        with pytest.raises(NotFound):  # submitted to the mediator only: AAA cannot see it
            q.amendment(s, w.alpha, doc, keys["bbb_army"])

    # --- 6. The mediator consolidates: accepts two into med-2, brackets the territory ones.
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        with pytest.raises(Forbidden):
            accept_amendments(
                s,
                actor=w.beta,
                doc=doc,
                label="nope",
                amendments=[q.amendment(s, w.beta, doc, keys["bbb_army"])],
            )
        med2 = accept_amendments(
            s,
            actor=w.med,
            doc=doc,
            label="med-2",
            amendments=[q.amendment(s, w.med, doc, keys[k]) for k in ("aaa_insert", "bbb_army")],
        )
        assert med2.kind == "mediator_text"
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        med2 = versions["med-2"]
        plain2 = q.plain(s, doc, med2)
        numbers = [p.number for p in plain2.provisions]
        assert numbers[12] == "12a" and plain2.provisions[12].text.startswith("Deported")
        assert "800,000" in next(p.text for p in plain2.provisions if p.wid == "p6")
        # Both territory amendments still apply to p10 (unchanged since their bases)...
        for key in ("aaa_territory", "bbb_territory"):
            assert check_amendment(s, doc, q.amendment(s, w.med, doc, keys[key]), med2).ok
        # ...and fold into one bracket with the current text as option a.
        option_a = bracket_amendment(
            s,
            actor=w.med,
            doc=doc,
            amendment=q.amendment(s, w.med, doc, keys["aaa_territory"]),
            version=med2,
        )
        option_b = bracket_amendment(
            s,
            actor=w.med,
            doc=doc,
            amendment=q.amendment(s, w.med, doc, keys["bbb_territory"]),
            version=med2,
        )
        assert (option_a.key, option_b.key) == ("b", "c")
        set_support(s, actor=w.med, option=option_b, party="AAA", kind="objects")
        set_support(s, actor=w.alpha, option=option_a, party="AAA", kind="supports")
        with pytest.raises(Forbidden):
            set_support(s, actor=w.alpha, option=option_b, party="BBB", kind="objects")
    with w.read() as s:
        doc, versions = _doc(w, s, w.alpha)
        views = q.brackets(s, w.alpha, [versions["med-2"]])
        assert len(views) == 1 and views[0].wid == "p10"
        options = {o.option.key: o for o in views[0].options}
        assert set(options) == {"a", "b", "c"}
        assert options["b"].proposer == "AAA" and options["b"].supporters == ("AAA",)
        assert options["c"].proposer == "BBB" and options["c"].objectors == ("AAA",)
        counts = q.bracket_counts(s, w.alpha, list(versions.values()))
        by_label = {c["version"]: c for c in counts["per_version"]}
        assert by_label["med-2"]["open_brackets"] == 1 and by_label["med-2"]["open_options"] == 3
        assert counts["over_time"][-1]["open_brackets"] >= 1

    # An amendment against the old base of a provision that changed since conflicts.
    with w.write() as s:
        doc, versions = _doc(w, s, w.alpha)
        stale = create_amendment(
            s,
            actor=w.alpha,
            doc=doc,
            base=versions["us-draft"],
            kind="substitute",
            wid="p6",
            text="Ukraine's armed forces in peacetime do not exceed 700,000 personnel.",
        )
        submit_amendment(s, actor=w.alpha, amendment=stale)
        stale_key = stale.key
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        stale = q.amendment(s, w.med, doc, stale_key)
        assert not check_amendment(s, doc, stale, versions["med-2"]).ok
        with pytest.raises(AmendmentConflict, match="changed since the base"):
            accept_amendments(s, actor=w.med, doc=doc, label="med-3", amendments=[stale])

    # --- 7. Resolve the bracket, freeze, sign by every delegation.
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        med2 = versions["med-2"]
        with pytest.raises(TextError, match="freeze"):
            generate_signing_key(s, actor=w.med, process=w.process, passphrase=PASS["MED"])
            sign_version(s, actor=w.med, doc=doc, version=med2, passphrase=PASS["MED"])
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        med2 = versions["med-2"]
        bracket = q.brackets(s, w.med, [med2])[0].bracket
        resolve_bracket(s, actor=w.med, bracket=bracket, option_key="b")
        digest = freeze_version(s, actor=w.med, doc=doc, version=med2)
        assert digest == content_hash(q.plain(s, doc, med2))
        assert (
            next(p.text for p in q.plain(s, doc, med2).provisions if p.wid == "p10")
            == territory_aaa
        )
    with w.write() as s:
        doc, versions = _doc(w, s, w.med)
        with pytest.raises(TextError, match="frozen"):
            freeze_version(s, actor=w.med, doc=doc, version=versions["med-2"])
    for actor, party in ((w.alpha, "AAA"), (w.beta, "BBB")):
        with w.write() as s:
            generate_signing_key(s, actor=actor, process=w.process, passphrase=PASS[party])
    for actor, party in ((w.med, "MED"), (w.alpha, "AAA"), (w.beta, "BBB")):
        with w.write() as s:
            doc, versions = _doc(w, s, actor)
            if party == "AAA":
                with pytest.raises(TextError, match="wrong passphrase"):
                    sign_version(
                        s,
                        actor=actor,
                        doc=doc,
                        version=versions["med-2"],
                        passphrase="not the passphrase",
                    )
            sign_version(s, actor=actor, doc=doc, version=versions["med-2"], passphrase=PASS[party])
    with w.write() as s:
        doc, versions = _doc(w, s, w.alpha_viewer)
        with pytest.raises(Forbidden):
            sign_version(
                s, actor=w.alpha_viewer, doc=doc, version=versions["med-2"], passphrase=PASS["AAA"]
            )
    with w.read() as s:
        doc, versions = _doc(w, s, w.beta)
        signed = q.signatures(s, w.beta, versions["med-2"])
        assert sorted(x["party"] for x in signed) == ["AAA", "BBB", "MED"]
        assert {x["content_hash"] for x in signed} == {digest}

        # --- 8. Exports: Markdown (reads back), DOCX with revisions, Akoma Ntoso.
        md = version_download(s, w.beta, doc, versions["med-2"], "md").body.decode()
        reread = parse_numbered(md)
        assert [p.number for p in reread.provisions] == [
            p.number for p in q.plain(s, doc, versions["med-2"]).provisions
        ]
        docx = version_download(s, w.beta, doc, versions["med-2"], "docx", versions["med-1"]).body
        body = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
        assert "<w:ins " in body and "<w:del " in body
        akn = etree.fromstring(version_download(s, w.beta, doc, versions["med-2"], "akn").body)
        assert etree.QName(akn[0]).localname == "bill"
        assert digest in etree.tostring(akn).decode()

    # --- 9. Every signature verifies offline from the bundle, and tampering is caught.
    with w.read() as s:
        bundle = json.loads(dumps(export_bundle(s, "small")))
    result = verify_bundle(bundle)
    assert result.ok, result.problems
    assert result.as_dict()["valid"] == 3
    tampered = copy.deepcopy(bundle)
    p10 = next(
        p["id"]
        for p in tampered["tables"]["provisions"]
        if p["wid"] == "p10" and p["document_id"] == str(doc.id)
    )
    for row in tampered["tables"]["provision_texts"]:
        if row["provision_id"] == p10 and row["version_id"] == str(versions["med-2"].id):
            row["text"] += " Illustrative tampering."
    bad = verify_bundle(tampered)
    assert not bad.ok and len(bad.problems) == 3 and "now hashes to" in bad.problems[0]
    forged = copy.deepcopy(bundle)
    forged["tables"]["signatures"][0]["signature"] = forged["tables"]["signatures"][1]["signature"]
    assert any("does not verify" in p for p in verify_bundle(forged).problems)
