"""The second factor (TOTP with replay protection, recovery codes) and step-up."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth import second_factor
from parley.auth.models import User
from parley.authz import Actor
from parley.config import Settings
from parley.db.engine import create_db_engine, write_session

SECRET = "test-secret-key-for-the-second-factor"


def _login(client: TestClient, username: str, password: str) -> str:
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303
    return response.headers["location"]


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
def app_2fa(small_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=small_url,
        secret_key=SECRET,
        second_factor_roles="head,mediator",
        step_up=True,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def test_codes_are_accepted_once_and_recovery_codes_once(small_url: str) -> None:
    engine = create_db_engine(small_url)
    with write_session(engine) as session:
        user = session.scalars(sa.select(User).where(User.username == "alpha")).one()
        secret, uri = second_factor.begin_enrolment(session, user, SECRET)
        assert uri.startswith("otpauth://totp/")
        now = time.time()
        code = pyotp.TOTP(secret).at(now)
        with pytest.raises(second_factor.SecondFactorError):
            second_factor.confirm_enrolment(
                session,
                actor=Actor.system("t"),
                user=user,
                secret_key=SECRET,
                code="000000" if code != "000000" else "111111",
                now=now,
            )
        recovery = second_factor.confirm_enrolment(
            session, actor=Actor.system("t"), user=user, secret_key=SECRET, code=code, now=now
        )
        assert len(recovery) == 8
        # The same code again (a replay) is refused; the next step's code works once.
        assert not second_factor.check_code(
            session, user_id=user.id, secret_key=SECRET, code=code, now=now
        )
        later = pyotp.TOTP(secret).at(now + 30)
        assert second_factor.check_code(
            session, user_id=user.id, secret_key=SECRET, code=later, now=now + 30
        )
        assert not second_factor.check_code(
            session, user_id=user.id, secret_key=SECRET, code=later, now=now + 30
        )
        assert second_factor.check_code(
            session, user_id=user.id, secret_key=SECRET, code=recovery[0]
        )
        assert not second_factor.check_code(
            session, user_id=user.id, secret_key=SECRET, code=recovery[0]
        )
        # The stored secret is encrypted, never the plain base32 secret.
        from parley.auth.models import SecondFactor

        assert secret not in session.get(SecondFactor, user.id).secret_encrypted
    engine.dispose()


def test_a_head_must_enrol_then_give_a_code_at_each_sign_in(app_2fa: TestClient) -> None:
    client = app_2fa
    assert _login(client, "alpha", "alpha-password").startswith("/account/second-factor")
    # Until the factor is set up, the session is not signed in.
    assert client.get("/api/v1/processes/small/positions").status_code == 401
    page = client.get("/account/second-factor").text
    secret = re.search(r"Secret: <code>([A-Z2-7]+)</code>", page).group(1)
    done = client.post(
        "/account/second-factor",
        data={"csrf_token": _csrf(page), "code": pyotp.TOTP(secret).now()},
    )
    assert done.status_code == 200 and "Recovery codes" in done.text
    assert client.get("/api/v1/processes/small/positions").status_code == 200

    other = TestClient(client.app)
    assert _login(other, "alpha", "alpha-password").startswith("/login/second-factor")
    form = other.get("/login/second-factor").text
    wrong = other.post("/login/second-factor", data={"csrf_token": _csrf(form), "code": "123"})
    assert wrong.status_code == 401
    assert other.get("/api/v1/processes/small/positions").status_code == 401
    later = pyotp.TOTP(secret).at(time.time() + 30)
    right = other.post(
        "/login/second-factor",
        data={"csrf_token": _csrf(form), "code": later},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert other.get("/api/v1/processes/small/positions").status_code == 200


def test_viewers_are_not_asked_for_a_second_factor(app_2fa: TestClient) -> None:
    assert _login(app_2fa, "alpha-viewer", "alpha-password") == "/"


def test_release_needs_step_up_over_the_api(small_url: str) -> None:
    settings = Settings(database_url=small_url, secret_key=SECRET, step_up=True)
    client = TestClient(create_app(settings))
    token = client.post(
        "/api/v1/auth/token", json={"username": "alpha", "password": "alpha-password"}
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    positions = client.get("/api/v1/processes/small/positions", headers=headers).json()["items"]
    private = next(p for p in positions if p["space"] == "party:AAA")
    url = f"/api/v1/processes/small/positions/{private['id']}/release"
    refused = client.post(url, json={"space": "party:AAA+mediator"}, headers=headers)
    assert refused.status_code == 403 and "Step-up" in refused.json()["detail"]
    wrong = client.post(
        url,
        json={"space": "party:AAA+mediator"},
        headers={**headers, "X-Parley-Password": "not-it"},
    )
    assert wrong.status_code == 403
    done = client.post(
        url,
        json={"space": "party:AAA+mediator"},
        headers={**headers, "X-Parley-Password": "alpha-password"},
    )
    assert done.status_code == 200, done.text


def test_release_in_the_browser_session_sends_to_reauth_first(small_url: str) -> None:
    settings = Settings(database_url=small_url, secret_key=SECRET, step_up=True, step_up_minutes=0)
    client = TestClient(create_app(settings))
    _login(client, "alpha", "alpha-password")
    page = client.get("/p/small/positions").text
    position_id = re.search(r"/p/small/positions/([0-9a-f-]{36})/release", page).group(1)
    response = client.post(
        f"/p/small/positions/{position_id}/release",
        data={"csrf_token": _csrf(page), "space": "party:AAA+mediator"},
        headers={"referer": "http://testserver/p/small/positions"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/reauth?next=/p/small/positions")
