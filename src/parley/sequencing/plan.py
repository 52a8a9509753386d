"""The plan contract: what ``parley plan check`` reads, as plain dataclasses.

A plan names an origin, some events, some steps (each makes ``S.start`` and ``S.end``) and
constraints ``to − from ∈ [min, max]`` days. :func:`parse_plan` validates a JSON-like dict and
collects every problem, each naming its field, into one :class:`PlanError`.

Derived constraints get ids of their own so that a conflict can name them:

* ``S.duration``: ``S.end − S.start`` within the step's duration (a missing minimum is 0: a
  step never ends before it starts);
* ``E.date``: an event with a calendar date sits that many days from the origin's date;
* ``E.after_origin``: with ``"after_origin": true``, no event happens before the origin.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from parley.sequencing.stn import MAX_ABS_DAYS

_PLAN_KEYS = {"origin", "origin_date", "events", "steps", "constraints", "after_origin", "title"}
_EVENT_KEYS = {"id", "title", "date"}
_STEP_KEYS = {"id", "title", "duration", "parties", "provisions", "commitments", "description"}
_CONSTRAINT_KEYS = {"id", "from", "to", "min", "max", "explanation", "title"}
_MAX_ID = 200


class PlanError(ValueError):
    """Every problem found in a plan, each message naming the field it is about."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


class ConstraintKind(enum.StrEnum):
    CONSTRAINT = "constraint"  # written by the user
    DURATION = "duration"  # S.duration
    DATE = "date"  # E.date
    AFTER_ORIGIN = "after_origin"  # E.after_origin
    WHAT_IF = "what_if"  # added by a what-if question


@dataclass(frozen=True)
class EventSpec:
    id: str
    title: str | None = None
    date: date | None = None


@dataclass(frozen=True)
class StepSpec:
    id: str
    min_days: int = 0
    max_days: int | None = None
    title: str | None = None

    @property
    def start(self) -> str:
        return f"{self.id}.start"

    @property
    def end(self) -> str:
        return f"{self.id}.end"

    def duration_constraint(self) -> ConstraintSpec:
        """``S.duration``: ``S.end − S.start`` within the step's duration bounds."""
        return ConstraintSpec(
            f"{self.id}.duration",
            self.start,
            self.end,
            self.min_days,
            self.max_days,
            f"{self.id} lasts {_days_range(self.min_days, self.max_days)}",
            ConstraintKind.DURATION,
        )


@dataclass(frozen=True)
class ConstraintSpec:
    """``to_ref − from_ref ∈ [min_days, max_days]``; ``None`` leaves that side open."""

    id: str
    from_ref: str
    to_ref: str
    min_days: int | None = None
    max_days: int | None = None
    explanation: str | None = None
    kind: ConstraintKind = ConstraintKind.CONSTRAINT

    def describe(self) -> str:
        """The user's own words if given, otherwise a sentence built from the bounds."""
        if self.explanation:
            return self.explanation
        return describe_bounds(self.from_ref, self.to_ref, self.min_days, self.max_days)


def describe_bounds(from_ref: str, to_ref: str, lo: int | None, hi: int | None) -> str:
    if lo is not None and lo == hi:
        return f"{to_ref} exactly {lo} days after {from_ref}"
    if lo is not None and hi is not None:
        if lo >= 0:
            return f"{to_ref} {lo}–{hi} days after {from_ref}"
        return f"{to_ref} between {lo} and {hi} days after {from_ref}"
    if lo is not None:
        return f"{to_ref} at least {lo} days after {from_ref}"
    return f"{to_ref} at most {hi} days after {from_ref}"


