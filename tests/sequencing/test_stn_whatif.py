"""What-if: a slip's answer equals checking the plan with the slip written in as a constraint."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings

from parley.sequencing.check import check_plan
from parley.sequencing.incremental import IncrementalSTN
from parley.sequencing.plan import ConstraintSpec, parse_plan
from parley.sequencing.whatif import what_if

from .reference import assert_real_negative_cycle
from .strategies import random_plan, seeds

PLAN = parse_plan(
    {
        "origin": "signing",
        "events": ["signing", "elections"],
        "steps": [
            {"id": "ceasefire", "duration": [0, 30]},
            {"id": "exchange", "duration": [5, 10]},
        ],
        "constraints": [
            {"id": "c1", "from": "signing", "to": "ceasefire.start", "min": 0, "max": 25},
            {"id": "c2", "from": "ceasefire.end", "to": "elections", "min": 60},
            {"id": "c3", "from": "signing", "to": "elections", "max": 120},
            {"id": "c4", "from": "ceasefire.start", "to": "exchange.start", "min": 7},
        ],
    }
)


def test_a_slip_moves_what_depends_on_it_and_says_by_how_much() -> None:
    result = what_if(PLAN, "ceasefire", 20)
    assert result.consistent and result.event == "ceasefire.start"
    assert result.moved == {
        "ceasefire.start": 20,
        "ceasefire.end": 20,
        "exchange.start": 20,
        "exchange.end": 20,
        "elections": 20,
    }
    assert (result.finish_before, result.finish_after) == (60, 80)
    assert result.to_json()["finish_delay"] == 20
    assert result.now_tight == []


def test_a_slip_that_eats_all_slack_is_flagged() -> None:
    result = what_if(PLAN, "ceasefire", 25)
    assert result.consistent
    assert "ceasefire.start" in result.now_tight


def test_a_slip_past_a_deadline_breaks_the_plan_and_names_why() -> None:
    result = what_if(PLAN, "ceasefire", 40)
    assert not result.consistent and result.conflict is not None
    assert result.conflict.ids == ["c1", "what-if"]
    assert result.conflict.excess_days == 15
    out = result.to_json()
    assert out["consistent"] is False
    assert "ceasefire slips 40 days (not before day 40)" in out["explanation"]


def test_asking_leaves_the_network_as_it_was() -> None:
    stn = IncrementalSTN.from_plan(PLAN)
    before = stn.windows()
    what_if(stn, "ceasefire", 40)
    what_if(stn, "exchange.end", 3)
    assert stn.windows() == before and stn.consistent
    assert "what-if" not in stn.specs


@pytest.mark.parametrize(
    ("subject", "days", "message"),
    [
        ("ceasefire", -1, "slip_days: expected a whole number of days ≥ 0"),
        ("truce", 5, "unknown event or step 'truce'"),
        ("signing", 5, "'signing' is the origin"),
    ],
)
def test_bad_questions_are_refused(subject: str, days: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        what_if(PLAN, subject, days)


def test_an_inconsistent_plan_cannot_be_asked() -> None:
    broken = replace(
        PLAN,
        constraints=(*PLAN.constraints, ConstraintSpec("c9", "signing", "elections", None, 10)),
    )
    with pytest.raises(ValueError, match="inconsistent"):
        what_if(broken, "ceasefire", 1)


@settings(max_examples=400, derandomize=True, deadline=None)
@given(seeds)
def test_what_if_equals_a_check_with_the_slip_added(seed: int) -> None:
    rng = random.Random(seed)
    plan = random_plan(rng)
    base = check_plan(plan)
    candidates = [v for v, e in base.earliest.items() if e is not None and v != plan.origin]
    if not base.consistent or not candidates:
        return
    subject = rng.choice(candidates)
    slip = rng.randint(0, 25)
    result = what_if(plan, subject, slip)
    start = base.earliest[subject]
    assert start is not None
    slip_spec = ConstraintSpec("what-if", plan.origin, subject, start + slip, None)
    after = check_plan(replace(plan, constraints=(*plan.constraints, slip_spec)))
    assert result.consistent == after.consistent
    if not after.consistent:
        assert result.conflict is not None
        assert_real_negative_cycle(result.conflict, [*plan.all_constraints(), slip_spec])
        return
    expected = {
        v: e - base.earliest[v]  # type: ignore[operator]
        for v, e in after.earliest.items()
        if e is not None and e != base.earliest[v]
    }
    assert result.moved == expected
    assert result.finish_after == after.finish
