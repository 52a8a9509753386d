"""The optimizer on the demo as it ships: the mediator opens it with its defaults and it runs
on the positions shared so far, says whose inputs it had to assume, and offers to ask those
delegations (a note in the space each shares with the mediator). Denials first."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from parley.db.engine import read_session
from parley.notes.models import Note
from parley.positions.service import OptimizerInputError, OptimizerRequest, run_optimizer
from positions.conftest import KEY, Miami

PAGE = f"/p/{KEY}"
API = f"/api/v1/processes/{KEY}"


def _form(miami: Miami, username: str, url: str, data: Any) -> Any:
    return miami.client(username).post(
        url, data={**data, "csrf_token": miami.sessions[username][1]}
    )


def _defaults(page: str) -> list[tuple[str, str]]:
    """The optimizer form's fields as the page fills them in (what a click on Run sends)."""
    form = page.split('id="optimizer-form"')[1].split("</form>")[0]
    fields = [("version", re.search(r'name="version" value="([^"]+)"', form).group(1))]
    for name in ("provision", "party", "objective"):
        fields += [
            (name, v) for v in re.findall(rf'name="{name}" value="([^"]+)"[^>]*checked', form)
        ]
    if re.search(r'name="assume_missing"[^>]*checked', form):
        fields.append(("assume_missing", "on"))
    return fields


def test_only_the_mediator_may_ask_a_delegation_for_inputs(miami_ro: Miami) -> None:
    miami = miami_ro
    anonymous = miami.client(None).post(f"{PAGE}/optimizer/ask", data={"ask_party": "UA"})
    assert anonymous.status_code in (303, 401, 403)
    for username in ("ukraine", "russia", "ukraine-viewer"):
        answer = _form(miami, username, f"{PAGE}/optimizer/ask", {"ask_party": "RU"})
        assert answer.status_code == 403, username


def test_the_strict_run_still_names_every_missing_input(miami_ro: Miami) -> None:
    with read_session(miami_ro.engine) as session:
        try:
            run_optimizer(
                session,
                actor=miami_ro.actor("mediator"),
                process_id=miami_ro.process_id(),
                request=OptimizerRequest(),
            )
        except OptimizerInputError as exc:
            assert set(exc.missing) == {"UA", "RU", "EUR"}
        else:
            raise AssertionError("the demo's mediator lacks some utilities")


def test_the_mediator_runs_the_demo_with_its_defaults_and_asks_for_the_rest(
    miami: Miami,
) -> None:
    page = miami.client("mediator").get(f"{PAGE}/optimizer")
    assert page.status_code == 200
    fields = _defaults(page.text)
    assert ("assume_missing", "on") in fields
    assert len([f for f in fields if f[0] == "provision"]) == 5

    data: dict[str, list[str]] = {"csrf_token": [miami.sessions["mediator"][1]]}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    ran = miami.client("mediator").post(f"{PAGE}/optimizer", data=data)
    assert ran.status_code == 200, ran.text[:2000]
    assert 'id="optimizer-error"' not in ran.text
    assert 'id="package"' in ran.text  # a package over all five contested points
    assumed = ran.text.split('id="optimizer-assumed"')[1].split("</div>\n</div>")[0]
    for name in ("Ukraine", "Russia", "Europe"):
        assert f"Ask {name} for them" in assumed
    assert "point 10" in assumed and "plan20/p10" not in assumed.split("<ul")[1].split("</ul>")[0]

    # The Ask button's form carries the run's version, provisions and parties.
    ask = assumed.split('name="ask_party" value="UA"')[1].split("</form>")[0]
    asked = _form(
        miami,
        "mediator",
        f"{PAGE}/optimizer/ask",
        {
            "ask_party": "UA",
            "version": re.search(r'name="version" value="([^"]+)"', ask).group(1),
            "provision": re.findall(r'name="provision" value="([^"]+)"', ask),
            "party": re.findall(r'name="party" value="([^"]+)"', ask),
        },
    )
    assert asked.status_code == 303
    shown = miami.client("mediator").get(asked.headers["location"])
    assert "Asked Ukraine" in shown.text
    with miami.engine.connect() as c:
        notes = c.execute(
            sa.select(Note.space, Note.text).where(Note.title.like("Please share%"))
        ).all()
    assert [space for space, _ in notes] == ["party:UA+mediator"]
    assert "point 6" in notes[0][1]
    # Ukraine reads the request; Russia does not know it was made.
    assert "Please share your utilities" in miami.client("ukraine").get(f"{PAGE}/notes").text
    assert "Please share your utilities" not in miami.client("russia").get(f"{PAGE}/notes").text


def test_the_api_runs_on_the_positions_there_are_when_asked(miami_ro: Miami) -> None:
    answer = miami_ro.client("mediator").post(
        f"{API}/optimizer",
        json={"assume_missing": True},
        headers=miami_ro.csrf("mediator"),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body["assumed"]) == {"UA", "RU", "EUR"}
    assert len(body["package"]) == 5
    strict = miami_ro.client("mediator").post(
        f"{API}/optimizer", json={}, headers=miami_ro.csrf("mediator")
    )
    assert strict.status_code == 422 and set(strict.json()["detail"]["missing"]) == {
        "UA",
        "RU",
        "EUR",
    }
