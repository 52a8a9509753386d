"""Who is acting: a signed-in user with memberships, anonymous, or the operator's CLI."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Membership:
    process_id: uuid.UUID
    role: str  # head | member | viewer | observer
    party_id: uuid.UUID | None = None
    party_key: str | None = None
    is_mediator: bool = False
    party_kind: str | None = None  # party | mediator | guarantor | observer

    @property
    def can_write(self) -> bool:
        return self.role in ("head", "member")


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    name: str
    is_operator: bool = False
    # The command line run by the operator on the server itself: it loads scenarios, imports
    # bundles and verifies, and so must see every space. No web or API request is ever system.
    is_system: bool = False
    memberships: Mapping[uuid.UUID, Membership] = field(default_factory=dict)
    # Proved who it is a moment ago (password again, and code): set by the door (the web's
    # step-up check), asked for by the rules of consequential actions (authz.rules).
    stepped_up: bool = False

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None, name="anonymous")

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(user_id=None, name=name, is_system=True)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.is_system

    def membership(self, process_id: object) -> Membership | None:
        if not isinstance(process_id, uuid.UUID):
            return None
        return self.memberships.get(process_id)
