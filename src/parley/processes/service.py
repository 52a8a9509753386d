"""Writes about who takes part: delegations and memberships."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.auth.models import User
from parley.authz import Actor, Permission, require
from parley.authz.visibility import INTERNAL
from parley.processes.models import Delegation, Membership, Party, Process, Role


class MembershipError(ValueError):
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
    """Put a user in a party's delegation (or make it an observer); one place per process."""
    require(actor, Permission.ADMIN_USERS_MANAGE)
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
