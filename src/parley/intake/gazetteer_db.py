"""A gazetteer built from a process's own record: its parties, people, documents and places.

Extraction for an intake into space S may only use what every reader of S may see: a proposal
stored in S says which names the record knows ("known": true), and that must not reveal a record
from a narrower space. So the gazetteer is built from the records in the spaces
:func:`readable_by_all_of` S (S itself and every wider space), and only those the acting user can
see.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.authz import Actor, parse_space, widens
from parley.authz.visibility import INTERNAL, SCOPED, visible
from parley.intake.gazetteer import MIAMI_PROCESS, Gazetteer
from parley.processes.models import Party, Person, PersonTitle
from parley.sessions.models import Meeting
from parley.texts.models import Document

# A single word that names a people rather than a place ("Ukrainian", "French", "Europeans"):
# kept as an adjective, so that "a European diplomat said" does not make Europe the speaker.
_DEMONYM = re.compile(r"^[A-Z][a-z]+(?:ians?|eans?|icans?|ese|ish|ench|utch|zech|mans?)$")

# Venues are not confidential: the same short list the pure engine ships with.
COMMON_PLACES: tuple[str, ...] = tuple(MIAMI_PROCESS["places"])


def party_keys(session: Session, process_id: uuid.UUID) -> list[str]:
    # Internal read: the keys of a process's parties name its spaces and are known to every
    # participant; nothing else of the parties is read here.
    return list(
        session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == process_id)
            .order_by(Party.key)
            .execution_options(**{INTERNAL: True})
        )
    )


def all_spaces(keys: Iterable[str]) -> list[str]:
    spaces = ["public", "participants", "mediator"]
    for key in keys:
        spaces += [f"party:{key}", f"party:{key}+mediator"]
    return spaces


def readable_by_all_of(space: str, keys: Iterable[str]) -> list[str]:
    """Spaces every reader of ``space`` can read: ``space`` itself and every wider one.

    A record in one of these may be named by, linked from or copied into a record in ``space``
    without showing anyone something they could not already see.
    """
    parse_space(space)
    return [s for s in all_spaces(keys) if s == space or widens(space, s)]


def scoped_in(actor: Actor, model: Any, process_id: uuid.UUID, spaces: list[str]) -> Any:
    """Rows of ``model`` in the process, visible to ``actor``, in one of ``spaces``."""
    return (
        sa.select(model)
        .where(model.process_id == process_id, model.space.in_(spaces), visible(actor, model))
        .execution_options(**{SCOPED: True})
    )


def _split_aliases(aliases: Iterable[Any]) -> tuple[list[str], list[str]]:
    names: list[str] = []
    adjectives: list[str] = []
    for alias in aliases:
        if not isinstance(alias, str) or not alias.strip():
            continue
        (adjectives if _DEMONYM.match(alias.strip()) else names).append(alias.strip())
    return names, adjectives


def gazetteer_data(
    session: Session, *, actor: Actor, process_id: uuid.UUID, space: str
) -> dict[str, Any]:
    """Plain gazetteer data (see :meth:`Gazetteer.from_dict`) for an intake into ``space``."""
    spaces = readable_by_all_of(space, party_keys(session, process_id))
    parties = list(session.scalars(scoped_in(actor, Party, process_id, spaces).order_by(Party.key)))
    party_name = {p.id: p.name for p in parties}
    people = list(
        session.scalars(scoped_in(actor, Person, process_id, spaces).order_by(Person.key))
    )
    titles: dict[uuid.UUID, list[str]] = {}
    if people:
        # Titles belong to their person and are read with it (the person was scoped above).
        rows = session.execute(
            sa.select(PersonTitle.person_id, PersonTitle.title)
            .where(PersonTitle.person_id.in_([p.id for p in people]))
            .order_by(PersonTitle.person_id, PersonTitle.title)
        ).all()
        for person_id, title in rows:
            if title and title not in titles.setdefault(person_id, []):
                titles[person_id].append(title)
    documents = list(
        session.scalars(scoped_in(actor, Document, process_id, spaces).order_by(Document.key))
    )
    venues = session.scalars(
        sa.select(Meeting.place)
        .where(
            Meeting.process_id == process_id,
            Meeting.space.in_(spaces),
            visible(actor, Meeting),
        )
        .execution_options(**{SCOPED: True})
    ).all()
    places = list(COMMON_PLACES)
    for venue in venues:
        for name in (venue, venue.split(",")[0]):
            name = name.strip()
            if name and name not in places:
                places.append(name)
    out_parties = []
    for p in parties:
        names, adjectives = _split_aliases(p.aliases or [])
        out_parties.append(
            {
                "name": p.name,
                "aliases": [a for a in names if a != p.name],
                "adjectives": adjectives,
                "kind": str(p.kind),
            }
        )
    out_people = [
        {
            "name": p.name,
            "aliases": [a for a in (p.aliases or []) if isinstance(a, str) and a != p.name],
            "titles": titles.get(p.id, []),
            "party": party_name.get(p.party_id) if p.party_id else None,
        }
        for p in people
    ]
    out_documents = [{"name": d.title, "aliases": [], "kind": str(d.kind)} for d in documents]
    return {
        "parties": out_parties,
        "people": out_people,
        "documents": out_documents,
        "places": places,
    }


def process_gazetteer(
    session: Session, *, actor: Actor, process_id: uuid.UUID, space: str
) -> Gazetteer:
    """The gazetteer an intake into ``space`` of the process uses."""
    return Gazetteer.from_dict(
        gazetteer_data(session, actor=actor, process_id=process_id, space=space)
    )
