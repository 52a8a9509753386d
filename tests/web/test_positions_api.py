"""The positions API: recording, validating, refusing, releasing to the mediator, history."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from web.support import KEY, Canary

POSITIONS = f"/api/v1/processes/{KEY}/positions"


def _post(canary: Canary, persona: str, body: dict[str, Any]) -> httpx.Response:
    return canary.client(persona).post(POSITIONS, json=body, headers=canary.csrf(persona))


def _mine(canary: Canary, persona: str) -> dict[str, dict[str, Any]]:
    response = canary.client(persona).get(POSITIONS)
    assert response.status_code == 200
    return {item["id"]: item for item in response.json()["items"]}


def _errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


def test_a_head_records_and_updates_a_position(canary: Canary) -> None:
    body = {
        "provision_id": canary.ref("provision:plan/p2"),
        "stance": "red_line",
        "priority": 90,
        "utility": 5,
        "reason": "CANARY-AAA-API-REASON",
        "fallback_text": "CANARY-AAA-API-FALLBACK",
    }
    created = _post(canary, "aaa-head", body)
    assert created.status_code == 201, created.text
    position = created.json()
    assert position["space"] == "party:AAA" and position["stance"] == "red_line"

    updated = _post(canary, "aaa-head", {**body, "stance": "accept_with_changes", "priority": 40})
    assert updated.status_code == 201
    assert updated.json()["id"] == position["id"]  # the same position, revised

    mine = _mine(canary, "aaa-head")[position["id"]]
    assert (mine["stance"], mine["priority"], mine["reason"]) == (
        "accept_with_changes",
        40,
        "CANARY-AAA-API-REASON",
    )
    assert position["id"] not in _mine(canary, "bbb-head")
    assert position["id"] not in _mine(canary, "mediator")

    # With a Bearer token no CSRF header is needed (browsers never send one on their own).
    client = canary.client("anonymous")
    token = client.post(
        "/api/v1/auth/token", json={"username": "bbb-head", "password": "bbb-head-password"}
    ).json()["token"]
    response = client.post(
        POSITIONS,
        headers={"Authorization": f"Bearer {token}"},
        json={"provision_id": canary.ref("provision:plan/p2"), "stance": "accept"},
    )
    assert response.status_code == 201, response.text


def test_history_lists_every_revision_in_order(canary: Canary) -> None:
    provision = canary.ref("provision:plan/p2")
    for stance in ("reject", "accept_with_changes", "accept"):
        assert (
            _post(canary, "bbb-head", {"provision_id": provision, "stance": stance}).status_code
            == 201
        )
    position_id = next(
        i
        for i, p in _mine(canary, "bbb-head").items()
        if p["provision"] == "plan/p2" and p["option"] is None
    )
    history = canary.client("bbb-viewer").get(f"{POSITIONS}/{position_id}/history")
    assert history.status_code == 200
    assert [(r["revision"], r["stance"]) for r in history.json()] == [
        (1, "reject"),
        (2, "accept_with_changes"),
        (3, "accept"),
    ]
    assert canary.client("aaa-head").get(f"{POSITIONS}/{position_id}/history").status_code == 404


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"colour": "red"}, "colour"),  # unknown fields are refused
    ({"stance": "maybe"}, "stance"),
    ({"priority": 101}, "priority"),
    ({"utility": -1}, "utility"),
    ({"provision_id": "not-a-uuid"}, "provision_id"),
    ({"stance": None}, "stance"),
]


def test_invalid_input_is_rejected_naming_the_field(canary: Canary) -> None:
    before = _mine(canary, "aaa-head")
    for change, field in INVALID:
        body: dict[str, Any] = {
            "provision_id": canary.ref("provision:plan/p2"),
            "stance": "accept",
            **change,
        }
        if change == {"stance": None}:
            del body["stance"]  # missing
        assert field in _errors(_post(canary, "aaa-head", body)), change
    wrong_option = _post(
        canary,
        "aaa-head",
        {
            "provision_id": canary.ref("provision:plan/p1"),
            "option_id": canary.ref("option:border/a"),
            "stance": "accept",
        },
    )
    assert wrong_option.status_code == 422
    assert "option" in _errors(wrong_option)
    assert _mine(canary, "aaa-head") == before


def test_who_may_record_where(canary: Canary) -> None:
    plan_p2 = canary.ref("provision:plan/p2")
    for persona in ("aaa-viewer", "bbb-viewer", "observer", "operator"):
        response = _post(canary, persona, {"provision_id": plan_p2, "stance": "accept"})
        assert (response.status_code, response.json()) == (403, {"detail": "Forbidden"}), persona
    for space in ("party:BBB", "party:BBB+mediator", "mediator"):
        response = _post(
            canary, "aaa-head", {"provision_id": plan_p2, "stance": "accept", "space": space}
        )
        assert "space" in _errors(response), space
    assert all(
        p["provision"] != "plan/p2" or p["option"] for p in _mine(canary, "aaa-head").values()
    )
    # The mediator's own assessment lives in the mediator's space, which no party sees.
    mediators = _post(
        canary,
        "mediator",
        {"provision_id": plan_p2, "stance": "reject", "reason": "CANARY-MEDIATOR-API-REASON"},
    )
    assert mediators.status_code == 201 and mediators.json()["space"] == "mediator"
    for persona in ("aaa-head", "bbb-head", "observer"):
        assert "CANARY-MEDIATOR-API-REASON" not in canary.client(persona).get(POSITIONS).text


def _hidden_and_unknown(
    canary: Canary, hidden: dict[str, Any], unknown: dict[str, Any]
) -> tuple[httpx.Response, httpx.Response]:
    return _post(canary, "aaa-head", hidden), _post(canary, "aaa-head", unknown)


def test_another_partys_provision_or_option_is_refused_and_nothing_leaks(
    shared_canary: Canary,
) -> None:
    canary = shared_canary  # nothing is written: every request is refused
    before = _mine(canary, "aaa-head")
    for body in (
        {"provision_id": canary.ref("provision:CANARY-BBB-DOC-KEY/d1"), "stance": "accept"},
        {
            "provision_id": canary.ref("provision:plan/p2"),
            "option_id": canary.ref("option:CANARY-BBB-BRACKET-KEY/a"),
            "stance": "accept",
        },
        {
            "provision_id": canary.ref("provision:plan/p2"),
            "option_id": canary.ref("option:bbb-plan-bracket/x"),
            "stance": "accept",
        },
    ):
        response = _post(canary, "aaa-head", body)
        assert response.status_code in (404, 422), response.text
        assert "CANARY" not in response.text
    assert _mine(canary, "aaa-head") == before


def test_a_hidden_provision_or_option_answers_exactly_like_an_unknown_one(
    shared_canary: Canary,
) -> None:
    canary = shared_canary  # nothing is written: every request is refused
    plan_p2 = canary.ref("provision:plan/p2")
    hidden, unknown = _hidden_and_unknown(
        canary,
        {"provision_id": canary.ref("provision:CANARY-BBB-DOC-KEY/d1"), "stance": "accept"},
        {"provision_id": str(uuid.uuid4()), "stance": "accept"},
    )
    assert (hidden.status_code, hidden.content) == (unknown.status_code, unknown.content)
    hidden, unknown = _hidden_and_unknown(
        canary,
        {
            "provision_id": plan_p2,
            "option_id": canary.ref("option:bbb-plan-bracket/x"),
            "stance": "accept",
        },
        {"provision_id": plan_p2, "option_id": str(uuid.uuid4()), "stance": "accept"},
    )
    assert (hidden.status_code, hidden.content) == (unknown.status_code, unknown.content)


def test_release_to_the_mediator_shows_the_position_to_the_mediator(canary: Canary) -> None:
    created = _post(
        canary,
        "aaa-head",
        {
            "provision_id": canary.ref("provision:plan/p2"),
            "stance": "red_line",
            "reason": "CANARY-AAA-RELEASED",
        },
    )
    position_id = created.json()["id"]
    mediator = canary.client("mediator")
    assert position_id not in _mine(canary, "mediator")
    assert mediator.get(f"{POSITIONS}/{position_id}/history").status_code == 404
    release = f"{POSITIONS}/{position_id}/release"

    by_viewer = canary.client("aaa-viewer").post(
        release, json={"space": "party:AAA+mediator"}, headers=canary.csrf("aaa-viewer")
    )
    by_other = canary.client("bbb-head").post(
        release, json={"space": "party:AAA+mediator"}, headers=canary.csrf("bbb-head")
    )
    sideways = canary.client("aaa-head").post(
        release, json={"space": "party:BBB"}, headers=canary.csrf("aaa-head")
    )
    assert by_viewer.status_code == 403
    assert (by_other.status_code, by_other.json()) == (404, {"detail": "Not Found"})
    assert "space" in _errors(sideways)

    released = canary.client("aaa-head").post(
        release, json={"space": "party:AAA+mediator"}, headers=canary.csrf("aaa-head")
    )
    assert released.status_code == 200, released.text

    seen = _mine(canary, "mediator")[position_id]
    assert (seen["reason"], seen["space"], seen["party"]) == (
        "CANARY-AAA-RELEASED",
        "party:AAA+mediator",
        "AAA",
    )
    assert mediator.get(f"{POSITIONS}/{position_id}/history").status_code == 200
    assert position_id not in _mine(canary, "bbb-head")
    # The release is its own audited event, in the mediator's view of the shared space too.
    audit = mediator.get(f"/api/v1/processes/{KEY}/audit").json()["items"]
    assert any(e["action"] == "record:release" and e["object_id"] == position_id for e in audit)
    # A release cannot be undone by narrowing again.
    back = canary.client("aaa-head").post(
        release, json={"space": "party:AAA"}, headers=canary.csrf("aaa-head")
    )
    assert back.status_code == 422


def test_revisions_from_before_a_release_stay_in_the_narrower_space(canary: Canary) -> None:
    provision = canary.ref("provision:plan/p2")
    _post(
        canary,
        "aaa-head",
        {"provision_id": provision, "stance": "reject", "reason": "CANARY-AAA-EARLY-REASON"},
    )
    created = _post(
        canary,
        "aaa-head",
        {
            "provision_id": provision,
            "stance": "accept",
            "reason": "CANARY-AAA-LATER-REASON",
            "space": "party:AAA+mediator",
        },
    )
    assert created.status_code == 201, created.text
    position_id = created.json()["id"]
    history = canary.client("mediator").get(f"{POSITIONS}/{position_id}/history")
    assert history.status_code == 200
    assert "CANARY-AAA-EARLY-REASON" not in history.text
    assert "CANARY-AAA-LATER-REASON" in history.text
    own = canary.client("aaa-head").get(f"{POSITIONS}/{position_id}/history").json()
    assert [r["reason"] for r in own] == ["CANARY-AAA-EARLY-REASON", "CANARY-AAA-LATER-REASON"]


def test_updating_a_shared_position_without_a_space_keeps_it_shared(canary: Canary) -> None:
    position_id = canary.ref("position:AAA:CANARY-AAAMED-POSITION-REASON")
    response = _post(
        canary,
        "aaa-head",
        {
            "provision_id": canary.ref("provision:plan/p2"),
            "option_id": canary.ref("option:border/a"),
            "stance": "red_line",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": position_id,
        "space": "party:AAA+mediator",
        "stance": "red_line",
    }
