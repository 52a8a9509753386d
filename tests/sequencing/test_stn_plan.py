"""The plan contract: parsing with errors that name the field, and checks read in plain words.

Plans here are illustrative, written for these tests.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from parley.sequencing.check import check_plan
from parley.sequencing.plan import ConstraintKind, PlanError, parse_plan

ISSUE_EXAMPLE: dict[str, Any] = {
    "origin": "signing",
    "steps": [{"id": "ceasefire", "duration": [0, 30]}],
    "events": ["signing", "elections"],
    "constraints": [
        {"id": "c1", "from": "signing", "to": "ceasefire.start", "min": 0, "max": 3},
        {"id": "c2", "from": "ceasefire.end", "to": "elections", "min": 60, "max": None},
    ],
}


def plan_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ISSUE_EXAMPLE)
    data.update(changes)
    return data


def errors_of(data: Any) -> list[str]:
    with pytest.raises(PlanError) as info:
        parse_plan(data)
    return info.value.messages


def test_the_issue_example_checks_out_with_every_event_in_the_output() -> None:
    result = check_plan(parse_plan(ISSUE_EXAMPLE)).to_json()
    assert result == {
        "consistent": True,
        "origin": "signing",
        "earliest": {"signing": 0, "elections": 60, "ceasefire.start": 0, "ceasefire.end": 0},
        "latest": {"signing": 0, "elections": None, "ceasefire.start": 3, "ceasefire.end": 33},
        "slack": {"signing": 0, "elections": None, "ceasefire.start": 3, "ceasefire.end": 33},
        "critical_path": ["signing", "ceasefire.start", "ceasefire.end", "elections"],
        "critical_steps": ["ceasefire"],
        "finish": 60,
    }


def test_a_contradiction_is_named_in_the_users_words_with_its_excess() -> None:
    data = plan_with()
    data["constraints"].append(
        {
            "id": "c3",
            "from": "signing",
            "to": "elections",
            "max": 45,
            "explanation": "elections ≤ 45 days after signing",
        }
    )
    out = check_plan(parse_plan(data)).to_json()
    assert out["consistent"] is False
    assert sorted(out["conflict"]) == ["c1", "c2", "c3", "ceasefire.duration"]
    assert out["excess_days"] == 15
    assert "elections ≤ 45 days after signing" in out["explanation"]
    assert "over-constrain the plan by 15 days" in out["explanation"]
    by_id = {link["id"]: link for link in out["conflict_detail"]}
    assert by_id["c3"]["bound"] == "max" and by_id["c3"]["days"] == 45
    assert by_id["c2"]["bound"] == "min" and by_id["c2"]["inequality"] == (
        "elections ≥ ceasefire.end + 60 days"
    )
    assert by_id["ceasefire.duration"]["explanation"] == "ceasefire lasts 0–30 days"


def test_bounds_on_the_same_pair_meet_at_the_tightest_and_are_never_added() -> None:
    data = plan_with(
        constraints=[
            {"id": "loose", "from": "signing", "to": "elections", "max": 100},
            {"id": "tight", "from": "signing", "to": "elections", "max": 40},
            {"id": "also", "from": "elections", "to": "signing", "min": -70},
        ]
    )
    result = check_plan(parse_plan(data))
    assert result.latest["elections"] == 40
    data["constraints"].append({"id": "late", "from": "signing", "to": "elections", "min": 41})
    conflict = check_plan(parse_plan(data)).conflict
    assert conflict is not None
    assert conflict.ids == ["tight", "late"] and conflict.excess_days == 1
    assert "by 1 day:" in conflict.explanation


def test_an_event_nothing_bounds_has_null_windows() -> None:
    data = plan_with(events=["signing", "elections", "donor conference"])
    result = check_plan(parse_plan(data))
    assert result.earliest["donor conference"] is None
    assert result.latest["donor conference"] is None
    assert result.slack["donor conference"] is None
    assert "donor conference" not in result.critical_path


def test_after_origin_keeps_every_event_on_or_after_the_origin() -> None:
    data = plan_with(events=["signing", "elections", "donor conference"], after_origin=True)
    plan = parse_plan(data)
    assert check_plan(plan).earliest["donor conference"] == 0
    derived = {c.id: c for c in plan.all_constraints() if c.kind is ConstraintKind.AFTER_ORIGIN}
    assert "donor conference.after_origin" in derived and "signing.after_origin" not in derived


def test_only_the_longest_branch_is_critical() -> None:
    data = {
        "origin": "signing",
        "events": ["signing"],
        "steps": [
            {"id": "exchange", "duration": [10, 20]},
            {"id": "withdrawal", "duration": [30, 60]},
        ],
        "constraints": [
            {"id": "a", "from": "signing", "to": "exchange.start", "min": 0},
            {"id": "b", "from": "signing", "to": "withdrawal.start", "min": 5},
        ],
    }
    result = check_plan(parse_plan(data))
    assert result.critical_path == ["signing", "withdrawal.start", "withdrawal.end"]
    assert result.critical_steps == ["withdrawal"]
    assert result.finish == 35


def test_calendar_dates_come_from_the_origin_date() -> None:
    data = plan_with(origin_date="2025-12-20")
    out = check_plan(parse_plan(data)).to_json()
    assert out["origin_date"] == "2025-12-20"
    assert out["earliest_date"]["elections"] == "2026-02-18"
    assert out["latest_date"]["ceasefire.start"] == "2025-12-23"
    assert out["latest_date"]["elections"] is None
    # The caller may supply (or override) the origin's date.
    result = check_plan(parse_plan(ISSUE_EXAMPLE), origin_date=date(2026, 1, 1))
    assert result.to_json()["earliest_date"]["elections"] == "2026-03-02"


def test_dated_events_become_constraints_named_after_them() -> None:
    data = plan_with(
        events=[{"id": "signing", "date": "2025-12-20"}, {"id": "elections", "date": "2026-01-31"}]
    )
    plan = parse_plan(data)
    assert plan.origin_date == date(2025, 12, 20)
    conflict = check_plan(plan).conflict  # 42 days from signing, but at least 60 are needed
    assert conflict is not None and "elections.date" in conflict.ids
    assert conflict.excess_days == 18
    assert "elections is on 2026-01-31" in conflict.explanation


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ([], "plan: expected a JSON object"),
        (plan_with(origin=None), "origin: required"),
        (plan_with(origin="signin"), "origin: unknown event 'signin' (did you mean 'signing'?)"),
        (plan_with(events=["signing", "signing"]), "events[1]: name 'signing' is already used"),
        (plan_with(steps=[{"id": "x", "duration": [5, 2]}]), "steps[0] (x).duration: min 5"),
        (plan_with(steps=[{"id": "x", "duration": [-1, 2]}]), "cannot last a negative"),
        (plan_with(steps=[{"id": "x", "duration": 5}]), "steps[0] (x).duration: expected"),
        (plan_with(steps=[{"id": "x", "durations": [1, 2]}]), "unknown field(s) durations"),
        (plan_with(origin_date="20 Dec"), "origin_date: expected a date as YYYY-MM-DD"),
        (plan_with(constraints={"id": "c1"}), "constraints: expected a list"),
        (plan_with(after_origin="yes"), "after_origin: expected true or false"),
    ],
)
def test_malformed_plans_are_refused_naming_the_field(data: Any, expected: str) -> None:
    assert any(expected in m for m in errors_of(data)), errors_of(data)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ({"from": "signing", "to": "elections", "min": 1}, "constraints[0].id: expected"),
        (
            {"id": "c9", "from": "signing", "to": "electons", "min": 1},
            "constraints[0] (c9).to: unknown event 'electons' (did you mean 'elections'?)",
        ),
        (
            {"id": "c9", "from": "ceasefire", "to": "elections", "min": 1},
            "'ceasefire' is a step; use 'ceasefire.start' or 'ceasefire.end'",
        ),
        ({"id": "c9", "to": "elections", "min": 1}, "constraints[0] (c9).from: required"),
        (
            {"id": "c9", "from": "signing", "to": "elections", "min": 9, "max": 3},
            "constraints[0] (c9): min 9 is greater than max 3",
        ),
        ({"id": "c9", "from": "signing", "to": "elections"}, "give at least one of min and max"),
        (
            {"id": "c9", "from": "signing", "to": "elections", "min": 1.5},
            "(c9).min: expected a whole number of days",
        ),
        ({"id": "c9", "from": "signing", "to": "elections", "min": True}, "(c9).min: expected"),
        ({"id": "c9", "from": "signing", "to": "elections", "max": 10**9}, "out of range"),
        ({"id": "c9", "from": "signing", "to": "signing", "min": 1}, "the same event 'signing'"),
        (
            {"id": "ceasefire.duration", "from": "signing", "to": "elections", "min": 1},
            "id 'ceasefire.duration' is reserved",
        ),
        (
            {"id": "c9", "from": "signing", "to": "elections", "min": 1, "note": "x"},
            "constraints[0]: unknown field(s) note",
        ),
    ],
)
def test_bad_constraints_are_refused_naming_the_field(
    constraint: dict[str, Any], expected: str
) -> None:
    assert any(expected in m for m in errors_of(plan_with(constraints=[constraint])))


def test_duplicate_constraint_ids_are_refused() -> None:
    c = {"id": "c1", "from": "signing", "to": "elections", "min": 1}
    assert "constraints[1] (c1).id: duplicate of constraints[0]" in errors_of(
        plan_with(constraints=[c, c])
    )


def test_every_problem_is_reported_at_once() -> None:
    data = plan_with(
        origin="nowhere",
        constraints=[{"id": "c1", "from": "x", "to": "y", "min": 5, "max": 1}],
    )
    messages = errors_of(data)
    assert len(messages) >= 3
    assert str(PlanError(messages)) == "; ".join(messages)


def test_a_date_on_an_event_needs_a_date_for_the_origin() -> None:
    data = plan_with(events=["signing", {"id": "elections", "date": "2026-03-01"}])
    assert "events[1].date: needs origin_date (or a date on the origin)" in errors_of(data)
    data = plan_with(
        origin_date="2025-12-01", events=[{"id": "signing", "date": "2025-12-20"}, "elections"]
    )
    assert any("disagrees with the date of origin event 'signing'" in m for m in errors_of(data))
