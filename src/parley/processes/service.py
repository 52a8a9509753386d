"""Writes about who takes part: delegations and memberships."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_delete, audited_update
from parley.auth.models import User
from parley.authz import Actor
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, Who, allowed_by, require_action
from parley.authz.visibility import INTERNAL
from parley.errors import InputError
from parley.processes.models import Delegation, Membership, Party, Process, Role


class MembershipError(InputError):
    pass


# The roles a delegation's head hands out (observers belong to no delegation).
DELEGATION_ROLES = (Role.HEAD, Role.MEMBER, Role.VIEWER)


def set_membership(
    session: Session,
    *,
    actor: Actor,
    process_key: str,
    username: str,
    party_key: str | None,
    role: str,
    person_id: uuid.UUID | None = None,
) -> Membership:
    """Put a user in a party's delegation (or make it an observer), or change its role there;
    one place per process.

    Who may (``delegation-member:add`` in :mod:`parley.authz.rules`, with step-up): the head of
    that delegation, for its own delegation; the operator, only to name a delegation's first
    head or an observer, and never itself (an operator reads no delegation's space by being
    one). Someone who already belongs to another delegation is not moved by this: that
    delegation's head removes them first. A delegation keeps at least one head."""
    try:
        role_value = Role(role)
    except ValueError:
        raise MembershipError(f"role: {role!r} is not one of {', '.join(Role)}") from None
    process = _process(session, process_key)
    if (role_value is Role.OBSERVER) != (party_key is None):
        raise MembershipError("party: required for head, member and viewer; none for an observer")
    # Who may is decided before anything about the account is looked up, so that the answer
    # tells someone who may not nothing about which accounts exist.
    _require_grant(session, actor, process, None, party_key, None, role_value)
    user = _user(session, username)
    delegation = None
    if party_key is not None:
        party = _party(session, process, party_key)
        delegation = _delegation(session, party)
        if delegation is None:
            _require_grant(session, actor, process, user, party_key, None, role_value)
            delegation = audited_add(
                session,
                Delegation(process_id=process.id, party_id=party.id, name=party.name),
                actor=actor,
                action="process:delegation:create",
                space="participants",
            )
    existing = _membership(session, process, user)
    _require_grant(session, actor, process, user, party_key, delegation, role_value)
    new_delegation_id = delegation.id if delegation else None
    if existing is not None and not actor.is_system:
        if existing.delegation_id is not None and existing.delegation_id != new_delegation_id:
            raise MembershipError(
                f"username: {username} already takes part in this process; "
                "the head of their delegation removes them first"
            )
        if existing.role is Role.HEAD and role_value is not Role.HEAD:
            _keep_a_head(session, existing)
    values: dict[str, object] = {"delegation_id": new_delegation_id, "role": role_value}
    if person_id is not None:  # the person the account stands for (the scenario names it)
        values["person_id"] = person_id
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


def remove_membership(
    session: Session, *, actor: Actor, process_key: str, username: str, party_key: str
) -> None:
    """Take a user out of a party's delegation (``delegation-member:remove``: its head).

    A user who is not in that delegation — unknown, in another delegation, or in no place in
    the process — gets one and the same answer. A delegation keeps at least one head."""
    process = _process(session, process_key)
    party = _party(session, process, party_key)
    require_action(
        actor,
        "delegation-member",
        "remove",
        Subject(process_id=process.id, owners=frozenset({party_key})),
    )
    delegation = _delegation(session, party)
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    existing = None if user is None else _membership(session, process, user)
    if delegation is None or existing is None or existing.delegation_id != delegation.id:
        raise MembershipError(f"username: {username} is not in this delegation")
    if existing.role is Role.HEAD and not actor.is_system:
        _keep_a_head(session, existing)
    audited_delete(
        session, existing, actor=actor, action="process:membership:delete", space="participants"
    )


@dataclass(frozen=True)
class Member:
    username: str
    display_name: str
    role: str


def delegation_members(session: Session, process_id: object, party_key: str) -> list[Member]:
    """The members of a party's delegation, heads first, then by name. The caller has
    decided that the reader may see them (:func:`parley.authz.scope.headed_party`)."""
    order = sa.case({Role.HEAD: 0, Role.MEMBER: 1, Role.VIEWER: 2}, value=Membership.role)
    rows = session.execute(
        sa.select(User.username, User.display_name, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .join(Delegation, Delegation.id == Membership.delegation_id)
        .join(Party, Party.id == Delegation.party_id)
        .where(Membership.process_id == process_id, Party.key == party_key)
        .order_by(order, User.display_name, User.username)
        .execution_options(**{INTERNAL: True})
    ).all()
    return [Member(u, d or u, str(r)) for u, d, r in rows]


def candidates(session: Session, process_id: object) -> list[Member]:
    """Active accounts that take no part in the process, to pick a new member from. Operator
    accounts administer the server and are not offered."""
    taken = sa.select(Membership.user_id).where(Membership.process_id == process_id)
    rows = session.execute(
        sa.select(User.username, User.display_name)
        .where(User.is_active, ~User.is_operator, User.id.not_in(taken))
        .order_by(User.display_name, User.username)
    ).all()
    return [Member(u, d or u, "") for u, d in rows]


def _process(session: Session, process_key: str) -> Process:
    process = session.scalars(sa.select(Process).where(Process.key == process_key)).first()
    if process is None:
        raise MembershipError(f"process: no process {process_key!r}")
    return process


def _party(session: Session, process: Process, party_key: str) -> Party:
    party = session.scalars(
        sa.select(Party)
        .where(Party.process_id == process.id, Party.key == party_key)
        .execution_options(**{INTERNAL: True})
    ).first()
    if party is None:
        raise MembershipError(f"party: no party {party_key!r} in {process.key!r}")
    return party


def _user(session: Session, username: str) -> User:
    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        raise MembershipError(f"username: no user {username!r}")
    return user


def _delegation(session: Session, party: Party) -> Delegation | None:
    return session.scalars(sa.select(Delegation).where(Delegation.party_id == party.id)).first()


def _membership(session: Session, process: Process, user: User) -> Membership | None:
    return session.scalars(
        sa.select(Membership).where(
            Membership.process_id == process.id, Membership.user_id == user.id
        )
    ).first()


def _keep_a_head(session: Session, leaving: Membership) -> None:
    others = session.scalar(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(
            Membership.delegation_id == leaving.delegation_id,
            Membership.role == Role.HEAD,
            Membership.id != leaving.id,
        )
    )
    if not others:
        raise MembershipError("role: a delegation keeps at least one head; name another first")


def _require_grant(
    session: Session,
    actor: Actor,
    process: Process,
    user: User | None,
    party_key: str | None,
    delegation: Delegation | None,
    role: Role,
) -> None:
    """``delegation-member:add``; with no ``user`` yet, only whether the actor may at all."""
    subject = Subject(
        process_id=process.id, owners=frozenset({party_key}) if party_key else frozenset()
    )
    require_action(actor, "delegation-member", "add", subject)  # role, then step-up
    if actor.is_system or Who.OWNER_HEAD in allowed_by(actor, "delegation-member", "add", subject):
        return  # a head manages its own delegation
    if user is None:
        return
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
