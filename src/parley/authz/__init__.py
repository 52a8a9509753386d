"""The only place that decides access. See docs/security.md for the model in words."""

from parley.authz.actor import Actor, Membership
from parley.authz.permissions import Permission, can, require
from parley.authz.spaces import (
    MEDIATOR,
    PARTICIPANTS,
    PUBLIC,
    Space,
    SpaceError,
    parse_space,
    spaces_of,
    widens,
)
from parley.authz.visibility import NotFound, get_visible, visible

__all__ = [
    "MEDIATOR",
    "PARTICIPANTS",
    "PUBLIC",
    "Actor",
    "Membership",
    "NotFound",
    "Permission",
    "Space",
    "SpaceError",
    "can",
    "get_visible",
    "parse_space",
    "require",
    "spaces_of",
    "visible",
    "widens",
]
