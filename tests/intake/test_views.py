"""The review queue and the report form over HTTP, on SQLite and PostgreSQL.

Denials first: anonymous, another party (404, the body of an unknown id), a read-only viewer (403).
Personas of tests/scenario/small.yaml: med (mediator head), alpha (AAA head), alpha-viewer
(AAA viewer), beta (BBB head), watcher (observer).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from intake.test_service_fixtures import MIAMI_REPORT
from parley.app import create_app
from parley.auth.models import User
from parley.auth.service import start_session
from parley.config import Settings
from parley.db.engine import read_session, write_session
from parley.intake import service
from parley.intake.models import Evidence, Proposal, Source
from parley.processes.models import Person

REPORT = MIAMI_REPORT.read_text(encoding="utf-8")
API = "/api/v1/processes/small"
PAGE = "/p/small"


class Site:
    """The app on one database, with a signed-in client per user (sessions made directly)."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        self.app = create_app(Settings(database_url=url, environment="development"))
        self.engine = self.app.state.engine
        self.stack = stack
        self.clients: dict[str | None, TestClient] = {}
        self.tokens: dict[str, str] = {}

    def client(self, username: str | None) -> TestClient:
        if username not in self.clients:
            client = TestClient(self.app, follow_redirects=False)
            if username is not None:
                with write_session(self.engine) as session:
                    user = session.scalars(sa.select(User).where(User.username == username)).one()
                    cookie, web = start_session(session, user, hours=1)
                client.cookies.set("parley_session", cookie)
                self.tokens[username] = web.csrf_token
            self.clients[username] = self.stack.enter_context(client)
        return self.clients[username]

    def csrf(self, username: str) -> dict[str, str]:
        self.client(username)
        return {"X-CSRF-Token": self.tokens[username]}

    def form(self, username: str, **fields: Any) -> dict[str, Any]:
        self.client(username)
        return {"csrf_token": self.tokens[username], **fields}

    def take_in(self, username: str, text: str = REPORT, **extra: Any) -> dict[str, Any]:
        answer = self.client(username).post(
            f"{API}/intake", json={"text": text, **extra}, headers=self.csrf(username)
        )
        assert answer.status_code == 201, answer.text
        [outcome] = answer.json()["sources"]
        return outcome  # type: ignore[no-any-return]

    def queue(self, username: str, **params: str) -> list[dict[str, Any]]:
        answer = self.client(username).get(f"{API}/review", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]  # type: ignore[no-any-return]


@pytest.fixture
def site(small_url: str) -> Iterator[Site]:
    with ExitStack() as stack:
        yield Site(small_url, stack)
        stack.close()
    from parley.db.engine import dispose_engines

    dispose_engines()


def _find(items: list[dict[str, Any]], kind: str, **payload: Any) -> dict[str, Any]:
    found = [
        i
        for i in items
        if i["kind"] == kind and all(i["payload"].get(k) == v for k, v in payload.items())
    ]
    assert len(found) == 1, (kind, payload, [i["payload"] for i in items if i["kind"] == kind])
    return found[0]


