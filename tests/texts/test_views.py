"""The negotiating-text pages and their JSON twins, over the canary scenario on both backends.

Denial cases first (anonymous, another party, a read-only member), then the workflow through
the API and forms, then a crawl of every texts page as every persona: no marker or id of a
space the persona cannot see may appear.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from web.crawl import LINK, CrawlResult, hidden_ids, same_origin_path
from web.support import PERSONAS, Canary

API = "/api/v1/processes/canary/texts"
PAGE = "/p/canary/texts"
NOT_FOUND = {"detail": "Not Found"}


def _post(canary: Canary, persona: str, path: str, body: dict[str, object]) -> object:
    return canary.client(persona).post(path, json=body, headers=canary.csrf(persona))


# ---------------------------------------------------------------- denials


def test_a_private_draft_is_404_to_everyone_else_exactly_like_a_missing_one(
    shared_canary: Canary,
) -> None:
    for persona in ("bbb-head", "mediator", "observer", "anonymous"):
        client = shared_canary.client(persona)
        hidden = client.get(f"{API}/plan/v/aaa-draft")
        missing = client.get(f"{API}/plan/v/no-such-version")
        assert hidden.status_code == missing.status_code == 404, persona
        assert hidden.json() == missing.json() == NOT_FOUND
        page = client.get(f"{PAGE}/plan/v/aaa-draft")
        assert page.status_code == 404 and page.text == client.get(f"{PAGE}/plan/v/nope").text
        assert client.get(f"{PAGE}/plan/diff?old=v1&new=aaa-draft").status_code == 404
        assert client.get(f"{API}/plan/v/aaa-draft/export/md").status_code == 404
    own = shared_canary.client("aaa-viewer").get(f"{API}/plan/v/aaa-draft")
    assert own.status_code == 200 and own.json()["provisions"][2]["wid"] == "CANARY-AAA-DRAFT-WID"


def test_writes_need_a_signed_in_writer_of_the_space(canary: Canary) -> None:
    body = {"label": "x1", "text": "1. A point."}
    anonymous = canary.client("anonymous").post(f"{API}/plan/versions", json=body)
    assert anonymous.status_code == 401
    form = canary.client("anonymous").post(f"{PAGE}/plan/versions", data=body)
    assert form.status_code == 303 and form.headers["location"].startswith("/login")
    assert _post(canary, "observer", f"{API}/plan/versions", body).status_code == 404
    assert _post(canary, "bbb-head", f"{API}/CANARY-AAA-DOC-KEY/versions", body).status_code == 404
    assert _post(canary, "aaa-viewer", f"{API}/plan/versions", body).status_code == 403
    no_csrf = canary.client("aaa-head").post(f"{API}/plan/versions", json=body)
    assert no_csrf.status_code == 403
    # A party cannot bracket, accept, or sign for another party.
    assert (
        _post(
            canary,
            "aaa-head",
            f"{API}/plan/accept",
            {"amendments": ["CANARY-PARTS-AMENDMENT-KEY"], "label": "x"},
        ).status_code
        == 403
    )
    assert (
        _post(
            canary, "aaa-viewer", f"{API}/plan/v/v1/sign", {"passphrase": "whatever-long"}
        ).status_code
        == 403
    )
    assert (
        _post(canary, "aaa-viewer", f"{API}-keys", {"passphrase": "long enough pass"}).status_code
        == 403
    )


def test_import_errors_name_their_lines_and_write_nothing(canary: Canary) -> None:
    bad = "1. First point.\n3. Skips two.\n4.\n"
    response = _post(canary, "aaa-head", f"{API}/plan/versions", {"label": "bad", "text": bad})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "line 2: point 3 follows 1" in detail and "line 3: point 4 is empty" in detail
    assert canary.client("aaa-head").get(f"{API}/plan/v/bad").status_code == 404


def test_an_import_hiding_a_character_is_refused_inline_naming_the_field(canary: Canary) -> None:
    # U+202E would make the point display otherwise than the text that is frozen and signed.
    text = "1. A point.\n2. Another \u202epoint.\n"
    body = {"label": "aaa-hidden", "text": text}
    response = _post(canary, "aaa-head", f"{API}/plan/versions", body)
    assert response.status_code == 422
    [error] = response.json()["errors"]  # the one JSON error shape (parley.errors.InputError)
    assert error["field"] == "text"
    assert error["message"].startswith("bidirectional control U+202E RIGHT-TO-LEFT OVERRIDE")
    assert "at line 2, character 12" in error["message"]
    form = _form(canary, "aaa-head", f"{PAGE}/plan/versions", body)
    assert form.status_code == 422 and "U+202E" in form.text
    assert canary.client("aaa-head").get(f"{API}/plan/v/aaa-hidden").status_code == 404


# ---------------------------------------------------------------- the workflow


def test_import_redline_match_and_compare_through_the_api(canary: Canary) -> None:
    text = (
        "# Plan\n\n## 1. CANARY-PARTS-PROVISION-HEADING\nCANARY-PARTS-PROVISION-TEXT\n"
        "2. A new second point from AAA.\n"
    )
    made = _post(
        canary, "aaa-head", f"{API}/plan/versions", {"label": "aaa-2", "text": text, "parent": "v1"}
    )
    assert made.status_code == 201, made.text
    summary = made.json()
    assert summary["space"] == "party:AAA" and summary["parent"] == "v1"
    assert summary["wids"]["1"] == "p1"  # kept from v1
    assert summary["wids"]["2"].startswith("p2-")  # private: a random suffix, never a clash
    # BBB cannot see it anywhere.
    assert canary.client("bbb-head").get(f"{API}/plan/v/aaa-2").status_code == 404
    assert "aaa-2" not in canary.client("bbb-head").get(f"{API}/plan").text

    diff = canary.client("aaa-head").get(f"{API}/plan/diff", params={"old": "v1", "new": "aaa-2"})
    assert diff.status_code == 200
    statuses = {row["wid"]: row["status"] for row in diff.json()["rows"]}
    assert statuses["p1"] == "same" and statuses[summary["wids"]["2"]] == "inserted"
    md = canary.client("aaa-head").get(f"{PAGE}/plan/diff/md", params={"old": "v1", "new": "aaa-2"})
    assert md.status_code == 200 and "attachment" in md.headers["content-disposition"]

    match = canary.client("aaa-head").get(f"{API}/plan/match", params={"old": "v1", "new": "aaa-2"})
    links = match.json()["links"]
    assert links and not any(link["confirmed"] for link in links)
    corrected = _post(
        canary,
        "aaa-head",
        f"{API}/plan/match",
        {
            "old": "v1",
            "new": "aaa-2",
            "new_wid": summary["wids"]["2"],
            "old_wid": "p2",
            "kind": "changed",
        },
    )
    assert corrected.status_code == 200, corrected.text
    confirmed = _post(
        canary, "aaa-head", f"{API}/plan/match", {"old": "v1", "new": "aaa-2", "confirm_all": True}
    )
    assert confirmed.status_code == 200
    after = canary.client("aaa-head").get(f"{API}/plan/v/aaa-2").json()
    assert [p["wid"] for p in after["provisions"]] == ["p1", "p2"]  # re-keyed to v1's id

    table = canary.client("aaa-head").get(f"{API}/plan/compare", params={"v": ["v1", "aaa-2"]})
    assert table.status_code == 200
    assert [c["label"] for c in table.json()["columns"]] == ["v1", "aaa-2"]
    docx = canary.client("aaa-head").get(f"{PAGE}/plan/compare/docx", params={"v": ["v1", "aaa-2"]})
    assert docx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(docx.content))


def test_amend_bracket_resolve_freeze_and_sign_through_the_web(canary: Canary) -> None:
    # The mediator's working text (unfrozen), from v1.
    base = "1. CANARY-PARTS-PROVISION-TEXT\n2. CANARY-PARTS-PROVISION-TWO\n"
    made = _post(
        canary,
        "mediator",
        f"{API}/plan/versions",
        {
            "label": "med-2",
            "text": base,
            "kind": "mediator_text",
            "parent": "v1",
            "space": "participants",
        },
    )
    assert made.status_code == 201, made.text
    # AAA drafts (privately), BBB cannot see the draft; AAA submits to the mediator only.
    drafted = _post(
        canary,
        "aaa-head",
        f"{API}/plan/amendments",
        {
            "base": "med-2",
            "kind": "substitute",
            "provision": "p2",
            "text": "The border follows the line agreed in annex one.",
        },
    )
    assert drafted.status_code == 201, drafted.text
    key = drafted.json()["key"]
    assert drafted.json()["space"] == "party:AAA"
    assert key not in canary.client("mediator").get(f"{API}/plan/amendments").text
    viewer = _post(canary, "aaa-viewer", f"{API}/plan/amendments/{key}/submit", {"to": "mediator"})
    assert viewer.status_code == 403
    submitted = _post(canary, "aaa-head", f"{API}/plan/amendments/{key}/submit", {"to": "mediator"})
    assert submitted.status_code == 200 and submitted.json()["space"] == "party:AAA+mediator"
    assert key not in canary.client("bbb-head").get(f"{API}/plan/amendments").text
    listed = canary.client("mediator").get(f"{API}/plan/amendments").json()
    mine = next(a for a in listed["amendments"] if a["key"] == key)
    assert mine["check"]["applies"] is True and listed["current_text"] == "med-2"

    # The mediator brackets it, BBB objects to AAA's option (its own stance), then resolves.
    folded = _post(canary, "mediator", f"{API}/plan/amendments/{key}/bracket", {})
    assert folded.status_code == 200 and folded.json()["status"] == "bracketed"
    brackets = canary.client("bbb-head").get(f"{API}/plan/v/med-2/brackets").json()["brackets"]
    assert len(brackets) == 1 and [o["key"] for o in brackets[0]["options"]] == ["a", "b"]
    bkey = brackets[0]["key"]
    objection = _post(
        canary,
        "bbb-head",
        f"{API}/plan/brackets/{bkey}/support",
        {"option": "b", "stance": "objects"},
    )
    assert objection.status_code == 200, objection.text
    for_aaa = _post(
        canary,
        "bbb-head",
        f"{API}/plan/brackets/{bkey}/support",
        {"option": "b", "stance": "supports", "party": "AAA"},
    )
    assert for_aaa.status_code == 403
    page = canary.client("mediator").get(f"{PAGE}/plan")
    assert page.status_code == 200 and "data-plotly" in page.text
    counts = canary.client("mediator").get(f"{API}/plan").json()["brackets"]["per_version"]
    assert {c["version"]: c["open_brackets"] for c in counts}["med-2"] == 1
    resolved = canary.client("mediator").post(
        f"{PAGE}/plan/brackets/{bkey}/resolve",
        data={"option": "b", "csrf_token": canary.csrf("mediator")["X-CSRF-Token"]},
    )
    assert resolved.status_code == 303
    reading = canary.client("aaa-head").get(f"{API}/plan/v/med-2").json()
    assert reading["provisions"][1]["text"].startswith("The border follows")
    assert reading["open_brackets"] == 0

    # Freeze, keys, signatures (passphrase step-up), downloads.
    frozen = _post(canary, "mediator", f"{API}/plan/v/med-2/freeze", {})
    assert frozen.status_code == 200
    digest = frozen.json()["content_hash"]
    for persona in ("mediator", "aaa-head", "bbb-head"):
        made_key = _post(canary, persona, f"{API}-keys", {"passphrase": f"{persona} passphrase"})
        assert made_key.status_code == 201, made_key.text
    wrong = _post(canary, "aaa-head", f"{API}/plan/v/med-2/sign", {"passphrase": "wrong one!!"})
    assert wrong.status_code == 422 and "passphrase" in wrong.json()["detail"]
    for persona in ("mediator", "aaa-head", "bbb-head"):
        signed = _post(
            canary, persona, f"{API}/plan/v/med-2/sign", {"passphrase": f"{persona} passphrase"}
        )
        assert signed.status_code == 201, signed.text
        assert signed.json()["content_hash"] == digest
    again = _post(
        canary, "bbb-head", f"{API}/plan/v/med-2/sign", {"passphrase": "bbb-head passphrase"}
    )
    assert again.status_code == 422
    signatures = canary.client("observer").get(f"{API}/plan/v/med-2")
    assert signatures.status_code == 404  # plan is for participants only
    shown = canary.client("bbb-viewer").get(f"{API}/plan/v/med-2").json()["signatures"]
    assert sorted(s["party"] for s in shown) == ["AAA", "BBB", "MED"]
    for fmt, kind in (("md", "text/markdown"), ("docx", "officedocument"), ("akn", "akn+xml")):
        download = canary.client("bbb-viewer").get(f"{PAGE}/plan/v/med-2/export/{fmt}")
        assert download.status_code == 200 and kind in download.headers["content-type"]
    tracked = canary.client("bbb-viewer").get(f"{API}/plan/v/med-2/export/docx?against=v1")
    body = zipfile.ZipFile(io.BytesIO(tracked.content)).read("word/document.xml").decode()
    assert "<w:ins " in body


def _form(canary: Canary, persona: str, path: str, data: dict[str, object]) -> object:
    token = canary.csrf(persona)["X-CSRF-Token"]
    return canary.client(persona).post(path, data={**data, "csrf_token": token})


def test_the_forms_write_what_their_json_twins_write(canary: Canary) -> None:
    # An empty field is an absent one: a required one answers 422 and writes nothing.
    base = "1. CANARY-PARTS-PROVISION-TEXT\n2. CANARY-PARTS-PROVISION-TWO\n"
    fields = {"text": base, "kind": "mediator_text", "parent": "v1", "space": "participants"}
    unnamed = _form(canary, "mediator", f"{PAGE}/plan/versions", {**fields, "label": ""})
    assert unnamed.status_code == 422 and "Enter the label." in unnamed.text
    a_file = canary.client("mediator").post(
        f"{PAGE}/plan/versions",
        data={"label": "med-x", "csrf_token": canary.csrf("mediator")["X-CSRF-Token"]},
        files={"text": ("plan.txt", base.encode())},
    )
    assert a_file.status_code == 422 and "text: Input should be a valid string" in a_file.text
    made = _form(canary, "mediator", f"{PAGE}/plan/versions", {**fields, "label": "med-f"})
    assert made.status_code == 303 and made.headers["location"] == f"{PAGE}/plan/v/med-f"
    matched = _form(
        canary, "mediator", f"{PAGE}/plan/match", {"old": "v1", "new": "med-f", "confirm_all": "on"}
    )
    assert matched.headers["location"] == f"{PAGE}/plan/match?old=v1&new=med-f"
    links = canary.client("mediator").get(f"{API}/plan/match", params={"old": "v1", "new": "med-f"})
    assert links.json()["links"] and all(link["confirmed"] for link in links.json()["links"])

    # The bracket's label and its options, one a line, "AAA:" naming the proposer.
    bracketed = _form(
        canary,
        "mediator",
        f"{PAGE}/plan/v/med-f/brackets",
        {"provision": "p1", "bracket_label": "CANARY-LABEL", "options": "AAA: One way\nAnother"},
    )
    assert bracketed.headers["location"] == f"{PAGE}/plan/v/med-f/brackets"
    (bracket,) = canary.client("mediator").get(f"{API}/plan/v/med-f/brackets").json()["brackets"]
    assert bracket["label"] == "CANARY-LABEL"
    assert [(o["text"], o["proposer"]) for o in bracket["options"]] == [
        ("One way", "AAA"),
        ("Another", None),
    ]
    added = _form(
        canary,
        "mediator",
        f"{PAGE}/plan/brackets/{bracket['key']}/option",
        {"text": "A third way", "proposer": "", "return_to": "https://elsewhere.example/"},
    )
    assert added.headers["location"] == f"{PAGE}/plan"  # never a redirect off the texts pages

    # A split's parts are paragraphs; empty optional fields are the model's defaults.
    drafted = _form(
        canary,
        "aaa-head",
        f"{PAGE}/plan/amendments",
        {"base": "med-f", "kind": "split", "provision": "p2", "after": "", "parts": "A.\n\nB."},
    )
    assert drafted.headers["location"] == f"{PAGE}/plan/amendments"
    listed = canary.client("aaa-head").get(f"{API}/plan/amendments").json()["amendments"]
    (mine,) = [a for a in listed if a["base"] == "med-f"]
    assert mine["parts"] == ["A.", "B."] and mine["after"] is None and mine["heading"] == ""
    submitted = _form(
        canary, "aaa-head", f"{PAGE}/plan/amendments/{mine['key']}/submit", {"to": "mediator"}
    )
    assert submitted.status_code == 303
    listed = canary.client("mediator").get(f"{API}/plan/amendments").json()["amendments"]
    assert [a["space"] for a in listed if a["key"] == mine["key"]] == ["party:AAA+mediator"]

    none_chosen = _form(canary, "mediator", f"{PAGE}/plan/accept", {"label": "med-g"})
    assert none_chosen.status_code == 422 and "choose at least one" in none_chosen.text
    accepted = _form(
        canary, "mediator", f"{PAGE}/plan/accept", {"amendment": [mine["key"]], "label": "med-g"}
    )
    assert accepted.headers["location"] == f"{PAGE}/plan/v/med-g", accepted.text


# ---------------------------------------------------------------- the crawl


def _crawl_texts(
    client: object, spec: object, hidden: dict[str, str], starts: list[str], result: CrawlResult
) -> None:
    """Follow every link that stays under /p/canary/texts (GET only), checking each answer.

    Downloads are left out (their contents are the same texts, checked by the API reads).
    """
    queue, seen = list(starts), set(starts)
    while queue:
        path = queue.pop(0)
        response = client.get(path)  # type: ignore[attr-defined]
        result.check(path, response, spec, hidden)  # type: ignore[arg-type]
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in LINK.findall(response.text):
            target = same_origin_path(path, href.replace("&amp;", "&"))
            if not target:
                continue  # another site, or no page (a fragment)
            download = any(f"/{part}/" in target for part in ("export", "diff", "compare"))
            if target and target.startswith(PAGE) and not download and target not in seen:
                seen.add(target)
                queue.append(target)


# One persona per distinct view: a head sees what its viewer sees (only its forms differ).
@pytest.mark.parametrize("persona", ["anonymous", "mediator", "aaa-viewer", "bbb-head", "observer"])
def test_no_texts_page_shows_a_persona_what_it_cannot_see(
    shared_canary: Canary, persona: str
) -> None:
    spec = PERSONAS[persona]
    hidden = hidden_ids(shared_canary.engine(), spec)
    client = shared_canary.client(persona)
    result = CrawlResult()
    starts = [PAGE, f"{PAGE}/plan", f"{PAGE}/public-doc", f"{PAGE}-keys"]
    _crawl_texts(client, spec, hidden, starts, result)
    for doc in ("plan", "public-doc", "CANARY-AAA-DOC-KEY", "CANARY-BBB-DOC-KEY"):
        for path in ("", "/amendments", "/compare", "/diff", "/match", "/v/v1", "/v/v1/brackets"):
            result.check(f"{API}/{doc}{path}", client.get(f"{API}/{doc}{path}"), spec, hidden)
    assert not result.leaks, "\n".join(f"{f.url}: {f.what}" for f in result.leaks[:40])
    assert len(result.fetched) > (30 if "PARTS" in spec.tags else 8)
    if "PARTS" in spec.tags:  # the crawl reached the shared texts, so it could have failed
        assert "CANARY-PARTS-OPTION-A" in result.seen_markers
        assert "CANARY-PARTS-AMENDMENT-TEXT" in result.seen_markers
    if "AAA" in spec.tags:
        assert "CANARY-AAA-AMENDMENT-TEXT" in result.seen_markers
    if "BBBMED" in spec.tags:
        assert "CANARY-BBBMED-PLAN-VERSION-TEXT" in result.seen_markers
