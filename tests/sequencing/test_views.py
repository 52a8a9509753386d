"""The plan page (Gantt, conflicts, what-if), constraint and milestone forms, the status board,
and their JSON twins, over the illustrative Miami scenario on SQLite and PostgreSQL.

Denials first: anonymous callers, another party (404, the same body as an unknown id) and
read-only members (403).
"""

from __future__ import annotations

import json
import re
import uuid
from html import unescape
from typing import Any

import sqlalchemy as sa

from commitments import miami as fixtures
from commitments.miami import KEY, Miami
from parley.audit.models import AuditEvent
from parley.db.engine import read_session
from parley.sequencing.models import TemporalConstraint

# The Miami fixtures live in tests/commitments/miami.py; naming them here makes them usable.
miami = fixtures.miami
_shared_miami_db = fixtures._shared_miami_db
shared_miami = fixtures.shared_miami

API = f"/api/v1/processes/{KEY}"
PAGE = f"/p/{KEY}"
CONTRADICTION = {
    "key": "elections-early",
    "from": "signing",
    "to": "elections.start",
    "max": 45,
    "explanation": "Elections start within 45 days of signing.",
    "space": "participants",
}


def _private_constraint(m: Miami) -> str:
    """Russia's constraint in party:RU; returns its id."""
    response = m.client("russia").post(
        f"{API}/constraints",
        json={
            "key": "ru-private",
            "from": "signing",
            "to": "elections.start",
            "max": 10,
            "space": "party:RU",
        },
        headers=m.csrf("russia"),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _figure(html: str, element_id: str) -> dict[str, Any]:
    match = re.search(rf'id="{element_id}" data-plotly="([^"]*)"', html)
    assert match, f"no #{element_id} chart in the page"
    return dict(json.loads(unescape(match.group(1))))


def _trace(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in figure["data"] if t["name"] == name)


# --------------------------------------------------------------------------- denials


def test_anonymous_callers_cannot_write_the_plan(shared_miami: Miami) -> None:
    anon = shared_miami.client(None)
    assert anon.post(f"{API}/constraints", json=CONTRADICTION).status_code == 401
    assert anon.post(f"{API}/milestones", json={"key": "x", "title": "x"}).status_code == 401
    for path in ("/constraints/new", "/milestones/new"):
        response = anon.get(PAGE + path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    response = anon.post(f"{PAGE}/constraints", data={"key": "x"})
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_another_partys_private_constraint_answers_404_like_a_missing_one(miami: Miami) -> None:
    hidden = _private_constraint(miami)
    ukraine = miami.client("ukraine")
    csrf = miami.csrf("ukraine")
    made_up = str(uuid.uuid4())
    for method, path, body in (
        ("PATCH", f"{API}/constraints/{{}}", {"max": 100}),
        ("DELETE", f"{API}/constraints/{{}}", None),
    ):
        seen = ukraine.request(method, path.format(hidden), json=body, headers=csrf)
        unknown = ukraine.request(method, path.format(made_up), json=body, headers=csrf)
        assert seen.status_code == unknown.status_code == 404
        assert seen.content == unknown.content
    for path in (f"{PAGE}/constraints/{{}}/edit",):
        seen, unknown = ukraine.get(path.format(hidden)), ukraine.get(path.format(made_up))
        assert seen.status_code == unknown.status_code == 404
        assert seen.content == unknown.content
    # Nor does it appear anywhere in Ukraine's plan, page or JSON.
    assert "ru-private" not in ukraine.get(f"{PAGE}/plan").text
    assert "ru-private" not in ukraine.get(f"{API}/plan").text
    assert ukraine.get(f"{API}/plan").json()["consistent"] is True


def test_read_only_members_get_403(shared_miami: Miami) -> None:
    viewer = shared_miami.client("ukraine-viewer")
    csrf = shared_miami.csrf("ukraine-viewer")
    assert viewer.post(f"{API}/constraints", json=CONTRADICTION, headers=csrf).status_code == 403
    assert viewer.get(f"{PAGE}/constraints/new").status_code == 403
    assert viewer.get(f"{PAGE}/milestones/new").status_code == 403
    with read_session(shared_miami.engine) as session:
        public_id = session.scalar(
            sa.select(TemporalConstraint.id).where(TemporalConstraint.key == "signing-ceasefire")
        )
    assert viewer.get(f"{PAGE}/constraints/{public_id}/edit").status_code == 403
    response = viewer.patch(f"{API}/constraints/{public_id}", json={"max": 5}, headers=csrf)
    assert response.status_code == 403
    form = shared_miami.form(
        "ukraine-viewer",
        key="v1",
        from_ref="signing",
        to_ref="ceasefire.start",
        min_days="0",
        space="participants",
    )
    assert viewer.post(f"{PAGE}/constraints", data=form).status_code == 403


# --------------------------------------------------------------------------- the plan


def test_the_plan_page_draws_a_gantt_with_its_critical_path(shared_miami: Miami) -> None:
    html = shared_miami.client("mediator").get(f"{PAGE}/plan").text
    assert '<script src="/static-lib/plotly.min.js" defer></script>' in html
    figure = _figure(html, "gantt")
    assert figure["layout"]["xaxis"]["type"] == "date"
    critical = _trace(figure, "Critical path")
    assert critical["customdata"] == ["ceasefire", "sanctions-1"]
    assert critical["base"] == ["2025-12-22", "2026-03-25"]
    day = 86_400_000
    assert critical["x"] == [3 * day, 1 * day]  # earliest start → earliest end
    schedule = _trace(figure, "Earliest schedule")
    assert "elections" in schedule["customdata"] and "ceasefire" not in schedule["customdata"]
    window = _trace(figure, "Latest window")
    elections = window["customdata"].index("elections")
    # Elections: earliest start day 63, latest end day 241 (2026-08-20).
    assert window["base"][elections] == "2026-02-23"
    assert window["x"][elections] == (241 - 63) * day
    milestones = _trace(figure, "Critical path (milestones)")
    assert "miami-round" in milestones["customdata"]
    assert "2026-03-26" in html  # finishes at the soonest
    assert 'id="critical-steps">ceasefire, sanctions-1<' in html

    data = shared_miami.client("mediator").get(f"{API}/plan").json()
    assert data["critical_steps"] == ["ceasefire", "sanctions-1"]
    assert data["finish_date"] == "2026-03-26"
    assert data["origin"] == "miami-round" and data["origin_date"] == "2025-12-22"
    assert data["figure"] == figure


def test_the_published_plan_shows_anonymous_readers_only_the_public_milestone(
    shared_miami: Miami,
) -> None:
    data = shared_miami.client(None).get(f"{API}/plan").json()
    assert [m["key"] for m in data["milestones"]] == ["miami-round"]
    assert data["steps"] == [] and data["constraints"] == []
    html = shared_miami.client(None).get(f"{PAGE}/plan").text
    assert "ceasefire" not in html


def test_a_contradicting_constraint_is_explained_by_name_through_the_api(miami: Miami) -> None:
    response = miami.client("mediator").post(
        f"{API}/constraints", json=CONTRADICTION, headers=miami.csrf("mediator")
    )
    assert response.status_code == 201
    body = response.json()
    assert body["consistent"] is False and body["excess_days"] == 18
    assert body["conflict"][0] == "elections-early" or "elections-early" in body["conflict"]
    assert "Elections start within 45 days of signing." in body["explanation"]
    detail = {d["id"]: d for d in body["conflict_detail"]}
    assert detail["elections-early"]["inequality"] == "elections.start ≤ signing + 45 days"

    plan = miami.client("ukraine").get(f"{API}/plan").json()
    assert plan["consistent"] is False and plan["figure"] is None
    rows = {row["id"]: row for row in plan["conflict_detail"]}
    assert rows["elections-early"]["fix"].endswith(f"/constraints/{body['id']}/edit")
    assert rows["ceasefire.duration"]["what"] == "step duration"


def test_a_contradicting_constraint_from_the_form_is_explained_inline(miami: Miami) -> None:
    client = miami.client("ukraine")
    form = miami.form(
        "ukraine",
        key="ua-quick-elections",
        from_ref="signing",
        to_ref="elections.start",
        min_days="",
        max_days="45",
        explanation="Ukraine wants elections within 45 days of signing.",
        space="party:UA",
    )
    response = client.post(f"{PAGE}/constraints", data=form)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}/plan?added=ua-quick-elections#conflict"
    html = client.get(response.headers["location"]).text
    section = re.search(r'<section class="conflict" id="conflict".*?</section>', html, re.S)
    assert section, "no conflict section on the plan page"
    text = unescape(section.group(0))
    assert "over-constrain the plan by <strong>18 days</strong>" in text
    assert "ua-quick-elections" in text
    assert "Ukraine wants elections within 45 days of signing." in text
    assert "Elections start no sooner than 60 days after the ceasefire has taken hold." in text
    assert 'id="gantt"' not in html
    # Russia cannot see Ukraine's private constraint: its plan still holds.
    assert miami.client("russia").get(f"{API}/plan").json()["consistent"] is True


def test_bad_constraint_input_names_the_field(shared_miami: Miami) -> None:
    client = shared_miami.client("mediator")
    csrf = shared_miami.csrf("mediator")
    response = client.post(
        f"{API}/constraints", json=CONTRADICTION | {"to": "electons.start"}, headers=csrf
    )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "to: unknown event 'electons.start' (did you mean 'elections.start'?)"
    )
    response = client.post(f"{API}/constraints", json=CONTRADICTION | {"colour": 1}, headers=csrf)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "colour"
    form = shared_miami.form(
        "mediator",
        key="bad",
        from_ref="signing",
        to_ref="signing",
        min_days="1",
        space="participants",
    )
    page = client.post(f"{PAGE}/constraints", data=form)
    assert page.status_code == 422
    assert "to: the same event as from" in page.text


