"""IncrementalSTN agrees with a full recomputation after every edit, and reports what moved."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings

from parley.sequencing.check import check_plan
from parley.sequencing.incremental import EditResult, IncrementalSTN
from parley.sequencing.plan import ConstraintSpec, EventSpec, Plan, StepSpec

from .reference import assert_real_negative_cycle, reference
from .strategies import random_bounds, random_plan, seeds


def _current_plan(base: Plan, stn: IncrementalSTN) -> Plan:
    user = tuple(c for c in stn.specs.values() if not c.id.endswith(".duration"))
    return replace(base, constraints=user)


def _random_edit(rng: random.Random, stn: IncrementalSTN, k: int) -> EditResult:
    user = [c for c in stn.specs if not c.endswith(".duration")]
    roll = rng.random()
    if roll < 0.45 or not user:
        a, b = rng.sample(stn.names, 2)
        lo, hi = random_bounds(rng, rng.randint(-15, 15), rng.random() < 0.3)
        return stn.add_constraint(ConstraintSpec(f"n{k}", a, b, lo, hi))
    if roll < 0.65:
        return stn.remove_constraint(rng.choice(user))
    cid = rng.choice(user)
    spec = stn.specs[cid]
    # Nudge the bounds: tighten, loosen or both, as a user dragging a bar would.
    lo = spec.min_days if spec.min_days is None else spec.min_days + rng.randint(-6, 6)
    hi = spec.max_days if spec.max_days is None else spec.max_days + rng.randint(-6, 6)
    if rng.random() < 0.2:
        lo, hi = (None, hi) if hi is not None else (lo, None)
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return stn.set_bounds(cid, lo, hi)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(seeds)
def test_every_edit_agrees_with_the_reference(seed: int) -> None:
    rng = random.Random(seed)
    base = random_plan(rng, max_events=6, max_steps=2)
    stn = IncrementalSTN.from_plan(base)
    for k in range(rng.randint(1, 10)):
        _random_edit(rng, stn, k)
        plan = _current_plan(base, stn)
        specs = list(stn.specs.values())
        ref = reference(plan.nodes(), plan.origin, specs)
        assert stn.consistent == ref.consistent
        if not ref.consistent:
            assert stn.conflict is not None
            assert_real_negative_cycle(stn.conflict, specs)
            continue
        after = stn.windows()
        assert after == {v: (ref.earliest[v], ref.latest[v]) for v in plan.nodes()}
        full = check_plan(plan)
        mine = stn.result()
        assert (mine.earliest, mine.latest, mine.slack) == (full.earliest, full.latest, full.slack)
        assert mine.critical_path == full.critical_path
        assert mine.critical_steps == full.critical_steps


@settings(max_examples=300, derandomize=True, deadline=None)
@given(seeds)
def test_an_edit_reports_exactly_the_windows_it_moved(seed: int) -> None:
    rng = random.Random(seed)
    stn = IncrementalSTN.from_plan(random_plan(rng, max_events=6))
    for k in range(8):
        before = stn.windows() if stn.consistent else None
        result = _random_edit(rng, stn, k)
        if before is None or not result.consistent:
            continue
        after = stn.windows()
        moved = {v for v in after if after[v] != before[v]}
        assert set(result.changes) == moved
        for v, change in result.changes.items():
            assert (change.earliest_before, change.latest_before) == before[v]
            assert (change.earliest_after, change.latest_after) == after[v]
        assert not result.recomputed  # a consistent network never needs the full engine


def test_a_rejected_edit_keeps_the_conflict_until_it_is_removed() -> None:
    stn = IncrementalSTN("signing", ["signing", "elections"])
    stn.add_constraint(ConstraintSpec("c1", "signing", "elections", 60, None))
    result = stn.add_constraint(ConstraintSpec("c2", "signing", "elections", None, 45))
    assert not result.consistent and result.conflict is not None
    assert result.conflict.ids == ["c2", "c1"]
    assert result.conflict.excess_days == 15
    assert not stn.consistent
    healed = stn.remove_constraint("c2")
    assert healed.consistent and healed.recomputed
    assert stn.windows()["elections"] == (60, None)


def test_tightening_only_touches_what_it_reaches() -> None:
    events = [f"e{i}" for i in range(50)]
    stn = IncrementalSTN("e0", events)
    for i in range(49):
        stn.add_constraint(ConstraintSpec(f"c{i}", f"e{i}", f"e{i + 1}", 1, 10))
    result = stn.set_bounds("c40", 5, 10)
    assert set(result.changes) == {f"e{i}" for i in range(41, 50)}
    assert all(c.earliest_after - c.earliest_before == 4 for c in result.changes.values())  # type: ignore[operator]
    assert stn.full_recomputes == 0


def test_loosening_a_tight_edge_raises_only_its_dependents() -> None:
    stn = IncrementalSTN("o", ["o", "a", "b", "c"])
    stn.add_constraint(ConstraintSpec("oa", "o", "a", 5, 20))
    stn.add_constraint(ConstraintSpec("ab", "a", "b", 5, None))
    stn.add_constraint(ConstraintSpec("oc", "o", "c", 2, None))
    result = stn.set_bounds("oa", 1, 20)
    assert result.changes.keys() == {"a", "b"}
    assert stn.windows() == {"o": (0, 0), "a": (1, 20), "b": (6, None), "c": (2, None)}
    assert stn.full_recomputes == 0


def test_steps_can_be_added_one_by_one() -> None:
    stn = IncrementalSTN("signing")
    stn.add_step(StepSpec("ceasefire", 10, 30))
    stn.add_constraint(ConstraintSpec("c1", "signing", "ceasefire.start", 0, 3))
    assert stn.windows()["ceasefire.end"] == (10, 33)
    result = stn.result()
    assert result.critical_steps == ["ceasefire"]
    full = check_plan(
        Plan(
            "signing",
            (EventSpec("signing"),),
            (StepSpec("ceasefire", 10, 30),),
            (ConstraintSpec("c1", "signing", "ceasefire.start", 0, 3),),
        )
    )
    assert full.to_json() == result.to_json()
