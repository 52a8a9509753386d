"""Writing positions: one named call per change, audited in the position's own space."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, Permission, get_visible, parse_space, require, widens
from parley.authz.permissions import Forbidden
from parley.authz.visibility import INTERNAL
from parley.positions.models import Position, PositionRevision, Stance
from parley.processes.models import Party
from parley.texts.models import Bracket, BracketOption, Document, Provision


class PositionError(ValueError):
    pass


def snapshot(position: Position) -> dict[str, Any]:
    return {
        "stance": str(position.stance),
        "priority": position.priority,
        "utility": position.utility,
        "fallback_text": position.fallback_text,
        "reason": position.reason,
        "space": position.space,
    }


def _revise(session: Session, position: Position, actor: Actor) -> None:
    count = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(PositionRevision)
            .where(PositionRevision.position_id == position.id)
        )
        or 0
    )
    audited_add(
        session,
        PositionRevision(
            process_id=position.process_id,
            position_id=position.id,
            revision=count + 1,
            snapshot=snapshot(position),
            changed_by_id=actor.user_id,
            space=position.space,
        ),
        actor=actor,
        action="position:revision",
    )


def _validate(values: dict[str, Any]) -> None:
    try:
        Stance(values["stance"])
    except ValueError:
        raise PositionError(
            f"stance: {values['stance']!r} is not one of {', '.join(Stance)}"
        ) from None
    if not 0 <= int(values.get("priority") or 0) <= 100:
        raise PositionError("priority: must be between 0 and 100")
    utility = values.get("utility")
    if utility is not None and not 0 <= int(utility) <= 100:
        raise PositionError("utility: must be between 0 and 100")


def record_position(
    session: Session,
    *,
    actor: Actor,
    process_id: uuid.UUID,
    provision_id: uuid.UUID,
    option_id: uuid.UUID | None,
    values: dict[str, Any],
) -> Position:
    """Create or update the actor's party's position on a provision (or one of its options)."""
    membership = actor.membership(process_id)
    if membership is None or membership.party_id is None:
        raise Forbidden("only a delegation records positions")
    _validate(values)
    provision = session.scalars(
        sa.select(Provision)
        .where(Provision.id == provision_id)
        .execution_options(**{INTERNAL: True})
    ).first()
    if provision is None or provision.process_id != process_id:
        raise PositionError("provision: unknown provision")
    get_visible(session, actor, Document, provision.document_id)  # must see the document
    if option_id is not None:
        option = session.get(BracketOption, option_id)
        bracket = session.get(Bracket, option.bracket_id) if option else None
        if bracket is None or bracket.provision_id != provision_id:
            raise PositionError("option: not an option of this provision")
        get_visible(session, actor, Bracket, bracket.id)
    default_space = "mediator" if membership.is_mediator else f"party:{membership.party_key}"
    space = values.get("space") or default_space
    parsed = parse_space(space)
    if parsed.party not in (None, membership.party_key) or (
        parsed.kind == "mediator" and not membership.is_mediator
    ):
        raise PositionError("space: a position lives in its own party's space or a wider one")
    existing = session.scalars(
        sa.select(Position)
        .where(
            Position.process_id == process_id,
            Position.party_id == membership.party_id,
            Position.provision_id == provision_id,
            Position.option_id.is_(None) if option_id is None else Position.option_id == option_id,
        )
        .execution_options(**{INTERNAL: True})
    ).first()
    fields = {
        "stance": Stance(values["stance"]),
        "priority": int(values.get("priority") or 0),
        "utility": None if values.get("utility") is None else int(values["utility"]),
        "fallback_text": values.get("fallback_text") or "",
        "reason": values.get("reason") or "",
    }
    if existing is None:
        position = Position(
            process_id=process_id,
            party_id=membership.party_id,
            provision_id=provision_id,
            option_id=option_id,
            space=space,
            **fields,
        )
        require(actor, Permission.PROCESS_RECORD_WRITE, position)
        audited_add(session, position, actor=actor, action="position:create")
    else:
        position = existing
        require(actor, Permission.PROCESS_RECORD_WRITE, position)
        if space != position.space:
            release(session, actor=actor, obj=position, new_space=space)
        audited_update(session, position, fields, actor=actor, action="position:update")
    _revise(session, position, actor)
    return position


def release(session: Session, *, actor: Actor, obj: Any, new_space: str) -> None:
    """Move a record to a wider space: its own permission and its own audit event.

    The event is written to both chains: the old space (so the owner's log shows the release)
    and the new one (so new readers see where the record came from, without its history).
    """
    require(actor, Permission.PROCESS_RECORD_RELEASE, obj)
    party_keys = set(
        session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == obj.process_id)
            .execution_options(**{INTERNAL: True})
        )
    )
    parse_space(new_space, party_keys)
    if not widens(obj.space, new_space):
        raise PositionError(f"space: {new_space!r} does not widen {obj.space!r}")
    old = obj.space
    audited_update(
        session, obj, {"space": new_space}, actor=actor, action="record:release", space=old
    )
    from parley.audit.service import record

    record(
        session,
        actor=actor,
        process_id=obj.process_id,
        space=new_space,
        action="record:release",
        object_type=obj.__tablename__,
        object_id=obj.id,
        changes={"space": ["(narrower)", new_space]},
    )
