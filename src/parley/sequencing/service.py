"""Writing the plan: steps, milestones, temporal constraints and status claims, one audited
call per change, from every door (forms, JSON API, scenario loader).

Who may write is decided by the rules table (:mod:`parley.authz.rules`): the shared plan (a
step, milestone or constraint in participants, public or the mediator's space) is the
mediator's; a delegation keeps its own plan in its own space (``party:X``, ``party:X+mediator``).
A status claim is its author's delegation's own; the neutral assessment is a monitor's (a
guarantor's or observer's delegation) or the mediator's. Claims cite their evidence.

Each call runs inside the caller's ``write_session`` and answers with what the change did to
the plan the actor can see. That answer comes from :class:`IncrementalSTN`: the actor's plan is
loaded, then only the edited constraint is added, re-bounded or removed, so the reply names the
events whose windows moved, or, when the edit contradicts the plan, the exact constraints of the
contradiction in the user's own words. A contradicting constraint is still saved (a delegation
may want to record a demand that cannot be met as it stands); the plan page then shows the
conflict until someone loosens or removes one of the constraints it names.

A constraint may not be seen more widely than the events it refers to: a constraint shared
with all participants cannot point at a delegation's private step, or its ``from``/``to`` would
disclose that step to everyone.
"""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.audit.service import record
from parley.authz import Actor, widens
from parley.authz.owners import party_owners, space_owner
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, allowed_by, require_action
from parley.authz.scope import (
    actor_party,
    actor_party_id,
    can_write_in,
    get_visible_in,
    require_writable_space,
    visible_reference,
)
from parley.authz.visibility import INTERNAL, provision_visible
from parley.errors import InputError
from parley.intake.evidence import cite
from parley.processes.models import Process
from parley.sequencing.check import CheckResult
from parley.sequencing.incremental import EditResult
from parley.sequencing.models import Milestone, StatusClaim, Step, TemporalConstraint
from parley.sequencing.plan import ConstraintSpec
from parley.sequencing.queries import PLAN_START, ProcessPlan, process_plan
from parley.sequencing.schemas import (
    KEY_PATTERN,
    ConstraintIn,
    ConstraintUpdate,
    MilestoneIn,
    MilestoneUpdate,
    StatusClaimIn,
    StatusClaimUpdate,
    StepIn,
    StepUpdate,
)

__all__ = [
    "KEY_PATTERN",
    "ConstraintIn",
    "ConstraintUpdate",
    "MilestoneIn",
    "MilestoneUpdate",
    "PlanEdit",
    "SequencingError",
    "StatusClaimIn",
    "StatusClaimUpdate",
    "StepIn",
    "StepUpdate",
    "add_constraint",
    "add_milestone",
    "add_step",
    "get_claim",
    "get_constraint",
    "get_milestone",
    "get_step",
    "may",
    "may_change_claim",
    "record_claim",
    "remove_constraint",
    "update_claim",
    "update_constraint",
    "update_milestone",
    "update_step",
]


class SequencingError(InputError):
    """Bad input for a plan record: the message starts with the field's name."""


@dataclass(frozen=True)
class PlanEdit:
    """A saved change and its effect on the plan the actor sees."""

    record: Any  # the TemporalConstraint or Milestone
    edit: EditResult | None  # None when the change was not a single constraint edit
    result: CheckResult  # the actor's plan after the change

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": str(self.record.id),
            "key": self.record.key,
            "space": self.record.space,
            "consistent": self.result.consistent,
        }
        if self.result.conflict is not None:
            conflict = self.result.conflict.to_json()
            out.update(
                conflict=conflict["conflict"],
                excess_days=conflict["excess_days"],
                explanation=conflict["explanation"],
                conflict_detail=conflict["conflict_detail"],
            )
        if self.edit is not None and self.edit.consistent:
            out["changed"] = {
                name: {
                    "earliest_before": c.earliest_before,
                    "earliest_after": c.earliest_after,
                    "latest_before": c.latest_before,
                    "latest_after": c.latest_after,
                }
                for name, c in sorted(self.edit.changes.items())
            }
        return out


# --------------------------------------------------------------------------- helpers


def _plan_subject(process: Process, space: str) -> Subject:
    """The shared plan is the mediator's; a delegation's own space is its own plan."""
    return Subject(process.id, owners=space_owner(space))


