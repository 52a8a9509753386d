"""The one writer of statements and notes: hashes follow the text, ownership follows the rules
table (parley.authz.rules), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from parley.authz import NotFound
from parley.authz.permissions import Forbidden
from parley.authz.rules import NotInState
from parley.db.engine import write_session
from parley.notes.schemas import NoteIn, NoteUpdate
from parley.notes.service import create_note, update_note
from parley.sessions.schemas import StatementIn, StatementUpdate
from parley.sessions.statements import record_statement, update_statement
from parley.textguard import HiddenCharacter
from parley.texts.canonical_hash import text_hash
from sessions.conftest import Miami


def _record(miami: Miami, persona: str, **fields: object) -> object:
    body = {"key": "press-test", "kind": "press", "text": "First words.", "space": "participants"}
    with write_session(miami.engine) as s:
        return record_statement(
            s,
            actor=miami.actor(persona),
            process=miami.process,
            data=StatementIn.model_validate({**body, **fields}),
        ).id


def _update(miami: Miami, persona: str, sid: object, **fields: object) -> object:
    with write_session(miami.engine) as s:
        return update_statement(
            s,
            actor=miami.actor(persona),
            process=miami.process,
            statement_id=sid,
            data=StatementUpdate.model_validate(fields),
        )


def test_an_edited_statement_carries_the_hash_of_its_new_text(miami: Miami) -> None:
    sid = _record(miami, "ukraine")
    edited = _update(miami, "ukraine", sid, text="Second words.")
    assert edited.text == "Second words." and edited.text_hash == text_hash("Second words.")
    placed = _update(miami, "ukraine", sid, place="Miami")
    assert placed.text_hash == text_hash("Second words.")  # the text did not change


def test_a_statement_is_recorded_and_changed_by_its_speakers_party(miami: Miami) -> None:
    with pytest.raises(Forbidden):
        _record(miami, "russia", parties=["UA"])  # in another party's name
    with pytest.raises(Forbidden):
        _record(miami, "ukraine-viewer")
    sid = _record(miami, "ukraine")
    with pytest.raises(Forbidden):
        _update(miami, "russia", sid, title="Russia's title")
    assert _update(miami, "mediator", sid, title="Edited by the mediator").title
    with pytest.raises(HiddenCharacter, match="^text: bidirectional control U\\+202E"):
        _update(miami, "ukraine", sid, text="Words\u202e reversed.")


def test_a_published_statement_does_not_change(miami: Miami) -> None:
    from sessions.helpers import statement_id

    sid = statement_id(miami.engine, "us-constructive")
    with pytest.raises(NotInState, match="published"):
        _update(miami, "mediator", sid, text="Rewritten.")


def test_notes_belong_to_the_delegation_whose_space_holds_them(miami: Miami) -> None:
    def create(persona: str, space: str) -> object:
        with write_session(miami.engine) as s:
            note = create_note(
                s,
                actor=miami.actor(persona),
                process=miami.process,
                data=NoteIn(title="Own note", space=space),
            )
            assert note.author_id == miami.actor(persona).user_id
            return note.id

    def update(persona: str, note_id: object) -> None:
        with write_session(miami.engine) as s:
            update_note(
                s,
                actor=miami.actor(persona),
                process=miami.process,
                note_id=note_id,
                data=NoteUpdate(text="Changed."),
            )

    own = create("ukraine", "party:UA")
    update("ukraine", own)
    with pytest.raises(NotFound):
        update("russia", own)  # hidden: as if it did not exist
    shared = create("ukraine", "participants")
    update("ukraine", shared)
    with pytest.raises(Forbidden):
        update("russia", shared)
    with pytest.raises(Forbidden):
        update("ukraine-viewer", own)
