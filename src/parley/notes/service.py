"""Writing notes: the one place that creates and changes them (forms, API, loader alike).

A note is written by any head or member of a delegation, in a space it may write; it is
changed by the delegation whose own space holds it (``party:P``, ``party:P+mediator``, or the
mediator's for ``mediator``), or, in a shared space, by its author.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor
from parley.authz.rules import Subject, require_action
from parley.authz.scope import (
    actor_party,
    get_visible_in,
    require_writable_space,
    space_owner,
)
from parley.errors import InputError
from parley.notes.models import Note
from parley.notes.schemas import NoteIn, NoteUpdate
from parley.processes.models import Process


class NoteError(InputError):
    """Bad input for a note; the message names the field."""


def note_owners(session: Session, actor: Actor, note: Note) -> frozenset[str]:
    own = space_owner(session, note.process_id, note.space)
    if own is not None:
        return frozenset({own})
    author_party = actor_party(actor, note.process_id) if actor.user_id == note.author_id else None
    return frozenset({author_party}) if author_party else frozenset()


def create_note(session: Session, *, actor: Actor, process: Process, data: NoteIn) -> Note:
    require_action(actor, "note", "create", Subject(process.id))
    space = require_writable_space(session, actor, process.id, data.space)
    note = Note(
        process_id=process.id,
        title=data.title,
        text=data.text,
        author_id=actor.user_id,
        space=space,
    )
    return audited_add(session, note, actor=actor, action="note:create")


def update_note(
    session: Session, *, actor: Actor, process: Process, note_id: Any, data: NoteUpdate
) -> Note:
    note = get_visible_in(session, actor, Note, process.id, note_id)
    require_action(
        actor, "note", "update", Subject(process.id, owners=note_owners(session, actor, note))
    )
    values = data.model_dump(exclude_unset=True)
    if "title" in values and not values["title"]:
        raise NoteError("must not be empty", field="title")
    if "text" in values and values["text"] is None:
        values["text"] = ""
    audited_update(session, note, values, actor=actor, action="note:update")
    return note


__all__ = ["NoteError", "create_note", "update_note"]
