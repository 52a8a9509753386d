"""Security headers on every response: a strict Content-Security-Policy and friends.

A pure ASGI middleware rather than a ``BaseHTTPMiddleware``: it only rewrites the start of each
response, so streamed and file responses pass through untouched. Starlette turns an unhandled
exception into the 500 answer in ``ServerErrorMiddleware``, outside every user middleware, so the
500 handler (parley.web.routes) applies the same headers itself through :func:`secure`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline scripts anywhere; Plotly needs inline styles for its SVG, hence style-src.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

PRIVATE_PREFIXES = ("/api/", "/p/", "/admin", "/login")


def secure(headers: MutableHeaders, scope: Scope) -> None:
    """Add the security headers to one response's headers (those it set itself are kept)."""
    for name, value in HEADERS.items():
        headers.setdefault(name, value)
    if scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if str(scope.get("path", "")).startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                secure(MutableHeaders(scope=message), scope)
            await send(message)

        await self.app(scope, receive, send_secured)
