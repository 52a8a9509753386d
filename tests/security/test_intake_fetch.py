"""Intake fetches only what it means to: no redirect inward, no second resolution, no IPv6
disguise of a private address. Real HTTP servers on 127.0.0.1 stand in for the outside world
(a stubbed resolver names them as public hosts); nothing leaves the machine.

On the code before, the redirect to the local server was followed and its page stored as a
source, the host was resolved twice, and NAT64 / 6to4 forms of loopback passed as public.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from parley.intake import service
from parley.intake import sources as src
from parley.intake.service import IntakeError, read_submission

PUBLIC_IP = "93.184.215.14"  # stands for a public host; the test transport sends it to 127.0.0.1


@dataclass
class Server:
    port: int
    hits: list[str] = field(default_factory=list)


def _serve(routes: dict[str, tuple[int, dict[str, str], bytes, float]]) -> Iterator[Server]:
    server_info = Server(0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            server_info.hits.append(self.path)
            status, headers, body, delay = routes.get(self.path, (404, {}, b"", 0.0))
            if delay:
                time.sleep(delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value.replace("{port}", str(server_info.port)))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)  # a client that gave up (the time limit) is gone

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server_info.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server_info
    finally:
        httpd.shutdown()
        httpd.server_close()


ARTICLE = b"Talks resume\nPublished 12 January 2026\n\nAlpha and Beta meet in Geneva. Illustrative."


@pytest.fixture
def secret() -> Iterator[Server]:
    """An inward service that must never be reached."""
    yield from _serve({"/secret": (200, {"Content-Type": "text/plain"}, b"internal only", 0.0)})


@pytest.fixture
def public(secret: Server) -> Iterator[Server]:
    """The 'public' site: an article, redirects inward, a redirect loop, a big and a slow page."""
    routes = {
        "/article": (200, {"Content-Type": "text/plain"}, ARTICLE, 0.0),
        "/inward": (302, {"Location": f"http://127.0.0.1:{secret.port}/secret"}, b"", 0.0),
        "/inward-name": (302, {"Location": "http://intranet.example:{port}/x"}, b"", 0.0),
        "/hop": (302, {"Location": "/article"}, b"", 0.0),
        "/to-big": (302, {"Location": "/big"}, b"", 0.0),
        "/big": (200, {"Content-Type": "text/plain"}, b"x" * 5000, 0.0),
        "/slow": (200, {"Content-Type": "text/plain"}, ARTICLE, 1.5),
    }
    for i in range(10):
        routes[f"/loop{i}"] = (302, {"Location": f"/loop{i + 1}"}, b"", 0.0)
    yield from _serve(routes)


class ToLocal(httpx.BaseTransport):
    """Sends connections for PUBLIC_IP to 127.0.0.1; records what the client asked for."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.seen: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.host, request.headers.get("host", "")))
        if request.url.host == PUBLIC_IP:
            request.url = request.url.copy_with(host="127.0.0.1")
        return self.inner.handle_request(request)


@dataclass
class Resolver:
    answers: dict[str, list[list[str]]]
    calls: list[str] = field(default_factory=list)

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise OSError("no such host")
        return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> tuple[ToLocal, Resolver]:
    transport = ToLocal()
    resolver = Resolver(
        {"news.example": [[PUBLIC_IP], ["127.0.0.1"]], "intranet.example": [["10.0.0.5"]]}
    )
    monkeypatch.setattr(service, "_resolve", resolver)
    monkeypatch.setattr(service, "http_client", lambda: httpx.Client(transport=transport))
    return transport, resolver


def test_a_redirect_inward_is_refused_and_never_fetched(
    world: tuple[ToLocal, Resolver], public: Server, secret: Server
) -> None:
    with pytest.raises(IntakeError, match="local or private"):
        read_submission(url=f"http://news.example:{public.port}/inward")
    assert secret.hits == []
    with pytest.raises(IntakeError, match="local or private"):
        read_submission(url=f"http://news.example:{public.port}/inward-name")


def test_the_host_is_resolved_once_and_the_checked_address_is_the_one_used(
    world: tuple[ToLocal, Resolver], public: Server
) -> None:
    transport, resolver = world
    # The resolver answers a public address first and loopback after (DNS rebinding).
    [found] = read_submission(url=f"http://news.example:{public.port}/article")
    assert "Geneva" in found.text
    assert found.info.url == f"http://news.example:{public.port}/article"
    assert transport.seen == [(PUBLIC_IP, f"news.example:{public.port}")]
    assert resolver.calls == ["news.example"]


def test_every_hop_is_checked_and_pinned(world: tuple[ToLocal, Resolver], public: Server) -> None:
    transport, _ = world
    [found] = src.fetch_public_url(
        f"http://news.example:{public.port}/hop",
        resolver=lambda host: [PUBLIC_IP],
        client=httpx.Client(transport=transport),
    )
    assert "Geneva" in found.text
    assert [host for host, _ in transport.seen] == [PUBLIC_IP, PUBLIC_IP]


def test_redirects_are_limited(world: tuple[ToLocal, Resolver], public: Server) -> None:
    transport, _ = world
    with pytest.raises(src.SourceError, match="more than 5 redirects"):
        src.fetch_public_url(
            f"http://news.example:{public.port}/loop0",
            resolver=lambda host: [PUBLIC_IP],
            client=httpx.Client(transport=transport),
        )


def test_size_and_time_limits_hold_after_a_redirect(
    world: tuple[ToLocal, Resolver], public: Server
) -> None:
    transport, _ = world
    client = httpx.Client(transport=transport)
    with pytest.raises(src.SourceError, match="over the 1000-byte limit"):
        src.fetch_public_url(
            f"http://news.example:{public.port}/to-big",
            resolver=lambda host: [PUBLIC_IP],
            client=client,
            max_bytes=1000,
        )
    with pytest.raises(src.SourceError, match="no answer within"):
        src.fetch_public_url(
            f"http://news.example:{public.port}/slow",
            resolver=lambda host: [PUBLIC_IP],
            client=client,
            timeout=0.5,
        )


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
        "fe80::1",
        "fc00::1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
    ],
)
def test_private_addresses_in_every_form_are_refused(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not src.is_public_address(address)
    monkeypatch.setattr(service, "_resolve", lambda host: [address])
    with pytest.raises(IntakeError, match="local or private"):
        service.check_public_url("https://disguised.example/page")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1111", "64:ff9b::5db8:d70e"])
def test_public_addresses_pass(address: str) -> None:
    assert src.is_public_address(address)


def test_a_name_that_also_points_inward_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "_resolve", lambda host: [PUBLIC_IP, "127.0.0.1"])
    with pytest.raises(IntakeError, match="local or private"):
        service.check_public_url("https://both.example/")
