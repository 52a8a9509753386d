"""One-time messages after a change: "Bracket b resolved on option a", with an optional Undo.

A change answers with a redirect; :func:`flash` puts the message in a short-lived signed cookie
on that redirect, and the next page rendered (:func:`parley.web.templating.render`) shows it in
the banner area of the layout and deletes the cookie. Signed, so that no other site or
subdomain can plant a message; a cookie that does not verify is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

COOKIE = "parley_flash"
LEVELS = ("success", "info", "warning", "danger")


@dataclass(frozen=True)
class Flash:
    text: str
    level: str = "success"
    undo_action: str | None = None  # a same-site path that undoes the change (POST)
    undo_label: str = "Undo"


def _key(request: Request) -> bytes:
    secret = str(getattr(request.app.state.settings, "secret_key", ""))
    return hashlib.sha256(b"parley-flash:" + secret.encode()).digest()


def _sign(key: bytes, payload: bytes) -> str:
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return (base64.urlsafe_b64encode(payload) + b"." + base64.urlsafe_b64encode(mac)).decode()


def flash(
    request: Request,
    response: Response,
    text: str,
    *,
    level: str = "success",
    undo_action: str | None = None,
    undo_label: str = "Undo",
) -> Response:
    """Show ``text`` on the next page this browser renders; returns ``response``."""
    if level not in LEVELS:
        raise ValueError(f"flash level must be one of {', '.join(LEVELS)}")
    if undo_action is not None and (not undo_action.startswith("/") or undo_action[:2] == "//"):
        raise ValueError("undo_action must be a same-site path")
    payload = json.dumps(
        {"t": text, "l": level, "u": undo_action, "ul": undo_label}, separators=(",", ":")
    ).encode()
    response.set_cookie(
        COOKIE,
        _sign(_key(request), payload),
        max_age=120,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


def take_flash(request: Request) -> Flash | None:
    """The message waiting for this request's page, if any (verified)."""
    raw = request.cookies.get(COOKIE)
    if not raw or "." not in raw:
        return None
    body, _, mac = raw.partition(".")
    try:
        payload = base64.urlsafe_b64decode(body.encode())
        expected = _sign(_key(request), payload)
        if not hmac.compare_digest(expected.partition(".")[2], mac):
            return None
        data: dict[str, Any] = json.loads(payload)
    except (ValueError, TypeError):
        return None
    level = data.get("l") if data.get("l") in LEVELS else "info"
    undo = data.get("u") if isinstance(data.get("u"), str) else None
    return Flash(str(data.get("t", "")), str(level), undo, str(data.get("ul") or "Undo"))


def clear_flash(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
