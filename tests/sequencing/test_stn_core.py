"""The numpy core on networks big and deep enough to use every branch of its Bellman-Ford."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import NegativeCycleError, bellman_ford

from parley.sequencing.stn import (
    INF,
    DistanceGraph,
    Solution,
    constraint_edges,
    edge_order,
    max_side,
    min_side,
    solve,
)

from .strategies import seeds


def _network(
    seed: int, n: int, extra: int, deadline_excess: int | None
) -> tuple[DistanceGraph, int]:
    """A chain of tight lower bounds (deep shortest paths) plus random bounds around a hidden
    schedule; with ``deadline_excess`` a deadline from the first to the last event is that many
    days too short, so the only negative cycles run the whole chain."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, 5 * n, n))
    t[0] = 0
    chain = np.arange(n - 1)
    a = rng.integers(0, n, extra)
    b = np.minimum(a + rng.integers(1, 60, extra), n - 1)
    keep = a != b
    a, b = a[keep], b[keep]
    source = np.concatenate([chain, a])
    target = np.concatenate([chain + 1, b])
    gap = t[target] - t[source]
    lo = gap - np.where(np.arange(len(source)) < n - 1, 0, rng.integers(1, 30, len(source)))
    hi = gap + rng.integers(0, 40, len(source))
    has_lo = np.ones(len(source), dtype=bool)
    has_hi = rng.random(len(source)) < 0.5
    if deadline_excess is not None:
        source = np.append(source, 0)
        target = np.append(target, n - 1)
        lo = np.append(lo, 0)
        hi = np.append(hi, t[n - 1] - deadline_excess)
        has_lo = np.append(has_lo, False)
        has_hi = np.append(has_hi, True)
    src, dst, w, label = constraint_edges(source, target, lo, hi, has_lo, has_hi)
    return DistanceGraph.build(n, src, dst, w, label), int(t[n - 1])


def _csr(graph: DistanceGraph, reverse: bool = False, virtual: bool = False) -> sp.csr_matrix:
    n = graph.n + virtual
    rows, cols = (graph.dst, graph.src) if reverse else (graph.src, graph.dst)
    data = graph.weight.astype(float)
    if virtual:
        rows = np.concatenate([rows, np.full(graph.n, graph.n)])
        cols = np.concatenate([cols, np.arange(graph.n)])
        data = np.concatenate([data, np.zeros(graph.n)])
    return sp.csr_matrix((data, (rows, cols)), shape=(n, n))


def _as_int(dist: np.ndarray) -> np.ndarray:
    out = np.full(len(dist), INF, dtype=np.int64)
    finite = np.isfinite(dist)
    out[finite] = dist[finite].astype(np.int64)
    return out


def _assert_cycle(graph: DistanceGraph, sol: Solution) -> None:
    assert sol.cycle is not None
    cycle = sol.cycle
    k = len(cycle.nodes)
    for i, e in enumerate(cycle.edges):
        assert graph.src[e] == cycle.nodes[i]
        assert graph.dst[e] == cycle.nodes[(i + 1) % k]
        assert graph.label[e] == cycle.labels[i]
    assert len(set(cycle.nodes)) == k
    assert int(graph.weight[list(cycle.edges)].sum()) == cycle.weight < 0


@pytest.mark.parametrize("seed", range(4))
def test_deep_consistent_networks_match_scipy_bellman_ford(seed: int) -> None:
    graph, _ = _network(seed, n=2500, extra=6000, deadline_excess=None)
    sol = solve(graph, origin=0)
    assert sol.consistent and sol.passes > 6  # deep enough to need tracking and shortcuts
    assert sol.dist_from_origin is not None and sol.dist_to_origin is not None
    fwd = bellman_ford(_csr(graph), indices=0)
    bwd = bellman_ford(_csr(graph, reverse=True), indices=0)
    np.testing.assert_array_equal(sol.dist_from_origin, _as_int(fwd))
    np.testing.assert_array_equal(sol.dist_to_origin, _as_int(bwd))
    # The potential is the distance from a virtual source joined to every node.
    virtual = bellman_ford(_csr(graph, virtual=True), indices=graph.n)[: graph.n]
    np.testing.assert_array_equal(sol.potential, virtual.astype(np.int64))


