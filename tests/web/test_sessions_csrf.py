"""Sign-in, sign-out, CSRF, API tokens and login throttling, through real HTTP requests."""

from __future__ import annotations

import re
from contextlib import ExitStack

import httpx
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parley.app import create_app
from parley.cli import app as cli
from parley.db.engine import read_session
from parley.positions.models import Position
from web.support import KEY, Canary, make_settings

API = "/api/v1/processes"
FAILURE = re.compile(r'role="alert">.*?<div class="alert-text">(.*?)</div>', re.S)


def _positions(canary: Canary) -> int:
    with read_session(canary.engine()) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(Position)) or 0


def _form(canary: Canary, **extra: str) -> dict[str, str]:
    return {
        "provision": canary.ref("provision:public-doc/d2"),
        "stance": "reject",
        "priority": "20",
        **extra,
    }


def _sign_in(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password})


def _csrf_of_page(client: httpx.Client) -> str:
    match = re.search(r'data-csrf="([^"]+)"', client.get("/").text)
    assert match, "a signed-in page carries the session's CSRF token"
    return match.group(1)


# ---------------------------------------------------------------- CSRF


def test_a_form_post_without_the_csrf_token_is_refused_and_writes_nothing(canary: Canary) -> None:
    client = canary.client("aaa-head")
    before = _positions(canary)

    missing = client.post(f"/p/{KEY}/positions", data=_form(canary))
    wrong = client.post(f"/p/{KEY}/positions", data=_form(canary, csrf_token="forged"))
    someone_elses = client.post(
        f"/p/{KEY}/positions",
        data=_form(canary, csrf_token=canary.csrf("bbb-head")["X-CSRF-Token"]),
    )

    assert [r.status_code for r in (missing, wrong, someone_elses)] == [403, 403, 403]
    assert _positions(canary) == before
    ok = client.post(
        f"/p/{KEY}/positions",
        data=_form(canary, csrf_token=canary.csrf("aaa-head")["X-CSRF-Token"]),
    )
    assert ok.status_code == 303, ok.text
    assert _positions(canary) == before + 1
    # Every other form and JSON change is guarded the same way, signing out included.
    note = canary.ref("notes:CANARY-AAA-NOTE-TITLE")
    assert (
        client.post(f"/p/{KEY}/notes", data={"title": "x", "space": "party:AAA"}).status_code == 403
    )
    assert client.post(f"/p/{KEY}/notes/{note}/edit", data={"text": "x"}).status_code == 403
    assert client.patch(f"{API}/{KEY}/notes/{note}", json={"text": "x"}).status_code == 403
    assert (
        client.post(
            f"{API}/{KEY}/steps", json={"key": "k", "title": "t", "space": "party:AAA"}
        ).status_code
        == 403
    )
    assert "CANARY-AAA-NOTE-TEXT" in client.get(f"{API}/{KEY}/notes/{note}").text
    assert client.post("/logout").status_code == 403
    assert client.get("/api/v1/auth/tokens").status_code == 200  # still signed in


def test_a_json_post_with_the_session_cookie_needs_the_csrf_header(canary: Canary) -> None:
    client = canary.client("aaa-head")
    body = {"provision_id": canary.ref("provision:plan/p2"), "stance": "accept"}
    before = _positions(canary)

    refused = client.post(f"{API}/{KEY}/positions", json=body)
    forged = client.post(f"{API}/{KEY}/positions", json=body, headers={"X-CSRF-Token": "x" * 43})

    assert (refused.status_code, forged.status_code) == (403, 403)
    assert "CSRF" in refused.json()["detail"]
    assert _positions(canary) == before
    accepted = client.post(f"{API}/{KEY}/positions", json=body, headers=canary.csrf("aaa-head"))
    assert accepted.status_code == 201


# ---------------------------------------------------------------- sessions


def test_after_sign_out_the_old_cookie_no_longer_works(shared_canary: Canary) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    signed_in = _sign_in(client, "aaa-head", "aaa-head-password")
    assert signed_in.status_code == 303
    cookie = client.cookies["parley_session"]
    assert client.get("/api/v1/auth/tokens").status_code == 200

    out = client.post("/logout", data={"csrf_token": _csrf_of_page(client)})
    assert out.status_code == 303
    assert (
        'parley_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    )

    # Replaying the old cookie (as a thief would) finds no session on the server.
    with TestClient(canary.app, follow_redirects=False) as replay:
        replay.cookies.set("parley_session", cookie)
        assert replay.get("/api/v1/auth/tokens").status_code == 401
        page = replay.get(f"/p/{KEY}/positions")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def _issued(response: httpx.Response) -> str:
    match = re.match(r"parley_session=([^;]+);", response.headers["set-cookie"])
    assert match, response.headers.get("set-cookie")
    return match.group(1)


def test_signing_in_issues_a_new_session_every_time(shared_canary: Canary) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    client.cookies.set("parley_session", "chosen-by-an-attacker")
    first = _issued(_sign_in(client, "bbb-head", "bbb-head-password"))
    second = _issued(_sign_in(client, "bbb-head", "bbb-head-password"))
    assert "chosen-by-an-attacker" not in (first, second)
    assert first != second


def test_the_next_parameter_never_redirects_off_site(shared_canary: Canary) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example/", "javascript:x"):
        response = client.post(
            "/login", data={"username": "observer", "password": "observer-password", "next": target}
        )
        location = response.headers["location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), (
            target,
            location,
        )
    inside = client.post(
        "/login",
        data={
            "username": "observer",
            "password": "observer-password",
            "next": f"/p/{KEY}/history",
        },
    )
    assert inside.headers["location"] == f"/p/{KEY}/history"


# ---------------------------------------------------------------- API tokens


def _token(client: httpx.Client, username: str, password: str, name: str = "") -> str:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": password, "name": name}
    )
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert isinstance(token, str) and len(token) > 30
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token_id(client: httpx.Client, token: str, name: str) -> str:
    listed = client.get("/api/v1/auth/tokens", headers=_bearer(token)).json()
    assert all("token" not in row for row in listed), "the list never shows the tokens themselves"
    return next(row["id"] for row in listed if row["name"] == name)


