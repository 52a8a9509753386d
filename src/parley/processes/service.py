"""Writes about who takes part: delegations and memberships."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.auth.models import User
from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, Who, allowed_by
from parley.authz.visibility import INTERNAL
from parley.errors import InputError
from parley.processes.models import Delegation, Membership, Party, Process, Role


class MembershipError(InputError):
    pass


def set_membership(
    session: Session,
    *,
    actor: Actor,
    process_key: str,
    username: str,
    party_key: str | None,
    role: str,
) -> Membership:
    """Put a user in a party's delegation (or make it an observer); one place per process.

    Who may (``delegation-member:add`` in :mod:`parley.authz.rules`): the head of that
    delegation, for its own delegation; the operator, only to name a delegation's first head or
    an observer, and never itself (an operator reads no delegation's space by being one)."""
    try:
        role_value = Role(role)
    except ValueError:
        raise MembershipError(f"role: {role!r} is not one of {', '.join(Role)}") from None
    process = session.scalars(sa.select(Process).where(Process.key == process_key)).first()
    if process is None:
        raise MembershipError(f"process: no process {process_key!r}")
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        raise MembershipError(f"username: no user {username!r}")
    if (role_value is Role.OBSERVER) != (party_key is None):
        raise MembershipError("party: required for head, member and viewer; none for an observer")
    delegation = None
    if party_key is not None:
        party = session.scalars(
            sa.select(Party)
            .where(Party.process_id == process.id, Party.key == party_key)
            .execution_options(**{INTERNAL: True})
        ).first()
        if party is None:
            raise MembershipError(f"party: no party {party_key!r} in {process_key!r}")
        delegation = session.scalars(
            sa.select(Delegation).where(Delegation.party_id == party.id)
        ).first()
        if delegation is None:
            _require_grant(session, actor, process, user, party_key, None, role_value)
            delegation = audited_add(
                session,
                Delegation(process_id=process.id, party_id=party.id, name=party.name),
                actor=actor,
                action="process:delegation:create",
                space="participants",
            )
    existing = session.scalars(
        sa.select(Membership).where(
            Membership.process_id == process.id, Membership.user_id == user.id
        )
    ).first()
    _require_grant(session, actor, process, user, party_key, delegation, role_value)
    values = {"delegation_id": delegation.id if delegation else None, "role": role_value}
    if existing is not None:
        audited_update(
            session,
            existing,
            values,
            actor=actor,
            action="process:membership:update",
            space="participants",
        )
        return existing
    return audited_add(
        session,
        Membership(process_id=process.id, user_id=user.id, **values),
        actor=actor,
        action="process:membership:create",
        space="participants",
    )


def _require_grant(
    session: Session,
    actor: Actor,
    process: Process,
    user: User,
    party_key: str | None,
    delegation: Delegation | None,
    role: Role,
) -> None:
    if actor.is_system:
        return
    who = allowed_by(
        actor,
        "delegation-member",
        "add",
        Subject(
            process_id=process.id,
            owners=frozenset({party_key}) if party_key else frozenset(),
        ),
    )
    if Who.OWNER_HEAD in who:
        return  # a head manages its own delegation
    if Who.OPERATOR not in who:
        raise Forbidden("only the head of this delegation (or the operator, for its first head)")
    if user.id == actor.user_id:
        raise Forbidden("an operator cannot make itself a member of a process")
    if role is Role.OBSERVER:
        return
    has_head = delegation is not None and (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Membership)
            .where(Membership.delegation_id == delegation.id, Membership.role == Role.HEAD)
        )
        or 0
    )
    if role is not Role.HEAD or has_head:
        raise Forbidden(
            "the operator names only a delegation's first head; its head adds the members"
        )
