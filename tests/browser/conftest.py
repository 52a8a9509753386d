"""Browser-test fixtures: Debian's Chromium driven by Playwright against a live Parley server.

One server per backend (SQLite file, fresh PostgreSQL database), each loaded with the illustrative
Miami scenario and started with uvicorn in a subprocess on a free port. Playwright never downloads
a browser here: it launches ``/usr/bin/chromium``. Without Chromium the tests are skipped loudly,
or fail when ``PARLEY_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.databases import PG_PROBLEM, pg_exec, pg_url, require_backend

ROOT = Path(__file__).resolve().parents[2]
MIAMI_SCENARIO = ROOT / "examples" / "miami" / "scenario.yaml"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Demo logins of examples/miami/scenario.yaml (illustrative, not secrets).
PASSWORDS = {
    "mediator": "mediator-demo-2025",
    "ukraine": "ukraine-demo-2025",
    "russia": "russia-demo-2025",
    "europe": "europe-demo-2025",
    "observer": "observer-demo-2025",
    "ukraine-viewer": "ukraine-viewer-2025",
    "russia-viewer": "russia-viewer-2025",
    "europe-viewer": "europe-viewer-2025",
}

# ---------------------------------------------------------------- Chromium


def chromium_executable() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _require_browser() -> str:
    path = chromium_executable()
    if path is not None:
        return path
    message = (
        "Chromium not found (/usr/bin/chromium or `chromium` on PATH): the browser tests cannot "
        "run. Install it with `make browser` (Debian: apt-get install chromium)."
    )
    if os.environ.get("PARLEY_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " (PARLEY_REQUIRE_BROWSER=1)")
    warnings.warn("!!! BROWSER TESTS SKIPPED: " + message, stacklevel=1)
    pytest.skip("!!! BROWSER TESTS SKIPPED: " + message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# ---------------------------------------------------------------- live servers


def _load_miami(url: str) -> None:
    from parley.authz import Actor
    from parley.db import migrate
    from parley.db.engine import create_db_engine, write_session
    from parley.scenario.loader import load_scenario, read_scenario

    engine = create_db_engine(url)
    try:
        migrate.upgrade(engine)
        with write_session(engine) as session:
            load_scenario(session, read_scenario(MIAMI_SCENARIO), actor=Actor.system("test"))
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /api/v1/health until the server answers 200."""
    deadline = time.monotonic() + 90  # a loaded machine imports slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(base_url + "/api/v1/health", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"/api/v1/health answered {exc.code}") from None
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within 90 s:\n{log.read_text()}")


@dataclass
class LiveServer:
    backend: str
    base_url: str
    database_url: str
    # username -> Playwright storage state of a session signed in through the form
    sessions: dict[str, Any] = field(default_factory=dict)

    @property
    def screenshots(self) -> Path:
        path = ARTIFACTS / self.backend
        path.mkdir(parents=True, exist_ok=True)
        return path


class Launch:
    """One backend's database (Miami scenario loaded) and its uvicorn server, started on demand.

    Starting is slow (schema, scenario with argon2 hashing, uvicorn import), so the PostgreSQL
    server is prepared in a background thread while the SQLite tests run."""

    def __init__(self, backend: str, tmp: Path) -> None:
        self.backend = backend
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None
        self.pg_name: str | None = None
        self._future: Future[LiveServer] | None = None
        self._lock = threading.Lock()

    def start_in_background(self, pool: ThreadPoolExecutor) -> None:
        with self._lock:
            if self._future is None:
                self._future = pool.submit(self._start)

    def server(self) -> LiveServer:
        with self._lock:
            if self._future is None:
                done: Future[LiveServer] = Future()
                self._future = done
                try:
                    done.set_result(self._start())
                except BaseException as exc:
                    done.set_exception(exc)
        return self._future.result()

    def _start(self) -> LiveServer:
        if self.backend == "sqlite":
            url = f"sqlite:///{self.tmp / 'miami.db'}"
        else:
            self.pg_name = f"parley_browser_{uuid.uuid4().hex[:10]}"
            pg_exec(f'CREATE DATABASE "{self.pg_name}"')
            url = pg_url(self.pg_name)
        _load_miami(url)
        port = _free_port()
        log = self.tmp / "server.log"
        env = {**os.environ, "PARLEY_DATABASE_URL": url, "PARLEY_ENVIRONMENT": "development"}
        # Security keys for http://localhost:<port> (a secure context; Chromium refuses an IP
        # address as WebAuthn relying-party id): tests/browser/test_security_keys.py.
        env["PARLEY_WEBAUTHN_RP_ID"] = "localhost"
        env["PARLEY_WEBAUTHN_ORIGIN"] = f"http://localhost:{port}"
        with log.open("wb") as out:
            command = [sys.executable, "-m", "uvicorn", "--factory", "parley.app:create_app"]
            command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
            command += ["--timeout-graceful-shutdown", "1"]  # do not wait on open SSE streams
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_up(base_url, self.proc, log)
        return LiveServer(self.backend, base_url, url)

    def stop(self) -> None:
        if self._future is not None and not self._future.done():
            with contextlib.suppress(BaseException):
                self._future.result(timeout=120)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=2)  # open SSE streams hold a graceful shutdown up
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.pg_name is not None:
            pg_exec(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_name = None


@dataclass
class Launches:
    launches: dict[str, Launch]
    pool: ThreadPoolExecutor


@pytest.fixture(scope="session")
def launches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launches]:
    backends = ("sqlite", "postgresql")
    with ThreadPoolExecutor(max_workers=1) as pool:
        both = Launches(
            {b: Launch(b, tmp_path_factory.mktemp(f"live-{b}")) for b in backends}, pool
        )
        try:
            yield both
        finally:
            for launch in both.launches.values():
                launch.stop()


