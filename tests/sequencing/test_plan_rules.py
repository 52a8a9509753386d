"""Issue 13: steps, status claims and the shared plan have owners, and claims cite evidence.

On SQLite, PostgreSQL and PostgreSQL behind row-level security, through the JSON API on the
URLs the generic record stack served and through the forms reached from the plan and status
pages:

* the shared plan (steps, milestones, constraints in participants or public) is the
  mediator's; a delegation keeps its own plan in its own space;
* a party's status claim is its own; the neutral assessment is a monitor's (a guarantor's or
  observer's delegation) or the mediator's;
* status claims cite their evidence (a source and the exact quote), from the API and the form.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from html import unescape
from typing import Any

import sqlalchemy as sa

from commitments import miami as fixtures
from commitments.miami import KEY, Miami
from parley.authz.actor import Actor, Membership
from parley.authz.rules import Subject, permits
from parley.db.engine import read_session
from parley.intake.models import Evidence
from parley.sequencing.models import StatusClaim, Step

miami_web = fixtures.miami_web

API = f"/api/v1/processes/{KEY}"
PAGE = f"/p/{KEY}"
QUOTE = "the ceasefire is largely holding elsewhere but is disputed in this sector"


def _step_ids(m: Miami) -> dict[str, str]:
    with read_session(m.owner_engine) as session:
        return {k: str(i) for k, i in session.execute(sa.select(Step.key, Step.id))}


def _post(m: Miami, user: str, path: str, body: dict[str, Any]) -> Any:
    return m.client(user).post(f"{API}/{path}", json=body, headers=m.csrf(user))


def test_the_shared_plan_is_the_mediators_and_a_private_plan_its_delegations(
    miami_web: Miami,
) -> None:
    m = miami_web
    step = {"key": "demining", "title": "Illustrative demining", "min_days": 10, "space": ""}
    shared = {**step, "space": "participants"}
    assert _post(m, "ukraine", "steps", shared).status_code == 403
    assert _post(m, "mediator", "steps", shared).status_code == 201
    own = {**step, "key": "ua-own", "space": "party:UA"}
    assert _post(m, "ukraine", "steps", own).status_code == 201
    ids = _step_ids(m)
    # Russia may not edit the shared plan's steps (it can read them) nor Ukraine's (it cannot).
    russia = m.client("russia")
    edited = russia.patch(
        f"{API}/steps/{ids['ceasefire']}", json={"title": "Rewritten"}, headers=m.csrf("russia")
    )
    assert edited.status_code == 403
    hidden = russia.patch(
        f"{API}/steps/{ids['ua-own']}", json={"title": "Rewritten"}, headers=m.csrf("russia")
    )
    unknown = russia.patch(
        f"{API}/steps/{uuid.uuid4()}", json={"title": "Rewritten"}, headers=m.csrf("russia")
    )
    assert hidden.status_code == unknown.status_code == 404 and hidden.content == unknown.content
    mediator = m.client("mediator")
    ok = mediator.patch(
        f"{API}/steps/{ids['ceasefire']}", json={"max_days": 21}, headers=m.csrf("mediator")
    )
    assert ok.status_code == 200, ok.text
    # Milestones and constraints of the shared plan likewise.
    milestone = {"key": "ua-milestone", "title": "Illustrative", "space": "participants"}
    assert _post(m, "ukraine", "milestones", milestone).status_code == 403
    constraint = {"key": "c1", "from": "signing", "to": "demining.start", "min": 0, "max": 9}
    assert (
        _post(m, "ukraine", "constraints", {**constraint, "space": "participants"}).status_code
        == 403
    )
    assert (
        _post(m, "mediator", "constraints", {**constraint, "space": "participants"}).status_code
        == 201
    )


def test_a_party_claims_for_itself_and_the_neutral_word_is_a_monitors(miami_web: Miami) -> None:
    m = miami_web
    ids = _step_ids(m)
    claim = {
        "step_id": ids["ceasefire"],
        "status": "completed",
        "claimed_on": "2026-03-01",
        "space": "participants",
    }
    assert _post(m, "russia", "status-claims", claim).status_code == 201
    assert _post(m, "russia", "status-claims", {**claim, "neutral": True}).status_code == 403
    assert _post(m, "mediator", "status-claims", {**claim, "neutral": True}).status_code == 201
    with read_session(m.owner_engine) as session:
        made = session.scalars(
            sa.select(StatusClaim).where(StatusClaim.claimed_on == date(2026, 3, 1))
        ).all()
    assert sorted(c.is_neutral for c in made) == [False, True]
    # Ukraine may not change Russia's claim; Russia may change its own.
    mine = next(c for c in made if not c.is_neutral)
    ukraine = m.client("ukraine")
    response = ukraine.patch(
        f"{API}/status-claims/{mine.id}", json={"note": "Rewritten"}, headers=m.csrf("ukraine")
    )
    assert response.status_code == 403
    response = m.client("russia").patch(
        f"{API}/status-claims/{mine.id}", json={"level": 2}, headers=m.csrf("russia")
    )
    assert response.status_code == 200


def test_a_monitor_gives_the_neutral_assessment_a_party_does_not() -> None:
    process_id = uuid.uuid4()

    def actor(kind: str, role: str = "head") -> Actor:
        membership = Membership(process_id, role, uuid.uuid4(), "X", kind == "mediator", kind)
        return Actor(uuid.uuid4(), "someone", memberships={process_id: membership})

    subject = Subject(process_id)
    assert permits(actor("guarantor"), "status-claim", "assess", subject)
    assert permits(actor("observer"), "fulfilment", "assess", subject)
    assert permits(actor("mediator"), "status-claim", "assess", subject)
    assert not permits(actor("party"), "status-claim", "assess", subject)
    assert not permits(actor("guarantor", "viewer"), "status-claim", "assess", subject)


def test_a_status_claim_cites_evidence_from_the_api_and_the_form(miami_web: Miami) -> None:
    m = miami_web
    ids = _step_ids(m)
    body = {
        "step_id": ids["prisoners"],
        "status": "in_progress",
        "claimed_on": "2026-03-02",
        "space": "participants",
        "evidence": [{"source": "monitor-note", "quote": QUOTE}],
    }
    assert _post(m, "ukraine", "status-claims", body).status_code == 201
    data = m.client("ukraine").get(f"{API}/status").json()
    row = next(r for r in data["rows"] if r["label"] == "prisoners")
    assert row["claims"]["UA"]["evidence"][0]["quote"] == QUOTE

    wrong = {**body, "evidence": [{"source": "monitor-note", "quote": "Not in the note."}]}
    refused = _post(m, "ukraine", "status-claims", wrong)
    assert refused.status_code == 422 and "evidence" in refused.text

    client = m.client("russia")
    status = unescape(client.get(f"{PAGE}/status").text)
    assert f"{PAGE}/status-claims/new" in status
    page = client.get(f"{PAGE}/status-claims/new?step={ids['withdrawal']}")
    assert page.status_code == 200 and 'name="evidence_quote"' in page.text
    form = {
        "step_id": ids["withdrawal"],
        "status": "not_started",
        "claimed_on": "2026-03-03",
        "space": "participants",
        "note": "Illustrative claim with evidence.",
        "evidence_source": "monitor-note",
    }
    bad = client.post(f"{PAGE}/status-claims", data=m.form("russia", **form, evidence_quote="nope"))
    assert bad.status_code == 422
    assert "Illustrative claim with evidence." in bad.text
    assert re.search(r'id="evidence_quote-error"', bad.text)
    good = client.post(f"{PAGE}/status-claims", data=m.form("russia", **form, evidence_quote=QUOTE))
    assert good.status_code == 303, good.text
    with read_session(m.owner_engine) as session:
        claim = session.scalars(
            sa.select(StatusClaim).where(StatusClaim.note == "Illustrative claim with evidence.")
        ).one()
        cited = session.scalars(sa.select(Evidence).where(Evidence.object_id == claim.id)).one()
        assert (cited.object_type, cited.space) == ("status_claims", "participants")


def test_steps_are_added_and_edited_from_the_plan_page(miami_web: Miami) -> None:
    m = miami_web
    client = m.client("mediator")
    plan = unescape(client.get(f"{PAGE}/plan").text)
    assert f"{PAGE}/steps/new" in plan
    ids = _step_ids(m)
    assert f"{PAGE}/steps/{ids['ceasefire']}/edit" in plan
    bad = client.post(
        f"{PAGE}/steps",
        data=m.form(
            "mediator",
            key="audit-1",
            title="Illustrative audit",
            min_days="9",
            max_days="3",
            space="participants",
        ),
    )
    assert bad.status_code == 422 and 'value="Illustrative audit"' in bad.text
    assert re.search(r'id="min_days-error"', bad.text)
    good = client.post(
        f"{PAGE}/steps",
        data=m.form(
            "mediator",
            key="audit-1",
            title="Illustrative audit",
            min_days="3",
            max_days="9",
            space="participants",
        ),
    )
    assert good.status_code == 303
    step_id = _step_ids(m)["audit-1"]
    edited = client.post(
        f"{PAGE}/steps/{step_id}/edit",
        data=m.form("mediator", title="Illustrative audit, renamed", min_days="3", max_days="12"),
    )
    assert edited.status_code == 303
    with read_session(m.owner_engine) as session:
        step = session.get(Step, uuid.UUID(step_id))
        assert step is not None and (step.title, step.max_days) == (
            "Illustrative audit, renamed",
            12,
        )
