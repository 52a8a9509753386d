"""Random plans for the property tests: small, with a hidden schedule so that about half hold.

Plans are built from a seed with :mod:`random` rather than drawn piece by piece: Hypothesis
spends most of its time drawing, and thousands of plans must fit in a few seconds. A failure
still reports its seed, and ``derandomize=True`` makes every run see the same seeds.
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

from parley.sequencing.plan import ConstraintSpec, EventSpec, Plan, StepSpec


def random_bounds(rng: random.Random, gap: int, loose: bool) -> tuple[int | None, int | None]:
    """Bounds around a hidden gap (often satisfied) or anywhere (often contradictory)."""
    if loose:
        lo = rng.choice([None, rng.randint(-20, 20)])
        hi = rng.choice([None, rng.randint(-20, 20)])
    else:
        lo = rng.choice([None, rng.randint(gap - 12, gap + 2)])
        hi = rng.choice([None, rng.randint(gap - 2, gap + 12)])
    if lo is None and hi is None:
        lo = gap - 3
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return lo, hi


def random_plan(rng: random.Random, max_events: int = 7, max_steps: int = 2) -> Plan:
    events = [f"e{i}" for i in range(rng.randint(1, max_events))]
    steps = []
    for i in range(rng.randint(0, max_steps)):
        shortest = rng.randint(0, 8)
        longest = rng.choice([None, rng.randint(shortest, shortest + 15)])
        steps.append(StepSpec(f"s{i}", shortest, longest))
    nodes = events + [x for s in steps for x in (s.start, s.end)]
    if len(nodes) < 2:
        events.append("e_extra")
        nodes.append("e_extra")
    hidden = {v: rng.randint(0, 30) for v in nodes}
    loose = rng.random() < 0.4
    constraints = []
    for k in range(rng.randint(0, 2 * len(nodes) + 2)):
        a, b = rng.sample(nodes, 2)
        lo, hi = random_bounds(rng, hidden[b] - hidden[a], loose)
        constraints.append(ConstraintSpec(f"c{k}", a, b, lo, hi))
    return Plan(
        origin=rng.choice(nodes),
        events=tuple(EventSpec(e) for e in events),
        steps=tuple(steps),
        constraints=tuple(constraints),
    )


seeds = st.integers(min_value=0, max_value=2**32 - 1)


def plans(max_events: int = 7, max_steps: int = 2) -> st.SearchStrategy[Plan]:
    return seeds.map(lambda s: random_plan(random.Random(s), max_events, max_steps))
