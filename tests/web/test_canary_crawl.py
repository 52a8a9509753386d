"""The canary crawl: no persona ever receives a marker, or an id, from a space it cannot see.

canary.yaml puts a marker CANARY-<TAG>-<WHAT> in every confidential field of every space. For
each persona the test follows every link from / and /p/canary, reads every API list (every
page) and detail, searches for the markers of every space (``canary-aaa-`` matches them all),
and asks for every hidden record at its direct URL. Any marker or id of a space the persona
cannot see fails the test, and so does any server error or inline script on the way; so does a
marker of its own spaces that it never managed to see (the crawl must be able to fail).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest

from parley.audit.records import audited_add
from parley.authz import Actor
from parley.db.engine import write_session
from parley.records.kinds import KINDS
from parley.sequencing.models import Step
from web.crawl import (
    API,
    CrawlResult,
    Finding,
    all_markers,
    crawl_api,
    crawl_pages,
    hidden_ids,
    tag_of,
)
from web.support import (
    ALL_TAGS,
    CLOSED_KEY,
    KEY,
    PERSONA_NAMES,
    PERSONAS,
    SPACE_TAGS,
    Canary,
    route_keys,
)

NOT_FOUND = {"detail": "Not Found"}


@dataclass(frozen=True)
class KnownLeak:
    """A leak found by this crawl and reported, with a strict xfail test of its own below."""

    url: str  # regex on the URL
    what: str  # regex on the finding
    bug: str


KNOWN_LEAKS: tuple[KnownLeak, ...] = ()


# Markers of a persona's own spaces that no page shows it, and why.
NOT_SHOWN = {
    # Positions pages need a signed-in user, even for positions in the public space.
    "anonymous": {"CANARY-PUBLIC-POSITION-REASON"},
}


def _unknown_leaks(result: CrawlResult) -> list[str]:
    return sorted(
        {
            f"{f.url}: {f.what}"
            for f in result.leaks
            if not any(
                re.search(k.url, f.url.split("?")[0]) and re.search(k.what, f.what)
                for k in KNOWN_LEAKS
            )
        }
    )


def _search(canary: Canary, persona: str, result: CrawlResult, hidden: dict[str, str]) -> None:
    """Search for every space's markers: ``canary-aaa-`` matches every marker of party:AAA.

    The query is echoed in the page; without a word after the tag it is not itself a marker.
    """
    client = canary.client(persona)
    spec = PERSONAS[persona]
    for tag in sorted(ALL_TAGS):
        q = f"canary-{tag.lower()}-"
        page = client.get(f"/p/{KEY}/search", params={"q": q})
        result.check(f"/p/{KEY}/search?q={q}", page, spec, hidden)
        response = client.get(f"{API}/{KEY}/search", params={"q": q})
        result.check(f"{API}/{KEY}/search?q={q}", response, spec, hidden)
        hits = response.json()["items"]
        if tag not in spec.tags and hits:
            result.leaks.append(Finding(f"search {q!r}", f"{len(hits)} hits"))
        if any(SPACE_TAGS.get(hit["space"]) not in spec.tags for hit in hits):
            result.leaks.append(Finding(f"search {q!r}", "a hit in a space it cannot see"))


def _direct_urls(canary: Canary, persona: str, result: CrawlResult, hidden: dict[str, str]) -> None:
    """Hidden records answer 404 at their direct URL, like a made-up id: one of each kind in
    each hidden space, through the API, and one of each kind as a page."""
    client = canary.client(persona)
    spec = PERSONAS[persona]
    by_table = {kind.model.__tablename__: slug for slug, kind in KINDS.items()}
    unknown_html = client.get(f"/p/{KEY}/steps/{uuid.uuid4()}")
    html_done: set[str] = set()
    tried: set[str] = set()
    for object_id, what in hidden.items():
        table = what.split(" in ", 1)[0]
        slug = by_table.get(table) or ("positions" if table == "positions" else None)
        if slug is None or what in tried:
            continue
        tried.add(what)  # one record of each kind in each hidden space is enough
        if slug == "positions":
            path = f"{API}/{KEY}/positions/{object_id}/history"
            response = client.get(path)
        else:
            path = f"{API}/{KEY}/{slug}/{object_id}"
            response = client.get(path)
        result.check(path, response, spec, hidden)
        expected = 401 if (slug == "positions" and not spec.signed_in) else 404
        if response.status_code != expected or (expected == 404 and response.json() != NOT_FOUND):
            result.leaks.append(
                Finding(path, f"answered {response.status_code} {response.text[:80]}")
            )
        if slug not in html_done and slug != "positions":
            html_done.add(slug)
            page = client.get(f"/p/{KEY}/{slug}/{object_id}")
            result.check(page.url.path, page, spec, hidden)
            if page.status_code != 404 or page.text != unknown_html.text:
                result.leaks.append(Finding(str(page.url), "differs from a made-up id's 404 page"))


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_no_persona_receives_what_it_cannot_see(shared_canary: Canary, persona: str) -> None:
    canary = shared_canary  # the crawl only reads
    spec = PERSONAS[persona]
    hidden = hidden_ids(canary.engine(), spec)
    client = canary.client(persona)
    result = CrawlResult()

    # Start from the home page and from every page of the process that needs no id (whether
    # or not a link leads there yet), and the same pages of the closed process.
    pages = sorted(
        path.replace("{key}", KEY)
        for method, path in route_keys(canary.app)
        if method == "GET" and re.findall(r"{(\w+)}", path) == ["key"]
    )
    closed = [p.replace(f"/{KEY}", f"/{CLOSED_KEY}", 1) for p in pages]
    crawl_pages(client, spec, hidden, ["/", *pages, *closed], result)
    crawl_api(client, spec, hidden, result, KINDS)
    _search(canary, persona, result, hidden)
    _direct_urls(canary, persona, result, hidden)

    leaks = _unknown_leaks(result)
    assert not leaks, f"{persona} received what it may not see:\n" + "\n".join(leaks[:60])
    # A process one may not open answers as if it did not exist (or asks to sign in first).
    # (A 422 for a missing query parameter comes before any look-up: compare it to a made-up key.)
    opened = {
        p: result.fetched[p]
        for p in closed
        if result.fetched.get(p) not in (303, 401, 404)
        and result.fetched[p] != client.get(p.replace(CLOSED_KEY, "no-such-process")).status_code
    }
    assert not opened, f"{persona} got answers from the closed process: {opened}"
    # It must see every marker of its own spaces somewhere, or the crawl proves nothing.
    expected = {m.upper() for m in all_markers() if tag_of(m) in spec.tags}
    expected -= NOT_SHOWN.get(persona, set())
    missing = sorted(expected - result.seen_markers)
    assert not missing, f"{persona} never saw these markers of its own spaces: {missing}"


# Kinds whose records cannot live in a party's private space.
PUBLIC_KINDS = {"parties"}


def test_the_canary_covers_every_kind_in_a_private_space(shared_canary: Canary) -> None:
    """A new record kind without canaries would be crawled for nothing: add it to canary.yaml."""
    import sqlalchemy as sa

    from parley.db.engine import read_session

    uncovered = []
    with read_session(shared_canary.engine()) as s:
        for slug, kind in KINDS.items():
            spaces = set(s.scalars(sa.select(kind.model.space).distinct()))
            if slug not in PUBLIC_KINDS and not spaces & {"party:AAA", "party:AAA+mediator"}:
                uncovered.append(slug)
    assert not uncovered, f"canary.yaml has no private record of: {uncovered}"


def _view(canary: Canary, persona: str) -> dict[str, object]:
    """Everything a persona could count: dashboard counts, list totals, audit, timeline, search."""
    client = canary.client(persona)
    view: dict[str, object] = {"dashboard": client.get(f"{API}/{KEY}").json()["counts"]}
    for slug in KINDS:
        view[slug] = client.get(f"{API}/{KEY}/{slug}").json()["total"]
    view["positions"] = client.get(f"{API}/{KEY}/positions").json()["total"]
    view["audit"] = client.get(f"{API}/{KEY}/audit").json()["total"]
    view["timeline"] = client.get(f"{API}/{KEY}/history").json()["total"]
    view["search"] = client.get(f"{API}/{KEY}/search", params={"q": "canary"}).json()["total"]
    page = client.get(f"/p/{KEY}").text
    start = page.index('id="counts"')
    view["dashboard_page"] = page[start : page.index("</section>", start)]
    return view


def test_counts_do_not_move_when_another_party_adds_private_records(canary: Canary) -> None:
    before = {
        p: _view(canary, p) for p in ("aaa-head", "aaa-viewer", "bbb-head", "mediator", "observer")
    }

    # BBB records a private position through the API and a private step through the service layer.
    response = canary.client("bbb-head").post(
        f"{API}/{KEY}/positions",
        headers=canary.csrf("bbb-head"),
        json={
            "provision_id": canary.ref("provision:plan/p2"),
            "stance": "red_line",
            "reason": "CANARY-BBB-LATE-REASON",
            "priority": 5,
        },
    )
    assert response.status_code == 201, response.text
    with write_session(canary.engine()) as session:
        audited_add(
            session,
            Step(
                process_id=uuid.UUID(canary.ref("process")),
                key="CANARY-BBB-LATE-STEP",
                title="CANARY-BBB-LATE-STEP-TITLE",
                space="party:BBB",
                description="",
            ),
            actor=Actor.system("test"),
            action="sequencing:step:create",
        )

    after = {p: _view(canary, p) for p in before}
    for persona in ("aaa-head", "aaa-viewer", "mediator", "observer"):
        assert after[persona] == before[persona], f"{persona} can count BBB's private records"
    # ...while BBB itself sees both, so this test can fail.
    assert after["bbb-head"]["steps"] == before["bbb-head"]["steps"] + 1  # type: ignore[operator]
    assert after["bbb-head"]["positions"] == before["bbb-head"]["positions"] + 1  # type: ignore[operator]
    assert after["bbb-head"]["audit"] > before["bbb-head"]["audit"]  # type: ignore[operator]


def _audit_pages(canary: Canary, persona: str) -> str:
    client = canary.client(persona)
    texts, page = [], 1
    while True:
        body = client.get(f"{API}/{KEY}/audit", params={"page": page}).json()
        texts.append(str(body["items"]))
        if page >= body["pages"]:
            return "\n".join(texts)
        page += 1


def test_a_provision_only_in_a_private_draft_stays_private(shared_canary: Canary) -> None:
    canary = shared_canary
    for persona in ("bbb-head", "mediator"):
        seen = canary.client(persona).get(f"/p/{KEY}/positions").text + _audit_pages(
            canary, persona
        )
        assert "CANARY-AAA-DRAFT-WID" not in seen, persona


def _hidden_in(canary: Canary, persona: str, text: str) -> set[str]:
    hidden = hidden_ids(canary.engine(), PERSONAS[persona])
    return {hidden[i] for i in re.findall(r"[0-9a-f-]{36}", text) if i in hidden}


def test_a_public_record_does_not_show_the_id_of_a_narrower_provision(
    shared_canary: Canary,
) -> None:
    seen = shared_canary.client("observer").get(f"{API}/{KEY}/amendments").text
    assert not _hidden_in(shared_canary, "observer", seen)


def test_the_audit_log_does_not_show_ids_of_records_the_reader_cannot_see(
    shared_canary: Canary,
) -> None:
    seen = _audit_pages(shared_canary, "observer")
    assert not _hidden_in(shared_canary, "observer", seen)


def test_a_status_claim_cannot_point_at_a_hidden_provision(canary: Canary) -> None:
    client = canary.client("bbb-head")

    def claim(provision_id: str) -> tuple[int, bytes]:
        response = client.post(
            f"{API}/{KEY}/status-claims",
            headers=canary.csrf("bbb-head"),
            json={
                "provision_id": provision_id,
                "status": "violated",
                "claimed_on": "2026-02-01",
                "space": "party:BBB",
            },
        )
        return response.status_code, response.content

    assert claim(canary.ref("provision:CANARY-AAA-DOC-KEY/d1")) == claim(str(uuid.uuid4()))
