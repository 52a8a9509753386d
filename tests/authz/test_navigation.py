"""The sections the layout offers: one order everywhere, only what the actor may open."""

from __future__ import annotations

import uuid

from parley.authz import Actor, Membership
from parley.authz.navigation import ORDER, account, current_section, sections

PID = uuid.uuid4()


def _actor(role: str, party: str | None = "UA", *, mediator: bool = False) -> Actor:
    member = Membership(PID, role, uuid.uuid4() if party else None, party, is_mediator=mediator)
    return Actor(uuid.uuid4(), "someone", memberships={PID: member})


def _keys(actor: Actor) -> list[str]:
    return [s.key for s in sections(actor, "k", PID)]


def _links(actor: Actor) -> set[str]:
    return {
        href
        for s in sections(actor, "k", PID)
        for href in (s.href, *(link.href for link in s.links))
    }


def test_a_delegation_head_sees_every_section_in_the_house_order() -> None:
    assert _keys(_actor("head")) == list(ORDER)
    assert _keys(_actor("head", "US", mediator=True)) == list(ORDER)


def test_outsiders_see_only_the_public_pages_of_a_published_process() -> None:
    assert _keys(Actor.anonymous()) == ["home", "texts", "meetings", "statements", "record"]
    links = _links(Actor.anonymous())
    assert "/p/k/review" not in links and "/p/k/audit" not in links
    other = Actor(
        uuid.uuid4(), "member elsewhere", memberships={uuid.uuid4(): Membership(PID, "head")}
    )
    assert _keys(other) == _keys(Actor.anonymous())


def test_only_those_who_can_write_are_offered_to_submit_a_report() -> None:
    assert "/p/k/intake" in _links(_actor("member"))
    assert "/p/k/intake" not in _links(_actor("viewer"))
    assert "/p/k/intake" not in _links(_actor("observer", None))
    assert "/p/k/review" in _links(_actor("viewer"))  # reading the queue is for every member


def test_a_section_with_one_page_is_a_link_and_one_with_several_a_menu() -> None:
    found = {s.key: s for s in sections(_actor("head"), "k", PID)}
    assert found["ledger"].links == () and found["ledger"].href == "/p/k/ledger"
    assert [link.label for link in found["record"].links] == [
        "Timeline",
        "Sources",
        "Intake review",
        "Submit a report",
    ]
    assert found["record"].href == "/p/k/history"


def test_the_current_section_is_found_from_the_path() -> None:
    found = sections(_actor("head"), "k", PID)
    assert current_section(found, "/p/k") == "home"
    assert current_section(found, "/p/k/meetings/123") == "meetings"
    assert current_section(found, "/p/k/texts/plan20/v/2") == "texts"
    assert current_section(found, "/p/k/joint-statements/9") == "statements"
    assert current_section(found, "/p/k/checkpoints") == "audit"
    assert current_section(found, "/p/k/steps/1") == "plan"
    assert current_section(found, "/p/kk/texts") is None
    assert current_section(found, "/account/tokens") is None


def test_the_account_names_the_delegation_and_role() -> None:
    assert account(_actor("viewer"), PID) == account(_actor("viewer"), PID)
    found = account(_actor("viewer"), PID)
    assert (found.party_key, found.role) == ("UA", "viewer")
    assert account(Actor.anonymous(), PID).role is None