@pytest.mark.parametrize(("seed", "excess"), [(0, 1), (1, 12), (2, 400)])
def test_a_long_negative_cycle_is_found_exactly(seed: int, excess: int) -> None:
    graph, _ = _network(seed, n=2000, extra=3000, deadline_excess=excess)
    with pytest.raises(NegativeCycleError):
        bellman_ford(_csr(graph, virtual=True), indices=graph.n)
    sol = solve(graph, origin=0)
    assert not sol.consistent
    _assert_cycle(graph, sol)
    assert sol.cycle is not None
    deadline = int(graph.label.max() // 2)
    assert 2 * deadline in sol.cycle.labels  # the too-short deadline's max side is in it
    assert -sol.cycle.weight <= excess


@settings(max_examples=150, derandomize=True, deadline=None)
@given(seeds, st.integers(20, 700), st.sampled_from([None, 1, 5, 50]), st.booleans())
def test_medium_networks_agree_with_scipy(
    seed: int, n: int, excess: int | None, reverse: bool
) -> None:
    """Deep chains in either node order, with or without a deadline that breaks them."""
    graph, _ = _network(seed, n=n, extra=3 * n, deadline_excess=excess)
    if reverse:  # the same network numbered backwards: passes must not depend on the order
        graph = DistanceGraph.build(
            n, n - 1 - graph.src, n - 1 - graph.dst, graph.weight, graph.label
        )
    sol = solve(graph, origin=0)
    try:
        virtual = bellman_ford(_csr(graph, virtual=True), indices=graph.n)[: graph.n]
    except NegativeCycleError:
        assert not sol.consistent
        _assert_cycle(graph, sol)
        return
    assert sol.consistent
    np.testing.assert_array_equal(sol.potential, virtual.astype(np.int64))
    fwd = bellman_ford(_csr(graph), indices=0)
    assert sol.dist_from_origin is not None
    np.testing.assert_array_equal(sol.dist_from_origin, _as_int(fwd))
    assert sol.passes < 200  # shortcuts: far fewer passes than the chain is long


def test_random_dense_inconsistent_networks_give_real_cycles() -> None:
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(2, 200))
        m = int(rng.integers(1, 5 * n))
        src = rng.integers(0, n, m)
        dst = rng.integers(0, n, m)
        keep = src != dst
        src, dst = src[keep], dst[keep]
        w = rng.integers(-5, 30, len(src))
        graph = DistanceGraph.build(n, src, dst, w, np.arange(len(src), dtype=np.int64))
        sol = solve(graph, origin=0)
        try:
            bellman_ford(_csr(graph, virtual=True), indices=n)
            consistent = True
        except NegativeCycleError:
            consistent = False
        assert sol.consistent == consistent
        if not consistent:
            _assert_cycle(graph, sol)


def test_parallel_bounds_meet_at_the_tightest_and_the_first_given_wins_a_tie() -> None:
    src = np.array([0, 0, 0, 1], dtype=np.int64)
    dst = np.array([1, 1, 1, 0], dtype=np.int64)
    w = np.array([10, 4, 4, -2], dtype=np.int64)
    graph = DistanceGraph.build(2, src, dst, w, np.array([100, 101, 102, 103], dtype=np.int64))
    assert graph.m == 2
    rows = zip(graph.src, graph.dst, graph.weight, graph.label, strict=True)
    pair = {(int(a), int(b)): (int(x), int(lab)) for a, b, x, lab in rows}
    assert pair[(0, 1)] == (4, 101)
    assert pair[(1, 0)] == (-2, 103)


def test_an_empty_network_bounds_only_the_origin() -> None:
    empty = np.zeros(0, dtype=np.int64)
    sol = solve(DistanceGraph.build(3, empty, empty, empty, empty), origin=1)
    assert sol.consistent
    assert sol.dist_from_origin is not None
    assert sol.dist_from_origin.tolist() == [INF, 0, INF]


def test_constraint_edges_label_each_side() -> None:
    source = np.array([0, 1], dtype=np.int64)
    target = np.array([1, 2], dtype=np.int64)
    lo = np.array([3, 0], dtype=np.int64)
    hi = np.array([5, 7], dtype=np.int64)
    src, dst, w, label = constraint_edges(
        source, target, lo, hi, np.array([True, False]), np.array([True, True])
    )
    edges = set(zip(src.tolist(), dst.tolist(), w.tolist(), label.tolist(), strict=True))
    k = np.arange(2)
    assert edges == {
        (0, 1, 5, int(max_side(k)[0])),
        (1, 2, 7, int(max_side(k)[1])),
        (1, 0, -3, int(min_side(k)[0])),
    }


@pytest.mark.parametrize("n", [1, 7, 1 << 16, (1 << 16) + 1, 200_000])
def test_edges_are_ordered_by_destination_then_source_on_either_path(n: int) -> None:
    """The radix path (up to 2^16 nodes) and the comparison sort put edges in the same order."""
    rng = np.random.default_rng(n)
    src = rng.integers(0, n, 5_000, dtype=np.int64)
    dst = rng.integers(0, n, 5_000, dtype=np.int64)
    dst[:3] = n - 1  # the largest id, which 16 bits must still hold at exactly 2^16 nodes
    key = dst * n + src
    order = edge_order(n, src, dst, key)
    assert sorted(order.tolist()) == list(range(5_000))  # a permutation
    assert np.array_equal(key[order], np.sort(key))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(seeds, st.integers(2, 120), st.integers(0, 3))
def test_small_graph_windows_without_scipy_equal_scipy_s(seed: int, n: int, density: int) -> None:
    """Up to SMALL_GRAPH_EDGES the windows come from a heap Dijkstra (no SciPy import for a
    small plan); it must give exactly what the SciPy path gives, unbounded sides included."""
    from parley.sequencing import stn

    graph, _ = _network(seed, n=n, extra=density * n, deadline_excess=None)
    potential, _, _ = stn.find_potential(graph)
    if potential is None:
        return
    for origin in {0, n // 2, n - 1}:
        small = stn._windows_small(graph, potential, origin)
        limit = stn.SMALL_GRAPH_EDGES
        try:
            stn.SMALL_GRAPH_EDGES = -1  # force the SciPy path
            large = stn.windows(graph, potential, origin)
        finally:
            stn.SMALL_GRAPH_EDGES = limit
        np.testing.assert_array_equal(small[0], large[0])
        np.testing.assert_array_equal(small[1], large[1])
