"""The convergence map and the optimizer pages with their JSON twins, over the Miami scenario.

Denials first (anonymous, an unknown process, a delegation, a read-only viewer), then what the
mediator and the parties see, and the privacy rule: nothing a party sees depends on another
party's private positions.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import httpx
import sqlalchemy as sa

from parley.auth.models import WebSession
from parley.db.base import utcnow
from parley.db.engine import write_session
from positions.conftest import KEY, Miami
from positions.test_service_optimizer import _private_position, share_all

PAGE = f"/p/{KEY}"
API = f"/api/v1/processes/{KEY}"
PACKAGE = {
    "plan20/p5": "a",
    "plan20/p6": "b",
    "plan20/p10": "c",
    "plan20/p13": "b",
    "plan20/p15": "b",
}


def post(miami: Miami, username: str, url: str, **kw: Any) -> httpx.Response:
    return miami.client(username).post(url, headers=miami.csrf(username), **kw)


def form(miami: Miami, username: str, url: str, data: dict[str, Any], **kw: Any) -> httpx.Response:
    return miami.client(username).post(
        url, data={**data, "csrf_token": miami.sessions[username][1]}, **kw
    )


# ---------------------------------------------------------------- denials


def test_anonymous_is_sent_to_sign_in(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    anonymous = miami.client(None)
    for path in ("/convergence", "/optimizer"):
        response = anonymous.get(PAGE + path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
        assert anonymous.get(API + path).status_code == 401
    assert anonymous.post(API + "/optimizer", json={}).status_code == 401
    assert anonymous.post(API + "/optimizer/release", json={}).status_code == 401


def test_an_unknown_process_answers_like_any_unknown_url(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    client = miami.client("ukraine")
    for path in ("/convergence", "/optimizer"):
        for prefix in ("/p/no-such-talks", "/api/v1/processes/no-such-talks"):
            response = client.get(prefix + path)
            assert response.status_code == 404
        assert (
            client.get("/api/v1/processes/no-such-talks" + path).json()
            == client.get("/api/v1/no-such-thing").json()
        )


def test_delegations_and_viewers_may_not_run_or_release(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    for username in ("ukraine", "ukraine-viewer", "russia", "observer"):
        run = post(miami, username, API + "/optimizer", json={"provisions": ["plan20/p5"]})
        assert (run.status_code, run.json()) == (403, {"detail": "Forbidden"}), username
        released = post(
            miami,
            username,
            API + "/optimizer/release",
            json={"package": PACKAGE, "title": "Mine"},
        )
        assert released.status_code == 403, username
        page = form(miami, username, PAGE + "/optimizer", {"provision": "plan20/p5"})
        assert page.status_code == 403, username
    # The page exists for them all: it lists what was released to them.
    for username in ("ukraine", "ukraine-viewer", "observer"):
        page = miami.client(username).get(PAGE + "/optimizer")
        assert page.status_code == 200
        assert 'id="optimizer-form"' not in page.text
        assert miami.client(username).get(API + "/optimizer").json() == {
            "can_run": False,
            "released": [],
        }


def test_a_csrf_token_is_required_for_cookie_sessions(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    response = miami.client("mediator").post(API + "/optimizer", json={"provisions": ["x"]})
    assert response.status_code == 403


# ---------------------------------------------------------------- convergence map


def test_the_mediator_sees_the_territory_sticking_point(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    response = miami.client("mediator").get(PAGE + "/convergence")
    assert response.status_code == 200
    html = response.text
    named = re.search(r'id="named-sticking-points">(.*?)</ul>', html, re.S)
    assert named is not None
    assert "Territory" in named.group(1) and "plan20/p10" in named.group(1)
    assert 'data-plotly="' in html and "/static-lib/plotly.min.js" in html
    assert re.search(r"Agreement on plan20: \d+ / 100", html)

    data = miami.client("mediator").get(API + "/convergence").json()
    assert data["document"] == "plan20"
    assert {p["key"] for p in data["sticking_points"]["named"]} == {
        "territory",
        "security-guarantees",
        "sanctions-sequencing",  # the mediator's own note
    }
    computed = {(s["provision"], s["option"]): s for s in data["sticking_points"]["computed"]}
    # Russia's red line on security option b, against Ukraine's and Europe's acceptance.
    assert computed["plan20/p5", "b"]["red_line"] == ["RU"]
    assert computed["plan20/p5", "b"]["accepting"] == ["EUR", "UA"]
    # The territory red lines are each party's own until shared.
    assert ("plan20/p10", "a") not in computed and ("plan20/p10", "b") not in computed
    territory = next(
        r for r in data["rows"] if (r["provision"], r["option"]) == ("plan20/p10", "c")
    )
    assert territory["stances"] == {
        "UA": "accept_with_changes",
        "RU": "accept_with_changes",
        "US": "accept",
    }


def test_sharing_makes_the_computed_territory_sticking_point_appear(miami: Miami) -> None:
    share_all(miami)
    data = miami.client("mediator").get(API + "/convergence").json()
    computed = {(s["provision"], s["option"]): s for s in data["sticking_points"]["computed"]}
    assert (computed["plan20/p10", "a"]["red_line"], computed["plan20/p10", "a"]["accepting"]) == (
        ["RU"],
        ["EUR", "UA", "US"],
    )
    assert computed["plan20/p10", "b"]["red_line"] == ["UA"]
    scores = {p["provision"]: p for p in data["provisions"]}
    assert scores["plan20/p10"]["best"] == "c"  # the only territorial option nobody red-lines


def test_a_party_sees_its_own_row_and_what_others_shared_with_everyone(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    data = miami.client("ukraine").get(API + "/convergence").json()
    cells = {(r["provision"], r["option"]): r["stances"] for r in data["rows"]}
    assert cells["plan20/p10", "b"] == {"UA": "red_line", "RU": "accept"}  # own, participants
    assert cells["plan20/p10", "c"] == {"UA": "accept_with_changes", "US": "accept"}
    assert "RU" not in cells["plan20/p5", "a"]  # Russia shared that with the mediator only
    computed = {(s["provision"], s["option"]) for s in data["sticking_points"]["computed"]}
    assert computed == {("plan20/p10", "b"), ("plan20/p5", "b")}
    named = {p["key"] for p in data["sticking_points"]["named"]}
    assert named == {"territory", "security-guarantees"}


def test_another_document_and_an_unknown_one(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    client = miami.client("mediator")
    empty = client.get(API + "/convergence", params={"document": "econ"}).json()
    assert (empty["document"], empty["rows"], empty["document_score"]) == ("econ", [], None)
    assert (
        "No positions you can see on econ"
        in client.get(PAGE + "/convergence", params={"document": "econ"}).text
    )
    assert client.get(API + "/convergence", params={"document": "nope"}).status_code == 404


# ---------------------------------------------------------------- the optimizer


def test_missing_inputs_are_named_in_the_page_and_the_api(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    api = post(miami, "mediator", API + "/optimizer", json={"objective": "maxmin"})
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert set(detail["missing"]) == {"UA", "RU", "EUR"}
    assert (
        "UA: no utility for plan20/p10 option b (no position shared with you)" in detail["errors"]
    )
    fields = {
        "version": "plan20/mediator-text",
        "provision": ["plan20/p10", "plan20/p5"],
        "party": ["UA", "RU", "EUR"],
        "objective": "maxmin",
    }
    fragment = form(miami, "mediator", PAGE + "/optimizer", fields, headers={"HX-Request": "true"})
    assert fragment.status_code == 200  # htmx swaps only 2xx answers
    assert 'role="alert"' in fragment.text and "<html" not in fragment.text
    assert "Inputs missing (not recorded, or not shared with the mediator) for: " in fragment.text
    assert "RU: no utility for plan20/p10 option a" in fragment.text
    page = form(miami, "mediator", PAGE + "/optimizer", fields)
    assert page.status_code == 422 and "<html" in page.text


def test_bad_form_fields_are_named(miami_ro: Miami) -> None:
    miami = miami_ro  # changes nothing: writes are refused or not attempted
    response = form(
        miami,
        "mediator",
        PAGE + "/optimizer",
        {"provision": "plan20/p5", "party": "UA", "reservation.UA": "lots"},
        headers={"HX-Request": "true"},
    )
    assert "reservation.UA: must be a whole number, got &#39;lots&#39;" in response.text
    api = post(miami, "mediator", API + "/optimizer", json={"objective": "best"})
    assert api.status_code == 422
    assert api.json()["detail"]["errors"] == [
        "objective: 'best' is not one of maxmin, nash, pareto, acceptable"
    ]
    unknown_field = post(miami, "mediator", API + "/optimizer", json={"colour": "red"})
    assert unknown_field.status_code == 422


def test_the_mediator_runs_every_objective_from_the_form(miami: Miami) -> None:
    share_all(miami)
    base = {"version": "plan20/mediator-text", "party": ["UA", "RU", "EUR"]}
    contested = ["plan20/p5", "plan20/p6", "plan20/p10", "plan20/p13", "plan20/p15"]
    for objective, marker in (
        ("maxmin", 'id="utilities-chart"'),
        ("nash", 'id="utilities-chart"'),
        ("pareto", 'id="frontier-chart"'),
        ("acceptable", 'id="acceptable-count">4<'),
    ):
        response = form(
            miami,
            "mediator",
            PAGE + "/optimizer",
            {**base, "provision": contested, "objective": objective, "x": "UA", "y": "RU"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200, objective
        assert marker in response.text, objective
        assert 'id="proof"' in response.text and 'id="release-form"' in response.text
    full = form(miami, "mediator", PAGE + "/optimizer", {**base, "provision": contested})
    assert full.status_code == 200 and 'id="optimizer-result"' in full.text


def test_run_release_and_what_each_party_then_sees(miami: Miami) -> None:
    share_all(miami)
    answer = post(miami, "mediator", API + "/optimizer", json={"objective": "maxmin"})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["status"] == "optimal"
    assert "optimal at every stage" in result["proof"].lower()
    russia_utility = result["utilities"]["RU"]

    # Release through the form, as the result fragment does it.
    fields = {
        "version": "plan20/mediator-text",
        "objective": "maxmin",
        "provision": result["request"]["provisions"],
        "party": result["request"]["parties"],
        "linkages": "",
        "package": json.dumps(result["package"]),
        "title": "Illustrative January package",
        "note": "For the next round",
        "space": "participants",
    }
    released = form(miami, "mediator", PAGE + "/optimizer/release", fields)
    assert released.status_code == 303
    assert released.headers["location"].startswith(f"{PAGE}/optimizer#package-")

    ukraine = miami.client("ukraine").get(API + "/optimizer").json()
    assert ukraine["can_run"] is False
    [package] = ukraine["released"]
    assert package["title"] == "Illustrative January package"
    assert {r["provision"]: r["option"] for r in package["package"]} == result["package"]
    assert [s["party"] for s in package["shares"]] == ["UA"]
    own = package["shares"][0]
    assert own["utility"] == result["utilities"]["UA"]
    assert own["concessions"]["total"] > 0
    text = json.dumps(ukraine)
    assert str(russia_utility) not in text and '"RU"' not in text and "proof" not in text
    page = miami.client("ukraine").get(PAGE + "/optimizer").text
    assert "Illustrative January package" in page and 'data-party="UA"' in page
    assert 'data-party="RU"' not in page and "CP-SAT" not in page
    assert "dynamic programming" not in page

    # Through the API too; the mediator sees every party's share and its record.
    public = post(
        miami,
        "mediator",
        API + "/optimizer/release",
        json={"package": result["package"], "title": "Second look", "space": "public"},
    )
    assert public.status_code == 422  # the mediator's text is for participants only
    assert "not visible to everyone in public" in public.json()["detail"]["message"]
    again = post(
        miami,
        "mediator",
        API + "/optimizer/release",
        json={"package": result["package"], "title": "Second look"},
    )
    assert again.status_code == 201, again.text
    assert again.json()["space"] == "participants"
    mediator = miami.client("mediator").get(API + "/optimizer").json()
    assert [p["title"] for p in mediator["released"]] == [
        "Second look",
        "Illustrative January package",
    ]
    assert [s["party"] for s in mediator["released"][1]["shares"]] == ["EUR", "RU", "UA", None]
    observer = miami.client("observer").get(API + "/optimizer").json()
    assert observer["released"] == []  # an observer reads the public record only


def test_an_unacceptable_package_is_refused_with_a_reason(miami: Miami) -> None:
    share_all(miami)
    response = post(
        miami,
        "mediator",
        API + "/optimizer/release",
        json={"package": {**PACKAGE, "plan20/p10": "a"}, "title": "Freeze"},
    )
    assert response.status_code == 422
    assert "not acceptable to every party" in response.json()["detail"]["message"]
    page = form(
        miami,
        "mediator",
        PAGE + "/optimizer/release",
        {"package": "not json", "title": "x", "provision": "plan20/p5", "party": "UA"},
    )
    assert page.status_code == 422 and "package: choose a package to release" in page.text


def test_releasing_a_package_needs_a_fresh_sign_in_when_step_up_is_on(miami: Miami) -> None:
    """Releasing widens who sees the mediator's package: a step-up action (PARLEY_STEP_UP)."""
    share_all(miami)
    settings = miami.app.state.settings
    miami.app.state.settings = settings.model_copy(update={"step_up": True})
    with write_session(miami.engine) as session:  # signed in an hour ago
        session.execute(
            sa.update(WebSession).values(reauthenticated_at=utcnow() - timedelta(hours=1))
        )
    body = {"package": PACKAGE, "title": "Needs a fresh sign-in"}
    refused = post(miami, "mediator", API + "/optimizer/release", json=body)
    assert refused.status_code == 403 and "Step-up" in refused.json()["detail"]
    fields = {"package": json.dumps(PACKAGE), "title": "Needs a fresh sign-in"}
    page = form(miami, "mediator", PAGE + "/optimizer/release", fields)
    assert page.status_code == 303 and page.headers["location"].startswith("/reauth")
    assert miami.client("mediator").get(API + "/optimizer").json()["released"] == []

    with write_session(miami.engine) as session:  # as if the mediator had just confirmed
        session.execute(sa.update(WebSession).values(reauthenticated_at=utcnow()))
    released = post(miami, "mediator", API + "/optimizer/release", json=body)
    assert released.status_code == 201, released.text


