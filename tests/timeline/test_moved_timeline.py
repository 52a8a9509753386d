"""The old basic timeline moved to the history view: a permanent redirect that keeps the query
string and reads nothing, so it answers alike for hidden, unknown and visible processes."""

from __future__ import annotations

from sessions.conftest import MiamiWeb


def test_the_old_timeline_redirects_to_the_history_keeping_its_filters(
    miami_web: MiamiWeb,
) -> None:
    client = miami_web.client("russia")
    page = client.get("/p/miami-2025/timeline?kind=sessions&start=2025-12-16")
    assert page.status_code == 308
    assert page.headers["location"] == "/p/miami-2025/history?kind=sessions&start=2025-12-16"
    api = client.get("/api/v1/processes/miami-2025/timeline")
    assert api.status_code == 308
    assert api.headers["location"] == "/api/v1/processes/miami-2025/history"

    followed = client.get(page.headers["location"])
    assert followed.status_code == 200
    assert "<h1>History</h1>" in followed.text
    assert client.get(api.headers["location"]).json()["total"] > 0


def test_the_redirect_tells_an_unknown_process_nothing_the_target_does_not(
    miami_web: MiamiWeb,
) -> None:
    client = miami_web.client("anonymous")
    moved = client.get("/api/v1/processes/no-such-process/timeline")
    assert moved.status_code == 308
    target = client.get(moved.headers["location"])
    assert target.status_code == 404
    assert target.json() == {"detail": "Not Found"}
