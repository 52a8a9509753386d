"""The session, joint-statement, calendar and changes routes over HTTP, on the Miami scenario.

Each protected route's tests start with the denials: anonymous, another party (404, the body of
an unknown id), a read-only viewer (403)."""

from __future__ import annotations

import uuid

from parley.texts.canonical_hash import text_hash
from sessions.conftest import MiamiWeb
from sessions.helpers import meeting_id, room_minutes, rooms, statement_id

P = "/p/miami-2025"
API = "/api/v1/processes/miami-2025"


def test_a_session_page_is_404_to_those_who_cannot_see_it(miami_web: MiamiWeb) -> None:
    bilateral = meeting_id(miami_web.miami.engine, "witkoff-dmitriev")  # party:RU+mediator
    for persona in ("anonymous", "ukraine", "europe", "observer"):
        client = miami_web.client(persona)
        hidden = client.get(f"{API}/meetings/{bilateral}")
        unknown = client.get(f"{API}/meetings/{uuid.uuid4()}")
        assert hidden.status_code == unknown.status_code == 404
        assert hidden.content == unknown.content
        page = client.get(f"{P}/meetings/{bilateral}")
        assert page.status_code == 404 and "Dmitriev" not in page.text
    assert miami_web.client("russia").get(f"{P}/meetings/{bilateral}").status_code == 200


def test_minutes_actions_deny_anonymous_other_parties_and_viewers(miami_web: MiamiWeb) -> None:
    engine = miami_web.miami.engine
    talk = meeting_id(engine, "miami-round")
    ru = room_minutes(engine, rooms(engine, "miami-round")["RU"].id)  # circulated
    url = f"{API}/meetings/{talk}/minutes/{ru.id}/approve"
    body = {"hash": text_hash(ru.text)}
    assert miami_web.client("anonymous").post(url, json=body).status_code == 401
    other = miami_web.client("ukraine").post(url, json=body, headers=miami_web.csrf("ukraine"))
    unknown = miami_web.client("ukraine").post(
        f"{API}/meetings/{talk}/minutes/{uuid.uuid4()}/approve",
        json=body,
        headers=miami_web.csrf("ukraine"),
    )
    assert other.status_code == unknown.status_code == 404 and other.content == unknown.content
    viewer = miami_web.client("russia-viewer")
    assert viewer.post(url, json=body, headers=miami_web.csrf("russia-viewer")).status_code == 403
    # Cookie sessions need the CSRF token.
    assert miami_web.client("russia").post(url, json=body).status_code == 403
    ok = miami_web.client("russia").post(url, json=body, headers=miami_web.csrf("russia"))
    assert ok.status_code == 200 and ok.json() == {"status": "circulated", "content_hash": None}
    done = miami_web.client("mediator").post(url, json=body, headers=miami_web.csrf("mediator"))
    assert done.json() == {"status": "approved", "content_hash": text_hash(ru.text)}
    again = miami_web.client("mediator").post(
        f"{API}/meetings/{talk}/minutes/{ru.id}/amend",
        json={"text": "Changed.", "hash": text_hash(ru.text)},
        headers=miami_web.csrf("mediator"),
    )
    assert again.status_code == 409 and again.json()["detail"].startswith("status: ")


def test_carry_is_for_the_mediator_only(miami_web: MiamiWeb) -> None:
    engine = miami_web.miami.engine
    talk = meeting_id(engine, "miami-round")
    ua = room_minutes(engine, rooms(engine, "miami-round")["UA"].id)
    body = {
        "source_id": str(ua.id),
        "target_party": "EUR",
        "text": "wants the ceasefire and the prisoner exchange first",
    }
    url = f"{API}/meetings/{talk}/carry"
    assert miami_web.client("anonymous").post(url, json=body).status_code == 401
    assert (
        miami_web.client("observer")
        .post(url, json=body, headers=miami_web.csrf("observer"))
        .status_code
        == 404
    )
    for persona in ("ukraine", "ukraine-viewer", "europe"):
        response = miami_web.client(persona).post(url, json=body, headers=miami_web.csrf(persona))
        assert response.status_code == 403, persona
    assert miami_web.client("ukraine").get(f"{P}/meetings/{talk}/carry").status_code == 403
    done = miami_web.client("mediator").post(url, json=body, headers=miami_web.csrf("mediator"))
    assert done.status_code == 201 and done.json()["attribution"] == "unattributed"
    europe = miami_web.client("europe").get(f"{P}/meetings/{talk}").text
    assert "wants the ceasefire and the prisoner exchange first" in europe
    assert "unattributed" in europe and str(ua.id) not in europe


