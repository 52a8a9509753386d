"""The layout over HTTP: sections by persona, the account menu, flash messages, the API tokens
page, and validation errors in plain words."""

from __future__ import annotations

import re

from parley.web.flash import COOKIE
from web.support import KEY, Canary

SECTION = re.compile(
    r'<li class="nav-item[^"]*">\s*<a class="nav-link[^"]*"[^>]*>.*?</i>([^<]+)</a>', re.S
)


def _sections(html: str) -> list[str]:
    nav = html.split('id="sections"', 1)[1].split("</ul>\n        <form", 1)[0]
    return [s.strip() for s in SECTION.findall(nav)]


def test_each_persona_sees_the_sections_it_may_use_in_one_order(shared_canary: Canary) -> None:
    everything = ["Home", "Texts", "Positions", "Meetings", "Statements", "Plan", "Ledger",
                  "Record", "Audit"]  # fmt: skip
    public = ["Home", "Texts", "Meetings", "Statements", "Record"]
    for persona, expected in (
        ("mediator", everything),
        ("aaa-viewer", everything),
        ("observer", everything),
        ("anonymous", public),
        ("operator", public),
    ):
        page = shared_canary.client(persona).get(f"/p/{KEY}")
        assert page.status_code == 200
        assert _sections(page.text) == expected, persona


def test_every_section_link_opens_for_the_persona_who_sees_it(shared_canary: Canary) -> None:
    for persona in ("anonymous", "aaa-viewer", "aaa-head", "observer"):
        client = shared_canary.client(persona)
        nav = client.get(f"/p/{KEY}").text.split('id="sections"', 1)[1].split("</nav>", 1)[0]
        for href in sorted(set(re.findall(r'href="(/p/[^"]+)"', nav))):
            assert client.get(href).status_code == 200, (persona, href)


def test_the_account_menu_names_the_delegation_and_role(shared_canary: Canary) -> None:
    html = shared_canary.client("aaa-viewer").get(f"/p/{KEY}").text
    menu = html.split('id="account-menu-button"', 1)[1].split("</ul>", 1)[0]
    assert re.search(r"delegation · viewer", menu)
    for href in ("/account/second-factor", "/account/security-keys", "/account/tokens"):
        assert f'href="{href}"' in menu
    assert 'action="/logout"' in menu
    assert "account-menu-button" not in shared_canary.client("anonymous").get("/").text


def test_an_api_token_is_shown_once_and_revoking_it_says_so_once(canary: Canary) -> None:
    client = canary.client("aaa-head")
    csrf = canary.csrf("aaa-head")["X-CSRF-Token"]
    made = client.post("/account/tokens", data={"csrf_token": csrf, "name": "nightly export"})
    assert made.status_code == 201
    token = re.search(r"(pt_[A-Za-z0-9_-]+)", made.text).group(1)
    assert (
        client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    page = client.get("/account/tokens").text
    assert "nightly export" in page and token not in page
    token_id = re.search(r'action="/account/tokens/([0-9a-f-]{36})/revoke"', page).group(1)

    # Another user's token answers like a missing one.
    other = canary.client("bbb-head")
    refused = other.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": canary.csrf("bbb-head")["X-CSRF-Token"]},
    )
    assert refused.status_code == 404

    done = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert done.status_code == 303 and COOKIE in done.headers["set-cookie"]
    after = client.get("/account/tokens")
    assert "“nightly export” is revoked" in after.text and "Revoked" in after.text
    assert "is revoked" not in client.get("/account/tokens").text  # shown once
    assert (
        client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )


def test_a_token_needs_a_name_and_the_error_links_to_the_field(canary: Canary) -> None:
    client = canary.client("aaa-head")
    csrf = canary.csrf("aaa-head")["X-CSRF-Token"]
    answer = client.post("/account/tokens", data={"csrf_token": csrf, "name": "  "})
    assert answer.status_code == 422
    assert 'href="#f-name"' in answer.text and 'aria-invalid="true"' in answer.text
    assert "Give the token a name" in answer.text


def test_the_tokens_page_is_for_signed_in_users_only(shared_canary: Canary) -> None:
    answer = shared_canary.client("anonymous").get("/account/tokens")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_forged_flash_cookie_is_ignored(shared_canary: Canary) -> None:
    client = shared_canary.client("anonymous")
    client.cookies.set(COOKIE, "eyJ0IjoiUGF5IG1lIn0.AAAA")
    try:
        assert "Pay me" not in client.get("/").text
    finally:
        client.cookies.delete(COOKIE)


def test_a_validation_error_reads_in_plain_words(shared_canary: Canary) -> None:
    client = shared_canary.client("aaa-head")
    csrf = shared_canary.csrf("aaa-head")["X-CSRF-Token"]
    answer = client.post(
        "/admin/users",
        data={"csrf_token": csrf},
        headers={"referer": "http://testserver/admin/users"},
    )
    assert answer.status_code in (403, 422)
    page = client.post(f"/p/{KEY}/positions", data={"csrf_token": csrf, "priority": "many"})
    if page.status_code == 422 and "text/html" in page.headers["content-type"]:
        assert "pydantic" not in page.text and "validation error" not in page.text
