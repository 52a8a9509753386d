"""Permissions as declared actions, and the one function that grants them."""

from __future__ import annotations

import enum
from typing import Any

from parley.authz.actor import Actor
from parley.authz.spaces import parse_space


class Permission(enum.StrEnum):
    """Every action Parley checks, named ``scope:resource:action``, alphabetized."""

    ADMIN_USERS_MANAGE = "admin:users:manage"
    PROCESS_AUDIT_READ = "process:audit:read"
    PROCESS_RECORD_READ = "process:record:read"
    PROCESS_RECORD_RELEASE = "process:record:release"
    PROCESS_RECORD_WRITE = "process:record:write"
    PROCESS_STATEMENT_APPROVE = "process:statement:approve"
    PROCESS_VERSION_SIGN = "process:version:sign"


class Forbidden(PermissionError):
    """The actor can see the object but may not do this to it (answers 403)."""


class StepUpRequired(Exception):
    """The action needs a fresh re-authentication (password, and code if enrolled)."""


def _can_write_space(actor: Actor, process_id: Any, space: str) -> bool:
    membership = actor.membership(process_id)
    if membership is None or not membership.can_write or membership.party_key is None:
        return False
    parsed = parse_space(space)
    if membership.is_mediator:
        return parsed.kind in ("public", "participants", "mediator", "party+mediator")
    if parsed.kind in ("party", "party+mediator"):
        return parsed.party == membership.party_key
    return parsed.kind == "participants"


def can(actor: Actor, permission: Permission, obj: Any = None) -> bool:
    """Whether ``actor`` may perform ``permission`` on ``obj`` (an object it can already see).

    Reading is decided in SQL by :func:`parley.authz.visible`; this decides actions. The
    object must carry ``process_id`` and ``space`` unless the permission is global.
    """
    if actor.is_system:
        return True
    if permission is Permission.ADMIN_USERS_MANAGE:
        return actor.is_operator
    if obj is None:
        return False
    process_id = getattr(obj, "process_id", None)
    space = getattr(obj, "space", None)
    membership = actor.membership(process_id)
    if permission is Permission.PROCESS_AUDIT_READ:
        return membership is not None
    if permission is Permission.PROCESS_RECORD_READ:
        return True  # the object was fetched through visible()
    if space is None:
        return False
    if permission is Permission.PROCESS_RECORD_WRITE:
        return _can_write_space(actor, process_id, space)
    if permission is Permission.PROCESS_RECORD_RELEASE:
        # Releasing is for those who own the narrower space: the party for its own rooms,
        # the mediator for its notes and for what parties shared with it.
        return (
            _can_write_space(actor, process_id, space)
            and membership is not None
            and (membership.role == "head" or membership.is_mediator)
        )
    if permission in (Permission.PROCESS_STATEMENT_APPROVE, Permission.PROCESS_VERSION_SIGN):
        return membership is not None and membership.role == "head"
    return False


def require(actor: Actor, permission: Permission, obj: Any = None) -> None:
    if not can(actor, permission, obj):
        raise Forbidden(f"not allowed: {permission.value}")