# ---------------------------------------------------------------- privacy


def _views(miami: Miami, username: str) -> str:
    client = miami.client(username)
    parts = [
        client.get(API + "/convergence").text,
        client.get(PAGE + "/convergence").text,
        client.get(API + "/optimizer").text,
        client.get(PAGE + "/optimizer").text,
    ]
    # The live-update attribute and CSRF token differ per session, not per content.
    return "\n".join(re.sub(r'data-csrf="[^"]*"', "", p) for p in parts)


def test_a_party_private_position_changes_nothing_another_party_sees(miami: Miami) -> None:
    share_all(miami, keep_russias=("p6",))  # Russia keeps its army positions to itself
    released = post(
        miami,
        "mediator",
        API + "/optimizer/release",
        json={
            "provisions": ["plan20/p5", "plan20/p10", "plan20/p15"],
            "package": {"plan20/p5": "a", "plan20/p10": "c", "plan20/p15": "b"},
            "title": "Illustrative package",
        },
    )
    assert released.status_code == 201, released.text
    before = {u: _views(miami, u) for u in ("ukraine", "europe", "mediator")}
    _private_position(miami, 3, "CANARY-RU-ONLY-REASON")
    low = {u: _views(miami, u) for u in ("ukraine", "europe", "mediator")}
    _private_position(miami, 98, "CANARY-RU-ONLY-REASON-AGAIN")
    high = {u: _views(miami, u) for u in ("ukraine", "europe", "mediator")}
    for username in before:
        assert before[username] == low[username] == high[username], username
        assert "CANARY" not in high[username]
    # Russia itself sees its own change (so the comparison above could fail).
    assert "CANARY" not in _views(miami, "russia")  # reasons are not part of the map
    data = miami.client("russia").get(API + "/convergence").json()
    army = next(r for r in data["rows"] if (r["provision"], r["option"]) == ("plan20/p6", "b"))
    assert army["utilities"]["RU"] == 98


