"""Confidentiality spaces and which of them an actor can see.

A space is a string:

* ``public`` — anyone who may read the process (everyone, once the process is published);
* ``participants`` — every delegation and the mediator;
* ``mediator`` — the mediator's team only;
* ``party:P`` — delegation P only (P is the party's key in the process);
* ``party:P+mediator`` — delegation P and the mediator's team.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from parley.errors import InputError

if TYPE_CHECKING:
    from parley.authz.actor import Actor

PUBLIC = "public"
PARTICIPANTS = "participants"
MEDIATOR = "mediator"


class SpaceError(InputError):
    pass


@dataclass(frozen=True)
class Space:
    kind: str  # public | participants | mediator | party | party+mediator
    party: str | None = None

    def __str__(self) -> str:
        if self.kind == "party":
            return f"party:{self.party}"
        if self.kind == "party+mediator":
            return f"party:{self.party}+mediator"
        return self.kind

    @property
    def breadth(self) -> int:
        """How widely a space is seen; a release must increase it (or change nothing)."""
        return {"party": 0, "mediator": 0, "party+mediator": 1, "participants": 2, "public": 3}[
            self.kind
        ]


def parse_space(text: str, party_keys: set[str] | None = None) -> Space:
    """Parse a space string; with ``party_keys`` also check that the party exists."""
    text = text.strip()
    if text in (PUBLIC, PARTICIPANTS, MEDIATOR):
        return Space(text)
    if text.startswith("party:"):
        rest = text[len("party:") :]
        kind = "party"
        if rest.endswith("+mediator"):
            rest, kind = rest[: -len("+mediator")], "party+mediator"
        if not rest:
            raise SpaceError(f"space {text!r} names no party")
        if party_keys is not None and rest not in party_keys:
            raise SpaceError(f"space {text!r} names unknown party {rest!r}")
        return Space(kind, rest)
    raise SpaceError(
        f"unknown space {text!r}; expected public, participants, mediator, party:P or "
        "party:P+mediator"
    )


def widens(old: str, new: str) -> bool:
    """True when moving an object from ``old`` to ``new`` shows it to a superset of readers."""
    a, b = parse_space(old), parse_space(new)
    if a == b:
        return False
    if a.kind == "party":
        return b.kind in ("party+mediator", "participants", "public") and (
            b.party in (None, a.party)
        )
    if a.kind == "mediator":
        return b.kind in ("party+mediator", "participants", "public")
    if a.kind == "party+mediator":
        return b.kind in ("participants", "public")
    if a.kind == "participants":
        return b.kind == "public"
    return False


def spaces_of(actor: Actor, process_id: object, party_keys: list[str] | None = None) -> set[str]:
    """The spaces ``actor`` can read in a process (not counting published public records)."""
    membership = actor.membership(process_id)
    if membership is None:
        return set()
    if membership.party_key is None:  # an observer of the process
        return {PUBLIC}
    spaces = {PUBLIC, PARTICIPANTS}
    if membership.is_mediator:
        spaces.add(MEDIATOR)
        spaces.update(f"party:{key}+mediator" for key in party_keys or [])
    else:
        spaces.add(f"party:{membership.party_key}")
        spaces.add(f"party:{membership.party_key}+mediator")
    return spaces
