"""Second factors resist guessing; credentials end together; the operator can reset a factor.

Each test below is one case of issue #14: on the code before, the right secret after a run
of wrong ones was accepted, a stale session could enrol a factor, and an API token outlived
a password change.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from parley.app import create_app
from parley.audit.models import AuditEvent
from parley.audit.verify import verify_all
from parley.auth import second_factor
from parley.auth.models import User
from parley.authz import Actor
from parley.cli import app as cli
from parley.config import Settings
from parley.db.engine import create_db_engine, read_session, write_session

SECRET = "test-secret-key-for-the-second-factor"
API = "/api/v1/processes/small/positions"
runner = CliRunner()


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _settings(url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "database_url": url,
        "secret_key": SECRET,
        "secret_throttle_after": 3,
        "secret_lock_after": 5,
        "secret_lock_seconds": 600,
    }
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def _enrol(url: str, username: str = "alpha") -> tuple[str, list[str]]:
    """Give ``username`` a TOTP factor directly; return its secret and recovery codes."""
    engine = create_db_engine(url)
    with write_session(engine) as session:
        user = session.scalars(sa.select(User).where(User.username == username)).one()
        secret, _ = second_factor.begin_enrolment(session, user, SECRET)
        now = time.time() - 90  # an old step, so that the current code is still unused
        codes = second_factor.confirm_enrolment(
            session,
            actor=Actor.system("t"),
            user=user,
            secret_key=SECRET,
            code=pyotp.TOTP(secret).at(now),
            now=now,
        )
    engine.dispose()
    return secret, codes


def _pending(client: TestClient, username: str = "alpha", password: str = "alpha-password") -> str:  # noqa: S107 - the small scenario's illustrative password
    answer = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login/second-factor")
    return _csrf(client.get("/login/second-factor").text)


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


@pytest.fixture
def site(small_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(small_url))) as client:
        yield client


def _events(url: str, action: str) -> list[AuditEvent]:
    engine = create_db_engine(url)
    with read_session(engine) as session:
        found = list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))
    engine.dispose()
    return found


# ---------------------------------------------------------------- guessing is stopped


def test_many_wrong_codes_then_the_right_one_is_refused(site: TestClient, small_url: str) -> None:
    secret, _ = _enrol(small_url)
    csrf = _pending(site)
    statuses = []
    for _ in range(12):
        wrong = site.post(
            "/login/second-factor",
            data={"csrf_token": csrf, "code": _wrong(pyotp.TOTP(secret).now())},
        )
        statuses.append(wrong.status_code)
    assert statuses[0] == 401 and 429 in statuses
    right = site.post(
        "/login/second-factor",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert site.get(API).status_code == 401  # still not signed in
    assert _events(small_url, "auth:secret:fail")  # each counted failure is audited


def test_a_recovery_code_is_refused_once_the_account_is_locked(
    small_url: str,
) -> None:
    _, codes = _enrol(small_url)
    settings = _settings(small_url, secret_throttle_after=5, secret_lock_after=5)
    with TestClient(create_app(settings)) as client:
        csrf = _pending(client)
        for _ in range(5):
            assert (
                client.post(
                    "/login/second-factor", data={"csrf_token": csrf, "code": "bad-code"}
                ).status_code
                == 401
            )
        locked = client.post("/login/second-factor", data={"csrf_token": csrf, "code": codes[0]})
        assert locked.status_code == 429 and "locked" in locked.text
    [lock] = _events(small_url, "auth:secret:lock")
    assert lock.chain == "system" and lock.object_type == "users"


def test_wrong_step_up_passwords_then_the_right_one_are_refused(small_url: str) -> None:
    settings = _settings(small_url, step_up=True, secret_lock_after=4)
    with TestClient(create_app(settings)) as client:
        client.post("/login", data={"username": "alpha", "password": "alpha-password"})
        csrf = _csrf(client.get("/reauth").text)
        for _ in range(8):
            client.post("/reauth", data={"csrf_token": csrf, "password": "not-the-password"})
        right = client.post(
            "/reauth",
            data={"csrf_token": csrf, "password": "alpha-password"},
            follow_redirects=False,
        )
        assert right.status_code == 429


def test_wrong_step_up_headers_then_the_right_one_are_refused(small_url: str) -> None:
    settings = _settings(small_url, step_up=True, secret_lock_after=4)
    with TestClient(create_app(settings)) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "alpha", "password": "alpha-password"}
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        private = next(
            p for p in client.get(API, headers=headers).json()["items"] if p["space"] == "party:AAA"
        )
        url = f"{API}/{private['id']}/release"
        body = {"space": "party:AAA+mediator"}
        statuses = [
            client.post(
                url, json=body, headers={**headers, "X-Parley-Password": "guess"}
            ).status_code
            for _ in range(8)
        ]
        assert statuses[0] == 403 and statuses[-1] == 429
        right = client.post(
            url, json=body, headers={**headers, "X-Parley-Password": "alpha-password"}
        )
        assert right.status_code == 429 and right.headers["retry-after"]


def test_the_lock_ends_by_time(small_url: str) -> None:
    secret, _ = _enrol(small_url)
    settings = _settings(
        small_url, secret_throttle_after=3, secret_lock_after=3, secret_lock_seconds=2
    )
    with TestClient(create_app(settings)) as client:
        csrf = _pending(client)
        for _ in range(3):
            client.post("/login/second-factor", data={"csrf_token": csrf, "code": "000000x"})
        code = pyotp.TOTP(secret).now()
        assert (
            client.post("/login/second-factor", data={"csrf_token": csrf, "code": code}).status_code
            == 429
        )
        time.sleep(2.2)
        right = client.post(
            "/login/second-factor",
            data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()},
            follow_redirects=False,
        )
        assert right.status_code == 303


def test_the_lock_ends_by_the_operator(site: TestClient, small_url: str) -> None:
    secret, _ = _enrol(small_url)
    csrf = _pending(site)
    for _ in range(6):
        site.post("/login/second-factor", data={"csrf_token": csrf, "code": "nope"})
    assert (
        site.post(
            "/login/second-factor", data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()}
        ).status_code
        == 429
    )
    result = runner.invoke(cli, ["user", "unlock", "alpha", "--db", small_url])
    assert result.exit_code == 0, result.output
    right = site.post(
        "/login/second-factor",
        data={"csrf_token": csrf, "code": pyotp.TOTP(secret).now()},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert _events(small_url, "auth:secret:unlock")


def test_one_address_guessing_across_accounts_is_locked(small_url: str) -> None:
    from parley.auth import throttle

    engine = create_db_engine(small_url)
    limits = throttle.Limits(throttle_after=3, lock_after=3, window_seconds=600, lock_seconds=600)
    accounts = [uuid.uuid4() for _ in range(20)]
    with write_session(engine) as session:
        failures = 0
        for account in accounts:
            for _ in range(2):  # under each account's own limit
                try:
                    throttle.guarded(
                        session,
                        user_id=account,
                        address="198.51.100.7",
                        kind="second-factor",
                        limits=limits,
                        check=lambda: False,
                    )
                    failures += 1
                except throttle.SecretRefused as exc:
                    assert "address" in str(exc)
                    break
    engine.dispose()
    # The address stopped at four times one account's limit, long before every account.
    assert failures == 4 * limits.lock_after


@given(
    failures=st.integers(0, 50),
    age=st.integers(0, 5000),
    after=st.integers(1, 10),
    extra=st.integers(0, 10),
)
def test_the_wait_grows_with_failures_and_ends(
    failures: int, age: int, after: int, extra: int
) -> None:
    from parley.auth import throttle

    limits = throttle.Limits(after, after + extra, 900, 900)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    newest = now - timedelta(seconds=age)
    wait = throttle.wait_seconds(failures, newest, now, limits)
    assert wait >= 0
    if failures < after:
        assert wait == 0
    more = throttle.wait_seconds(failures + 1, newest, now, limits)
    assert more >= wait  # one more failure never shortens the wait
    assert throttle.wait_seconds(failures, newest, now + timedelta(seconds=901), limits) == 0


# ---------------------------------------------------------------- enrolment needs step-up


def test_a_stale_session_cannot_enrol_a_factor(small_url: str) -> None:
    settings = _settings(small_url, step_up_minutes=0)
    with TestClient(create_app(settings)) as client:
        client.post("/login", data={"username": "alpha", "password": "alpha-password"})
        page = client.get("/account/second-factor", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/reauth")
        assert not _events(small_url, "auth:second-factor:enable")


# ---------------------------------------------------------------- credentials end together


def _token(client: TestClient) -> dict[str, str]:
    token = client.post(
        "/api/v1/auth/token", json={"username": "alpha", "password": "alpha-password"}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_a_password_change_ends_every_token_and_session(site: TestClient, small_url: str) -> None:
    headers = _token(site)
    site.post("/login", data={"username": "alpha", "password": "alpha-password"})
    assert site.get(API, headers=headers).status_code == 200
    assert site.get(API).status_code == 200
    result = runner.invoke(
        cli, ["user", "passwd", "alpha", "--password", "a-new-password-1", "--db", small_url]
    )
    assert result.exit_code == 0, result.output
    assert "1 API token(s) revoked" in result.output
    assert site.get(API, headers=headers).status_code == 401
    assert site.get(API).status_code == 401
    [ended] = _events(small_url, "auth:credentials:end")
    assert ended.changes["reason"] == [None, "password changed"]


def test_the_operator_may_keep_the_credentials_explicitly(site: TestClient, small_url: str) -> None:
    headers = _token(site)
    result = runner.invoke(
        cli,
        [
            "user",
            "passwd",
            "alpha",
            "--password",
            "a-new-password-1",
            "--keep-credentials",
            "--db",
            small_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert site.get(API, headers=headers).status_code == 200


def test_the_operator_resets_a_second_factor(site: TestClient, small_url: str) -> None:
    _enrol(small_url)
    headers = _token(site)
    result = runner.invoke(cli, ["user", "reset-second-factor", "alpha", "--db", small_url])
    assert result.exit_code == 0, result.output
    assert site.get(API, headers=headers).status_code == 401  # the token ended with it
    [reset] = _events(small_url, "auth:second-factor:reset")
    assert reset.chain == "system" and reset.object_type == "users"
    # At the next sign-in the user is told, once.
    answer = site.post(
        "/login",
        data={"username": "alpha", "password": "alpha-password"},
        follow_redirects=False,
    )
    assert answer.headers["location"].startswith("/account/notices")
    notice = site.get(answer.headers["location"])
    assert "reset your second factor" in notice.text
    assert "reset your second factor" not in site.get("/account/notices").text
    # Nothing else to reset now; the record still verifies.
    again = runner.invoke(cli, ["user", "reset-second-factor", "alpha", "--db", small_url])
    assert again.exit_code != 0 and "no second factor" in again.output
    engine = create_db_engine(small_url)
    with read_session(engine) as session:
        assert verify_all(session).ok
    engine.dispose()
