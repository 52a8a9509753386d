"""Writing the plan: temporal constraints and milestones, one audited call per change.

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
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.audit.service import record
from parley.authz import Actor, NotFound, Permission, get_visible, parse_space, require, widens
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL
from parley.processes.models import Party, Process
from parley.sequencing.check import CheckResult
from parley.sequencing.incremental import EditResult
from parley.sequencing.models import Milestone, TemporalConstraint
from parley.sequencing.plan import ConstraintSpec
from parley.sequencing.queries import PLAN_START, ProcessPlan, process_plan
from parley.sequencing.stn import MAX_ABS_DAYS

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class SequencingError(ValueError):
    """Bad input for a plan record: the message starts with the field's name."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


class ConstraintIn(_In):
    """``to − from ∈ [min, max]`` days; ``from``/``to`` are milestone keys or ``step.start|end``."""

    key: str = Field(pattern=KEY_PATTERN)
    from_ref: str = Field(alias="from", min_length=1, max_length=80)
    to_ref: str = Field(alias="to", min_length=1, max_length=80)
    min_days: int | None = Field(None, alias="min", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, alias="max", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    explanation: str = Field("", max_length=300)
    space: str


class ConstraintUpdate(_In):
    from_ref: str | None = Field(None, alias="from", min_length=1, max_length=80)
    to_ref: str | None = Field(None, alias="to", min_length=1, max_length=80)
    min_days: int | None = Field(None, alias="min", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    max_days: int | None = Field(None, alias="max", ge=-MAX_ABS_DAYS, le=MAX_ABS_DAYS)
    explanation: str | None = Field(None, max_length=300)


class MilestoneIn(_In):
    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1, max_length=300)
    on_date: date | None = None
    space: str


class MilestoneUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    on_date: date | None = None


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


def _check_space(session: Session, process: Process, space: str) -> None:
    keys = set(
        session.scalars(
            sa.select(Party.key)
            .where(Party.process_id == process.id)
            .execution_options(**{INTERNAL: True})  # validating a space name, nothing shown
        )
    )
    try:
        parse_space(space, keys)
    except SpaceError as exc:
        raise SequencingError(f"space: {exc}") from None


def _key_taken(session: Session, model: Any, process: Process, key: str) -> bool:
    # Keys are unique per process across spaces. The answer must not reveal a hidden record,
    # so a clash with anything, visible or not, gets the same neutral message.
    found = session.scalar(
        sa.select(sa.func.count())
        .select_from(model)
        .where(model.process_id == process.id, model.key == key)
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


def _in_process(obj: Any, process: Process, kind: str) -> None:
    if obj.process_id != process.id:
        raise NotFound(kind)


# --------------------------------------------------------------------------- constraints


def add_constraint(
    session: Session, *, actor: Actor, process: Process, data: ConstraintIn
) -> PlanEdit:
    """Save a new constraint and revalidate the actor's plan incrementally."""
    _check_space(session, process, data.space)
    values = data.model_dump()
    obj = TemporalConstraint(process_id=process.id, **values)
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
    if _key_taken(session, TemporalConstraint, process, data.key):
        raise SequencingError("key: not available; choose another key")
    pp = process_plan(session, actor, process)
    _validate(values, data.space, pp)
    audited_add(session, obj, actor=actor, action="sequencing:constraint:create")
    stn = pp.stn()
    edit = stn.add_constraint(_spec(obj))
    return PlanEdit(obj, edit, stn.result())


def get_constraint(
    session: Session, actor: Actor, process: Process, constraint_id: Any
) -> TemporalConstraint:
    obj = get_visible(session, actor, TemporalConstraint, constraint_id)
    _in_process(obj, process, "constraint")
    return obj


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
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
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
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
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
    _check_space(session, process, data.space)
    obj = Milestone(process_id=process.id, **data.model_dump())
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
    if _key_taken(session, Milestone, process, data.key):
        raise SequencingError("key: not available; choose another key")
    pp = process_plan(session, actor, process)
    if data.key in pp.events():
        raise SequencingError(f"key: '{data.key}' is already an event of the plan")
    return audited_add(session, obj, actor=actor, action="sequencing:milestone:create")


def get_milestone(session: Session, actor: Actor, process: Process, milestone_id: Any) -> Any:
    obj = get_visible(session, actor, Milestone, milestone_id)
    _in_process(obj, process, "milestone")
    return obj


def update_milestone(
    session: Session,
    *,
    actor: Actor,
    process: Process,
    milestone_id: Any,
    data: MilestoneUpdate,
) -> Any:
    obj = get_milestone(session, actor, process, milestone_id)
    require(actor, Permission.PROCESS_RECORD_WRITE, obj)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("title", "") is None:
        changes.pop("title")
    audited_update(session, obj, changes, actor=actor, action="sequencing:milestone:update")
    return obj
