"""Resolving a bracket is confirmed, says what happened and can be undone (reopened) while the
version is not frozen; over HTTP on the Miami scenario. Denials first."""

from __future__ import annotations

import uuid
from typing import Any

from sessions.conftest import MiamiWeb

P = "/p/miami-2025"
API = "/api/v1/processes/miami-2025/texts"
BRACKETS = f"{P}/texts/plan20/v/mediator-text/brackets"


def _form(web: MiamiWeb, persona: str, path: str, client: Any = None, **fields: str) -> Any:
    client = client or web.client(persona)
    return client.post(path, data={"csrf_token": web.sessions[persona][1], **fields})


def _point_10(web: MiamiWeb) -> str:
    reading = web.client("mediator").get(f"{API}/plan20/v/mediator-text").json()
    return next(p["text"] for p in reading["provisions"] if p["wid"] == "p10")


def test_reopening_is_refused_to_parties_and_hidden_from_outsiders(
    miami_web_sqlite: MiamiWeb,
) -> None:
    web = miami_web_sqlite
    url = f"{P}/texts/plan20/brackets/br-territory/reopen"
    anonymous = web.client("anonymous").post(url, data={})
    assert anonymous.status_code in (303, 401, 403)
    assert anonymous.status_code != 303 or anonymous.headers["location"].startswith("/login")
    # A party may not decide brackets: 403 (the bracket is in a space it reads).
    assert _form(web, "ukraine", url).status_code == 403
    missing = _form(web, "mediator", f"{P}/texts/plan20/brackets/{uuid.uuid4().hex}/reopen")
    assert missing.status_code == 404
    # An open bracket is not resolved: nothing to undo, said in words.
    answer = _form(web, "mediator", url)
    assert answer.status_code == 422 and "is not resolved" in answer.text


def test_a_resolution_is_confirmed_flashed_and_undone(miami_web: MiamiWeb) -> None:
    web = miami_web
    before = _point_10(web)
    mediator = web.client("mediator")
    page = mediator.get(BRACKETS)
    # Resolving opens a dialog that says what will change before anything is sent.
    assert 'data-bs-target="#resolve-br-territory-a"' in page.text
    assert "You can undo this until the version is frozen" in page.text
    assert "Resolve on a" not in web.client("ukraine").get(BRACKETS).text

    resolved = _form(
        web,
        "mediator",
        f"{P}/texts/plan20/brackets/br-territory/resolve",
        mediator,
        option="a",
        return_to=BRACKETS,
    )
    assert resolved.status_code == 303 and resolved.headers["location"] == BRACKETS
    after = _point_10(web)
    assert after != before and after.startswith("The parties stop on the current line")
    shown = mediator.get(BRACKETS)
    assert "Bracket br-territory resolved on option a" in shown.text
    assert "Undo: reopen it" in shown.text
    undo = shown.text.split('action="/p/miami-2025/texts/plan20/brackets/br-territory/reopen')[1]
    undo_path = "/p/miami-2025/texts/plan20/brackets/br-territory/reopen" + undo.split('"')[0]

    reopened = _form(web, "mediator", undo_path.replace("&amp;", "&"), mediator)
    assert reopened.status_code == 303 and reopened.headers["location"] == BRACKETS
    assert _point_10(web) == before
    again = mediator.get(BRACKETS)
    assert "Bracket br-territory reopened" in again.text
    assert 'data-bs-target="#resolve-br-territory-a"' in again.text