def may(actor: Actor, kind: str, action: str, process: Process, space: str) -> bool:
    """Whether the actor's role lets it take the action on a plan record in ``space`` (for
    pages: which edit links to offer)."""
    return actor.is_system or bool(allowed_by(actor, kind, action, _plan_subject(process, space)))


def _may(actor: Actor, kind: str, action: str, process: Process, space: str) -> None:
    require_action(actor, kind, action, _plan_subject(process, space))


def _new_in(session: Session, actor: Actor, process: Process, kind: str, space: str) -> str:
    """The space of a new plan record, once the actor may write there and create it."""
    if not can_write_in(actor, process.id):
        raise Forbidden("read only")
    space = require_writable_space(session, actor, process.id, space)
    _may(actor, kind, "create", process, space)
    return space


def _key_taken(session: Session, model: Any, process: Process, key: str) -> bool:
    # Keys are unique per process across spaces. The answer must not reveal a hidden record,
    # so a clash with anything, visible or not, gets the same neutral message.
    found = session.scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .where(model.process_id == process.id, model.key == key)
        .execution_options(**{INTERNAL: True})
    )
    return (found or 0) > 0


def _ref_problem(ref: str, pp: ProcessPlan) -> str | None:
    names = [n for n in pp.events() if n != PLAN_START]
    if ref in names:
        return None
    if any(s.key == ref for s in pp.steps):
        return f"'{ref}' is a step; choose '{ref}.start' or '{ref}.end'"
    close = difflib.get_close_matches(ref, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown event '{ref}'{hint}"


def _ref_space(ref: str, pp: ProcessPlan) -> tuple[str, str]:
    """The record a time point belongs to: (its label, its space)."""
    for m in pp.milestones:
        if m.key == ref:
            return m.key, m.space
    step_key = ref.rpartition(".")[0]
    for s in pp.steps:
        if s.key == step_key:
            return s.key, s.space
    raise SequencingError(f"from: unknown event '{ref}'")  # validated before; defensive


def _validate(values: dict[str, Any], space: str, pp: ProcessPlan) -> None:
    for field, ref in (("from", values["from_ref"]), ("to", values["to_ref"])):
        problem = _ref_problem(ref, pp)
        if problem:
            raise SequencingError(f"{field}: {problem}")
    if values["from_ref"] == values["to_ref"]:
        raise SequencingError("to: the same event as from; a constraint links two events")
    low, high = values.get("min_days"), values.get("max_days")
    if low is None and high is None:
        raise SequencingError("min: give a minimum, a maximum or both (in days)")
    if low is not None and high is not None and low > high:
        raise SequencingError(f"min: {low} is greater than max {high}")
    for field, ref in (("from", values["from_ref"]), ("to", values["to_ref"])):
        owner, owner_space = _ref_space(ref, pp)
        if space != owner_space and not widens(space, owner_space):
            raise SequencingError(
                f"space: '{owner}' ({field}) is in {owner_space}; a constraint on it must stay "
                f"in that space or a narrower one, not {space}"
            )


def _spec(c: TemporalConstraint) -> ConstraintSpec:
    return ConstraintSpec(
        c.key, c.from_ref, c.to_ref, c.min_days, c.max_days, c.explanation or None
    )


# --------------------------------------------------------------------------- constraints


def add_constraint(
    session: Session, *, actor: Actor, process: Process, data: ConstraintIn
) -> PlanEdit:
    """Save a new constraint and revalidate the actor's plan incrementally."""
    space = _new_in(session, actor, process, "constraint", data.space)
    values = {**data.model_dump(), "space": space}
    obj = TemporalConstraint(process_id=process.id, **values)
    if _key_taken(session, TemporalConstraint, process, data.key):
        raise SequencingError("key: not available; choose another key")
    pp = process_plan(session, actor, process)
    _validate(values, space, pp)
    audited_add(session, obj, actor=actor, action="sequencing:constraint:create")
    stn = pp.stn()
    edit = stn.add_constraint(_spec(obj))
    return PlanEdit(obj, edit, stn.result())


def get_constraint(
    session: Session, actor: Actor, process: Process, constraint_id: Any
) -> TemporalConstraint:
    return get_visible_in(session, actor, TemporalConstraint, process.id, constraint_id)


def update_constraint(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    constraint_id: Any,
    data: ConstraintUpdate,
) -> PlanEdit:
    """Change a constraint's events, bounds or words; revalidate only what that touches."""
    obj = get_constraint(session, actor, process, constraint_id)
    _may(actor, "constraint", "update", process, obj.space)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("from_ref") is None:
        changes.pop("from_ref", None)
    if changes.get("to_ref") is None:
        changes.pop("to_ref", None)
    if "explanation" in changes and changes["explanation"] is None:
        changes["explanation"] = ""
    values = {
        "from_ref": obj.from_ref,
        "to_ref": obj.to_ref,
        "min_days": obj.min_days,
        "max_days": obj.max_days,
        "explanation": obj.explanation,
        **changes,
    }
    pp = process_plan(session, actor, process)
    _validate(values, obj.space, pp)
    in_plan = any(c.key == obj.key for c in pp.constraints)
    same_events = values["from_ref"] == obj.from_ref and values["to_ref"] == obj.to_ref
    audited_update(session, obj, changes, actor=actor, action="sequencing:constraint:update")
    stn = pp.stn()
    if in_plan and same_events:
        edit = stn.set_bounds(obj.key, obj.min_days, obj.max_days)
    else:
        if in_plan:
            stn.remove_constraint(obj.key)
        edit = stn.add_constraint(_spec(obj))
    return PlanEdit(obj, edit, stn.result())


def remove_constraint(
    session: Session, *, actor: Actor, process: Process, constraint_id: Any
) -> PlanEdit:
    """Delete a constraint (audited with its last values) and revalidate."""
    obj = get_constraint(session, actor, process, constraint_id)
    _may(actor, "constraint", "remove", process, obj.space)
    pp = process_plan(session, actor, process)
    in_plan = any(c.key == obj.key for c in pp.constraints)
    snapshot = {
        name: [getattr(obj, name), None]
        for name in ("key", "from_ref", "to_ref", "min_days", "max_days", "explanation")
    }
    space, object_id = obj.space, obj.id
    session.delete(obj)
    session.flush()
    # After the deletion: the event records the tombstone as the constraint's last state.
    record(
        session,
        actor=actor,
        process_id=process.id,
        space=space,
        action="sequencing:constraint:delete",
        object_type=obj.__tablename__,
        object_id=object_id,
        changes=snapshot,
    )
    stn = pp.stn()
    edit = stn.remove_constraint(obj.key) if in_plan else None
    return PlanEdit(obj, edit, stn.result())


# --------------------------------------------------------------------------- milestones


def add_milestone(session: Session, *, actor: Actor, process: Process, data: MilestoneIn) -> Any:
    """A new event the plan can refer to; a date pins it to the calendar."""
    space = _new_in(session, actor, process, "milestone", data.space)
    obj = Milestone(process_id=process.id, **{**data.model_dump(), "space": space})
    if _key_taken(session, Milestone, process, data.key):
        raise SequencingError("key: not available; choose another key")
    pp = process_plan(session, actor, process)
    if data.key in pp.events():
        raise SequencingError(f"key: '{data.key}' is already an event of the plan")
    return audited_add(session, obj, actor=actor, action="sequencing:milestone:create")


def get_milestone(session: Session, actor: Actor, process: Process, milestone_id: Any) -> Any:
    return get_visible_in(session, actor, Milestone, process.id, milestone_id)


def update_milestone(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    milestone_id: Any,
    data: MilestoneUpdate,
) -> Any:
    obj = get_milestone(session, actor, process, milestone_id)
    _may(actor, "milestone", "update", process, obj.space)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        changes.pop("title")
    audited_update(session, obj, changes, actor=actor, action="sequencing:milestone:update")
    return obj


# --------------------------------------------------------------------------- steps


def _check_days(low: int | None, high: int | None) -> None:
    if low is not None and high is not None and low > high:
        raise SequencingError(f"min_days: {low} is greater than max_days {high}")


def add_step(session: Session, *, actor: Actor, process: Process, data: StepIn) -> Step:
    """A new implementation step; its duration bounds join the plan."""
    space = _new_in(session, actor, process, "step", data.space)
    _check_days(data.min_days, data.max_days)
    if _key_taken(session, Step, process, data.key):
        raise SequencingError("key: not available; choose another key")
    if data.key in process_plan(session, actor, process).events():
        raise SequencingError(f"key: '{data.key}' is already an event of the plan")
    obj = Step(process_id=process.id, **{**data.model_dump(), "space": space})
    audited_add(session, obj, actor=actor, action="sequencing:step:create")
    return obj


def get_step(session: Session, actor: Actor, process: Process, step_id: Any) -> Step:
    return get_visible_in(session, actor, Step, process.id, step_id)


def update_step(
    session: Session, *, actor: Actor, process: Process, step_id: Any, data: StepUpdate
) -> Step:
    """Change a step's title, kind, duration bounds or description (audited old → new)."""
    obj = get_step(session, actor, process, step_id)
    _may(actor, "step", "update", process, obj.space)
    changes = data.model_dump(exclude_unset=True)
    for name in ("title", "kind", "description"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    _check_days(changes.get("min_days", obj.min_days), changes.get("max_days", obj.max_days))
    audited_update(session, obj, changes, actor=actor, action="sequencing:step:update")
    return obj


# --------------------------------------------------------------------------- status claims


def _claim_subject(session: Session, process: Process, claim: Any) -> tuple[str, Subject]:
    if claim.is_neutral:
        return "assess", Subject(process.id)
    return "claim", Subject(process.id, owners=party_owners(session, process.id, claim.party_id))


def record_claim(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    data: StatusClaimIn,
    party_id: uuid.UUID | None = None,
) -> StatusClaim:
    """A status claim with its evidence: the author's delegation's own, or (``neutral``) the
    assessment of a monitor or the mediator. ``party_id`` names the claimant only for the
    operator's loader; a user always claims for its own delegation."""
    if not can_write_in(actor, process.id):
        raise Forbidden("read only")
    space = require_writable_space(session, actor, process.id, data.space)
    if data.neutral:
        require_action(actor, "status-claim", "assess", Subject(process.id))
        party_id = None
    else:
        if not actor.is_system or party_id is None:
            party_id = actor_party_id(actor, process.id)
        own = actor_party(actor, process.id)
        require_action(
            actor,
            "status-claim",
            "claim",
            Subject(process.id, owners=frozenset([own]) if own else frozenset()),
        )
    if (data.step_id is None) == (data.provision_id is None):
        raise SequencingError("step_id: give exactly one of step_id or provision_id")
    if data.step_id is not None:
        visible_reference(session, actor, Step, process.id, data.step_id, field="step_id")
    if data.provision_id is not None and not provision_visible(
        session, actor, process.id, data.provision_id
    ):
        raise SequencingError("provision_id: unknown provision")  # hidden or missing alike
    obj = StatusClaim(
        process_id=process.id,
        step_id=data.step_id,
        provision_id=data.provision_id,
        party_id=party_id,
        is_neutral=data.neutral,
        status=data.status,
        level=data.level,
        claimed_on=data.claimed_on,
        note=data.note,
        space=space,
    )
    audited_add(session, obj, actor=actor, action="sequencing:status-claim:create")
    cite(session, actor=actor, record=obj, items=data.evidence)
    return obj


def get_claim(session: Session, actor: Actor, process: Process, claim_id: Any) -> StatusClaim:
    return get_visible_in(session, actor, StatusClaim, process.id, claim_id)


def update_claim(
    session: Session, *, actor: Actor, process: Process, claim_id: Any, data: StatusClaimUpdate
) -> StatusClaim:
    """Correct a claim's status, level or note, or add evidence: by its claimant, or for the
    neutral assessment by a monitor or the mediator."""
    obj = get_claim(session, actor, process, claim_id)
    action, subject = _claim_subject(session, process, obj)
    require_action(actor, "status-claim", action, subject)
    changes = data.model_dump(exclude_unset=True, exclude={"evidence"})
    for name in ("status", "note"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    audited_update(session, obj, changes, actor=actor, action="sequencing:status-claim:update")
    cite(session, actor=actor, record=obj, items=data.evidence)
    return obj


def may_change_claim(session: Session, actor: Actor, process: Process, claim: Any) -> bool:
    action, subject = _claim_subject(session, process, claim)
    return actor.is_system or bool(allowed_by(actor, "status-claim", action, subject))