def test_denials_anonymous_other_party_viewer_observer(site: Site) -> None:
    anonymous = site.client(None)
    assert anonymous.get(f"{PAGE}/review").status_code == 303
    assert anonymous.get(f"{PAGE}/review").headers["location"].startswith("/login")
    assert anonymous.get(f"{API}/review").status_code == 401
    assert anonymous.post(f"{API}/intake", json={"text": REPORT}).status_code == 401
    assert anonymous.get(f"{PAGE}/intake").headers["location"].startswith("/login")

    outcome = site.take_in("alpha")
    assert outcome["space"] == "party:AAA" and outcome["status"] == "stored"
    items = site.queue("alpha", source=outcome["source_id"])
    pledge = _find(items, "commitment")
    pid = pledge["id"]

    # Another party: every answer is the answer to an id that never existed.
    beta = site.client("beta")
    made_up = str(uuid.uuid4())
    for method, path, body in (
        ("GET", f"{PAGE}/review/{{}}", None),
        ("GET", f"{API}/review/{{}}", None),
        ("POST", f"{API}/review/{{}}/accept", None),
        ("POST", f"{API}/review/{{}}/reject", None),
        ("POST", f"{API}/review/{{}}/merge", {"record_id": made_up}),
        ("POST", f"{API}/review/{{}}/edit", {"payload": {"currency": "EUR"}}),
    ):
        hidden = beta.request(method, path.format(pid), json=body, headers=site.csrf("beta"))
        unknown = beta.request(method, path.format(made_up), json=body, headers=site.csrf("beta"))
        assert hidden.status_code == 404, (path, hidden.text)
        assert hidden.content == unknown.content, path
    assert (
        beta.post(f"{PAGE}/review/{pid}/accept", data=site.form("beta")).content
        == beta.post(f"{PAGE}/review/{made_up}/accept", data=site.form("beta")).content
    )
    listing = beta.get(f"{API}/review", params={"status": "all"}).text
    assert pid not in listing and outcome["source_id"] not in listing
    assert pid not in beta.get(f"{PAGE}/review?status=all").text
    bulk = beta.post(
        f"{API}/review/bulk", json={"ids": [pid], "action": "accept"}, headers=site.csrf("beta")
    )
    assert bulk.json() == {"results": [{"id": pid, "status": "error", "error": "not found"}]}
    # Nor does the mediator see a delegation's own intake.
    assert site.client("med").get(f"{API}/review/{pid}").status_code == 404

    # A read-only member of AAA sees the queue and may change nothing.
    viewer = site.client("alpha-viewer")
    assert pid in viewer.get(f"{API}/review").text
    assert viewer.get(f"{PAGE}/review/{pid}").status_code == 200
    headers = site.csrf("alpha-viewer")
    assert viewer.post(f"{API}/review/{pid}/accept", headers=headers).status_code == 403
    assert viewer.post(f"{API}/review/{pid}/reject", headers=headers).status_code == 403
    form = site.form("alpha-viewer")
    assert viewer.post(f"{PAGE}/review/{pid}/accept", data=form).status_code == 403
    assert (
        viewer.post(f"{PAGE}/review/{pid}/edit", data={**form, "currency": "EUR"}).status_code
        == 403
    )
    assert viewer.get(f"{PAGE}/intake").status_code == 403
    assert viewer.post(f"{API}/intake", json={"text": REPORT}, headers=headers).status_code == 403
    assert (
        viewer.post(
            f"{API}/review/bulk", json={"ids": [pid], "action": "accept"}, headers=headers
        ).status_code
        == 403
    )
    # An observer reads the public record only, and takes nothing in.
    watcher = site.client("watcher")
    assert pid not in watcher.get(f"{API}/review").text
    assert (
        watcher.post(
            f"{API}/intake", json={"text": REPORT}, headers=site.csrf("watcher")
        ).status_code
        == 403
    )
    # A delegation does not publish: public is not its space to write.
    assert (
        site.client("alpha")
        .post(f"{API}/intake", json={"text": REPORT, "space": "public"}, headers=site.csrf("alpha"))
        .status_code
        == 403
    )
    # Forms need the session's CSRF token.
    assert site.client("alpha").post(f"{PAGE}/review/{pid}/accept").status_code == 403
    with read_session(site.engine) as session:
        assert session.get(Proposal, uuid.UUID(pid)).status == "pending"


def test_the_queue_highlights_evidence_escaped_and_shows_warnings(site: Site) -> None:
    med = site.client("med")
    hostile = REPORT.replace(
        "Over the next two years", "<script>alert('x')</script> Over the next two years"
    )
    answer = med.post(
        f"{PAGE}/intake",
        data=site.form("med", text=hostile, outlet="Illustrative Daily", space=""),
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"{PAGE}/review?status=all&source=")
    page = med.get(answer.headers["location"])
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html
    assert "<mark>" in html
    assert 'role="alert"' in html and "2025-12-22 was a Monday" in html
    assert "Illustrative Daily" in html and "space-public" in html

    source_id = answer.headers["location"].rsplit("=", 1)[1]
    items = site.queue("med", source=source_id)
    with read_session(site.engine) as session:
        text = session.get(Source, uuid.UUID(source_id)).text
    for item in items:
        start, end = item["evidence"]
        assert item["evidence_text"] == text[start:end]
    meeting = _find(items, "meeting", date="2025-12-22")
    assert [w["kind"] for w in meeting["warnings"]] == ["weekday_mismatch"]
    pledge = _find(items, "commitment")
    assert "&lt;script&gt;" in med.get(f"{PAGE}/review/{pledge['id']}").text
    detail = med.get(f"{API}/review/{pledge['id']}").json()
    assert detail["evidence_text"].startswith("<script>alert")  # JSON carries the text as is
    assert {"donor", "amount", "currency", "period"} <= set(detail["editable"])
    # A source's address is a link only when it is http(s).
    with write_session(site.engine) as session:
        session.get(Source, uuid.UUID(source_id)).url = "javascript:alert(1)"
    assert 'href="javascript:' not in med.get(answer.headers["location"]).text
    # Filters: only warnings.
    warnings = site.queue("med", kind="warning", source=source_id)
    assert warnings and {w["kind"] for w in warnings} == {"warning"}