def test_editing_a_constraint_through_the_form_is_audited(miami: Miami) -> None:
    client = miami.client("mediator")
    with read_session(miami.engine) as session:
        cid = session.scalar(
            sa.select(TemporalConstraint.id).where(TemporalConstraint.key == "signing-elections")
        )
    page = client.get(f"{PAGE}/constraints/{cid}/edit")
    assert page.status_code == 200
    assert '<option value="elections.start" selected>' in page.text
    form = miami.form(
        "mediator",
        from_ref="signing",
        to_ref="elections.start",
        min_days="0",
        max_days="120",
        explanation="Elections start within 120 days of signing.",
    )
    response = client.post(f"{PAGE}/constraints/{cid}/edit", data=form)
    assert response.status_code == 303
    assert client.get(f"{API}/plan").json()["latest"]["elections.start"] == 160
    deleted = client.post(f"{PAGE}/constraints/{cid}/delete", data=miami.form("mediator"))
    assert deleted.status_code == 303 and deleted.headers["location"].endswith("/plan#constraints")
    keys = {c["key"] for c in client.get(f"{API}/plan").json()["constraints"]}
    assert "signing-elections" not in keys
    # The JSON twin: DELETE on the API (from htmx it also sends the browser to the plan).
    with read_session(miami.engine) as session:
        other = session.scalar(
            sa.select(TemporalConstraint.id).where(TemporalConstraint.key == "after-miami")
        )
    response = client.delete(
        f"{API}/constraints/{other}", headers={**miami.csrf("mediator"), "HX-Request": "true"}
    )
    assert response.status_code == 200 and response.json()["deleted"] is True
    assert response.headers["HX-Redirect"] == f"{PAGE}/plan#constraints"
    with read_session(miami.engine) as session:
        actions = set(
            session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_id == str(cid)))
        )
    assert {"sequencing:constraint:update", "sequencing:constraint:delete"} <= actions


