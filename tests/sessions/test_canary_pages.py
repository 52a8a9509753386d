"""No persona receives a marker, or an id, of a space it cannot see from the session,
joint-statement, calendar, changes and timeline pages (and their JSON twins), on the canary
scenario (tests/web/canary.yaml), including after the mediator carries text between rooms."""

from __future__ import annotations

from web.conftest import canary, canary_templates  # noqa: F401  (fixtures)
from web.crawl import CrawlResult, hidden_ids
from web.support import KEY, PERSONA_NAMES, PERSONAS, Canary

API = f"/api/v1/processes/{KEY}"


def _urls(data: Canary) -> list[str]:
    sessions = [v for k, v in data.refs.items() if k.startswith("sessions:")]
    statements = [v for k, v in data.refs.items() if k.startswith("statements:")]
    urls = [
        f"/p/{KEY}/joint-statements",
        f"{API}/joint-statements",
        f"/p/{KEY}/calendar.ics",
        f"{API}/calendar",
        f"/p/{KEY}/changes",
        f"{API}/changes",
        f"/p/{KEY}/history",
        f"{API}/history",
        f"/p/{KEY}/history?kind=sessions",
        f"{API}/history?party=AAA",
        f"/public/{KEY}/timeline",
        f"/api/v1/public/{KEY}/timeline",
    ]
    for sid in sessions:
        urls += [
            f"/p/{KEY}/meetings/{sid}",
            f"{API}/meetings/{sid}",
            f"/p/{KEY}/meetings/{sid}/carry",
        ]
    for sid in statements:
        urls += [f"/p/{KEY}/joint-statements/{sid}", f"{API}/joint-statements/{sid}"]
    return urls


def test_session_pages_leak_nothing_across_spaces(canary: Canary) -> None:  # noqa: F811
    round1 = canary.ref("sessions:round1")
    # The mediator carries the AAA room's minutes into BBB's room, unattributed.
    response = canary.client("mediator").post(
        f"{API}/meetings/{round1}/carry",
        headers=canary.csrf("mediator"),
        json={
            "source_id": canary.ref("minutes:CANARY-AAAMED-ROOM-MINUTES"),
            "target_party": "BBB",
            "text": "CANARY-AAAMED-ROOM-MINUTES",
        },
    )
    assert response.status_code == 201
    problems = []
    for persona in PERSONA_NAMES:
        spec = PERSONAS[persona]
        hidden = hidden_ids(canary.engine(), spec)
        # The carried text is now BBB's to read: it is a marker of AAA+mediator on purpose.
        tags = spec.tags | ({"AAAMED"} if "BBBMED" in spec.tags else set())
        spec = type(spec)(spec.name, spec.username, spec.password, tags, spec.description)
        result = CrawlResult()
        client = canary.client(persona)
        for url in _urls(canary):
            response = client.get(url)
            if response.status_code == 303 and response.headers["location"].startswith("/login"):
                continue  # the sign-in redirect repeats the URL the reader asked for, nothing more
            result.check(url, response, spec, hidden)
        problems += [f"{persona}: {f.url}: {f.what}" for f in result.leaks]
    assert not problems, "\n".join(problems)
