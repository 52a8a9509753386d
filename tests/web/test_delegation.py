"""The delegation page and its JSON twin (issue #13, item 7): a head manages the members of its
own delegation, the mediator's head its team; everyone else gets the answer of a missing page.

Personas of the canary scenario (tests/web/support.py): aaa-head and bbb-head head AAA and BBB,
med heads the mediator's team, aaa-viewer is a read-only member of AAA; "outsider" has an
account but takes no part in the canary process."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from parley.auth.models import User, WebSession
from parley.db.base import utcnow
from parley.db.engine import write_session
from parley.processes.models import Delegation, Membership, Party
from web.support import KEY, Canary

PAGE = f"/p/{KEY}/delegation"
API = f"/api/v1/processes/{KEY}/delegation"


def _place(canary: Canary, username: str) -> tuple[str | None, str] | None:
    """(party key, role) of the account in the canary process, or None."""
    with write_session(canary.engine()) as s:
        row = s.execute(
            sa.select(Party.key, Membership.role)
            .select_from(Membership)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Delegation, Delegation.id == Membership.delegation_id)
            .outerjoin(Party, Party.id == Delegation.party_id)
            .where(User.username == username, Membership.process_id == _process_id(s))
        ).first()
    return None if row is None else (row[0], str(row[1]))


def _process_id(s: sa.orm.Session) -> object:
    from parley.processes.models import Process

    return s.scalars(sa.select(Process.id).where(Process.key == KEY)).one()


def _form(canary: Canary, persona: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": canary.csrf(persona)["X-CSRF-Token"], **fields}


def _post(canary: Canary, persona: str, path: str, **fields: str):  # type: ignore[no-untyped-def]
    return canary.client(persona).post(path, data=_form(canary, persona, **fields))


# ---------------------------------------------------------------- denials first


@pytest.mark.parametrize("persona", ["aaa-viewer", "bbb-viewer", "observer", "operator"])
def test_who_heads_no_delegation_gets_the_missing_page(canary: Canary, persona: str) -> None:
    client = canary.client(persona)
    missing = client.get(f"/p/{KEY}/no-such-page")
    assert missing.status_code == 404
    page = client.get(PAGE)
    assert page.status_code == 404 and page.content == missing.content
    api_missing = client.get(f"/api/v1/processes/{KEY}/no-such-kind")
    api = client.get(API)
    assert api.status_code == 404 and api.content == api_missing.content
    # ... and may change nothing through it.
    added = _post(canary, persona, PAGE + "/members", username="outsider", role="member")
    assert added.status_code == 404 and added.content == missing.content
    removed = _post(canary, persona, PAGE + "/members/aaa-viewer/remove")
    assert removed.status_code == 404 and removed.content == missing.content
    put = client.put(
        API + "/members/outsider", json={"role": "member"}, headers=canary.csrf(persona)
    )
    assert put.status_code == 404 and put.content == api_missing.content
    assert _place(canary, "outsider") is None
    assert _place(canary, "aaa-viewer") == ("AAA", "viewer")


def test_anonymous_is_asked_to_sign_in(canary: Canary) -> None:
    client = canary.client("anonymous")
    page = client.get(PAGE)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert client.get(API).status_code == 401


def test_the_head_of_another_delegation_cannot_touch_its_members(canary: Canary) -> None:
    made_up = _post(canary, "bbb-head", PAGE + "/members/nobody-at-all/remove")
    assert made_up.status_code == 404
    for action in ("remove", "role"):
        other = _post(canary, "bbb-head", PAGE + f"/members/aaa-viewer/{action}", role="member")
        assert other.status_code == 404 and other.content == made_up.content
    client = canary.client("bbb-head")
    made_up_api = client.delete(API + "/members/nobody-at-all", headers=canary.csrf("bbb-head"))
    other_api = client.delete(API + "/members/aaa-viewer", headers=canary.csrf("bbb-head"))
    assert other_api.status_code == 404 and other_api.content == made_up_api.content
    # Naming AAA's member as BBB's does not move them: AAA's head removes them first.
    moved = client.put(
        API + "/members/aaa-viewer", json={"role": "member"}, headers=canary.csrf("bbb-head")
    )
    assert moved.status_code == 422
    assert moved.json()["errors"][0]["field"] == "username"
    assert _place(canary, "aaa-viewer") == ("AAA", "viewer")


def test_the_operator_adds_no_member_to_a_delegation_that_has_its_head(canary: Canary) -> None:
    for username in ("outsider", "root"):  # nor itself
        answer = _post(
            canary,
            "operator",
            "/admin/memberships",
            process=KEY,
            party="AAA",
            username=username,
            role="member",
        )
        assert answer.status_code == 403
        assert _place(canary, username) is None


# ---------------------------------------------------------------- the head's page


def test_the_head_sees_its_members_and_the_accounts_it_may_add(canary: Canary) -> None:
    page = canary.client("aaa-head").get(PAGE)
    assert page.status_code == 200
    text = page.text
    assert 'data-member="aaa-head"' in text and 'data-member="aaa-viewer"' in text
    assert 'data-member="bbb-head"' not in text and 'data-member="med"' not in text
    assert '<option value="outsider"' in text
    # Accounts that already take part, and operators, are not offered.
    for taken in ("bbb-viewer", "observer", "med", "root"):
        assert f'<option value="{taken}"' not in text
    data = canary.client("aaa-head").get(API).json()
    assert data["party"] == "AAA"
    assert [(m["username"], m["role"]) for m in data["members"]] == [
        ("aaa-head", "head"),
        ("aaa-viewer", "viewer"),
    ]
    assert "outsider" in [c["username"] for c in data["candidates"]]


def test_the_link_is_in_the_account_menu_of_heads_only(canary: Canary) -> None:
    for persona, shown in (("aaa-head", True), ("mediator", True), ("aaa-viewer", False)):
        page = canary.client(persona).get(f"/p/{KEY}")
        assert (f'href="{PAGE}"' in page.text) is shown, persona


def test_the_mediators_head_manages_the_mediators_team(canary: Canary) -> None:
    page = canary.client("mediator").get(PAGE)
    assert page.status_code == 200 and 'data-member="med"' in page.text
    assert 'data-member="aaa-head"' not in page.text
    added = _post(canary, "mediator", PAGE + "/members", username="outsider", role="member")
    assert added.status_code == 303
    assert _place(canary, "outsider") == ("MED", "member")


def test_a_head_adds_changes_and_removes_a_member(canary: Canary) -> None:
    added = _post(canary, "aaa-head", PAGE + "/members", username="outsider", role="member")
    assert added.status_code == 303 and added.headers["location"] == PAGE
    assert _place(canary, "outsider") == ("AAA", "member")
    page = canary.client("aaa-head").get(PAGE)
    assert "added to the delegation as member" in page.text  # the banner after the change
    assert (
        _post(canary, "aaa-head", PAGE + "/members/outsider/role", role="viewer").status_code == 303
    )
    assert _place(canary, "outsider") == ("AAA", "viewer")
    assert _post(canary, "aaa-head", PAGE + "/members/outsider/remove").status_code == 303
    assert _place(canary, "outsider") is None
    assert "removed from the delegation" in canary.client("aaa-head").get(PAGE).text


def test_a_refusal_is_shown_by_its_field_with_the_choice_kept(canary: Canary) -> None:
    answer = _post(canary, "aaa-head", PAGE + "/members", username="", role="member")
    assert answer.status_code == 422
    # The last head cannot step down or leave: the delegation would have nobody to manage it.
    demoted = _post(canary, "aaa-head", PAGE + "/members/aaa-head/role", role="viewer")
    assert demoted.status_code == 422
    assert "keeps at least one head" in demoted.text and 'href="#f-role"' in demoted.text
    left = _post(canary, "aaa-head", PAGE + "/members/aaa-head/remove")
    assert left.status_code == 422
    assert _place(canary, "aaa-head") == ("AAA", "head")
    wrong = _post(canary, "aaa-head", PAGE + "/members", username="outsider", role="observer")
    assert wrong.status_code == 422
    assert '<option value="outsider" selected>' in wrong.text


def test_the_json_twin_adds_and_removes(canary: Canary) -> None:
    client = canary.client("aaa-head")
    headers = canary.csrf("aaa-head")
    put = client.put(API + "/members/outsider", json={"role": "viewer"}, headers=headers)
    assert put.status_code == 200
    assert ("outsider", "viewer") in [(m["username"], m["role"]) for m in put.json()["members"]]
    bad = client.put(API + "/members/outsider", json={"role": "observer"}, headers=headers)
    assert bad.status_code == 422
    assert client.delete(API + "/members/outsider", headers=headers).status_code == 200
    again = client.delete(API + "/members/outsider", headers=headers)
    unknown = client.delete(API + "/members/nobody-at-all", headers=headers)
    assert again.status_code == 404 and again.content == unknown.content
    assert _place(canary, "outsider") is None


# ---------------------------------------------------------------- step-up


def _needs_step_up(canary: Canary) -> None:
    canary.app.state.settings = canary.app.state.settings.model_copy(update={"step_up": True})
    with write_session(canary.engine()) as s:
        s.execute(sa.update(WebSession).values(reauthenticated_at=utcnow() - timedelta(hours=1)))


def test_adding_a_member_needs_step_up_removing_does_not(canary: Canary) -> None:
    _needs_step_up(canary)
    page = canary.client("aaa-head").get(PAGE)
    assert 'name="step_up_password"' in page.text
    plain = _post(canary, "aaa-head", PAGE + "/members", username="outsider", role="member")
    assert plain.status_code == 303 and plain.headers["location"].startswith("/reauth")
    wrong = _post(
        canary,
        "aaa-head",
        PAGE + "/members",
        username="outsider",
        role="member",
        step_up_password="not-it",
    )
    assert wrong.headers["location"].startswith("/reauth")
    assert _place(canary, "outsider") is None
    right = _post(
        canary,
        "aaa-head",
        PAGE + "/members",
        username="outsider",
        role="member",
        step_up_password="aaa-head-password",
    )
    assert right.status_code == 303 and right.headers["location"] == PAGE
    assert _place(canary, "outsider") == ("AAA", "member")
    _needs_step_up(canary)
    assert _post(canary, "aaa-head", PAGE + "/members/outsider/remove").status_code == 303
    assert _place(canary, "outsider") is None


def test_the_api_steps_up_with_the_password_header(canary: Canary) -> None:
    _needs_step_up(canary)
    client = canary.client("aaa-head")
    headers = canary.csrf("aaa-head")
    refused = client.put(API + "/members/outsider", json={"role": "member"}, headers=headers)
    assert refused.status_code == 403 and "Step-up" in refused.json()["detail"]
    assert _place(canary, "outsider") is None
    # An API token proves itself with the password in the request itself.
    bearer = {"Authorization": f"Bearer {canary.ref('token:aaa-head')}"}
    api = canary.client("anonymous")
    wrong = api.put(
        API + "/members/outsider",
        json={"role": "member"},
        headers={**bearer, "X-Parley-Password": "not-it"},
    )
    assert wrong.status_code == 403 and _place(canary, "outsider") is None
    right = api.put(
        API + "/members/outsider",
        json={"role": "member"},
        headers={**bearer, "X-Parley-Password": "aaa-head-password"},
    )
    assert right.status_code == 200
    assert _place(canary, "outsider") == ("AAA", "member")