@dataclass(frozen=True)
class Plan:
    origin: str
    events: tuple[EventSpec, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    constraints: tuple[ConstraintSpec, ...] = ()
    origin_date: date | None = None
    after_origin: bool = False
    title: str | None = None

    def nodes(self) -> list[str]:
        """Every time point: the events in order, then each step's start and end."""
        names = [e.id for e in self.events]
        for s in self.steps:
            names += [s.start, s.end]
        return names

    def all_constraints(self) -> list[ConstraintSpec]:
        """User constraints first (they win ties in explanations), then derived ones."""
        derived = [s.duration_constraint() for s in self.steps]
        for e in self.events:
            if e.date is not None and e.id != self.origin and self.origin_date is not None:
                offset = (e.date - self.origin_date).days
                derived.append(
                    ConstraintSpec(
                        f"{e.id}.date",
                        self.origin,
                        e.id,
                        offset,
                        offset,
                        f"{e.id} is on {e.date.isoformat()}",
                        ConstraintKind.DATE,
                    )
                )
        if self.after_origin:
            for name in self.nodes():
                if name != self.origin:
                    derived.append(
                        ConstraintSpec(
                            f"{name}.after_origin",
                            self.origin,
                            name,
                            0,
                            None,
                            f"{name} is not before {self.origin}",
                            ConstraintKind.AFTER_ORIGIN,
                        )
                    )
        return list(self.constraints) + derived


def _days_range(lo: int | None, hi: int | None) -> str:
    lo = lo or 0
    if hi is None:
        return f"at least {lo} days"
    if lo == hi:
        return f"exactly {lo} days"
    return f"{lo}–{hi} days"


# --------------------------------------------------------------------------- parsing


def parse_plan(data: Any) -> Plan:
    """Validate a plan given as parsed JSON; raise :class:`PlanError` listing every problem."""
    errors: list[str] = []
    if not isinstance(data, Mapping):
        raise PlanError(["plan: expected a JSON object"])
    _unknown_keys("plan", data, _PLAN_KEYS, errors)

    origin = data.get("origin")
    if not _is_id(origin):
        errors.append("origin: required, the name of the event all times are counted from")
    origin_date = _parse_date(data.get("origin_date"), "origin_date", errors)
    after_origin = data.get("after_origin", False)
    if not isinstance(after_origin, bool):
        errors.append("after_origin: expected true or false")
        after_origin = False
    title = data.get("title")
    if title is not None and not isinstance(title, str):
        errors.append("title: expected a string")
        title = None

    events = _parse_events(_list(data, "events", errors), errors)
    steps = _parse_steps(_list(data, "steps", errors), errors)
    seen: dict[str, str] = {}
    for i, e in enumerate(events):
        _claim_name(e.id, f"events[{i}]", seen, errors)
    for i, s in enumerate(steps):
        _claim_name(s.id, f"steps[{i}]", seen, errors)
        for end in (s.start, s.end):
            _claim_name(end, f"steps[{i}] ({end})", seen, errors)
    nodes = {e.id for e in events} | {s.start for s in steps} | {s.end for s in steps}
    step_ids = {s.id for s in steps}

    if isinstance(origin, str) and origin not in nodes:
        errors.append(f"origin: {_unknown_ref(origin, nodes, step_ids)}")
    by_id = {e.id: e for e in events}
    if isinstance(origin, str) and origin in by_id and by_id[origin].date is not None:
        origin_event_date = by_id[origin].date
        if origin_date is None:
            origin_date = origin_event_date
        elif origin_date != origin_event_date:
            errors.append(
                f"origin_date: {origin_date.isoformat()} disagrees with the date of "
                f"origin event '{origin}' ({origin_event_date})"
            )
    if origin_date is None:
        for i, e in enumerate(events):
            if e.date is not None:
                errors.append(f"events[{i}].date: needs origin_date (or a date on the origin)")

    constraints = _parse_constraints(_list(data, "constraints", errors), nodes, step_ids, errors)
    plan = Plan(
        origin=origin if isinstance(origin, str) else "",
        events=tuple(events),
        steps=tuple(steps),
        constraints=tuple(constraints),
        origin_date=origin_date,
        after_origin=after_origin,
        title=title,
    )
    ids = {c.id for c in constraints}
    for c in plan.all_constraints():
        if c.kind is not ConstraintKind.CONSTRAINT and c.id in ids:
            errors.append(f"constraints: id '{c.id}' is reserved for a derived constraint")
    if errors:
        raise PlanError(errors)
    return plan


def _list(data: Mapping[str, Any], key: str, errors: list[str]) -> list[Any]:
    value = data.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{key}: expected a list")
        return []
    return value


def _unknown_keys(where: str, obj: Mapping[str, Any], allowed: set[str], errors: list[str]) -> None:
    extra = sorted(str(k) for k in obj if k not in allowed)
    if extra:
        errors.append(
            f"{where}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(sorted(allowed))})"
        )


def _is_id(value: Any) -> TypeGuard[str]:
    return (
        isinstance(value, str)
        and bool(value.strip())
        and value == value.strip()
        and len(value) <= _MAX_ID
    )


def _claim_name(name: str, where: str, seen: dict[str, str], errors: list[str]) -> None:
    if name in seen:
        errors.append(f"{where}: name '{name}' is already used by {seen[name]}")
    else:
        seen[name] = where


def _parse_date(value: Any, where: str, errors: list[str]) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"{where}: expected a date as YYYY-MM-DD, got {value!r}")
    return None