def test_accept_edit_merge_reject_and_bulk_through_forms_and_api(site: Site) -> None:
    outcome = site.take_in("med")
    items = site.queue("med", source=outcome["source_id"])
    med = site.client("med")
    headers = site.csrf("med")

    pledge = _find(items, "commitment")
    answer = med.post(
        f"{PAGE}/review/{pledge['id']}/accept",
        data=site.form("med", next=f"{PAGE}/review?kind=commitment"),
    )
    assert (
        answer.status_code == 303 and answer.headers["location"] == f"{PAGE}/review?kind=commitment"
    )
    reviewed = med.get(f"{API}/review/{pledge['id']}").json()
    assert reviewed["status"] == "accepted" and reviewed["record"]["slug"] == "commitments"
    record = med.get(f"{API}/commitments/{reviewed['record']['id']}")
    assert record.status_code == 200 and record.json()["currency"] == "USD"
    again = med.post(f"{API}/review/{pledge['id']}/accept", headers=headers)
    assert again.status_code == 409 and again.json()["detail"].startswith("status:")
    # An open redirect is refused: back to the queue instead.
    person = _find(items, "person", name="Jared Kushner")
    answer = med.post(
        f"{PAGE}/review/{person['id']}/reject", data=site.form("med", next="https://evil.example/")
    )
    assert answer.headers["location"] == f"{PAGE}/review"

    # Edit through the API, then through the form with "save and accept".
    meeting = _find(items, "meeting", date="2025-12-20")
    edited = med.post(
        f"{API}/review/{meeting['id']}/edit",
        json={"payload": {"place": "Hallandale Beach", "participants": ["Steve Witkoff"]}},
        headers=headers,
    )
    assert edited.status_code == 200 and edited.json()["payload"]["place"] == "Hallandale Beach"
    bad = med.post(
        f"{API}/review/{meeting['id']}/edit", json={"payload": {"format": "tea"}}, headers=headers
    )
    assert bad.status_code == 422 and bad.json()["detail"].startswith("format:")
    answer = med.post(
        f"{PAGE}/review/{meeting['id']}/edit",
        data=site.form(
            "med",
            date="2025-12-21",
            place="Hallandale Beach",
            format="bilateral",
            participants="Steve Witkoff\n",
            title="",
            then="accept",
        ),
    )
    assert answer.status_code == 303, answer.text
    session_record = med.get(f"{API}/review/{meeting['id']}").json()["record"]
    talk = med.get(f"{API}/sessions/{session_record['id']}").json()
    assert talk["place"] == "Hallandale Beach" and talk["starts_at"].startswith("2025-12-21")

    # Merge a person into the envoy the record has, through the form; a bad choice is a 422.
    witkoff = _find(items, "person", name="Steve Witkoff")
    with read_session(site.engine) as session:
        envoy = session.scalars(sa.select(Person).where(Person.key == "envoy")).one()
    page = med.get(f"{PAGE}/review/{witkoff['id']}")
    assert str(envoy.id) in page.text and 'id="merge-form"' in page.text
    wrong = med.post(f"{PAGE}/review/{witkoff['id']}/merge", data=site.form("med", record_id=""))
    assert wrong.status_code == 422 and "record_id: choose a record" in wrong.text
    answer = med.post(
        f"{PAGE}/review/{witkoff['id']}/merge", data=site.form("med", record_id=str(envoy.id))
    )
    assert answer.status_code == 303
    merged = med.get(f"{API}/review/{witkoff['id']}").json()
    assert merged["status"] == "merged" and merged["record"]["id"] == str(envoy.id)
    with read_session(site.engine) as session:
        links = session.scalars(sa.select(Evidence).where(Evidence.object_id == envoy.id)).all()
        assert [(e.start, e.end) for e in links] == [tuple(witkoff["evidence"])]

    # Bulk: accept the quotes through the form, reject the rest through the API.
    quotes = [i["id"] for i in items if i["kind"] == "quote"]
    page = med.post(
        f"{PAGE}/review/bulk", data={**site.form("med", action="accept"), "ids": quotes}
    )
    assert page.status_code == 200 and f"{len(quotes)} of {len(quotes)} done" in page.text
    assert all(q["status"] == "accepted" for q in site.queue("med", kind="quote", status="all"))
    rest = [i["id"] for i in site.queue("med", source=outcome["source_id"])]
    answer = med.post(f"{API}/review/bulk", json={"ids": rest, "action": "reject"}, headers=headers)
    assert {r["status"] for r in answer.json()["results"]} == {"rejected"}
    assert site.queue("med", source=outcome["source_id"]) == []
    counts = med.get(f"{API}/review", params={"source": outcome["source_id"]}).json()["counts"]
    assert counts["pending"] == 0 and counts["accepted"] >= 3 and counts["merged"] == 1


