"""The languages of a version over HTTP (issue 15), on the canary scenario, both backends.

Denials first (a hidden version answers exactly like a missing one; a party that is not the
author cannot add a language; only the mediator declares languages or overrides), then the
flow through the JSON API and the forms: declare en, uk, ru; import uk (stored) and ru (an
uncertain pairing shown to confirm, then stored); the comparison shows the planted divergence on
its row; freezing answers 409 with a plain message until the mediator overrides with a reason;
each language downloads on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from web.support import Canary

from .conftest import FIXTURES

API = "/api/v1/processes/canary/texts"
PAGE = "/p/canary/texts"
EN, UK, RU = (
    (FIXTURES / f"cease.{lang}.md").read_text(encoding="utf-8") for lang in ("en", "uk", "ru")
)


def _post(canary: Canary, persona: str, path: str, body: dict[str, Any]) -> Any:
    return canary.client(persona).post(path, json=body, headers=canary.csrf(persona))


def _form(canary: Canary, persona: str, path: str, data: dict[str, Any]) -> Any:
    client = canary.client(persona)
    token = canary.csrf(persona)["X-CSRF-Token"]
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def _new_version(canary: Canary) -> None:
    made = _post(
        canary,
        "mediator",
        f"{API}/plan/versions",
        {
            "label": "ml1",
            "text": EN,
            "kind": "mediator_text",
            "space": "participants",
            "parent": "v1",
        },
    )
    assert made.status_code == 201, made.text


def test_language_writes_are_refused_to_those_who_may_not(canary: Canary) -> None:
    _new_version(canary)
    declare = {"languages": "en,uk,ru"}
    assert _post(canary, "aaa-head", f"{API}/plan/languages", declare).status_code == 403
    assert _post(canary, "observer", f"{API}/plan/languages", declare).status_code == 404
    assert canary.client("anonymous").post(f"{API}/plan/languages", json=declare).status_code == 401
    assert _post(canary, "mediator", f"{API}/plan/languages", declare).status_code == 200
    body = {"text": UK}
    # The version's author is the mediator: a party adds no language to it.
    assert _post(canary, "aaa-head", f"{API}/plan/v/ml1/languages", body).status_code == 403
    assert _post(canary, "bbb-viewer", f"{API}/plan/v/ml1/languages", body).status_code == 403
    # AAA's private draft is hidden from BBB: exactly like a version that does not exist.
    for path in ("/plan/v/aaa-draft/languages", "/plan/v/aaa-draft/languages/confirm"):
        payload = body if path.endswith("languages") else {"wid": "p1", "language": "uk"}
        hidden = _post(canary, "bbb-head", API + path, payload)
        missing = _post(canary, "bbb-head", API + path.replace("aaa-draft", "nope"), payload)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
    hidden = canary.client("bbb-head").get(f"{PAGE}/plan/v/aaa-draft/languages")
    missing = canary.client("bbb-head").get(f"{PAGE}/plan/v/nope/languages")
    assert hidden.status_code == missing.status_code == 404 and hidden.text == missing.text
    # Freezing with an override is the mediator's: the author check refuses AAA first.
    over = {"override": "we agree"}
    assert _post(canary, "aaa-head", f"{API}/plan/v/ml1/freeze", over).status_code == 403


def test_three_languages_side_by_side_blocking_the_freeze_until_overridden(
    canary: Canary,
) -> None:
    _new_version(canary)
    declared = _post(canary, "mediator", f"{API}/plan/languages", {"languages": "en,uk,ru"})
    assert declared.json() == {"languages": ["en", "uk", "ru"], "translations": []}
    bad = _post(canary, "mediator", f"{API}/plan/languages", {"languages": "en,zz"})
    assert bad.status_code == 422 and "zz" in bad.text

    stored = _post(canary, "mediator", f"{API}/plan/v/ml1/languages", {"text": UK})
    assert stored.status_code == 200 and stored.json()["stored"] is True
    first = _post(canary, "mediator", f"{API}/plan/v/ml1/languages", {"text": RU}).json()
    assert first["stored"] is False
    [uncertain] = first["uncertain"]
    assert uncertain["number"] == "2"
    settled = _post(
        canary,
        "mediator",
        f"{API}/plan/v/ml1/languages",
        {"text": RU, "pairs": {"2": uncertain["wid"]}},
    )
    assert settled.json()["stored"] is True

    data = canary.client("aaa-viewer").get(f"{API}/plan/v/ml1/languages").json()
    assert [x["code"] for x in data["languages"]] == ["en", "uk", "ru"]
    assert [f["detail"] for f in data["findings"]] == ["50 km in en, 30 km in ru"]
    row = next(r for r in data["rows"] if r["findings"])
    assert row["cells"]["ru"]["number"] == "2" and "30 км" in row["cells"]["ru"]["text"]
    assert data["blockers"] == ["the cross-language check has 1 open finding(s) between en, uk, ru"]

    refused = _post(canary, "mediator", f"{API}/plan/v/ml1/freeze", {})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(
        "status: cannot freeze ml1 while its languages are not in step"
    )
    page = canary.client("mediator").get(f"{PAGE}/plan/v/ml1")
    assert 'id="version-blockers"' in page.text and 'id="languages-link"' in page.text

    # Each language downloads on its own; a language the version lacks is 404.
    md = canary.client("aaa-head").get(f"{API}/plan/v/ml1/export/md?language=uk")
    assert md.status_code == 200 and "language: uk" in md.text and "ОБСЄ" in md.text
    assert 'filename="plan-ml1-uk.md"' in md.headers["content-disposition"]
    assert (
        canary.client("aaa-head").get(f"{API}/plan/v/ml1/export/md?language=fr").status_code == 404
    )
    redline = canary.client("aaa-head").get(f"{API}/plan/diff?old=v1&new=ml1&language=ru")
    assert redline.status_code == 200 and "30 км" in redline.text

    frozen = _post(
        canary, "mediator", f"{API}/plan/v/ml1/freeze", {"override": "ru corrected at signing"}
    )
    assert frozen.status_code == 200 and len(frozen.json()["content_hash"]) == 64
    after = canary.client("mediator").get(f"{API}/plan/v/ml1/languages").json()
    assert after["version"]["language_override"] == "ru corrected at signing"


def test_the_forms_confirm_an_uncertain_pairing_before_storing(canary: Canary) -> None:
    _new_version(canary)
    assert (
        _form(canary, "mediator", f"{PAGE}/plan/languages", {"languages": "en,uk,ru"}).status_code
        == 303
    )
    shown = _form(canary, "mediator", f"{PAGE}/plan/v/ml1/languages", {"text": RU})
    # Nothing stored yet: the pairings are shown with the text kept.
    assert shown.status_code == 200 and 'id="pairing-form"' in shown.text
    assert "30 км" in shown.text
    api = canary.client("mediator").get(f"{API}/plan/v/ml1/languages").json()
    assert [x["code"] for x in api["languages"]] == ["en"]
    wid = next(r["wid"] for r in api["rows"] if r["cells"]["en"]["number"] == "2")
    done = _form(
        canary,
        "mediator",
        f"{PAGE}/plan/v/ml1/languages",
        {"text": RU, "language": "ru", "pair:2": wid},
    )
    assert done.status_code == 303 and done.headers["location"].endswith("/languages#lang-ru")
    page = canary.client("bbb-head").get(f"{PAGE}/plan/v/ml1/languages")
    assert page.status_code == 200 and 'lang="ru"' in page.text and "30 км" in page.text


@pytest.mark.parametrize("persona", ["mediator", "aaa-head"])
def test_the_languages_page_offers_only_what_the_persona_may_do(
    canary: Canary, persona: str
) -> None:
    _new_version(canary)
    _post(canary, "mediator", f"{API}/plan/languages", {"languages": "en,uk"})
    page = canary.client(persona).get(f"{PAGE}/plan/v/ml1/languages").text
    assert ('id="declare-languages"' in page) is (persona == "mediator")
    assert ('id="language-import"' in page) is (persona == "mediator")


def test_an_amendment_names_its_language(canary: Canary) -> None:
    _new_version(canary)
    _post(canary, "mediator", f"{API}/plan/languages", {"languages": "en,uk"})
    assert _post(canary, "mediator", f"{API}/plan/v/ml1/languages", {"text": UK}).json()["stored"]
    wid = next(
        r["wid"]
        for r in canary.client("aaa-head").get(f"{API}/plan/v/ml1/languages").json()["rows"]
        if r["cells"]["en"]["number"] == "3"
    )
    text = "ОБСЄ та ООН здійснюють моніторинг заходів, передбачених пунктом 2."
    body = {"base": "ml1", "kind": "substitute", "provision": wid, "language": "uk", "text": text}
    made = _post(canary, "aaa-head", f"{API}/plan/amendments", body)
    assert made.status_code == 201, made.text
    listed = canary.client("aaa-head").get(f"{API}/plan/amendments").json()
    mine = next(a for a in listed["amendments"] if a["key"] == made.json()["key"])
    assert mine["language"] == "uk"
    refused = _post(canary, "aaa-head", f"{API}/plan/amendments", {**body, "kind": "delete"})
    assert refused.status_code == 422 and "only a substitution is written in uk" in refused.text


def test_the_amendment_form_offers_the_documents_languages(canary: Canary) -> None:
    _new_version(canary)
    page = canary.client("aaa-head").get(f"{PAGE}/plan/amendments").text
    assert 'name="language"' not in page  # one language: nothing to choose
    _post(canary, "mediator", f"{API}/plan/languages", {"languages": "en,uk"})
    assert _post(canary, "mediator", f"{API}/plan/v/ml1/languages", {"text": UK}).json()["stored"]
    page = canary.client("aaa-head").get(f"{PAGE}/plan/amendments").text
    assert 'name="language"' in page and "Ukrainian (uk)" in page
    wid = next(
        r["wid"]
        for r in canary.client("aaa-head").get(f"{API}/plan/v/ml1/languages").json()["rows"]
        if r["cells"]["en"]["number"] == "3"
    )
    text = "ОБСЄ та ООН здійснюють моніторинг заходів, передбачених пунктом 2."
    sent = _form(
        canary,
        "aaa-head",
        f"{PAGE}/plan/amendments",
        {"base": "ml1", "kind": "substitute", "provision": wid, "language": "uk", "text": text},
    )
    assert sent.status_code == 303, sent.text
    listed = canary.client("aaa-head").get(f"{API}/plan/amendments").json()["amendments"]
    assert [a["language"] for a in listed if a["status"] == "draft"][-1] == "uk"
