"""Hostile input gets a 4xx, never a 500: limits applied before any route sees the request.

One pure ASGI middleware (like :mod:`parley.web.security`):

* a request body larger than ``max_body_bytes`` is refused with 413, whether it declares its
  length or streams it (counted as it is read);
* a JSON body nested deeper than ``json_max_depth`` or with more than ``json_max_items``
  values is refused with 422 before anything parses it;
* the paging parameters ``page``, ``size``, ``limit`` and ``offset`` must be whole numbers
  from 0 to :data:`MAX_PAGE_PARAM` (422 otherwise; ``?page=10**20`` reached the database);
* ``HEAD`` is answered wherever ``GET`` is: the request runs as a GET and the body is dropped.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import numpy as np
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_PAGE_PARAM = 1_000_000
PAGING = frozenset({"page", "size", "limit", "offset"})
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_OPEN = b"[{"
_CLOSE = b"]}"


class _TooLarge(Exception):
    pass


def json_shape(body: bytes) -> tuple[int, int]:
    """(the deepest nesting, the number of values) of a JSON text, without parsing it.

    Strings are blanked first, so brackets and commas inside them do not count; the depth is
    the running sum of opening minus closing brackets. Pure and linear: numpy does the sums.
    """
    bare = _STRING.sub(b'""', body)
    table = bytearray(256)
    for c in _OPEN:
        table[c] = 1
    for c in _CLOSE:
        table[c] = 255  # -1 as int8
    steps = np.frombuffer(bare.translate(bytes(table)), dtype=np.int8)
    depth = int(np.cumsum(steps, dtype=np.int64).max()) if steps.size else 0
    items = bare.count(b",") + sum(bare.count(bytes([c])) for c in _OPEN) + 1
    return max(depth, 0), items


def _problem(status: int, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"detail": detail}).encode()


def check_query(query: str) -> str | None:
    """Why the paging parameters of a query string are out of bounds, or None."""
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in PAGING and value.strip().lstrip("+-").isdigit():
            number = int(value.strip()) if len(value) < 30 else MAX_PAGE_PARAM + 1
            if not 0 <= number <= MAX_PAGE_PARAM:
                return f"{name}: a whole number from 0 to {MAX_PAGE_PARAM}"
    return None


class InputLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        json_max_depth: int,
        json_max_items: int,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.json_max_depth = json_max_depth
        self.json_max_items = json_max_items

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = dict(scope, method="GET")
        refusal = self._check_headers(scope)
        if refusal is None and _has_body(scope):
            try:
                body = await self._read(receive)
            except _TooLarge:
                refusal = _problem(413, f"body: larger than {self.max_body_bytes} bytes")
            else:
                refusal = self._check_json(scope, body)
                receive = _replay(body, receive)
        if refusal is not None:
            await _answer(send, *refusal, head=head)
            return
        if head:
            send = _without_body(send)
        await self.app(scope, receive, send)

    def _check_headers(self, scope: Scope) -> tuple[int, bytes] | None:
        problem = check_query(scope.get("query_string", b"").decode("latin-1"))
        if problem is not None:
            return _problem(422, problem)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            text = declared.decode("latin-1").strip()
            if not text.isdigit():
                return _problem(400, "content-length: not a number")
            if len(text) > 15 or int(text) > self.max_body_bytes:
                return _problem(413, f"body: larger than {self.max_body_bytes} bytes")
        return None

    async def _read(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise _TooLarge()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    def _check_json(self, scope: Scope, body: bytes) -> tuple[int, bytes] | None:
        kind = dict(scope.get("headers") or []).get(b"content-type", b"").lower()
        if b"json" not in kind or not body:
            return None
        depth, items = json_shape(body)
        if depth > self.json_max_depth:
            return _problem(422, f"body: JSON nested deeper than {self.json_max_depth} levels")
        if items > self.json_max_items:
            return _problem(422, f"body: more than {self.json_max_items} JSON values")
        return None


def _has_body(scope: Scope) -> bool:
    return scope["method"] in ("POST", "PUT", "PATCH", "DELETE")


def _replay(body: bytes, original: Receive) -> Receive:
    """The body once, then the real channel (which tells of a disconnect when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body":
            if message.get("more_body", False):
                return
            message = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(message)

    return send_head


async def _answer(send: Send, status: int, body: bytes, *, head: bool) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})