def test_milestones_are_added_and_dated_from_the_forms_and_the_api(miami: Miami) -> None:
    client = miami.client("mediator")
    response = client.post(
        f"{PAGE}/milestones",
        data=miami.form(
            "mediator",
            key="signing-ceremony",
            title="Signing ceremony (illustrative)",
            on_date="2026-01-15",
            space="participants",
        ),
    )
    assert response.status_code == 303
    plan = client.get(f"{API}/plan").json()
    ceremony = {m["key"]: m for m in plan["milestones"]}["signing-ceremony"]
    assert ceremony["on_date"] == "2026-01-15" and ceremony["earliest"] == 24
    api = client.patch(
        f"{API}/milestones/{ceremony['id']}",
        json={"on_date": "2026-01-20"},
        headers=miami.csrf("mediator"),
    )
    assert api.status_code == 200
    assert {m["key"]: m for m in client.get(f"{API}/plan").json()["milestones"]}[
        "signing-ceremony"
    ]["earliest"] == 29
    edited = client.post(
        f"{PAGE}/milestones/{ceremony['id']}/edit",
        data=miami.form("mediator", title="Signing ceremony, moved", on_date="2026-01-25"),
    )
    assert edited.status_code == 303 and edited.headers["location"] == f"{PAGE}/plan"
    moved = {m["key"]: m for m in client.get(f"{API}/plan").json()["milestones"]}
    assert moved["signing-ceremony"]["earliest"] == 34


def test_a_refused_form_comes_back_with_what_was_typed(miami: Miami) -> None:
    client = miami.client("mediator")
    bad_date = client.post(
        f"{PAGE}/milestones",
        data=miami.form(
            "mediator", key="vote", title="Referendum typed here", on_date="someday", space="public"
        ),
    )
    assert bad_date.status_code == 422
    assert 'value="Referendum typed here"' in bad_date.text and "on_date" in bad_date.text
    with read_session(miami.engine) as session:
        cid = session.scalar(
            sa.select(TemporalConstraint.id).where(TemporalConstraint.key == "signing-elections")
        )
    same_event = client.post(
        f"{PAGE}/constraints/{cid}/edit",
        data=miami.form(
            "mediator", from_ref="signing", to_ref="signing", explanation="Kept after the error."
        ),
    )
    assert same_event.status_code == 422
    assert "to: the same event as from" in same_event.text
    assert "Kept after the error." in same_event.text
    assert f'action="{PAGE}/constraints/{cid}/edit"' in same_event.text


