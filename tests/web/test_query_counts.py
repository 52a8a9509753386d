"""The number of SQL statements the main pages and JSON lists send, on the Miami demo.

Throughput is mostly Python per statement (issue 18, docs/performance.md): a page that starts
sending one more query per row, or a change that reads the same thing twice, fails here before
it shows in a benchmark. The bounds are today's counts; lower them when a page gets cheaper.
Statements are counted as the driver sees them (on PostgreSQL with the row-level-security
``set_config`` of each transaction, on SQLite with its ``BEGIN``), for a warm second request.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import create_token
from parley.authz import Actor
from parley.db.engine import write_session
from support.databases import MiamiDatabases
from web.support import make_settings

KEY = "miami-2025"
API = f"/api/v1/processes/{KEY}"
# name -> (path, statements on SQLite, on PostgreSQL), for a signed-in delegation head.
PAGES: dict[str, tuple[str, int, int]] = {
    "home": ("/", 5, 9),
    # The home is an inbox: each waiting statement or minutes asks its own rules (N+1, bounded
    # by what waits); batching them is left to do (docs/performance.md).
    "dashboard": (f"/p/{KEY}", 32, 64),
    "texts": (f"/p/{KEY}/texts", 12, 20),
    "text": (f"/p/{KEY}/texts/plan20", 26, 42),
    "positions": (f"/p/{KEY}/positions", 13, 21),
    "plan": (f"/p/{KEY}/plan", 13, 19),
    # Each pledge asks whether its "Edit" link may show (its owner and coalition): N+1.
    "ledger": (f"/p/{KEY}/ledger", 39, 69),
    "history": (f"/p/{KEY}/history", 39, 45),
    "search": (f"/p/{KEY}/search?q=security", 17, 23),
    "notes": (f"/p/{KEY}/notes", 8, 14),
    "api processes": ("/api/v1/processes", 5, 9),
    "api dashboard": (API, 6, 10),
    "api texts": (f"{API}/texts", 11, 17),
    "api positions": (f"{API}/positions", 8, 14),
    "api notes": (f"{API}/notes", 7, 11),
    "api plan": (f"{API}/plan", 12, 16),
    "api ledger": (f"{API}/ledger", 12, 16),
    "api history": (f"{API}/history", 29, 41),
    "api search": (f"{API}/search?q=security", 16, 20),
}


class Counted:
    def __init__(self, app: object, engine: sa.Engine, backend: str, client: TestClient) -> None:
        self.app, self.engine, self.backend, self.client = app, engine, backend, client
        self.statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.statements.append(" ".join(statement.split()))

    def count(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, list[str]]:
        first = self.client.get(path, headers=headers)  # warms the statement cache
        assert first.status_code == 200, (path, first.status_code, first.text[:300])
        self.statements.clear()
        again = self.client.get(path, headers=headers)
        assert again.status_code == 200, (path, again.status_code)
        return len(self.statements), list(self.statements)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def counted(
    request: pytest.FixtureRequest,
    miami_templates: MiamiDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Counted]:
    url, sessions = miami_templates.copy(request.param, Path(tmp_path_factory.mktemp("counts")))
    app = create_app(make_settings(url))
    engine: sa.Engine = app.state.engine
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.set("parley_session", sessions["ukraine"][0])
        counted = Counted(app, engine, request.param, client)
        yield counted
        sa.event.remove(engine, "before_cursor_execute", counted._seen)
    miami_templates.drop(url, engine)


@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_sends_no_more_statements_than_its_bound(counted: Counted, name: str) -> None:
    path, on_sqlite, on_postgres = PAGES[name]
    bound = on_sqlite if counted.backend == "sqlite" else on_postgres
    sent, statements = counted.count(path)
    listing = "\n".join(s[:160] for s in statements)
    assert sent <= bound, f"{name}: {sent} statements, bound {bound}:\n{listing}"


def test_an_api_client_with_a_token_reads_its_sign_in_in_one_statement(counted: Counted) -> None:
    """A Bearer request finds its token and user in one query, its memberships in another."""
    engine: sa.Engine = counted.engine
    with write_session(engine) as session:
        user = session.scalars(sa.select(User).where(User.username == "ukraine")).one()
        token = create_token(session, actor=Actor.system("test"), user=user, name="counts")
    headers = {"Authorization": f"Bearer {token}"}
    # Without a cookie: the client's session cookie would not be read, but keep it clean.
    cookie = counted.client.cookies.get("parley_session")
    counted.client.cookies.clear()
    try:
        sent, statements = counted.count(f"{API}/notes", headers)
    finally:
        counted.client.cookies.set("parley_session", cookie or "")
    _, on_sqlite, on_postgres = PAGES["api notes"]
    assert sent <= (on_sqlite if counted.backend == "sqlite" else on_postgres), statements
    sign_in = [s for s in statements if "FROM api_tokens" in s]
    assert len(sign_in) == 1 and "JOIN users" in sign_in[0], statements
    assert not any(s.startswith("SELECT users.") and "FROM users" in s for s in statements)