def _backends_wanted(session: pytest.Session) -> set[str]:
    wanted = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "live_server" in callspec.params:
            wanted.add(callspec.params["live_server"])
    return wanted


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest, launches: Launches) -> Iterator[LiveServer]:
    """Parley served by uvicorn on a free port, on a fresh database with the Miami scenario."""
    backend = request.param
    _require_browser()  # no point loading a scenario for nothing
    if backend == "postgresql":
        require_backend("postgresql")
    launch = launches.launches[backend]
    try:
        server = launch.server()
        # Alembic is not thread-safe: prepare PostgreSQL only once the SQLite schema is done.
        wanted = _backends_wanted(request.session)
        if backend == "sqlite" and "postgresql" in wanted and PG_PROBLEM is None:
            launches.launches["postgresql"].start_in_background(launches.pool)
        yield server
    finally:
        launch.stop()


# ---------------------------------------------------------------- contexts and sign-in


# Records every CSP violation the page reports; Playwright injects it outside the page's CSP.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


CANCELLABLE = ("xhr", "fetch", "image", "other")  # resource types a navigation may cancel


@dataclass
class ConsoleWatch:
    """Console errors, uncaught exceptions, CSP violations and failed requests of one page."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.add_init_script(CSP_LISTENER)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def check(self, page: Any, where: str) -> None:
        """Fail with everything that went wrong on ``page`` since the last check."""
        violations = page.evaluate("window.__cspViolations || []")
        problems = self.errors + [f"CSP violation: {v}" for v in violations]
        self.errors = []
        assert not problems, f"{where}:\n" + "\n".join(problems)

    def _response(self, response: Any) -> None:
        # Sub-resources only: a page's own status is asserted by the test that loads it.
        subresource = response.request.resource_type != "document"
        if subresource and response.status >= 400:
            self.errors.append(f"{response.status} for {response.url}")

    def _console(self, msg: Any) -> None:
        if msg.type in ("error", "assert"):
            self.errors.append(f"console.{msg.type}: {msg.text} @ {msg.location.get('url')}")
        elif "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.errors.append(f"CSP: {msg.text}")

    def _failed(self, request: Any) -> None:
        # The live-update stream is cut on every navigation; that is not a failure.
        if request.url.endswith("/events"):
            return
        # A navigation cancels what the old page still had in flight (the favicon, an htmx
        # request fired on load such as the plan's what-if), and htmx cancels a request that a
        # newer one replaces: Chromium reports those as ERR_ABORTED. They are not failures;
        # scripts and stylesheets still count, and every response's status is checked by
        # _response whenever one arrives.
        if "ERR_ABORTED" in str(request.failure) and request.resource_type in CANCELLABLE:
            return
        self.errors.append(f"request failed: {request.url} ({request.failure})")


NewContext = Callable[..., Any]


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[NewContext]:
    """Make isolated browser contexts (own cookies) on the live server; all closed afterwards."""
    contexts: list[Any] = []

    def make(**kwargs: Any) -> Any:
        context = browser.new_context(
            base_url=live_server.base_url, viewport={"width": 1280, "height": 900}, **kwargs
        )
        # Generous: every wait is on a condition, and a busy machine (argon2 sign-ins, two
        # workers) can take several seconds to answer.
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


SignIn = Callable[..., Any]


@pytest.fixture
def sign_in(live_server: LiveServer, new_context: NewContext) -> SignIn:
    """``sign_in(username, next_path="/", fresh=False)`` -> a page at ``next_path``, in its own
    browser context. The first sign-in of a user on a server goes through the login form and its
    session is reused by later calls (argon2 makes each sign-in cost CPU); ``fresh=True`` always
    uses the form and keeps that session private (for tests that sign out)."""

    def sign_in(username: str, next_path: str = "/", *, fresh: bool = False) -> Any:
        if not fresh and username in live_server.sessions:
            page = new_context(storage_state=live_server.sessions[username]).new_page()
            page.goto(next_path)
        else:
            page = new_context().new_page()
            page.goto(f"/login?next={next_path}")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORDS[username])
            with page.expect_navigation():
                page.click("form[action='/login'] button[type=submit]")
            if not fresh:
                live_server.sessions[username] = page.context.storage_state()
        assert page.url.endswith(next_path), f"{username} did not land on {next_path}: {page.url}"
        assert page.locator(".who .user").inner_text().startswith(username)
        return page

    return sign_in


def ensure_account(
    live_server: LiveServer, username: str, password: str, display_name: str = ""
) -> str:
    """An account of a test's own on the live server (made once), with no membership."""
    import sqlalchemy as sa

    from parley.auth.models import User
    from parley.auth.service import add_user
    from parley.authz import Actor
    from parley.db.engine import create_db_engine, write_session

    engine = create_db_engine(live_server.database_url)
    try:
        with write_session(engine) as session:
            if session.scalars(sa.select(User.id).where(User.username == username)).first() is None:
                add_user(
                    session,
                    actor=Actor.system("test"),
                    username=username,
                    password=password,
                    display_name=display_name,
                )
    finally:
        engine.dispose()
    return username


@pytest.fixture
def watch() -> ConsoleWatch:
    """Attach to pages with ``watch.attach(page)``; ``watch.check(page, where)`` fails on errors."""
    return ConsoleWatch()
