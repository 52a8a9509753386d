"""The process home's inbox on the Miami scenario, on SQLite and PostgreSQL: each persona sees
exactly what waits for it, named by its record, and nothing of another delegation's space."""

from __future__ import annotations

from typing import Any

import pytest

from parley.db.engine import read_session, write_session
from parley.processes import inbox
from parley.texts.models import Amendment

# (kind, title) of every item each persona finds waiting in the scenario as loaded.
STATEMENT = "Joint statement of the United States and Ukraine on the Miami talks"
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "mediator": {
        ("statement", STATEMENT),
        ("minutes", "Joint minutes"),
        ("minutes", "Minutes: Russian delegation room"),
        ("amendment", "Amendment eur-drop-p16 to 20-point peace plan, point 16"),
        ("amendment", "Amendment eur-compensation to 20-point peace plan"),
        ("amendment", "Amendment ru-no-foreign-forces to 20-point peace plan, point 5"),
    },
    "ukraine": {
        ("statement", STATEMENT),
        ("minutes", "Joint minutes"),
        ("amendment", "Amendment eur-drop-p16 to 20-point peace plan, point 16"),
        ("amendment", "Amendment eur-compensation to 20-point peace plan"),
        ("draft", "Draft amendment ua-elections-draft to 20-point peace plan, point 13"),
    },
    "russia": {
        ("minutes", "Joint minutes"),
        ("minutes", "Minutes: Russian delegation room"),
        ("amendment", "Amendment eur-drop-p16 to 20-point peace plan, point 16"),
        ("amendment", "Amendment eur-compensation to 20-point peace plan"),
    },
    "europe": {("minutes", "Joint minutes")},
    "ukraine-viewer": set(),
    "russia-viewer": set(),
    "observer": set(),
    "anonymous": set(),
}


def _items(miami: Any, persona: str) -> list[inbox.Item]:
    with read_session(miami.engine) as s:
        return inbox.waiting(s, miami.actor(persona), miami.process)


def test_each_persona_sees_exactly_what_waits_for_it(miami: Any) -> None:
    found = {p: {(i.kind, i.title) for i in _items(miami, p)} for p in EXPECTED}
    assert found == EXPECTED


def test_no_item_is_of_a_space_the_persona_cannot_read(miami: Any) -> None:
    for persona in ("ukraine", "europe", "russia"):
        party = {"ukraine": "UA", "europe": "EUR", "russia": "RU"}[persona]
        for item in _items(miami, persona):
            assert item.space in ("public", "participants") or party in item.space, (
                persona,
                item,
            )
    # Russia's amendment, shared with the mediator only, is the mediator's to decide and
    # nobody else's to see.
    titles = {i.title for p in ("ukraine", "europe") for i in _items(miami, p)}
    assert not any("ru-no-foreign-forces" in t for t in titles)


def test_items_name_their_record_and_link_to_it(miami: Any) -> None:
    items = _items(miami, "mediator")
    assert len({i.title for i in items}) == len(items), "two items read the same"
    for item in items:
        assert item.url.startswith(f"/p/{miami.process.key}/")
        assert item.when is not None and item.when_label
        assert item.action in ("Sign", "Approve", "Decide", "Review", "Submit")


def test_an_amendment_leaves_the_inbox_once_decided(miami: Any) -> None:
    from parley.records.kinds import scoped
    from parley.texts.service_amendments import reject_amendment

    mediator = miami.actor("mediator")
    with write_session(miami.engine) as s:
        a = s.scalars(
            scoped(mediator, Amendment, miami.process.id).where(Amendment.key == "eur-compensation")
        ).one()
        reject_amendment(s, actor=mediator, amendment=a)
    for persona in ("mediator", "ukraine", "russia"):
        assert not any("eur-compensation" in i.title for i in _items(miami, persona))


def test_next_meetings_are_the_planned_ones_the_persona_can_see(miami: Any) -> None:
    with read_session(miami.engine) as s:
        for persona in ("mediator", "ukraine"):
            found = inbox.next_meetings(s, miami.actor(persona), miami.process)
            assert [m.title for m in found] == [
                "Follow-up round on timelines and sequencing (planned)"
            ]
        assert inbox.next_meetings(s, miami.actor("observer"), miami.process) == []


@pytest.mark.parametrize("persona", ["mediator", "ukraine", "observer"])
def test_recent_events_are_of_visible_spaces_only(miami: Any, persona: str) -> None:
    from parley.authz.spaces import parse_space

    with read_session(miami.engine) as s:
        events = inbox.recent_events(s, miami.actor(persona), miami.process, limit=50)
    assert events
    for e in events:
        space = parse_space(e.space)
        if persona == "observer":
            assert e.space == "public"
        elif persona == "ukraine":
            assert space.kind in ("public", "participants") or space.party == "UA", e.space


# ---------------------------------------------------------------- the home page over HTTP


def test_the_home_page_lists_the_inbox_by_record_names(miami_web_sqlite: Any) -> None:
    page = miami_web_sqlite.client("ukraine").get("/p/miami-2025")
    assert page.status_code == 200
    html = page.text
    inbox_html = html[html.index('id="inbox"') : html.index('id="next-meetings"')]
    assert STATEMENT in inbox_html
    assert "Draft amendment ua-elections-draft to 20-point peace plan, point 13" in inbox_html
    assert "ru-no-foreign-forces" not in html  # Russia's, shared with the mediator only
    # The top bar counts the same items; dates are in the process's time zone (New York).
    assert '<span class="badge rounded-pill text-bg-danger ms-1">5<' in html
    assert ">Mon 22 Dec 2025, 09:00 EST</time>" in inbox_html  # 14:00 UTC, in Miami


def test_a_viewer_and_an_observer_are_told_nothing_waits(miami_web_sqlite: Any) -> None:
    for persona in ("ukraine-viewer", "observer"):
        html = miami_web_sqlite.client(persona).get("/p/miami-2025").text
        assert "nothing in it waits for your action" in html
        assert 'text-bg-danger ms-1">' not in html


def test_the_inbox_api_gives_the_same_items(miami_web_sqlite: Any) -> None:
    answer = miami_web_sqlite.client("europe").get("/api/v1/processes/miami-2025/inbox")
    assert answer.status_code == 200
    assert [(i["kind"], i["title"]) for i in answer.json()["items"]] == [
        ("minutes", "Joint minutes")
    ]
    anonymous = miami_web_sqlite.client("anonymous").get("/api/v1/processes/miami-2025/inbox")
    assert anonymous.status_code == 200 and anonymous.json() == {"items": []}


def test_the_inbox_of_a_hidden_process_answers_like_a_missing_one(miami_web_sqlite: Any) -> None:
    client = miami_web_sqlite.client("ukraine")
    missing = client.get("/api/v1/processes/no-such-process/inbox")
    assert missing.status_code == 404


def test_the_audit_log_reads_as_sentences(miami_web_sqlite: Any) -> None:
    html = miami_web_sqlite.client("mediator").get("/p/miami-2025/audit").text
    assert "What changed" in html and "<td" in html
    assert "{&#39;" not in html and "{'" not in html
    assert "position:create" not in html.split("<main", 1)[1]


def test_search_results_carry_kind_space_and_snippet(miami_web_sqlite: Any) -> None:
    html = miami_web_sqlite.client("ukraine").get("/p/miami-2025/search?q=referendum").text
    results = html[html.index('id="search-results"') :]
    assert "Positions" in results and "space-badge" in results
    assert "referendum" in results.lower()