def test_the_calendar_of_each_user_holds_only_what_it_may_see(miami_web_sqlite: MiamiWeb) -> None:
    seen = {}
    for persona in ("mediator", "ukraine", "russia", "anonymous"):
        response = miami_web_sqlite.client(persona).get(f"{P}/calendar.ics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        assert response.text.startswith("BEGIN:VCALENDAR\r\n")
        seen[persona] = response.text
    assert "US envoy meets the Russian envoy" in seen["mediator"]
    assert "US envoy meets the Russian envoy" in seen["russia"]
    assert "US envoy meets the Russian envoy" not in seen["ukraine"]
    assert "Miami round" in seen["ukraine"] and "DTSTART:20251222T140000Z" in seen["ukraine"]
    assert "STATUS:TENTATIVE" in seen["ukraine"]  # the January round is only planned
    # The public calendar: public milestones, but not the round (a participants session).
    assert "Miami round (separate" in seen["ukraine"]
    assert "Miami round (separate" not in seen["anonymous"]


def test_changes_since_the_last_visit_and_what_waits(miami_web_sqlite: MiamiWeb) -> None:
    engine = miami_web_sqlite.miami.engine
    assert miami_web_sqlite.client("anonymous").get(f"{API}/changes").status_code == 401
    ukraine = miami_web_sqlite.client("ukraine")
    seen = ukraine.post(f"{API}/changes/seen", headers=miami_web_sqlite.csrf("ukraine"))
    assert seen.status_code == 200
    assert ukraine.get(f"{API}/changes").json()["changes"] == []
    # The joint minutes of the round wait for Ukraine's approval; the joint statement too.
    waiting = [w["what"] for w in ukraine.get(f"{API}/changes").json()["waiting"]]
    assert "Minutes awaiting your approval" in waiting
    assert any(w.startswith("Joint statement awaiting your signature") for w in waiting)
    # The mediator circulates its own notes (mediator only) and Russia's room minutes exist:
    notes = room_minutes(engine, rooms(engine, "miami-round")["mediator"].id)
    talk = meeting_id(engine, "miami-round")
    mediator = miami_web_sqlite.client("mediator")
    response = mediator.post(
        f"{API}/meetings/{talk}/minutes/{notes.id}/circulate",
        json={},
        headers=miami_web_sqlite.csrf("mediator"),
    )
    assert response.status_code == 200
    scheduled = mediator.post(
        f"{API}/meetings",
        headers=miami_web_sqlite.csrf("mediator"),
        json={
            "key": "round-2026-02",
            "title": "February round (illustrative)",
            "format": "proximity",
            "starts_at": "2026-02-10T10:00:00-05:00",
            "timezone": "America/New_York",
            "space": "participants",
            "parties": ["US", "UA", "EUR", "RU"],
        },
    )
    assert scheduled.status_code == 201
    changes = ukraine.get(f"{API}/changes").json()["changes"]
    assert [c["what"] for c in changes] == ["Session scheduled"]  # not the mediator's notes
    assert changes[0]["url"] == scheduled.json()["url"]
    page = miami_web_sqlite.client("ukraine").get(f"{P}/changes")
    assert page.status_code == 200 and "Session scheduled" in page.text
    # The new proximity session has a room per delegation; Ukraine sees only its own.
    rooms_seen = ukraine.get(f"{API}{scheduled.json()['url'][len(P) :]}").json()["rooms"]
    assert [r["party"] for r in rooms_seen] == ["UA"]


def test_joint_statement_approval_over_the_api(miami_web: MiamiWeb) -> None:
    sid = statement_id(miami_web.miami.engine, "joint-miami")
    url = f"{API}/joint-statements/{sid}"
    text_hash_now = miami_web.client("anonymous").get(url).json()["seal"]  # what heads sign
    body = {"hash": text_hash_now, "passphrase": "ua-team-passphrase"}
    assert miami_web.client("anonymous").post(f"{url}/approve", json=body).status_code == 401
    assert (
        miami_web.client("europe")
        .post(f"{url}/approve", json=body, headers=miami_web.csrf("europe"))
        .status_code
        == 403
    )
    assert (
        miami_web.client("ukraine-viewer")
        .post(f"{url}/approve", json=body, headers=miami_web.csrf("ukraine-viewer"))
        .status_code
        == 403
    )
    stale = miami_web.client("ukraine").post(
        f"{url}/approve", json={**body, "hash": "0" * 64}, headers=miami_web.csrf("ukraine")
    )
    assert stale.status_code == 422 and stale.json()["detail"].startswith("hash:")
    ok = miami_web.client("ukraine").post(
        f"{url}/approve", json=body, headers=miami_web.csrf("ukraine")
    )
    assert ok.status_code == 200 and ok.json()["content_hash"] == text_hash_now
    state = miami_web.client("observer").get(url).json()
    assert [(s["party"], s["approved"]) for s in state["signatories"]] == [
        ("US", False),
        ("UA", True),
    ] or sorted((s["party"], s["approved"]) for s in state["signatories"]) == [
        ("UA", True),
        ("US", False),
    ]
    file = miami_web.client("anonymous").get(f"{url}/statement.json")
    assert file.status_code == 200 and file.json()["format"] == "parley-statement"


def test_the_public_timeline_shows_only_public_records_even_to_members(
    miami_web_sqlite: MiamiWeb,
) -> None:
    mediator = miami_web_sqlite.client("mediator")
    public = mediator.get("/api/v1/public/miami-2025/timeline").json()["items"]
    assert public and {i["space"] for i in public} == {"public"}
    own = mediator.get(f"{API}/history").json()["items"]
    assert {i["space"] for i in own} > {"public"}
    page = miami_web_sqlite.client("anonymous").get("/public/miami-2025/timeline")
    assert page.status_code == 200 and "data-plotly" in page.text
    assert "Miami round (separate sessions" not in page.text
    unknown = miami_web_sqlite.client("anonymous").get("/public/no-such-process/timeline")
    assert unknown.status_code == 404
