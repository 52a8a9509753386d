"""The engine agrees with a plain Bellman-Ford on thousands of random plans."""

from __future__ import annotations

from hypothesis import given, settings

from parley.sequencing.check import check_plan
from parley.sequencing.plan import Plan

from .reference import assert_real_negative_cycle, critical_reference, reference
from .strategies import plans


@settings(max_examples=2000, derandomize=True, deadline=None)
@given(plans())
def test_check_matches_the_reference_bellman_ford(plan: Plan) -> None:
    specs = plan.all_constraints()
    ref = reference(plan.nodes(), plan.origin, specs)
    result = check_plan(plan)

    assert result.consistent == ref.consistent
    if not ref.consistent:
        assert result.conflict is not None
        assert_real_negative_cycle(result.conflict, specs)
        assert result.to_json()["conflict"] == result.conflict.ids
        return
    assert result.earliest == ref.earliest
    assert result.latest == ref.latest
    for v in plan.nodes():
        e, lt = ref.earliest[v], ref.latest[v]
        assert result.slack[v] == (None if e is None or lt is None else lt - e)
    assert result.earliest[plan.origin] == result.latest[plan.origin] == 0
    assert set(result.critical_path) == critical_reference(ref)
    times = [result.earliest[v] for v in result.critical_path]
    assert times == sorted(times)  # type: ignore[type-var]
    assert plan.origin in result.critical_path  # its window is [0, 0]
    assert result.finish == max(e for e in ref.earliest.values() if e is not None)
    for s in result.critical_steps:
        assert f"{s}.start" in result.critical_path and f"{s}.end" in result.critical_path