def test_reports_come_from_a_file_or_a_url_but_never_a_local_address(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    alpha = site.client("alpha")
    html = (
        "<html><head><title>Envoys meet again</title></head><body><article>"
        "<h1>Envoys meet again</h1><p>Published 10 January 2026.</p>"
        "<p>Ada Envoy met the Alpha and Beta delegations in Geneva on Friday, officials said. "
        "This illustrative report was written for Parley.</p></article></body></html>"
    )
    answer = alpha.post(
        f"{PAGE}/intake",
        data=site.form("alpha", space="party:AAA+mediator", published="2026-01-10"),
        files={"file": ("envoys.html", html.encode(), "text/html")},
    )
    assert answer.status_code == 303, answer.text
    source_id = answer.headers["location"].rsplit("=", 1)[1]
    with read_session(site.engine) as session:
        stored = session.get(Source, uuid.UUID(source_id))
        assert stored.space == "party:AAA+mediator" and "<p>" not in stored.text
    # The mediator shares that space; Beta does not.
    assert source_id in site.client("med").get(f"{API}/review", params={"source": source_id}).text
    assert (
        site.client("beta").get(f"{API}/review", params={"source": source_id}).json()["items"] == []
    )

    def local(_host: str) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr(service, "_resolve", local)
    refused = alpha.post(f"{PAGE}/intake", data=site.form("alpha", url="http://intranet.example/x"))
    assert refused.status_code == 422 and "local or private address" in refused.text

    def news(request: httpx.Request) -> httpx.Response:
        body = (
            "Talks resume\nPublished 12 January 2026\n\n"
            "Alpha and Beta will meet in Geneva on Thursday. Illustrative."
        )
        return httpx.Response(200, text=body, headers={"content-type": "text/plain"})

    monkeypatch.setattr(service, "_resolve", lambda _host: ["93.184.215.14"])
    monkeypatch.setattr(
        service, "http_client", lambda: httpx.Client(transport=httpx.MockTransport(news))
    )
    answer = alpha.post(
        f"{API}/intake", json={"url": "https://news.example/talks"}, headers=site.csrf("alpha")
    )
    assert answer.status_code == 201, answer.text
    [outcome] = answer.json()["sources"]
    assert outcome["source"]["url"] == "https://news.example/talks"
    items = site.queue("alpha", source=outcome["source_id"])
    assert _find(items, "meeting")["payload"]["date"] == "2026-01-15"
    empty = alpha.post(f"{API}/intake", json={}, headers=site.csrf("alpha"))
    assert empty.status_code == 422 and empty.json()["detail"].startswith("text:")


def test_a_statement_proposal_is_shown_edited_and_accepted_over_http(site: Site) -> None:
    outcome = site.take_in("med")
    items = site.queue("med", source=outcome["source_id"], kind="statement")
    [statement] = items
    assert statement["payload"]["kind"] == "joint_statement"
    med = site.client("med")
    page = med.get(f"{PAGE}/review/{statement['id']}")
    assert page.status_code == 200
    assert 'name="parties"' in page.text and 'name="people"' in page.text
    assert "joint statement" in page.text  # the one-line summary
    # A read-only viewer sees the public proposal but may not accept it.
    viewer = site.client("alpha-viewer").post(
        f"{API}/review/{statement['id']}/accept", headers=site.csrf("alpha-viewer")
    )
    assert viewer.status_code == 403
    answer = med.post(
        f"{PAGE}/review/{statement['id']}/edit",
        data=site.form(
            "med",
            parties="Mediatoria\nAlpha",
            people="",
            date="2025-12-21",
            place="Miami",
            kind="communique",
            then="accept",
        ),
    )
    assert answer.status_code == 303, answer.text
    reviewed = med.get(f"{API}/review/{statement['id']}").json()
    assert reviewed["status"] == "accepted" and reviewed["record"]["slug"] == "statements"
    assert reviewed["payload"]["parties"] == ["Mediatoria", "Alpha"]
    assert reviewed["payload"]["kind"] == "communique"
