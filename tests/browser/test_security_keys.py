"""Security keys in a real browser: Chromium's virtual authenticator (over CDP) stands in for a
USB key. A fresh user adds a key, signs out, signs in with password and key, and steps up with
password and key. Runs on SQLite and PostgreSQL against the live server, opened at
http://localhost:<port> (the origin the server is configured for; see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from browser.conftest import ensure_account

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

USERNAME, PASSWORD = "keyholder", "keyholder-password-2025"


@pytest.fixture
def keyholder(live_server: Any) -> str:
    """A user of its own, with no membership, so that no other browser test sees it."""
    return ensure_account(live_server, USERNAME, PASSWORD)


def _key_uses(live_server: Any) -> tuple[int, int]:
    """(keys of the keyholder, their summed signature counters), read from the database."""
    from parley.auth.models import SecurityKey, User
    from parley.db.engine import create_db_engine, read_session

    engine = create_db_engine(live_server.database_url)
    try:
        with read_session(engine) as session:
            counts = session.scalars(
                sa.select(SecurityKey.sign_count)
                .join(User, User.id == SecurityKey.user_id)
                .where(User.username == USERNAME)
            ).all()
    finally:
        engine.dispose()
    return len(counts), sum(counts)


def _password_sign_in(page: Any, next_path: str) -> None:
    page.goto(f"/login?next={next_path}")
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def test_a_user_adds_a_key_signs_in_with_it_and_steps_up_with_it(
    browser: Any, live_server: Any, keyholder: str, watch: Any
) -> None:
    base = live_server.base_url.replace("127.0.0.1", "localhost")
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        watch.attach(page)
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "usb",
                    "hasResidentKey": False,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                }
            },
        )["authenticatorId"]

        # Add a key.
        _password_sign_in(page, "/account/security-keys")
        expect(page.locator("main h1")).to_have_text("Security keys")
        expect(page.locator("main")).to_contain_text("You have no security key.")
        page.fill("input[name=name]", "virtual key")
        with page.expect_navigation():
            page.click("button[data-webauthn=register]")
        expect(page.locator("table.keys")).to_contain_text("virtual key")
        held = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert len(held["credentials"]) == 1
        keys, enrolled = _key_uses(live_server)
        assert keys == 1
        watch.check(page, "adding a key")

        # Sign out; the password alone no longer signs in.
        page.get_by_role("button", name="account menu").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Sign out").click()
        _password_sign_in(page, "/account/security-keys")
        assert "/login/second-factor" in page.url
        expect(page.locator("input[name=code]")).to_have_count(0)
        assert page.request.get("/api/v1/auth/tokens").status == 401
        with page.expect_navigation():
            page.click("button[data-webauthn=login]")
        assert page.url.endswith("/account/security-keys")
        expect(page.locator(".who .user")).to_contain_text(USERNAME)
        assert _key_uses(live_server)[1] > enrolled  # the counter the server keeps went up
        watch.check(page, "signing in with the key")

        # Step up: password and key.
        page.goto("/reauth?next=/account/security-keys")
        page.fill("input[name=password]", PASSWORD)
        before = _key_uses(live_server)[1]
        with page.expect_navigation():
            page.click("button[data-webauthn=reauth]")
        assert page.url.endswith("/account/security-keys")
        assert _key_uses(live_server)[1] > before
        watch.check(page, "stepping up with the key")

        # A wrong password with the key is refused, and says so on the page.
        page.goto("/reauth?next=/")
        page.fill("input[name=password]", "not-the-password")
        page.click("button[data-webauthn=reauth]")
        expect(page.locator("[data-webauthn-error]")).to_contain_text("password")
        assert "/reauth" in page.url
    finally:
        context.close()
