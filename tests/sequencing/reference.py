"""A plain Bellman-Ford over a plan, written for clarity, to check the engine against.

Every bound is its own edge here (no reduction to the tightest), so agreeing with it also shows
that bounds on the same pair meet rather than add up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from parley.sequencing.check import Conflict
from parley.sequencing.plan import ConstraintSpec

INF = math.inf


@dataclass(frozen=True)
class Reference:
    consistent: bool
    earliest: dict[str, int | None]
    latest: dict[str, int | None]
    reach_in: dict[str, float]  # min over u of d(u, v)


def edges_of(specs: Sequence[ConstraintSpec]) -> list[tuple[str, str, int]]:
    """``(u, v, w)`` meaning ``t(v) - t(u) <= w``."""
    out = []
    for c in specs:
        if c.max_days is not None:
            out.append((c.from_ref, c.to_ref, c.max_days))
        if c.min_days is not None:
            out.append((c.to_ref, c.from_ref, -c.min_days))
    return out


def bellman_ford(
    nodes: Sequence[str], edges: Sequence[tuple[str, str, int]], sources: dict[str, float]
) -> dict[str, float] | None:
    """Shortest distances from weighted sources, or None when a negative cycle is reachable."""
    dist = {v: sources.get(v, INF) for v in nodes}
    for _ in range(len(nodes)):
        changed = False
        for u, v, w in edges:
            if dist[u] + w < dist[v]:
                dist[v] = dist[u] + w
                changed = True
        if not changed:
            return dist
    return None


def reference(nodes: Sequence[str], origin: str, specs: Sequence[ConstraintSpec]) -> Reference:
    edges = edges_of(specs)
    # From a virtual source joined to every node: finds a negative cycle anywhere.
    reach_in = bellman_ford(nodes, edges, dict.fromkeys(nodes, 0))
    if reach_in is None:
        return Reference(False, {}, {}, {})
    forward = bellman_ford(nodes, edges, {origin: 0})
    backward = bellman_ford(nodes, [(v, u, w) for u, v, w in edges], {origin: 0})
    assert forward is not None and backward is not None
    return Reference(
        True,
        {v: None if backward[v] == INF else int(-backward[v]) for v in nodes},
        {v: None if forward[v] == INF else int(forward[v]) for v in nodes},
        reach_in,
    )


def critical_reference(ref: Reference) -> set[str]:
    """Events whose earliest time equals their latest time once every event is ≤ the finish."""
    bounded = [e for e in ref.earliest.values() if e is not None]
    finish = max(bounded)
    out = set()
    for v, e in ref.earliest.items():
        if e is None:
            continue
        latest = ref.latest[v]
        capped = min(INF if latest is None else latest, finish + ref.reach_in[v])
        if capped == e:
            out.add(v)
    return out


def assert_real_negative_cycle(conflict: Conflict, specs: Sequence[ConstraintSpec]) -> None:
    """The links chain head to tail into a cycle of weight ``-excess_days`` < 0, each link is a
    real bound of the constraint it names, and no other bound on that pair is tighter."""
    by_id = {c.id: c for c in specs}
    edges = edges_of(specs)
    assert conflict.excess_days > 0
    assert conflict.ids == list(dict.fromkeys(link.id for link in conflict.links))
    total = 0
    hops = []
    for link in conflict.links:
        spec = by_id[link.id]
        assert (link.from_ref, link.to_ref) == (spec.from_ref, spec.to_ref)
        if link.bound == "max":
            assert spec.max_days == link.days
            hop = (spec.from_ref, spec.to_ref, link.days)
        else:
            assert spec.min_days == link.days
            hop = (spec.to_ref, spec.from_ref, -link.days)
        assert hop[2] == min(w for u, v, w in edges if (u, v) == hop[:2])
        hops.append(hop)
        total += hop[2]
    for (_, head, _), (tail, _, _) in zip(hops, hops[1:] + hops[:1], strict=True):
        assert head == tail
    assert len({u for u, _, _ in hops}) == len(hops), "the cycle is simple"
    assert total == -conflict.excess_days