# --------------------------------------------------------------------------- what-if


def test_what_if_fragment_lists_what_moves(shared_miami: Miami) -> None:
    client = shared_miami.client("ukraine")
    response = client.get(f"{PAGE}/plan/what-if", params={"subject": "sanctions-1", "slip": 10})
    assert response.status_code == 200
    html = response.text
    assert not html.lstrip().startswith("<!doctype")  # a fragment, not a page
    assert "slips <strong>10 days</strong>" in html
    assert 'data-event="sanctions-1.start"' in html and 'data-event="sanctions-1.end"' in html
    assert "the plan finishes 10 days later (2026-04-05)" in html
    assert "Nothing breaks." in html
    moved = _trace(_figure(html, "whatif-gantt"), "Moved by the slip")
    assert moved["customdata"] == ["sanctions-1"]

    data = client.get(f"{API}/plan/what-if", params={"subject": "sanctions-1", "slip": 10}).json()
    assert data["moved"] == {"sanctions-1.start": 10, "sanctions-1.end": 10}
    assert data["finish_delay"] == 10


def test_what_if_names_what_breaks(shared_miami: Miami) -> None:
    client = shared_miami.client("ukraine")
    data = client.get(f"{API}/plan/what-if", params={"subject": "signing", "slip": 50}).json()
    assert data["consistent"] is False
    assert "signing-by-deadline" in data["conflict"] and "what-if" in data["conflict"]
    assert data["excess_days"] == 10  # the deadline is day 40
    html = client.get(f"{PAGE}/plan/what-if", params={"subject": "signing", "slip": 50}).text
    assert "the plan breaks" in html and "signing-by-deadline" in html


def test_what_if_refuses_unknown_subjects_and_slips(shared_miami: Miami) -> None:
    client = shared_miami.client("ukraine")
    for params, message in (
        ({"subject": "nothing", "slip": 5}, "subject: no step or milestone 'nothing'"),
        ({"subject": "miami-round", "slip": 5}, "subject: no step or milestone 'miami-round'"),
        ({"subject": "ceasefire", "slip": 999}, "slip: between 0 and 365 days"),
    ):
        response = client.get(f"{API}/plan/what-if", params=params)
        assert response.status_code == 422 and response.json()["detail"].startswith(message)
        fragment = client.get(f"{PAGE}/plan/what-if", params=params)
        assert fragment.status_code == 200 and message in unescape(fragment.text)


# --------------------------------------------------------------------------- status board


def test_the_status_board_shows_contradictory_claims_side_by_side(shared_miami: Miami) -> None:
    html = shared_miami.client("mediator").get(f"{PAGE}/status").text
    row = re.search(r'<tr data-subject="ceasefire">.*?</tr>', html, re.S)
    assert row, "no ceasefire row"
    cells = dict(
        re.findall(r'<td class="[^"]*" data-assessor="([^"]+)">(.*?)</td>', row.group(0), re.S)
    )
    assert "violated" in cells["UA"] and "16 Feb 2026" in cells["UA"]
    assert "completed" in cells["RU"] and "16 Feb 2026" in cells["RU"]
    assert "disputed" in cells["neutral"] and "18 Feb 2026" in cells["neutral"]
    assert "three incidents of artillery fire" in cells["neutral"]  # the evidence quote
    assert re.search(r'href="/p/miami-2025/sources/[0-9a-f-]{36}"', cells["neutral"])
    assert _figure(html, "levels")["data"][0]["x"] == ["plan20"]

    data = shared_miami.client("mediator").get(f"{API}/status").json()
    assert data["assessors"] == ["RU", "UA", "neutral"]
    ceasefire = next(r for r in data["rows"] if r["label"] == "ceasefire")
    assert {k: v["status"] for k, v in ceasefire["claims"].items()} == {
        "UA": "violated",
        "RU": "completed",
        "neutral": "disputed",
    }
    assert data["documents"][0]["mean_level"] == {"UA": 1.0, "neutral": 0.0}


def test_the_status_board_of_an_anonymous_reader_holds_no_participant_record(
    shared_miami: Miami,
) -> None:
    data = shared_miami.client(None).get(f"{API}/status").json()
    assert data == {"assessors": [], "rows": [], "documents": [], **_page(0)}


def _page(total: int) -> dict[str, int]:
    return {"page": 1, "pages": 1, "total": total, "size": 25}
