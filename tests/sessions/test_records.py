"""parley.records: each kind declares how a create body and an edit body become columns."""

from __future__ import annotations

from parley.db.engine import write_session
from parley.records.writes import (
    WRITABLE,
    NoteIn,
    StatementIn,
    StatementUpdate,
    create_record,
    update_record,
)
from parley.texts.canonical_hash import text_hash
from sessions.conftest import Miami


def test_an_edited_statement_carries_the_hash_of_its_new_text(miami_sqlite: Miami) -> None:
    miami, actor = miami_sqlite, miami_sqlite.actor("mediator")
    kind = WRITABLE["statements"]
    with write_session(miami.engine) as s:
        made = create_record(
            s,
            actor=actor,
            process=miami.process,
            writable=kind,
            data=StatementIn(
                key="records-test", kind="press", text="First words.", space="mediator"
            ),
        )
        assert made.text_hash == text_hash("First words.")
        statement_id = made.id
    with write_session(miami.engine) as s:
        edited = update_record(
            s,
            actor=actor,
            process=miami.process,
            writable=kind,
            object_id=statement_id,
            data=StatementUpdate(text="Second words."),
        )
        assert edited.text == "Second words."
        assert edited.text_hash == text_hash("Second words.")
    with write_session(miami.engine) as s:
        placed = update_record(
            s,
            actor=actor,
            process=miami.process,
            writable=kind,
            object_id=statement_id,
            data=StatementUpdate(place="Miami"),
        )
        assert placed.text_hash == text_hash("Second words.")  # the text did not change


def test_a_note_records_who_wrote_it(miami_sqlite: Miami) -> None:
    miami, actor = miami_sqlite, miami_sqlite.actor("ukraine")
    with write_session(miami.engine) as s:
        note = create_record(
            s,
            actor=actor,
            process=miami.process,
            writable=WRITABLE["notes"],
            data=NoteIn(title="Own note", space="party:UA"),
        )
        assert note.author_id == actor.user_id
