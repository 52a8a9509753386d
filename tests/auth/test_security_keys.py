"""Security keys (WebAuthn): enrolment, the second factor at sign-in, step-up, removal.

A software authenticator (tests/auth/soft_key.py) answers the ceremonies; the ``webauthn``
package checks them exactly as it checks a real key's answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from auth.soft_key import SoftKey
from parley.app import create_app
from parley.audit.models import AuditEvent
from parley.auth import second_factor, security_keys
from parley.auth.models import SecurityKey, User, WebAuthnChallenge, WebSession
from parley.auth.service import start_session
from parley.authz import Actor, NotFound
from parley.config import Settings
from parley.db.base import utcnow
from parley.db.engine import create_db_engine, write_session

SECRET = "test-secret-key-for-the-security-keys"
ORIGIN = "http://localhost:8000"
RP = security_keys.RelyingParty("localhost", "Parley", (ORIGIN,))


# ---------------------------------------------------------------- the service


@pytest.fixture
def engine(small_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(small_url)
    yield engine
    engine.dispose()


def _user(session: sa.orm.Session, username: str) -> User:
    return session.scalars(sa.select(User).where(User.username == username)).one()


def _session_key(engine: sa.Engine, username: str) -> str:
    with write_session(engine) as session:
        _, web = start_session(session, _user(session, username), 1)
        return web.token_hash


def _enrol(engine: sa.Engine, username: str, key: SoftKey, session_key: str) -> SecurityKey:
    with write_session(engine) as session:
        user = _user(session, username)
        options = security_keys.registration_options(
            session, user=user, rp=RP, session_key=session_key
        )
    with write_session(engine) as session:
        user = _user(session, username)
        return security_keys.finish_registration(
            session,
            actor=Actor(user_id=user.id, name=user.username),
            user=user,
            rp=RP,
            session_key=session_key,
            name="blue key",
            credential=key.register(json.loads(options), ORIGIN),
        )


def _sign(engine: sa.Engine, username: str, key: SoftKey, session_key: str, **kw: str) -> None:
    with write_session(engine) as session:
        user_id = _user(session, username).id
        options = json.loads(
            security_keys.authentication_options(
                session, user_id=user_id, rp=RP, session_key=session_key, purpose="login"
            )
        )
    with write_session(engine) as session:
        security_keys.finish_authentication(
            session,
            user_id=user_id,
            rp=RP,
            session_key=session_key,
            purpose="login",
            credential=key.assert_(options, kw.get("origin", ORIGIN), rp_id=kw.get("rp_id")),
        )


def test_a_registered_key_signs_in_and_its_counter_is_kept(engine: sa.Engine) -> None:
    key, web = SoftKey(), _session_key(engine, "alpha")
    stored = _enrol(engine, "alpha", key, web)
    assert stored.credential_id == key.id and stored.transports == ["usb"]
    _sign(engine, "alpha", key, web)
    _sign(engine, "alpha", key, web)
    with write_session(engine) as session:
        row = session.get(SecurityKey, stored.id)
        assert row is not None and row.sign_count == 2 and row.last_used_at is not None
        # Enrolment is in the system audit chain, like the TOTP set-up.
        events = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth:security-key:add")
        ).all()
        assert [e.changes["security_key"] for e in events] == [[None, "blue key"]]


def test_a_cloned_key_whose_counter_goes_backwards_is_refused(engine: sa.Engine) -> None:
    key, web = SoftKey(), _session_key(engine, "alpha")
    _enrol(engine, "alpha", key, web)
    copy = key.clone()  # taken while the counter stood at 0
    _sign(engine, "alpha", key, web)
    _sign(engine, "alpha", key, web)
    with pytest.raises(security_keys.SecurityKeyError, match="counter went backwards"):
        _sign(engine, "alpha", copy, web)  # the copy says 1; the server has seen 2


def test_a_challenge_is_used_once_and_expires(engine: sa.Engine) -> None:
    key, web = SoftKey(), _session_key(engine, "alpha")
    _enrol(engine, "alpha", key, web)
    with write_session(engine) as session:
        user_id = _user(session, "alpha").id
        options = json.loads(
            security_keys.authentication_options(
                session, user_id=user_id, rp=RP, session_key=web, purpose="login"
            )
        )
    answer = key.assert_(options, ORIGIN)

    def finish() -> None:
        with write_session(engine) as session:
            security_keys.finish_authentication(
                session,
                user_id=user_id,
                rp=RP,
                session_key=web,
                purpose="login",
                credential=answer,
            )

    finish()
    with pytest.raises(security_keys.SecurityKeyError, match="challenge: none pending"):
        finish()  # the same answer again: a replay
    with write_session(engine) as session:
        security_keys.authentication_options(
            session, user_id=user_id, rp=RP, session_key=web, purpose="login"
        )
        row = session.get(WebAuthnChallenge, (web, "login"))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(security_keys.SecurityKeyError, match="challenge: expired"):
        _sign_with_pending_challenge(engine, user_id, key, web)


def _sign_with_pending_challenge(
    engine: sa.Engine, user_id: object, key: SoftKey, web: str
) -> None:
    with write_session(engine) as session:
        row = session.get(WebAuthnChallenge, (web, "login"))
        assert row is not None
        options = {"challenge": row.challenge, "rpId": RP.id}
    with write_session(engine) as session:
        security_keys.finish_authentication(
            session,
            user_id=user_id,
            rp=RP,
            session_key=web,
            purpose="login",
            credential=key.assert_(options, ORIGIN),
        )


def test_answers_for_another_origin_or_site_are_refused(engine: sa.Engine) -> None:
    key, web = SoftKey(), _session_key(engine, "alpha")
    _enrol(engine, "alpha", key, web)
    with pytest.raises(security_keys.SecurityKeyError, match="origin"):
        _sign(engine, "alpha", key, web, origin="http://localhost.evil.example")
    with pytest.raises(security_keys.SecurityKeyError, match="RP ID"):
        _sign(engine, "alpha", key, web, rp_id="evil.example")


def test_one_users_key_does_not_answer_for_another(engine: sa.Engine) -> None:
    key = SoftKey()
    _enrol(engine, "alpha", key, _session_key(engine, "alpha"))
    beta_web = _session_key(engine, "beta")
    _enrol(engine, "beta", SoftKey(), beta_web)
    with pytest.raises(security_keys.SecurityKeyError, match="not a security key of this account"):
        _sign(engine, "beta", key, beta_web)
    with pytest.raises(security_keys.SecurityKeyError, match="already registered"):
        _enrol(engine, "beta", key, beta_web)


def test_a_key_is_removed_only_by_its_owner_and_the_removal_is_audited(engine: sa.Engine) -> None:
    stored = _enrol(engine, "alpha", SoftKey(), _session_key(engine, "alpha"))
    with write_session(engine) as session:
        beta = _user(session, "beta")
        with pytest.raises(NotFound):
            security_keys.remove_key(
                session, actor=Actor(user_id=beta.id, name="beta"), key_id=stored.id
            )
    with write_session(engine) as session:
        alpha = _user(session, "alpha")
        security_keys.remove_key(
            session, actor=Actor(user_id=alpha.id, name="alpha"), key_id=stored.id
        )
    with write_session(engine) as session:
        assert session.get(SecurityKey, stored.id) is None
        removed = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth:security-key:remove")
        ).one()
        assert removed.actor_name == "alpha" and removed.changes["security_key"] == [
            "blue key",
            None,
        ]


def test_the_relying_party_comes_from_the_settings_or_an_https_request() -> None:
    configured = Settings(webauthn_rp_id="parley.example.org")
    rp = security_keys.relying_party(configured, "http", "10.0.0.5:8000")
    assert rp is not None and rp.origins == ("https://parley.example.org",)
    bare = Settings()
    assert security_keys.relying_party(bare, "http", "parley.example.org") is None
    rp = security_keys.relying_party(bare, "https", "Parley.Example.org:8443")
    assert rp is not None and rp.id == "parley.example.org"
    assert rp.origins == ("https://Parley.Example.org:8443",)
    with pytest.raises(ValueError, match="PARLEY_WEBAUTHN_ORIGIN"):
        Settings(webauthn_rp_id="parley.example.org", webauthn_origin="https://evil.example")
    with pytest.raises(ValueError, match="PARLEY_WEBAUTHN_RP_ID"):
        Settings(webauthn_origin="https://parley.example.org")


# ---------------------------------------------------------------- over HTTP


def _csrf(page: str) -> str:
    found = re.search(r'data-csrf="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _client(small_url: str, **overrides: object) -> TestClient:
    settings = Settings(
        database_url=small_url,
        secret_key=SECRET,
        webauthn_rp_id="localhost",
        webauthn_origin=ORIGIN,
        **overrides,  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings), base_url=ORIGIN, follow_redirects=False)


def _login(client: TestClient, username: str, password: str) -> str:
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303
    return str(response.headers["location"])


def _add_key(client: TestClient, key: SoftKey, name: str = "blue key", page: str = "") -> dict:
    csrf = {"X-CSRF-Token": _csrf(page or client.get("/account/security-keys").text)}
    options = client.post("/account/security-keys/options", headers=csrf)
    assert options.status_code == 200, options.text
    done = client.post(
        "/account/security-keys",
        headers=csrf,
        json={"name": name, "credential": key.register(options.json(), ORIGIN), "next": "/"},
    )
    assert done.status_code == 201, done.text
    return dict(done.json())


def _use_key(client: TestClient, key: SoftKey, ceremony: str, page: str, **body: str) -> object:
    csrf = {"X-CSRF-Token": _csrf(page)}
    options = client.post(f"/{ceremony}/security-key/options", headers=csrf)
    assert options.status_code == 200, options.text
    return client.post(
        f"/{ceremony}/security-key",
        headers=csrf,
        json={"credential": key.assert_(options.json(), ORIGIN), **body},
    )


@pytest.fixture
def keyed(small_url: str) -> Iterator[tuple[TestClient, SoftKey]]:
    """alpha (a head, whose role requires a second factor) with a security key and no TOTP."""
    client = _client(small_url, second_factor_roles="head")
    with client:
        assert _login(client, "alpha", "alpha-password").startswith("/account/second-factor")
        key = SoftKey()
        # The first sign-in: the role requires a factor and the account has none; a key is one.
        assert _add_key(client, key, page=client.get("/account/security-keys").text) == {
            "redirect": "/"
        }
        assert client.get("/api/v1/processes/small/positions").status_code == 200
        yield client, key


def test_every_ceremony_refuses_the_anonymous(small_url: str) -> None:
    with _client(small_url) as client:
        for path in (
            "/account/security-keys/options",
            "/login/security-key/options",
            "/reauth/security-key/options",
        ):
            response = client.post(path)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login"
            ), path
        for path, body in (
            ("/account/security-keys", {"credential": {}, "name": "x"}),
            ("/login/security-key", {"credential": {}}),
            ("/reauth/security-key", {"credential": {}, "password": "x"}),
        ):
            response = client.post(path, json=body)
            assert response.status_code == 303 and response.headers["location"].startswith(
                "/login"
            ), path
        assert client.get("/account/security-keys").headers["location"].startswith("/login")


def test_a_ceremony_without_the_csrf_token_is_refused(small_url: str) -> None:
    with _client(small_url) as client:
        _login(client, "alpha", "alpha-password")
        refused = client.post("/account/security-keys/options")
        assert refused.status_code == 403 and "CSRF" in refused.text


def test_a_key_only_head_signs_in_with_the_key(
    keyed: tuple[TestClient, SoftKey], small_url: str
) -> None:
    client, key = keyed
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    assert _login(other, "alpha", "alpha-password").startswith("/login/second-factor")
    page = other.get("/login/second-factor").text
    assert "Use security key" in page and 'name="code"' not in page
    assert other.get("/api/v1/processes/small/positions").status_code == 401
    # While the key is pending, neither a TOTP set-up nor a new key may route around it.
    assert other.get("/account/second-factor").headers["location"].startswith("/login")
    late = other.post("/account/security-keys/options", headers={"X-CSRF-Token": _csrf(page)})
    assert late.status_code == 303 and late.headers["location"].startswith("/login")
    # A different key (not registered to alpha) is refused.
    wrong = _use_key(other, SoftKey(), "login", page, next="/")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    assert other.get("/api/v1/processes/small/positions").status_code == 401
    right = _use_key(other, key, "login", page, next="/p/small")
    assert right.status_code == 200 and right.json() == {"redirect": "/p/small"}  # type: ignore[attr-defined]
    assert other.get("/api/v1/processes/small/positions").status_code == 200


def test_a_refused_answer_spends_its_challenge(keyed: tuple[TestClient, SoftKey]) -> None:
    client, key = keyed
    other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
    _login(other, "alpha", "alpha-password")
    csrf = {"X-CSRF-Token": _csrf(other.get("/login/second-factor").text)}
    options = other.post("/login/security-key/options", headers=csrf).json()
    wrong = other.post(
        "/login/security-key", headers=csrf, json={"credential": SoftKey().assert_(options, ORIGIN)}
    )
    assert wrong.status_code == 401 and wrong.json()["detail"].startswith("credential:")
    # The refusal was committed with the spent challenge: the right key cannot answer it now.
    late = other.post(
        "/login/security-key", headers=csrf, json={"credential": key.assert_(options, ORIGIN)}
    )
    assert late.status_code == 401
    assert late.json()["detail"] == "challenge: none pending; start again"


def test_step_up_with_the_key_needs_the_password_too(keyed: tuple[TestClient, SoftKey]) -> None:
    client, key = keyed
    page = client.get("/reauth").text
    assert "Confirm with security key" in page
    # The password alone is not a step-up for an account whose second factor is a key.
    form = client.post("/reauth", data={"csrf_token": _csrf(page), "password": "alpha-password"})
    assert form.status_code == 401 and "security key" in form.text
    wrong = _use_key(client, key, "reauth", page, password="not-it", next="/")
    assert wrong.status_code == 401  # type: ignore[attr-defined]
    done = _use_key(client, key, "reauth", page, password="alpha-password", next="/p/small")
    assert done.status_code == 200 and done.json() == {"redirect": "/p/small"}  # type: ignore[attr-defined]


def test_removing_a_key_needs_step_up_and_is_audited(small_url: str) -> None:
    with _client(small_url, step_up=True) as client:
        _login(client, "alpha", "alpha-password")
        key = SoftKey()
        _add_key(client, key)
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with write_session(engine) as session:
            stored = session.scalars(sa.select(SecurityKey)).one()
            for web in session.scalars(sa.select(WebSession)):
                web.reauthenticated_at = utcnow() - timedelta(hours=1)
        page = client.get("/account/security-keys").text
        assert "blue key" in page
        url = f"/account/security-keys/{stored.id}/remove"
        stale = client.post(url, data={"csrf_token": _csrf(page)})
        assert stale.status_code == 303 and stale.headers["location"].startswith("/reauth")
        # Adding another key needs it too.
        more = client.post("/account/security-keys/options", headers={"X-CSRF-Token": _csrf(page)})
        assert more.status_code == 303 and more.headers["location"].startswith("/reauth")
        reauth = client.get("/reauth").text
        assert _use_key(client, key, "reauth", reauth, password="alpha-password").status_code == 200  # type: ignore[attr-defined]
        done = client.post(url, data={"csrf_token": _csrf(page)})
        assert done.status_code == 303 and done.headers["location"] == "/account/security-keys"
        assert "blue key" not in client.get("/account/security-keys").text
        with write_session(engine) as session:
            actions = session.scalars(
                sa.select(AuditEvent.action).where(AuditEvent.action.like("auth:security-key:%"))
            ).all()
            assert sorted(actions) == ["auth:security-key:add", "auth:security-key:remove"]


def test_another_users_key_answers_like_a_missing_one(small_url: str) -> None:
    with _client(small_url) as alpha, _client(small_url) as beta:
        _login(alpha, "alpha", "alpha-password")
        _add_key(alpha, SoftKey())
        engine = alpha.app.state.engine  # type: ignore[attr-defined]
        with write_session(engine) as session:
            key_id = session.scalars(sa.select(SecurityKey.id)).one()
        _login(beta, "beta", "beta-password")
        token = _csrf(beta.get("/account/security-keys").text)
        theirs = beta.post(f"/account/security-keys/{key_id}/remove", data={"csrf_token": token})
        made_up = beta.post(
            "/account/security-keys/00000000-0000-4000-8000-000000000000/remove",
            data={"csrf_token": token},
        )
        assert theirs.status_code == made_up.status_code == 404
        assert theirs.content == made_up.content
        assert "blue key" not in beta.get("/account/security-keys").text
        with write_session(engine) as session:
            assert session.get(SecurityKey, key_id) is not None


def test_a_bad_name_is_refused_naming_the_field(small_url: str) -> None:
    with _client(small_url) as client:
        _login(client, "alpha", "alpha-password")
        csrf = {"X-CSRF-Token": _csrf(client.get("/account/security-keys").text)}
        options = client.post("/account/security-keys/options", headers=csrf).json()
        refused = client.post(
            "/account/security-keys",
            headers=csrf,
            json={"name": "  ", "credential": SoftKey().register(options, ORIGIN)},
        )
        assert refused.status_code == 422 and refused.json()["detail"].startswith("name:")


def test_without_https_or_settings_keys_are_not_offered(small_url: str) -> None:
    settings = Settings(database_url=small_url, secret_key=SECRET)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        _login(client, "alpha", "alpha-password")
        page = client.get("/account/security-keys").text
        assert "not offered at this address" in page and "data-webauthn" not in page
        refused = client.post(
            "/account/security-keys/options", headers={"X-CSRF-Token": _csrf(page)}
        )
        assert refused.status_code == 409 and "PARLEY_WEBAUTHN_RP_ID" in refused.json()["detail"]


def test_a_totp_user_may_add_a_key_and_then_use_either(small_url: str) -> None:
    import pyotp

    with _client(small_url) as client:
        _login(client, "alpha", "alpha-password")
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with write_session(engine) as session:
            user = _user(session, "alpha")
            secret, _ = second_factor.begin_enrolment(session, user, SECRET)
            second_factor.confirm_enrolment(
                session,
                actor=Actor.system("t"),
                user=user,
                secret_key=SECRET,
                code=pyotp.TOTP(secret).now(),
            )
        _add_key(client, SoftKey())
        other = TestClient(client.app, base_url=ORIGIN, follow_redirects=False)
        assert _login(other, "alpha", "alpha-password").startswith("/login/second-factor")
        page = other.get("/login/second-factor").text
        assert "Use security key" in page and 'name="code"' in page


def test_the_operator_lists_and_removes_a_users_keys_from_the_command_line(
    engine: sa.Engine, small_url: str
) -> None:
    from typer.testing import CliRunner

    from parley.cli import app

    _enrol(engine, "alpha", SoftKey(), _session_key(engine, "alpha"))
    runner = CliRunner()
    listed = runner.invoke(app, ["user", "security-keys", "alpha", "--db", small_url])
    assert listed.exit_code == 0 and "blue key" in listed.output
    unknown = runner.invoke(app, ["user", "security-keys", "nobody", "--db", small_url])
    assert unknown.exit_code != 0 and "username" in unknown.output
    removed = runner.invoke(
        app, ["user", "security-keys", "alpha", "--remove-all", "--db", small_url]
    )
    assert removed.exit_code == 0 and "removed 1" in removed.output
    with write_session(engine) as session:
        assert not security_keys.has_keys(session, _user(session, "alpha").id)
        event = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth:security-key:remove")
        ).one()
        assert event.actor_name == "cli:user-security-keys"
