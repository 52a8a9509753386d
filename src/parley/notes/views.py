"""Notes: create and edit, as JSON (/api/v1/processes/{key}/notes) and as forms (/p/{key}/notes),
through :mod:`parley.notes.service`. Lists and detail pages are the generic read pages."""

from __future__ import annotations

from typing import Any

from parley.authz.rules import Subject
from parley.notes.models import Note
from parley.notes.schemas import NoteIn, NoteUpdate
from parley.notes.service import create_note, update_note
from parley.sessions.doors import Door, register
from parley.web.routing import ParleyRouter

router = ParleyRouter()


def _edit_rule(db: Any, note: Note) -> tuple[str, str, Subject]:
    from parley.authz.scope import space_owner

    owner = space_owner(db, note.process_id, note.space)
    # In a shared space the author edits; the form is offered to the author's delegation and
    # the service decides (see parley.notes.service.note_owners).
    return (
        "note",
        "update" if owner else "create",
        Subject(note.process_id, owners=frozenset({owner} if owner else ())),
    )


register(
    router,
    Door(
        "notes",
        "Notes",
        Note,
        NoteIn,
        lambda s, actor, process, data: create_note(s, actor=actor, process=process, data=data),
        NoteUpdate,
        lambda s, actor, process, object_id, data: update_note(
            s, actor=actor, process=process, note_id=object_id, data=data
        ),
        _edit_rule,
        noun="note",
    ),
    tag="notes",
)