def _parse_days(value: Any, where: str, errors: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(f"{where}: expected a whole number of days or null, got {value!r}")
        return None
    if abs(value) > MAX_ABS_DAYS:
        errors.append(f"{where}: {value} is out of range (at most {MAX_ABS_DAYS} days either way)")
        return None
    return value


def _parse_events(raw: list[Any], errors: list[str]) -> list[EventSpec]:
    events: list[EventSpec] = []
    for i, item in enumerate(raw):
        where = f"events[{i}]"
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, Mapping):
            errors.append(f"{where}: expected an event name or an object with an id")
            continue
        _unknown_keys(where, item, _EVENT_KEYS, errors)
        if not _is_id(item.get("id")):
            errors.append(f"{where}.id: expected a non-empty name without surrounding spaces")
            continue
        title = item.get("title")
        events.append(
            EventSpec(
                id=item["id"],
                title=title if isinstance(title, str) else None,
                date=_parse_date(item.get("date"), f"{where}.date", errors),
            )
        )
    return events


def _parse_steps(raw: list[Any], errors: list[str]) -> list[StepSpec]:
    steps: list[StepSpec] = []
    for i, item in enumerate(raw):
        where = f"steps[{i}]"
        if not isinstance(item, Mapping):
            errors.append(f"{where}: expected an object with an id and a duration")
            continue
        _unknown_keys(where, item, _STEP_KEYS, errors)
        if not _is_id(item.get("id")):
            errors.append(f"{where}.id: expected a non-empty name without surrounding spaces")
            continue
        where = f"{where} ({item['id']})"
        duration = item.get("duration", [0, None])
        if not isinstance(duration, list) or len(duration) != 2:
            errors.append(f"{where}.duration: expected [min, max] in days, either may be null")
            continue
        n_errors = len(errors)
        lo = _parse_days(duration[0], f"{where}.duration[0]", errors)
        hi = _parse_days(duration[1], f"{where}.duration[1]", errors)
        if len(errors) > n_errors:
            continue
        lo = 0 if lo is None else lo
        if lo < 0:
            errors.append(f"{where}.duration[0]: a step cannot last a negative number of days")
            continue
        if hi is not None and lo > hi:
            errors.append(f"{where}.duration: min {lo} is greater than max {hi}")
            continue
        title = item.get("title")
        steps.append(StepSpec(item["id"], lo, hi, title if isinstance(title, str) else None))
    return steps


def _unknown_ref(ref: str, nodes: set[str], step_ids: set[str]) -> str:
    if ref in step_ids:
        return f"'{ref}' is a step; use '{ref}.start' or '{ref}.end'"
    close = difflib.get_close_matches(ref, sorted(nodes), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown event '{ref}'{hint}"


def _parse_constraints(
    raw: list[Any],
    nodes: set[str],
    step_ids: set[str],
    errors: list[str],
) -> list[ConstraintSpec]:
    out: list[ConstraintSpec] = []
    ids: dict[str, int] = {}
    for i, item in enumerate(raw):
        where = f"constraints[{i}]"
        if not isinstance(item, Mapping):
            errors.append(f"{where}: expected an object with id, from, to, min and max")
            continue
        _unknown_keys(where, item, _CONSTRAINT_KEYS, errors)
        cid = item.get("id")
        if not _is_id(cid):
            errors.append(f"{where}.id: expected a non-empty name without surrounding spaces")
            continue
        where = f"{where} ({cid})"
        n_errors = len(errors)
        if cid in ids:
            errors.append(f"{where}.id: duplicate of constraints[{ids[cid]}]")
        ids.setdefault(cid, i)
        refs: list[str] = []
        for key in ("from", "to"):
            ref = item.get(key)
            if not isinstance(ref, str) or not ref:
                errors.append(f"{where}.{key}: required, an event name or 'step.start'/'step.end'")
            elif ref not in nodes:
                errors.append(f"{where}.{key}: {_unknown_ref(ref, nodes, step_ids)}")
            else:
                refs.append(ref)
        lo = _parse_days(item.get("min"), f"{where}.min", errors)
        hi = _parse_days(item.get("max"), f"{where}.max", errors)
        explanation = item.get("explanation")
        if explanation is not None and not isinstance(explanation, str):
            errors.append(f"{where}.explanation: expected a string")
            explanation = None
        if len(errors) > n_errors:
            continue
        if lo is None and hi is None:
            errors.append(f"{where}: give at least one of min and max")
        elif lo is not None and hi is not None and lo > hi:
            errors.append(f"{where}: min {lo} is greater than max {hi}")
        elif refs[0] == refs[1]:
            errors.append(f"{where}: from and to are the same event '{refs[0]}'")
        else:
            out.append(ConstraintSpec(cid, refs[0], refs[1], lo, hi, explanation or None))
    return out
