"""Checkpoints over HTTP: who may fetch and take them, and that each sees only its own chains."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from operations.support import events, rechain
from parley.operations.checkpoints import verify_checkpoints
from parley.operations.views import router
from web.support import CLOSED_KEY, KEY, Canary, route_keys

API = f"/api/v1/processes/{KEY}/checkpoints"
PAGE = f"/p/{KEY}/checkpoints"
AAA_SPACES = {"public", "participants", "party:AAA", "party:AAA+mediator"}


def _wired(app: FastAPI) -> None:
    """Until parley.web.routes lists this package, put its routes where they would be: before
    the generic /p/{key}/{slug} routes."""
    if ("GET", "/api/v1/processes/{key}/checkpoints") in route_keys(app):
        return
    app.include_router(router)
    app.router.routes.insert(0, app.router.routes.pop())


@pytest.fixture
def site(canary: Canary) -> Canary:
    _wired(canary.app)
    return canary


def _take(site: Canary, persona: str) -> Any:
    return site.client(persona).post(API, headers=site.csrf(persona))


def test_denials_come_first(site: Canary) -> None:
    anonymous = site.client("anonymous")
    assert anonymous.get(API).status_code == 401
    assert anonymous.post(API).status_code == 401
    assert anonymous.get(PAGE).status_code == 303  # to the sign-in page
    # A process the user has no place in answers exactly like one that does not exist.
    head = site.client("aaa-head")
    for path in (API, PAGE):
        hidden = head.get(path.replace(KEY, CLOSED_KEY))
        unknown = head.get(path.replace(KEY, "no-such-process"))
        assert hidden.status_code == 404 and hidden.content == unknown.content
    # The operator may read the public record of the process but has no place in it.
    assert _take(site, "operator").status_code == 403
    # A cookie session without its CSRF token cannot make the server sign.
    assert head.post(API).status_code == 403


def test_each_delegation_sees_and_takes_checkpoints_of_its_own_chains_only(site: Canary) -> None:
    taken = _take(site, "aaa-viewer")  # a read-only member may keep evidence too
    assert taken.status_code == 200, taken.text
    body = taken.json()
    assert body["created"] == 4 and body["refused"] == []
    assert {c["space"] for c in body["checkpoints"]} == AAA_SPACES
    assert body["server_keys"][0]["public_key"] == body["checkpoints"][0]["public_key"]

    # BBB sees none of AAA's chains, not even that they were checkpointed.
    bbb = site.client("bbb-head").get(API).json()
    assert {c["space"] for c in bbb["checkpoints"]} == {"public", "participants"}
    assert _take(site, "bbb-head").json()["created"] == 2
    bbb = site.client("bbb-head").get(API).json()
    assert {c["space"] for c in bbb["checkpoints"]} == {
        "public",
        "participants",
        "party:BBB",
        "party:BBB+mediator",
    }
    # The mediator sees what parties share with it, never a party's own room.
    mediator = site.client("mediator").get(API).json()
    spaces = {c["space"] for c in mediator["checkpoints"]}
    assert "party:AAA+mediator" in spaces and "party:AAA" not in spaces
    assert "system" not in spaces
    observer = site.client("observer").get(API).json()
    assert {c["space"] for c in observer["checkpoints"]} == {"public"}


def test_a_kept_answer_proves_the_log_later(site: Canary) -> None:
    kept = _take(site, "aaa-head").json()["checkpoints"]
    engine = site.engine()
    with Session(engine) as session:
        assert verify_checkpoints(session, kept) == []
    with Session(engine) as session, session.begin():
        chain = next(c["chain"] for c in kept if c["space"] == "party:AAA")
        last = events(session, chain)[-1]
        last.changes = {**last.changes, "title": [None, "Quietly changed"]}
        session.flush()
        rechain(session, chain)
    with Session(engine) as session:
        problems = verify_checkpoints(session, kept)
    assert [p.chain for p in problems] == [chain]
    # Asking again: the server refuses to sign the rewritten chain, and says so.
    again = _take(site, "aaa-head").json()
    assert len(again["refused"]) == 1 and "party:AAA" in again["refused"][0]


def test_the_page_lists_and_takes_checkpoints(site: Canary) -> None:
    client = site.client("aaa-head")
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="none"' in page.text
    token = site.csrf("aaa-head")["X-CSRF-Token"]
    done = client.post(PAGE, data={"csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].startswith(PAGE + "?taken=4")
    page = client.get(done.headers["location"])
    assert "4 new checkpoints signed" in page.text
    assert page.text.count('data-space="') == 4 and 'data-space="party:BBB"' not in page.text
    assert "Sign checkpoints now" in page.text
    # The operator (no place in the process) sees the list but no button.
    assert "Sign checkpoints now" not in site.client("operator").get(PAGE).text
