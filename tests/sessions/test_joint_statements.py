"""Joint statements: each signatory's head approves the exact text and signs it; a change voids
earlier approvals; the published statement verifies offline from an exported bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from parley.authz import NotFound
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState
from parley.db.engine import read_session, write_session
from parley.exports.bundle import dumps, export_bundle
from parley.sessions.cli import register
from parley.sessions.models import Statement, StatementStatus
from parley.sessions.queries import joint_statement_page, statement_file
from parley.sessions.service import MeetingError
from parley.sessions.statements import (
    JointDraftIn,
    approve_statement,
    draft_joint_statement,
    publish_statement,
    revise_statement,
    seal_of,
)
from parley.texts.canonical_hash import text_hash
from parley.texts.models import Signature, SigningKey
from sessions.conftest import Miami
from sessions.helpers import statement_id

PASS = {"mediator": "us-team-passphrase", "ukraine": "ua-team-passphrase"}


def _approve(
    miami: Miami, persona: str, sid: object, text: str, passphrase: str | None = None
) -> Signature:
    """Approve as ``persona`` what it read: the seal of the statement when ``text`` is its
    current text, else a stale hash (of ``text``)."""
    with read_session(miami.engine) as s:
        statement = s.scalars(sa.select(Statement).where(Statement.id == sid)).one()
        seal = seal_of(s, statement) if statement.text == text else text_hash(text)
    with write_session(miami.engine) as s:
        return approve_statement(
            s,
            actor=miami.actor(persona),
            process=miami.process,
            statement_id=sid,
            expected_hash=seal,
            passphrase=passphrase or PASS[persona],
        )


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(typer.Typer(), name="export")
    register(app)
    return app


def _text(miami: Miami, sid: object) -> str:
    with read_session(miami.engine) as s:
        return s.scalars(sa.select(Statement.text).where(Statement.id == sid)).one()


def test_the_miami_joint_statement_is_signed_by_both_and_verifies_from_a_bundle(
    miami: Miami, tmp_path: Path
) -> None:
    sid = statement_id(miami.engine, "joint-miami")
    text = _text(miami, sid)
    _approve(miami, "ukraine", sid, text)
    _approve(miami, "mediator", sid, text)
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("observer"), miami.process, sid)
        assert page["all_signed"] and [x["approved"] for x in page["signatories"]] == [True, True]
        assert sorted(x["party"] for x in page["signatures"] if x["valid"]) == ["UA", "US"]
        assert len({k.party_id for k in s.scalars(sa.select(SigningKey))}) == 2
        bundle = export_bundle(s, "miami-2025")
        single = statement_file(page, miami.process)
    path = tmp_path / "bundle.json"
    path.write_text(dumps(bundle), encoding="utf-8")
    result = CliRunner().invoke(_cli(), ["statement", "verify", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] and report["statements"][0]["statement"] == "joint-miami"
    assert report["statements"][0]["missing"] == []

    # The single-statement file verifies on its own too; a changed word breaks it.
    one = tmp_path / "statement.json"
    one.write_text(json.dumps(single), encoding="utf-8")
    assert CliRunner().invoke(_cli(), ["statement", "verify", str(one)]).exit_code == 0
    single["statement"]["text"] = single["statement"]["text"].replace("groundwork", "basis")
    one.write_text(json.dumps(single), encoding="utf-8")
    broken = CliRunner().invoke(_cli(), ["statement", "verify", str(one)])
    assert broken.exit_code == 1
    assert json.loads(broken.output)["statements"][0]["hash_matches"] is False


def test_a_tampered_signature_in_a_bundle_fails(miami_sqlite: Miami, tmp_path: Path) -> None:
    miami = miami_sqlite
    sid = statement_id(miami.engine, "joint-miami")
    text = _text(miami, sid)
    _approve(miami, "ukraine", sid, text)
    _approve(miami, "mediator", sid, text)
    with read_session(miami.engine) as s:
        bundle = export_bundle(s, "miami-2025")
    first, second = bundle["tables"]["signatures"]
    first["signature"] = second["signature"]  # a real signature, of the other party
    path = tmp_path / "bundle.json"
    path.write_text(dumps(bundle), encoding="utf-8")
    result = CliRunner().invoke(_cli(), ["statement", "verify", str(path)])
    assert result.exit_code == 1
    assert len(json.loads(result.output)["statements"][0]["missing"]) == 1


def test_only_signatory_heads_approve_and_only_the_text_they_read(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    sid = statement_id(miami.engine, "joint-miami")
    text = _text(miami, sid)
    with pytest.raises(Forbidden):
        _approve(miami, "europe", sid, text, "eur-team-passphrase")  # not a signatory
    with pytest.raises(Forbidden):
        _approve(miami, "ukraine-viewer", sid, text, "whatever-passphrase")
    with pytest.raises(MeetingError, match="^hash: the statement changed"):
        _approve(miami, "ukraine", sid, text + " (an older draft)")
    _approve(miami, "ukraine", sid, text)
    with pytest.raises(MeetingError, match="^hash: your delegation already approved"):
        _approve(miami, "ukraine", sid, text)


def test_a_wrong_passphrase_signs_nothing(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    sid = statement_id(miami.engine, "joint-miami")
    text = _text(miami, sid)
    _approve(miami, "ukraine", sid, text)  # creates Ukraine's key with its passphrase
    other = statement_id(miami.engine, "joint-miami")
    with write_session(miami.engine) as s:
        draft = draft_joint_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            data=JointDraftIn(
                key="joint-two",
                text="Illustrative text.",
                signatories=["US", "UA"],
                space="party:UA+mediator",
            ),
        )
        other = draft.id
    with pytest.raises(MeetingError, match="^passphrase: wrong passphrase"):
        _approve(miami, "ukraine", other, "Illustrative text.", "not-the-passphrase")
    with read_session(miami.engine) as s:
        assert s.scalars(sa.select(Signature).where(Signature.object_id == other)).all() == []


def test_a_revision_voids_every_approval_and_publication_needs_all(miami: Miami) -> None:
    with write_session(miami.engine) as s:
        draft = draft_joint_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            data=JointDraftIn(
                key="joint-timeline",
                title="On the timeline (illustrative)",
                text="We agree to table a timeline in January.",
                signatories=["US", "UA"],
                space="party:UA+mediator",
                provisions=["plan20/p11"],
            ),
        )
        sid = draft.id
    first = "We agree to table a timeline in January."
    _approve(miami, "ukraine", sid, first)
    with (
        pytest.raises(MeetingError, match="^signatories: still to approve and sign: US"),
        write_session(miami.engine) as s,
    ):
        publish_statement(s, actor=miami.actor("ukraine"), process=miami.process, statement_id=sid)
    second = "We agree to table a draft timeline in January."
    with write_session(miami.engine) as s:
        revise_statement(
            s, actor=miami.actor("mediator"), process=miami.process, statement_id=sid, text=second
        )
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("ukraine"), miami.process, sid)
    assert [x["approved"] for x in page["signatories"]] == [False, False]
    assert [x["current"] for x in page["signatures"]] == [False]  # the old one stays, void
    _approve(miami, "mediator", sid, second)
    _approve(miami, "ukraine", sid, second)
    with write_session(miami.engine) as s:
        published = publish_statement(
            s, actor=miami.actor("ukraine"), process=miami.process, statement_id=sid
        )
        assert published.status == StatementStatus.PUBLISHED and published.space == "public"
    # Published: readable without signing in, with both current signatures (now public too).
    with read_session(miami.engine) as s:
        page = joint_statement_page(s, miami.actor("anonymous"), miami.process, sid)
    assert sorted(x["party"] for x in page["signatures"]) == ["UA", "US"]
    assert all(x["valid"] and x["current"] for x in page["signatures"])
    with (
        pytest.raises(
            NotInState, match="^status: cannot revise a joint statement that is published"
        ),
        write_session(miami.engine) as s,
    ):
        revise_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            statement_id=sid,
            text="Anything.",
        )


def test_a_draft_stays_in_its_space(miami_sqlite: Miami) -> None:
    miami = miami_sqlite
    with write_session(miami.engine) as s:
        sid = draft_joint_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            data=JointDraftIn(
                key="joint-draft",
                text="Draft.",
                signatories=["US", "UA"],
                space="party:UA+mediator",
            ),
        ).id
    for persona in ("russia", "europe", "observer", "anonymous"):
        with pytest.raises(NotFound), read_session(miami.engine) as s:
            joint_statement_page(s, miami.actor(persona), miami.process, sid)
    with (
        pytest.raises(MeetingError, match="^space: RU could not read"),
        write_session(miami.engine) as s,
    ):
        draft_joint_statement(
            s,
            actor=miami.actor("mediator"),
            process=miami.process,
            data=JointDraftIn(
                key="joint-bad", text="Draft.", signatories=["US", "RU"], space="party:UA+mediator"
            ),
        )


def test_statement_signatures_verify_with_the_texts_bundle_checker_too(
    miami_sqlite: Miami,
) -> None:
    """One key store and one signing format for versions and statements."""
    from parley.texts.signing import verify_bundle

    miami = miami_sqlite
    sid = statement_id(miami.engine, "joint-miami")
    text = _text(miami, sid)
    _approve(miami, "ukraine", sid, text)
    _approve(miami, "mediator", sid, text)
    with read_session(miami.engine) as s:
        check = verify_bundle(export_bundle(s, "miami-2025"))
    statement_checks = [c for c in check.checked if c["object_type"] == "statement"]
    assert len(statement_checks) == 2 and check.ok, check.problems