def test_the_release_form_of_a_result_carries_the_whole_request(miami: Miami) -> None:
    import lxml.html

    share_all(miami)
    linkages = "p6=b -> p13=b\np10=c -> p5=a"
    fragment = form(
        miami,
        "mediator",
        PAGE + "/optimizer",
        {
            "version": "plan20/mediator-text",
            "provision": ["plan20/p5", "plan20/p6", "plan20/p10", "plan20/p13", "plan20/p15"],
            "party": ["UA", "RU", "EUR"],
            "objective": "nash",
            "reservation.UA": "3000",
            "linkages": linkages,
        },
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200, fragment.text
    release = lxml.html.fromstring(fragment.text).get_element_by_id("release-form")
    fields: dict[str, list[str]] = {}
    for name, value in release.form_values():
        fields.setdefault(str(name), []).append(str(value))
    fields.update(title=["Nash package"], space=["participants"])
    released = miami.client("mediator").post(PAGE + "/optimizer/release", data=fields)
    assert released.status_code == 303, released.text
    record = miami.client("mediator").get(API + "/optimizer").json()["released"][0]
    mediators = record["shares"][-1]["detail"]
    assert mediators["request"]["linkages"].splitlines() == linkages.splitlines()
    assert mediators["request"]["reservation"] == {"UA": 3000}
    assert mediators["proof"].startswith("optimal by exact branch-and-bound")  # certified Nash
    package = {r["provision"]: r["option"] for r in record["package"]}
    assert (package["plan20/p6"] != "b") or package["plan20/p13"] == "b"  # the linkage holds
