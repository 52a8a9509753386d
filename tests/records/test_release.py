"""Widening a space is one operation: release, always with step-up, and the wider chain never
sees what the narrower space said before (issue #13, item 4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.audit.models import AuditEvent
from parley.config import Settings
from parley.db.engine import create_db_engine, read_session
from parley.positions.models import PositionRevision

SECRET = "test-secret-key-for-releases"
POSITIONS = "/api/v1/processes/small/positions"


@pytest.fixture
def client(small_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=small_url, secret_key=SECRET, step_up=True)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _bearer(client: TestClient, username: str, password: str) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _private_position(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    items = client.get(POSITIONS, headers=headers).json()["items"]
    return next(p for p in items if p["reason"] == "ALPHA-SECRET-REASON")


def _events(url: str, space: str) -> list[str]:
    engine = create_db_engine(url)
    with read_session(engine) as s:
        rows = s.scalars(sa.select(AuditEvent).where(AuditEvent.space == space)).all()
        found = [str(e.changes) for e in rows]
    engine.dispose()
    return found


def _reshare(position: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "provision_id": position["provision_id"],
        "option_id": position["option_id"],
        "stance": "accept_with_changes",
        "priority": 55,
        "utility": 40,
        "reason": "SHARED-NEW-REASON",
        "space": "participants",
        **extra,
    }


def test_resharing_with_a_new_reason_needs_step_up(client: TestClient) -> None:
    alpha = _bearer(client, "alpha", "alpha-password")
    position = _private_position(client, alpha)
    refused = client.post(POSITIONS, json=_reshare(position), headers=alpha)
    assert refused.status_code == 403 and "Step-up" in refused.json()["detail"]
    # Nothing was written: the position is still private, with its old reason.
    assert _private_position(client, alpha)["space"] == "party:AAA"


def test_resharing_writes_no_earlier_value_to_the_wider_chain(
    client: TestClient, small_url: str
) -> None:
    alpha = _bearer(client, "alpha", "alpha-password")
    position = _private_position(client, alpha)
    done = client.post(
        POSITIONS,
        json=_reshare(position),
        headers={**alpha, "X-Parley-Password": "alpha-password"},
    )
    assert done.status_code == 201, done.text
    assert done.json()["space"] == "participants"
    wider = " ".join(_events(small_url, "participants"))
    assert "SHARED-NEW-REASON" in wider  # the current content, as it reads now
    assert "ALPHA-SECRET-REASON" not in wider  # never the earlier private reason
    assert "red_line" not in wider  # nor the earlier stance
    narrower = " ".join(_events(small_url, "party:AAA"))
    assert "ALPHA-SECRET-REASON" in narrower  # the owner's own log keeps the history

    # Another party reads the shared position with one revision: its history stays private.
    beta = _bearer(client, "beta", "beta-password")
    shared = next(
        p for p in client.get(POSITIONS, headers=beta).json()["items"] if p["id"] == position["id"]
    )
    history = client.get(f"{POSITIONS}/{shared['id']}/history", headers=beta).json()
    assert [h["revision"] for h in history] == [1]
    assert history[0]["reason"] == "SHARED-NEW-REASON"
    engine = create_db_engine(small_url)
    with read_session(engine) as s:
        wide = s.scalars(
            sa.select(PositionRevision).where(PositionRevision.space == "participants")
        ).all()
        assert all("ALPHA-SECRET-REASON" not in str(r.snapshot) for r in wide)
    engine.dispose()


def test_a_shared_position_is_never_narrowed(client: TestClient) -> None:
    alpha = {
        **_bearer(client, "alpha", "alpha-password"),
        "X-Parley-Password": "alpha-password",
    }
    position = _private_position(client, alpha)
    assert client.post(POSITIONS, json=_reshare(position), headers=alpha).status_code == 201
    back = client.post(POSITIONS, json=_reshare(position, space="party:AAA"), headers=alpha)
    assert back.status_code == 422
    assert back.json()["errors"][0]["field"] == "space"


def test_the_position_form_asks_for_step_up_before_widening(small_url: str) -> None:
    settings = Settings(database_url=small_url, secret_key=SECRET, step_up=True, step_up_minutes=0)
    client = TestClient(create_app(settings), follow_redirects=False)
    page = client.post(
        "/login", data={"username": "alpha", "password": "alpha-password"}
    ).headers.get("location")
    assert page is not None
    html = client.get("/p/small/positions").text
    csrf = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    position = _private_position(client, {})
    response = client.post(
        "/p/small/positions",
        data={
            "csrf_token": csrf,
            "provision": position["provision_id"],
            "option": position["option_id"] or "",
            "stance": "accept",
            "reason": "FORM-WIDER",
            "space": "participants",
            "replace": "yes",  # the earlier position is replaced knowingly (confirmed)
        },
        headers={"referer": "http://testserver/p/small/positions"},
    )
    # Signed in a while ago (no fresh re-authentication): to /reauth, nothing written.
    assert response.status_code == 303 and response.headers["location"].startswith("/reauth")
    assert _private_position(client, {})["space"] == "party:AAA"


def test_submitting_an_amendment_widens_its_space_so_it_needs_step_up(client: TestClient) -> None:
    alpha = _bearer(client, "alpha", "alpha-password")
    texts = "/api/v1/processes/small/texts/plan/amendments"
    drafted = client.post(
        texts,
        json={"base": "v2", "kind": "substitute", "provision": "p1", "text": "ALPHA-AMENDED"},
        headers=alpha,
    )
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["space"] == "party:AAA"
    submit = f"{texts}/{drafted.json()['key']}/submit"
    refused = client.post(submit, json={"to": "participants"}, headers=alpha)
    assert refused.status_code == 403 and "Step-up" in refused.json()["detail"]
    done = client.post(
        submit,
        json={"to": "participants"},
        headers={**alpha, "X-Parley-Password": "alpha-password"},
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["space"]) == ("submitted", "participants")