def test_a_token_works_as_bearer_without_csrf(canary: Canary) -> None:
    client = canary.client("anonymous")
    token = _token(client, "aaa-head", "aaa-head-password")

    listed = client.get(f"{API}/{KEY}/positions", headers=_bearer(token))
    assert listed.status_code == 200
    assert "CANARY-AAA-POSITION-REASON" in listed.text
    created = client.post(
        f"{API}/{KEY}/positions",
        headers=_bearer(token),
        json={"provision_id": canary.ref("provision:plan/p2"), "stance": "accept"},
    )
    assert created.status_code == 201, created.text
    assert client.get(f"{API}/{KEY}/positions", headers=_bearer("pt_made-up")).status_code == 401


def test_a_token_revoked_on_the_command_line_stops_working(shared_canary: Canary) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    token = _token(client, "bbb-head", "bbb-head-password", name="laptop")
    token_id = _token_id(client, token, "laptop")

    result = CliRunner().invoke(cli, ["token", "revoke", token_id, "--db", canary.url])
    assert result.exit_code == 0, result.output

    assert client.get(f"{API}/{KEY}/positions", headers=_bearer(token)).status_code == 401
    assert client.get(f"{API}/{KEY}", headers=_bearer(token)).status_code == 401
    again = CliRunner().invoke(cli, ["token", "revoke", "not-a-token-id", "--db", canary.url])
    assert again.exit_code == 2


def test_a_token_revoked_through_the_api_stops_working(shared_canary: Canary) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    token = _token(client, "aaa-viewer", "aaa-viewer-password", name="script")
    token_id = _token_id(client, token, "script")
    # Another user cannot revoke it, and learns nothing about it.
    other = canary.client("bbb-head").post(
        f"/api/v1/auth/tokens/{token_id}/revoke", headers=canary.csrf("bbb-head")
    )
    assert (other.status_code, other.json()) == (404, {"detail": "Not Found"})
    assert client.get(f"{API}/{KEY}/positions", headers=_bearer(token)).status_code == 200

    revoked = client.post(f"/api/v1/auth/tokens/{token_id}/revoke", headers=_bearer(token))
    assert revoked.status_code == 200

    assert client.get(f"{API}/{KEY}/positions", headers=_bearer(token)).status_code == 401


# ---------------------------------------------------------------- throttling and messages


def _failure_message(response: httpx.Response) -> str:
    match = FAILURE.search(response.text)
    assert match, response.text[:300]
    return match.group(1).strip()


def test_the_failure_message_does_not_say_whether_the_username_exists(
    shared_canary: Canary,
) -> None:
    canary = shared_canary  # writes only sessions, tokens and sign-in failures
    client = canary.client("anonymous")
    wrong_password = client.post(
        "/login", data={"username": "aaa-head", "password": "nope-nope-nope"}
    )
    no_such_user = client.post(
        "/login", data={"username": "no-such-user", "password": "nope-nope-nope"}
    )
    assert wrong_password.status_code == no_such_user.status_code == 401
    assert _failure_message(wrong_password) == _failure_message(no_such_user)
    api_wrong = client.post("/api/v1/auth/token", json={"username": "aaa-head", "password": "nope"})
    api_unknown = client.post(
        "/api/v1/auth/token", json={"username": "nobody-here", "password": "x"}
    )
    assert api_wrong.status_code == api_unknown.status_code == 401
    assert api_wrong.json() == api_unknown.json()
    assert "aaa-head" not in _failure_message(wrong_password)


def test_after_too_many_failures_even_the_right_password_is_refused(canary: Canary) -> None:
    with ExitStack() as stack:
        app = create_app(make_settings(canary.url, login_max_failures=3))
        client = stack.enter_context(TestClient(app, follow_redirects=False))
        failures = [
            client.post("/login", data={"username": "aaa-head", "password": f"wrong-{i}"})
            for i in range(3)
        ]
        right = client.post(
            "/login", data={"username": "aaa-head", "password": "aaa-head-password"}
        )
        token = client.post(
            "/api/v1/auth/token", json={"username": "aaa-head", "password": "aaa-head-password"}
        )

        assert right.status_code == 401
        assert _failure_message(right) == _failure_message(failures[0])
        assert "parley_session" not in right.headers.get("set-cookie", "")
        assert token.status_code == 401
        # Other accounts are not locked out by failures on this one.
        other = client.post(
            "/login", data={"username": "bbb-head", "password": "bbb-head-password"}
        )
        assert other.status_code == 303


def test_many_failures_from_one_address_throttle_every_account(canary: Canary) -> None:
    with ExitStack() as stack:
        app = create_app(make_settings(canary.url, login_max_failures=2))
        client = stack.enter_context(TestClient(app, follow_redirects=False))
        # Two failures each on four accounts: 8 = 4 × max_failures from one address.
        for username in ("aaa-head", "aaa-viewer", "bbb-head", "bbb-viewer"):
            for i in range(2):
                client.post("/login", data={"username": username, "password": f"wrong-{i}"})
        untouched = client.post(
            "/login", data={"username": "observer", "password": "observer-password"}
        )
        assert untouched.status_code == 401
