"""Security headers, the session cookie's attributes, and pages free of inline scripts."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import httpx
import lxml.html

from web.support import KEY, Canary

# One page of every template, as the personas that can open them.
PAGES = {
    "anonymous": [
        "/",
        "/login",
        f"/p/{KEY}",
        f"/p/{KEY}/steps",
        f"/p/{KEY}/history",
        f"/p/{KEY}/search?q=canary",
        f"/p/{KEY}/steps/not-an-id",
    ],
    "aaa-head": [
        f"/p/{KEY}",
        f"/p/{KEY}/positions",
        f"/p/{KEY}/audit",
        f"/p/{KEY}/documents",
        f"/p/{KEY}/sessions",
        "/admin/users",
        "{step}",
        "{step}/edit",
        f"/p/{KEY}/notes/new",
        "{history}",
    ],
}


def _pages(canary: Canary) -> list[tuple[str, httpx.Response]]:
    values = {
        "step": f"/p/{KEY}/steps/{canary.ref('steps:CANARY-AAA-STEP-KEY')}",
        "history": f"/p/{KEY}/positions/"
        f"{canary.ref('position:AAA:CANARY-AAA-POSITION-REASON')}/history",
    }
    out = []
    for persona, paths in PAGES.items():
        client = canary.client(persona)
        for path in paths:
            path = path.format(**values)
            out.append((f"{persona} {path}", client.get(path)))
    return out


def _csp(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers.get("content-security-policy", "")
    directives = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_every_response_carries_the_security_headers(shared_canary: Canary) -> None:
    canary = shared_canary
    responses = _pages(canary)
    responses.append(("api", canary.client("aaa-head").get(f"/api/v1/processes/{KEY}/steps")))
    responses.append(("api 404", canary.client("anonymous").get("/api/v1/nothing-here")))
    for what, response in responses:
        csp = _csp(response)
        scripts = csp.get("script-src", csp.get("default-src", []))
        assert scripts, f"{what}: no script-src in the Content-Security-Policy"
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, what
        assert "*" not in scripts and not any(s.startswith(("http:", "https:")) for s in scripts), (
            what
        )
        assert csp.get("frame-ancestors") == ["'none'"], what
        assert csp.get("object-src") == ["'none'"], what
        assert response.headers.get("x-content-type-options") == "nosniff", what
        assert response.headers.get("x-frame-options") == "DENY", what
        assert response.headers.get("referrer-policy") in ("same-origin", "no-referrer"), what


def test_private_pages_are_not_cached_and_https_asks_for_hsts(shared_canary: Canary) -> None:
    canary = shared_canary
    client = canary.client("aaa-head")
    for path in (f"/p/{KEY}/positions", f"/api/v1/processes/{KEY}/positions"):
        assert "no-store" in client.get(path).headers.get("cache-control", ""), path
    secure = canary.client("aaa-head", base_url="https://testserver")
    assert "max-age=" in secure.get("/").headers.get("strict-transport-security", "")


def _cookie(response: httpx.Response) -> tuple[str, SimpleCookie]:
    header = response.headers["set-cookie"]
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(header)
    return header, cookie


def test_the_session_cookie_is_httponly_and_samesite_lax(shared_canary: Canary) -> None:
    canary = shared_canary
    response = canary.client("anonymous").post(
        "/login", data={"username": "aaa-head", "password": "aaa-head-password"}
    )
    assert response.status_code == 303
    header, cookie = _cookie(response)
    morsel = cookie["parley_session"]
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    assert not morsel["domain"]
    assert "secure" not in header.lower()  # plain http in development


def test_over_https_the_cookie_is_secure_with_a_host_prefix(shared_canary: Canary) -> None:
    canary = shared_canary
    client = canary.client("anonymous", base_url="https://testserver")
    response = client.post("/login", data={"username": "aaa-head", "password": "aaa-head-password"})
    assert response.status_code == 303
    _, cookie = _cookie(response)
    assert "parley_session" not in cookie
    morsel = cookie["__Host-parley_session"]
    assert morsel["secure"] is True and morsel["httponly"] is True
    assert morsel["path"] == "/" and not morsel["domain"]  # what the __Host- prefix requires
    assert morsel["samesite"].lower() == "lax"
    # The secure cookie is the one that signs in over https.
    assert client.get("/api/v1/auth/tokens").status_code == 200


def test_a_plain_cookie_does_not_sign_in_over_https(shared_canary: Canary) -> None:
    canary = shared_canary
    token = canary.template.sessions["aaa-head"][0]
    client = canary.client("anonymous", base_url="https://testserver")
    client.cookies.set("parley_session", token)
    assert client.get("/api/v1/auth/tokens").status_code == 401


def script_problems(html: str) -> list[str]:
    """Inline scripts, inline event handlers, javascript: URLs and scripts from elsewhere."""
    problems = []
    tree = lxml.html.fromstring(html)
    for script in tree.iter("script"):
        src = script.get("src")
        if not src:
            problems.append("an inline <script>")
        elif not src.startswith("/") or src.startswith("//"):
            problems.append(f"a script from elsewhere: {src}")
        if (script.text or "").strip():
            problems.append("a <script> with a body")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        handlers = [name for name in element.attrib if name.lower().startswith("on")]
        if handlers:
            problems.append(f"inline handler {handlers} on <{element.tag}>")
        for name in ("href", "src", "action", "formaction"):
            if re.match(r"\s*javascript:", element.get(name, ""), re.I):
                problems.append(f"a javascript: URL in {name}")
    return problems


def test_no_page_has_an_inline_script_or_handler(shared_canary: Canary) -> None:
    checked = 0
    for what, response in _pages(shared_canary):
        if "text/html" in response.headers.get("content-type", ""):
            assert not script_problems(response.text), (what, script_problems(response.text))
            checked += 1
    assert checked >= 14


def test_no_page_serves_the_cdn_swagger_ui(shared_canary: Canary) -> None:
    # FastAPI's Swagger UI loads scripts from a CDN; Parley serves only the OpenAPI document.
    client = shared_canary.client("anonymous")
    for path in ("/api/v1/docs", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Parley"
