"""What-if: "if the ceasefire slips 20 days, what moves and what breaks?"

Slipping event ``E`` by ``k`` days adds the constraint "``E`` not before day ``earliest(E) + k``"
(origin to ``E``, ``min = earliest(E) + k``). Slipping step ``S`` slips ``S.start``; name
``S.end`` to slip only its end. The constraint is probed on an :class:`IncrementalSTN` and then
removed again, so only the part of the network it reaches is recomputed. A slip only pushes
earliest times later; latest times never move, so what *breaks* is either the whole plan (the
slip contradicts a deadline: the conflict names the constraints, the slip included) or, short
of that, the events whose slack falls to zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from parley.sequencing.check import Conflict
from parley.sequencing.incremental import IncrementalSTN
from parley.sequencing.plan import ConstraintKind, ConstraintSpec, Plan


@dataclass(frozen=True)
class WhatIfResult:
    subject: str  # what the user named: an event or a step
    event: str  # the time point that slips
    slip_days: int
    consistent: bool
    moved: dict[str, int] = field(default_factory=dict)  # event -> days later, by new earliest
    now_tight: list[str] = field(default_factory=list)  # events whose slack became zero
    finish_before: int | None = None
    finish_after: int | None = None
    conflict: Conflict | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "subject": self.subject,
            "event": self.event,
            "slip_days": self.slip_days,
            "consistent": self.consistent,
        }
        if self.conflict is not None:
            out.update(self.conflict.to_json())
            out["consistent"] = False
            return out
        delay = None
        if self.finish_before is not None and self.finish_after is not None:
            delay = self.finish_after - self.finish_before
        out.update(
            moved=self.moved,
            now_tight=self.now_tight,
            finish_before=self.finish_before,
            finish_after=self.finish_after,
            finish_delay=delay,
        )
        return out


def what_if(network: Plan | IncrementalSTN, subject: str, slip_days: int) -> WhatIfResult:
    """Probe a slip of ``slip_days`` (≥ 0) on an event or a step; ``network`` is left unchanged.

    Raises ``ValueError`` for a negative slip, an unknown subject, an inconsistent network or
    an event with no earliest time (nothing bounds it from below, so it cannot "slip").
    """
    stn = IncrementalSTN.from_plan(network) if isinstance(network, Plan) else network
    if isinstance(slip_days, bool) or not isinstance(slip_days, int) or slip_days < 0:
        raise ValueError(f"slip_days: expected a whole number of days ≥ 0, got {slip_days!r}")
    if subject in stn.index:
        event = subject
    elif subject in stn.step_ids:
        event = f"{subject}.start"
    else:
        raise ValueError(f"unknown event or step '{subject}'")
    if event == stn.names[stn.origin]:
        raise ValueError(f"'{event}' is the origin: every time is counted from it, it cannot slip")
    if not stn.consistent:
        raise ValueError("the plan is inconsistent; resolve its conflict before asking what-if")
    start = stn.earliest(event)
    if start is None:
        raise ValueError(f"'{event}' has no earliest time (nothing bounds it from below)")

    windows = stn.windows()
    finish_before = max((e for e, _ in windows.values() if e is not None), default=None)
    cid = "what-if"
    while cid in stn.specs:
        cid += "'"
    origin = stn.names[stn.origin]
    spec = ConstraintSpec(
        cid,
        origin,
        event,
        start + slip_days,
        None,
        f"{subject} slips {slip_days} days (not before day {start + slip_days})",
        ConstraintKind.WHAT_IF,
    )
    edit = stn.add_constraint(spec)
    stn.remove_constraint(cid)
    if not edit.consistent:
        return WhatIfResult(subject, event, slip_days, False, conflict=edit.conflict)

    moved: dict[str, int] = {}
    tight: list[str] = []
    finish_after = finish_before
    order = sorted(edit.changes.items(), key=lambda kv: (kv[1].earliest_after or 0, kv[0]))
    for name, change in order:
        before, after = change.earliest_before, change.earliest_after
        if before is None or after is None or after == before:
            continue
        moved[name] = after - before
        finish_after = after if finish_after is None else max(finish_after, after)
        latest = windows[name][1]
        if latest is not None and latest == after and latest != before:
            tight.append(name)
    return WhatIfResult(
        subject, event, slip_days, True, moved, tight, finish_before, finish_after, None
    )
