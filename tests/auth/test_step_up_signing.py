"""Step-up before signing and exporting (PARLEY_STEP_UP): a text version's signature, a joint
statement's approval (which signs it), and a version's download.

API clients prove themselves with ``X-Parley-Password`` on the request; a browser session whose
last password entry is older than PARLEY_STEP_UP_MINUTES goes to /reauth first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import WebSession
from parley.config import Settings
from parley.db.base import utcnow
from parley.db.engine import create_db_engine, read_session, write_session
from parley.sessions.models import Statement

SECRET = "test-secret-key-for-step-up-signing"
API = "/api/v1/processes/small"
PAGE = "/p/small"
PASSWORD = "alpha-password"
PASSPHRASE = "alpha's signing passphrase"


def _is_step_up(response: object) -> bool:
    status = getattr(response, "status_code", None)
    if status == 303:
        return str(response.headers["location"]).startswith("/reauth")  # type: ignore[attr-defined]
    return status == 403 and "Step-up" in response.json()["detail"]  # type: ignore[attr-defined]


@pytest.fixture
def client(small_url: str) -> Iterator[TestClient]:
    # Wrong passwords here are few and deliberate: throttling is tests/auth/test_throttle.py's.
    settings = Settings(
        database_url=small_url,
        secret_key=SECRET,
        step_up=True,
        secret_throttle_after=50,
        secret_lock_after=50,
    )
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _token(client: TestClient) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/token", json={"username": "alpha", "password": PASSWORD}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _statement(client: TestClient, key: str) -> tuple[str, str]:
    url = str(client.app.state.settings.database_url)  # type: ignore[attr-defined]
    engine = create_db_engine(url)
    with read_session(engine) as s:
        statement = s.scalars(sa.select(Statement).where(Statement.key == key)).one()
        found = str(statement.id), statement.text
    engine.dispose()
    return found


def test_signing_and_exporting_over_the_api_need_the_password(client: TestClient) -> None:
    bearer = _token(client)
    with_password = {**bearer, "X-Parley-Password": PASSWORD}
    made = client.post(f"{API}/texts-keys", json={"passphrase": PASSPHRASE}, headers=bearer)
    assert made.status_code == 201, made.text  # making a key is not signing

    sign = f"{API}/texts/plan/v/v1/sign"
    assert _is_step_up(client.post(sign, json={"passphrase": PASSPHRASE}, headers=bearer))
    wrong = {**bearer, "X-Parley-Password": "not-the-password"}
    assert _is_step_up(client.post(sign, json={"passphrase": PASSPHRASE}, headers=wrong))
    signed = client.post(sign, json={"passphrase": PASSPHRASE}, headers=with_password)
    assert signed.status_code == 201, signed.text
    shown = client.get(f"{API}/texts/plan/v/v1", headers=bearer).json()["signatures"]
    assert [s["party"] for s in shown] == ["AAA"]

    export = f"{API}/texts/plan/v/v1/export/md"
    assert _is_step_up(client.get(export, headers=bearer))
    assert _is_step_up(client.get(export, headers=wrong))
    download = client.get(export, headers=with_password)
    assert download.status_code == 200 and "The parties agree" in download.text

    # Approving a joint statement signs it; revising or publishing it does not.
    statement_id, _ = _statement(client, "st1")
    approve = f"{API}/joint-statements/{statement_id}/approve"
    body = {"hash": "0" * 64, "passphrase": PASSPHRASE}
    assert _is_step_up(client.post(approve, json=body, headers=bearer))
    past_step_up = client.post(approve, json=body, headers=with_password)
    assert not _is_step_up(past_step_up)
    assert past_step_up.status_code == 422 and "hash" in past_step_up.json()["detail"]
    publish = client.post(f"{API}/joint-statements/{statement_id}/publish", headers=bearer)
    assert not _is_step_up(publish)


def test_without_step_up_nothing_more_is_asked(small_url: str) -> None:
    settings = Settings(database_url=small_url, secret_key=SECRET, step_up=False)
    with TestClient(create_app(settings)) as client:
        bearer = _token(client)
        assert client.get(f"{API}/texts/plan/v/v1/export/md", headers=bearer).status_code == 200
        client.post(f"{API}/texts-keys", json={"passphrase": PASSPHRASE}, headers=bearer)
        signed = client.post(
            f"{API}/texts/plan/v/v1/sign", json={"passphrase": PASSPHRASE}, headers=bearer
        )
        assert signed.status_code == 201, signed.text


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_a_browser_session_confirms_its_password_at_reauth_first(client: TestClient) -> None:
    signed_in = client.post("/login", data={"username": "alpha", "password": PASSWORD})
    assert signed_in.status_code == 303
    csrf = _csrf(client.get(f"{PAGE}/texts/plan/v/v1").text)
    key = {"csrf_token": csrf, "passphrase": PASSPHRASE, "confirm": PASSPHRASE}
    made = client.post(f"{PAGE}/texts-keys", data=key)
    assert made.status_code == 303
    # Signing in counts as a confirmation; ten minutes later it no longer does.
    engine = create_db_engine(str(client.app.state.settings.database_url))  # type: ignore[attr-defined]
    with write_session(engine) as session:
        session.execute(
            sa.update(WebSession).values(reauthenticated_at=utcnow() - timedelta(minutes=10))
        )
    engine.dispose()

    version = f"{PAGE}/texts/plan/v/v1"
    sign = {"csrf_token": csrf, "passphrase": PASSPHRASE}
    referer = {"referer": f"http://testserver{version}"}
    refused = client.post(f"{version}/sign", data=sign, headers=referer)
    assert refused.status_code == 303
    assert refused.headers["location"] == f"/reauth?next={version}"
    assert _is_step_up(client.get(f"{version}/export/docx", headers=referer))
    statement_id, _ = _statement(client, "st1")
    approve = client.post(
        f"{PAGE}/joint-statements/{statement_id}/approve",
        data={"csrf_token": csrf, "hash": "0" * 64, "passphrase": PASSPHRASE},
    )
    assert _is_step_up(approve)

    confirmed = client.post(
        "/reauth", data={"csrf_token": csrf, "password": PASSWORD, "next": version}
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == version
    done = client.post(f"{version}/sign", data=sign, headers=referer)
    assert done.status_code == 303 and done.headers["location"] == version
    assert [s["party"] for s in client.get(f"{API}/texts/plan/v/v1").json()["signatures"]] == [
        "AAA"
    ]
    assert client.get(f"{version}/export/docx").status_code == 200
