"""Issue 13, item 5: sealed means sealed, for joint statements and minutes, on every door.

Once a signatory approved a joint statement, a change to anything it shows voids the approvals;
a published statement does not change at all; only signatories (and the mediator, for drafting)
touch a joint statement; what is signed covers every displayed field; approved minutes are
frozen and an amendment names the text it edited. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from parley.db.engine import read_session, write_session
from parley.sessions.models import Minutes, MinutesStatus, Statement, StatementSignatory
from parley.sessions.queries import joint_statement_page, statement_file
from parley.sessions.statements import JointDraftIn, draft_joint_statement
from parley.texts.canonical_hash import text_hash
from sessions.conftest import Miami, MiamiWeb
from sessions.helpers import meeting_id, statement_id
from sessions.test_joint_statements import _approve, _cli

API = "/api/v1/processes/miami-2025"


def _patch(web: MiamiWeb, persona: str, path: str, body: dict[str, Any]) -> Any:
    return web.client(persona).patch(API + path, json=body, headers=web.csrf(persona))


def _post(web: MiamiWeb, persona: str, path: str, body: dict[str, Any]) -> Any:
    return web.client(persona).post(API + path, json=body, headers=web.csrf(persona))


def _statement(miami: Miami, sid: object) -> Statement:
    with read_session(miami.engine) as s:
        return s.scalars(sa.select(Statement).where(Statement.id == sid)).one()


def _approved(miami: Miami, sid: object) -> list[str | None]:
    with read_session(miami.engine) as s:
        return list(
            s.scalars(
                sa.select(StatementSignatory.approved_hash)
                .where(StatementSignatory.statement_id == sid)
                .order_by(StatementSignatory.party_id)
            )
        )


def _draft(miami: Miami, key: str, space: str = "participants") -> Any:
    with write_session(miami.engine) as s:
        return draft_joint_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            data=JointDraftIn(
                key=key,
                title="On the timeline (illustrative)",
                text="We agree to table a timeline in January.",
                made_on="2025-12-23",
                place="Miami",
                signatories=["US", "UA"],
                space=space,
            ),
        ).id


def _verify(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "file.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return CliRunner().invoke(_cli(), ["statement", "verify", str(path)])


def test_a_non_signatory_cannot_rewrite_a_signed_joint_statement(
    miami_web: MiamiWeb, tmp_path: Path
) -> None:
    miami = miami_web.miami
    sid = statement_id(miami.engine, "joint-miami")
    before = _statement(miami, sid)
    _approve(miami, "ukraine", sid, before.text)
    _approve(miami, "mediator", sid, before.text)
    attack = {"title": "Rewritten", "made_on": "2025-01-01", "place": "Nowhere"}
    answer = _patch(miami_web, "russia", f"/statements/{sid}", attack)
    assert answer.status_code == 403, answer.text
    after = _statement(miami, sid)
    assert (after.title, after.made_on, after.place) == (before.title, before.made_on, before.place)
    # A signatory cannot either: it is published, so it does not change at all.
    answer = _patch(miami_web, "ukraine", f"/statements/{sid}", attack)
    assert answer.status_code == 409, answer.text
    assert _statement(miami, sid).title == before.title
    # The signed message covers the title, the date and the place: a file that shows another
    # title does not verify.
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("observer"), miami.process, sid)
        single = statement_file(page, miami.process)
    assert _verify(tmp_path, single).exit_code == 0
    for field, value in (("title", "Rewritten"), ("made_on", "2025-01-01"), ("place", "Nowhere")):
        forged = json.loads(json.dumps(single))
        forged["statement"][field] = value
        result = _verify(tmp_path, forged)
        assert result.exit_code == 1, (field, result.output)


def test_the_mediator_cannot_rewrite_a_published_statement(miami_web: MiamiWeb) -> None:
    miami = miami_web.miami
    for key in ("joint-miami", "us-constructive"):
        sid = statement_id(miami.engine, key)
        before = _statement(miami, sid).text
        answer = _patch(miami_web, "mediator", f"/statements/{sid}", {"text": "Rewritten."})
        assert answer.status_code == 409, (key, answer.text)
        assert "published" in answer.text
        assert _statement(miami, sid).text == before
    sid = statement_id(miami.engine, "joint-miami")
    revise = _post(miami_web, "mediator", f"/joint-statements/{sid}/revise", {"text": "Rewritten."})
    assert revise.status_code == 409, revise.text


def test_a_non_signatory_cannot_revise_a_joint_statement(miami_web: MiamiWeb) -> None:
    miami = miami_web.miami
    sid = _draft(miami, "joint-participants")  # Russia can read it, but is no signatory
    text = "We agree to table a timeline in January."
    _approve(miami, "ukraine", sid, text)
    _approve(miami, "mediator", sid, text)
    approved = _approved(miami, sid)
    assert None not in approved
    revise = _post(miami_web, "russia", f"/joint-statements/{sid}/revise", {"text": "Voided."})
    assert revise.status_code == 403, revise.text
    patch = _patch(miami_web, "russia", f"/statements/{sid}", {"title": "Voided."})
    assert patch.status_code == 403, patch.text
    assert _approved(miami, sid) == approved
    assert _statement(miami, sid).text == text


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Another title"},
        {"made_on": "2025-12-24"},
        {"place": "Geneva"},
        {"text": "We agree to table a draft timeline in January."},
    ],
)
def test_any_change_to_a_shown_field_voids_the_approvals(
    miami_web: MiamiWeb, change: dict[str, str]
) -> None:
    miami = miami_web.miami
    sid = _draft(miami, "joint-voids")
    _approve(miami, "ukraine", sid, "We agree to table a timeline in January.")
    assert any(_approved(miami, sid))
    answer = _patch(miami_web, "mediator", f"/statements/{sid}", change)
    assert answer.status_code == 200, answer.text
    assert _approved(miami, sid) == [None, None]
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("ukraine"), miami.process, sid)
    assert [x["approved"] for x in page["signatories"]] == [False, False]
    assert [x["current"] for x in page["signatures"]] == [False]


def test_signed_text_refuses_hidden_characters(miami_web: MiamiWeb) -> None:
    miami = miami_web.miami
    sid = _draft(miami, "joint-hidden")
    for char in ("\u202e", "\u2067", "\u200f", "\u061c", "\u200b", "\u2060", "\ufeff"):
        text = f"We agree{char} to table a timeline."
        revise = _post(miami_web, "mediator", f"/joint-statements/{sid}/revise", {"text": text})
        assert revise.status_code == 422, (hex(ord(char)), revise.text)
        assert revise.json()["detail"].startswith("text: ")
        patch = _patch(miami_web, "mediator", f"/statements/{sid}", {"title": f"T{char}"})
        assert patch.status_code == 422, patch.text
        assert patch.json()["detail"].startswith("title: ")
    assert "\u202e" not in _statement(miami, sid).text


def _joint_minutes(miami: Miami) -> Minutes:
    talk = meeting_id(miami.engine, "miami-round")
    with read_session(miami.engine) as s:
        return s.scalars(
            sa.select(Minutes).where(Minutes.session_id == talk, Minutes.room_id.is_(None))
        ).one()


def test_amending_minutes_refuses_a_stale_hash(miami_web: MiamiWeb) -> None:
    miami = miami_web.miami
    minutes = _joint_minutes(miami)
    talk = minutes.session_id
    path = f"/meetings/{talk}/minutes/{minutes.id}/amend"
    first = _post(
        miami_web,
        "mediator",
        path,
        {"text": "Illustrative minutes, first edit.", "hash": text_hash(minutes.text)},
    )
    assert first.status_code == 200, first.text
    # A second editor (another tab) still holds the original text: its amendment would erase
    # the first.
    stale = _post(
        miami_web,
        "mediator",
        path,
        {"text": "Illustrative minutes, second edit.", "hash": text_hash(minutes.text)},
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["detail"].startswith("hash: ")
    missing = _post(miami_web, "mediator", path, {"text": "No hash."})
    assert missing.status_code == 422, missing.text
    assert _joint_minutes(miami).text == "Illustrative minutes, first edit."
    hidden = _post(
        miami_web,
        "mediator",
        path,
        {"text": "Edit\u202e.", "hash": text_hash("Illustrative minutes, first edit.")},
    )
    assert hidden.status_code == 422 and hidden.json()["detail"].startswith("text: ")


def test_approved_minutes_change_on_no_path(miami_web: MiamiWeb) -> None:
    miami = miami_web.miami
    minutes = _joint_minutes(miami)
    for persona in ("ukraine", "europe", "russia", "mediator"):
        answer = _post(
            miami_web,
            persona,
            f"/meetings/{minutes.session_id}/minutes/{minutes.id}/approve",
            {"hash": text_hash(minutes.text)},
        )
        assert answer.status_code == 200, (persona, answer.text)
    assert _joint_minutes(miami).status == MinutesStatus.APPROVED
    patch = _patch(
        miami_web,
        "mediator",
        f"/minutes/{minutes.id}",
        {"text": "Changed.", "hash": text_hash(minutes.text)},
    )
    assert patch.status_code == 409, patch.text
    amend = _post(
        miami_web,
        "mediator",
        f"/meetings/{minutes.session_id}/minutes/{minutes.id}/amend",
        {"text": "Changed.", "hash": text_hash(minutes.text)},
    )
    assert amend.status_code == 409, amend.text
    assert _joint_minutes(miami).text == minutes.text


def test_a_change_written_around_the_service_voids_the_approvals(miami: Miami) -> None:
    """A row changed by any other path (a bundle import, a restore, a direct write) keeps its
    stored approvals, but they name the old seal: the page counts none of them."""
    sid = statement_id(miami.engine, "joint-miami")
    text = _statement(miami, sid).text
    _approve(miami, "ukraine", sid, text)
    _approve(miami, "mediator", sid, text)
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("observer"), miami.process, sid)
    assert page["all_signed"]
    with write_session(miami.engine) as s:
        s.execute(sa.update(Statement).where(Statement.id == sid).values(place="Elsewhere"))
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("observer"), miami.process, sid)
    assert not page["all_signed"]
    assert [x["approved"] for x in page["signatories"]] == [False, False]
    assert not any(x["current"] for x in page["signatures"])
