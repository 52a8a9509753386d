"""The array core of the Simple Temporal Network: integer days, numpy, no names.

A *distance edge* ``u -> v`` with weight ``w`` says ``t(v) - t(u) <= w``. A constraint
``to - from ∈ [lo, hi]`` gives two of them: ``from -> to`` with weight ``hi`` (its *max side*)
and ``to -> from`` with weight ``-lo`` (its *min side*); a missing bound gives no edge.

The network is consistent exactly when the distance graph has no negative cycle. Then, with
``d(a, b)`` the shortest-path distance and ``O`` the origin:

* latest(v)   = d(O, v)    (``INF`` when nothing bounds v from above),
* earliest(v) = -d(v, O)   (``INF`` in ``dist_to_origin`` when nothing bounds v from below).

:func:`solve` finds a feasible potential with a vectorised Bellman-Ford from a virtual source
(every node starts at 0, so cycles anywhere are found, not only those reachable from ``O``),
stops as soon as a pass changes nothing, and otherwise watches the predecessor graph, whose
cycles are always negative, to return the exact cycle. The potential then makes every reduced
weight non-negative so the two windows come from two Dijkstra runs in scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

#: "Unbounded" in the int64 result arrays; far above any reachable sum of day bounds.
INF = np.iinfo(np.int64).max // 4

#: Day bounds are capped so that path sums stay exact in float64 (scipy's Dijkstra).
MAX_ABS_DAYS = 1_000_000

# Tracking predecessors costs one extra gather over the improved segments per pass; a large
# network starts without it because it usually converges in a few passes.
_TRACK_FROM_PASS = 6
_TRACK_ALWAYS_BELOW = 4096  # nodes
# Shortcutting along the predecessor forest (see _shortcut) pays off on deep networks.
_SHORTCUT_EVERY = 2
# Looking for a predecessor cycle costs about log2(n) gathers of n, so do it every few passes.
_CYCLE_CHECK_EVERY = 6


def max_side(k: IntArray) -> IntArray:
    """Edge label of constraint ``k``'s max side (``from -> to``, weight ``hi``)."""
    return 2 * k


def min_side(k: IntArray) -> IntArray:
    """Edge label of constraint ``k``'s min side (``to -> from``, weight ``-lo``)."""
    return 2 * k + 1


def constraint_edges(
    source: IntArray,
    target: IntArray,
    lo: IntArray,
    hi: IntArray,
    has_lo: NDArray[np.bool_],
    has_hi: NDArray[np.bool_],
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Distance edges ``(src, dst, weight, label)`` for constraints ``target - source ∈ [lo, hi]``.

    The label of an edge is ``2k`` for constraint ``k``'s max side and ``2k + 1`` for its min
    side, so a cycle maps straight back to the constraints and the bound each one contributes.
    """
    k = np.arange(len(source), dtype=np.int64)
    src = np.concatenate([source[has_hi], target[has_lo]]).astype(np.int64, copy=False)
    dst = np.concatenate([target[has_hi], source[has_lo]]).astype(np.int64, copy=False)
    weight = np.concatenate([hi[has_hi], -lo[has_lo]]).astype(np.int64, copy=False)
    label = np.concatenate([max_side(k[has_hi]), min_side(k[has_lo])])
    return src, dst, weight, label


@dataclass(frozen=True)
class DistanceGraph:
    """Distance edges reduced to the tightest per ordered pair and sorted by ``(dst, src)``.

    ``label[i]`` is the label of the edge that gives edge ``i`` its weight; among equally tight
    edges the one given first wins, so explanations are stable.
    """

    n: int
    src: IntArray
    dst: IntArray
    weight: IntArray
    label: IntArray

    @property
    def m(self) -> int:
        return len(self.src)

    @classmethod
    def build(
        cls, n: int, src: IntArray, dst: IntArray, weight: IntArray, label: IntArray
    ) -> DistanceGraph:
        """Reduce parallel edges to the tightest one: bounds on one pair meet, they never add up.

        Among equally tight edges the smallest label wins, i.e. the constraint given first.
        """
        if len(src) == 0:
            empty = np.zeros(0, dtype=np.int64)
            return cls(n, empty, empty, empty, empty)
        key = dst.astype(np.int64) * n + src
        order = edge_order(n, src, dst, key)
        key_s = key[order]
        fresh = np.r_[True, key_s[1:] != key_s[:-1]]
        w_min = int(weight.min())
        span = int(label.max()) + 1
        if label.min() < 0 or (int(weight.max()) - w_min + 1) * span >= 2**62:
            raise ValueError("labels must be >= 0 and day bounds within MAX_ABS_DAYS")
        # One number per edge that orders by weight, then label: the minimum of a group is
        # its tightest bound, and the constraint given first among equally tight ones.
        rank = ((weight - w_min) * span + label)[order]
        if not fresh.all():
            starts = np.flatnonzero(fresh)
            rank = np.minimum.reduceat(rank, starts)
            key_s = key_s[starts]
        # Decoding beats gathering: these arrays are long and the gathers random.
        return cls(n, key_s % n, key_s // n, rank // span + w_min, rank % span)


def edge_order(n: int, src: IntArray, dst: IntArray, key: IntArray) -> IntArray:
    """An order of the edges by destination, then source (``key = dst * n + src``).

    Up to 2^16 nodes, two stable passes on 16-bit ids, which NumPy sorts by radix, are about
    four times faster than a comparison sort of the key (2 against 8.5 ms for 142,000 edges):
    a fifth of a full check at 10^4 events.
    """
    if n <= RADIX_NODES:
        by_src = np.argsort(src.astype(np.uint16), kind="stable")
        return by_src[np.argsort(dst.astype(np.uint16)[by_src], kind="stable")]
    return np.argsort(key)


RADIX_NODES = 1 << 16


@dataclass(frozen=True)
class Cycle:
    """A negative cycle: ``edges[i]`` runs from ``nodes[i]`` to ``nodes[i + 1]`` (wrapping)."""

    nodes: tuple[int, ...]
    edges: tuple[int, ...]  # indices into the DistanceGraph arrays
    labels: tuple[int, ...]
    weight: int


@dataclass(frozen=True)
class Solution:
    """The outcome of :func:`solve`; windows are ``None`` when the network is inconsistent."""

    consistent: bool
    potential: IntArray | None  # h(v) = min over u of d(u, v); a feasible schedule
    dist_from_origin: IntArray | None  # latest times, INF when unbounded
    dist_to_origin: IntArray | None  # minus earliest times, INF when unbounded
    cycle: Cycle | None
    passes: int


def _segments(graph: DistanceGraph) -> tuple[IntArray, IntArray, IntArray]:
    """Start offset, length and head node of each run of edges sharing a destination."""
    starts = np.flatnonzero(np.r_[True, graph.dst[1:] != graph.dst[:-1]])
    lengths = np.diff(np.r_[starts, graph.m]).astype(np.int64)
    return starts, lengths, graph.dst[starts]


def _gather_ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenate ``range(s, s + l)`` for every pair, without a Python loop."""
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _cycle_node(pred_node: IntArray) -> int | None:
    """A node on a cycle of the predecessor graph, or ``None`` when it is a forest.

    Pointer doubling: after ``2^k >= n`` jumps every node whose chain ends in a cycle sits on it.
    """
    n = len(pred_node)
    jump = np.append(np.where(pred_node >= 0, pred_node, n), n)
    reach = 1
    while reach <= n:
        jump = jump[jump]
        reach *= 2
    on_cycle = jump[:n][jump[:n] != n]
    return int(on_cycle[0]) if len(on_cycle) else None


def _extract_cycle(graph: DistanceGraph, pred_edge: IntArray, start: int) -> Cycle:
    nodes: list[int] = []
    edges: list[int] = []
    seen: set[int] = set()
    v = start
    while v not in seen:  # walk back to a repeated node, in case start only leads to the cycle
        seen.add(v)
        v = int(graph.src[pred_edge[v]])
    first = v
    while True:
        e = int(pred_edge[v])
        edges.append(e)
        v = int(graph.src[e])
        nodes.append(v)
        if v == first:
            break
    nodes.reverse()
    edges.reverse()
    # Rotate so the cycle starts at its smallest node: the same conflict reads the same way.
    r = nodes.index(min(nodes))
    nodes = nodes[r:] + nodes[:r]
    edges = edges[r:] + edges[:r]
    weight = int(graph.weight[edges].sum())
    labels = tuple(int(x) for x in graph.label[edges])
    return Cycle(tuple(nodes), tuple(edges), labels, weight)


def _shortcut(graph: DistanceGraph, dist: IntArray, pred_edge: IntArray) -> IntArray:
    """For every node, the best ``dist[a] + path(a -> v)`` over its ancestors ``a`` in the
    predecessor forest, by pointer doubling in ``log2(n)`` vectorised steps.

    Jacobi passes move a decrease one edge per pass, so a network whose shortest paths are
    thousands of edges long (a long chain of steps, each "at least k days after" the last)
    would need thousands of passes. Once the predecessor forest has the shape of those paths,
    one shortcut carries a decrease down the whole chain. Every value is the length of a real
    walk, so it never undercuts a true distance, and the convergence test is unchanged.
    """
    n = graph.n
    has = pred_edge >= 0
    edge = np.maximum(pred_edge, 0)
    up = np.where(has, graph.src[edge], np.arange(n))  # 2^k-th ancestor (roots point to self)
    length = np.where(has, graph.weight[edge], 0)  # path weight from that ancestor
    best = dist[up] + length  # best over ancestors at distance 1 .. 2^k
    for _ in range(max(1, n.bit_length())):
        best = np.minimum(best, best[up] + length)
        length = length + length[up]
        up_next = up[up]
        if np.array_equal(up_next, up):
            break
        up = up_next
    return best


def find_potential(graph: DistanceGraph) -> tuple[IntArray | None, Cycle | None, int]:
    """Bellman-Ford from a virtual source linked to every node with weight 0.

    Each pass relaxes every edge at once from the previous pass's values (Jacobi style); every
    other pass also shortcuts along the predecessor forest; the loop stops at the first pass
    that changes nothing. Returns ``(potential, None, passes)`` when consistent and
    ``(None, cycle, passes)`` otherwise.

    Cycles of the predecessor graph are negative (each predecessor edge satisfies
    ``dist[v] >= dist[p(v)] + w`` and the last one set is strict), which is how the exact
    cycle is found without waiting ``n`` passes. Shortcuts keep the inequality but may lose the
    strictness, so a predecessor cycle that is not negative switches them off and restarts
    tracking, after which plain Jacobi passes carry the classic guarantee.
    """
    n = graph.n
    dist = np.zeros(n, dtype=np.int64)
    if graph.m == 0:
        return dist, None, 0
    starts, lengths, heads = _segments(graph)
    pred_edge = np.full(n, -1, dtype=np.int64)
    track_from = 1 if n < _TRACK_ALWAYS_BELOW else _TRACK_FROM_PASS
    shortcuts = True
    plain_since = 0  # the pass after which the plain Jacobi guarantee holds
    passes = 0
    while True:
        passes += 1
        cand = dist[graph.src] + graph.weight
        best = np.minimum.reduceat(cand, starts)
        improved = best < dist[heads]
        if not improved.any():
            return dist, None, passes
        seg = np.flatnonzero(improved)
        tracking = passes >= track_from
        if tracking:
            # The predecessor of each improved head: its first in-edge achieving the minimum.
            pos = _gather_ranges(starts[seg], lengths[seg])
            which = np.repeat(np.arange(len(seg), dtype=np.int64), lengths[seg])
            hit = cand[pos] == best[seg][which]
            pos, which = pos[hit], which[hit]
            first = np.r_[True, which[1:] != which[:-1]]
            pred_edge[heads[seg[which[first]]]] = pos[first]
        dist[heads[seg]] = best[seg]
        if not tracking:
            continue
        if passes % _CYCLE_CHECK_EVERY == 0 or passes - plain_since > n:
            pred_node = np.where(pred_edge >= 0, graph.src[np.maximum(pred_edge, 0)], -1)
            start = _cycle_node(pred_node)
            if start is not None:
                cycle = _extract_cycle(graph, pred_edge, start)
                if cycle.weight < 0:
                    return None, cycle, passes
            if start is not None or passes - plain_since > n + 2 * _CYCLE_CHECK_EVERY:
                if not shortcuts:
                    raise AssertionError("Bellman-Ford neither converged nor found a cycle")
                shortcuts = False
                plain_since = passes
                pred_edge.fill(-1)
        if shortcuts and passes % _SHORTCUT_EVERY == 0:
            np.minimum(dist, _shortcut(graph, dist, pred_edge), out=dist)


#: Up to this many edges the windows come from a plain heap Dijkstra in integers: importing
#: SciPy costs more than a small plan's whole check (``parley plan check`` answers at once).
SMALL_GRAPH_EDGES = 512


def _dijkstra(adjacent: list[list[tuple[int, int]]], origin: int) -> dict[int, int]:
    """Shortest distances from ``origin`` over non-negative integer weights."""
    import heapq

    done: dict[int, int] = {}
    heap = [(0, origin)]
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done[u] = d
        for v, w in adjacent[u]:
            if v not in done:
                heapq.heappush(heap, (d + w, v))
    return done


def _windows_small(
    graph: DistanceGraph, potential: IntArray, origin: int
) -> tuple[IntArray, IntArray]:
    """:func:`windows` for a small graph, without SciPy (same results, exact integers)."""
    n = graph.n
    h = potential.tolist()
    forward: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    backward: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for u, v, w in zip(graph.src.tolist(), graph.dst.tolist(), graph.weight.tolist(), strict=True):
        reduced = w + h[u] - h[v]
        forward[u].append((v, reduced))
        backward[v].append((u, reduced))
    dist_from = np.full(n, INF, dtype=np.int64)
    dist_to = np.full(n, INF, dtype=np.int64)
    for v, d in _dijkstra(forward, origin).items():
        dist_from[v] = d - h[origin] + h[v]
    for v, d in _dijkstra(backward, origin).items():
        dist_to[v] = d + h[origin] - h[v]
    return dist_from, dist_to


def windows(graph: DistanceGraph, potential: IntArray, origin: int) -> tuple[IntArray, IntArray]:
    """``(d(origin, ·), d(·, origin))`` by two Dijkstra runs on potential-reduced weights.

    With a feasible potential ``h`` the reduced weight ``w + h(u) - h(v)`` is never negative,
    which is what Dijkstra needs; explicit zero weights stay edges in scipy's sparse graphs.
    """
    if graph.m <= SMALL_GRAPH_EDGES:
        return _windows_small(graph, potential, origin)
    # SciPy is imported here, not at the top: every web worker imports this module, and SciPy
    # costs a large share of start-up while only a plan with constraints reaches this line.
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    n = graph.n
    if graph.m == 0:
        out = np.full(n, INF, dtype=np.int64)
        out[origin] = 0
        return out, out.copy()
    h = potential
    reduced = (graph.weight + h[graph.src] - h[graph.dst]).astype(np.float64)
    # Edges are sorted by (dst, src): they already are the rows of the reversed graph.
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(graph.dst, minlength=n), out=indptr[1:])
    bwd = sp.csr_matrix((reduced, graph.src, indptr), shape=(n, n))
    fwd = bwd.transpose().tocsr()
    df = np.asarray(dijkstra(fwd, directed=True, indices=origin))
    db = np.asarray(dijkstra(bwd, directed=True, indices=origin))
    dist_from = np.full(n, INF, dtype=np.int64)
    dist_to = np.full(n, INF, dtype=np.int64)
    ok = np.isfinite(df)
    dist_from[ok] = np.rint(df[ok]).astype(np.int64) - h[origin] + h[ok]
    ok = np.isfinite(db)
    dist_to[ok] = np.rint(db[ok]).astype(np.int64) + h[origin] - h[ok]
    return dist_from, dist_to


def solve(graph: DistanceGraph, origin: int, *, with_windows: bool = True) -> Solution:
    """Consistency, the exact negative cycle when there is one, and the windows when not."""
    potential, cycle, passes = find_potential(graph)
    if potential is None:
        return Solution(False, None, None, None, cycle, passes)
    if not with_windows:
        return Solution(True, potential, None, None, None, passes)
    dist_from, dist_to = windows(graph, potential, origin)
    return Solution(True, potential, dist_from, dist_to, None, passes)


@dataclass(frozen=True)
class Schedule:
    """Per-node windows in days from the origin; ``INF`` marks an unbounded side.

    ``critical`` marks the events that cannot move once the plan is to finish as early as it
    can: with ``finish`` the largest bounded earliest time, an event is critical when its
    earliest time equals its latest time in the network plus "every event at most ``finish``".
    That latest time is ``min(d(O, v), finish + h(v))`` with ``h(v) = min_u d(u, v)``, the
    potential :func:`find_potential` returns. Every event with zero slack is critical; with no
    deadline in the plan this is the classic critical path method.
    """

    earliest: IntArray  # INF when unbounded below (stored positive: test with >= INF)
    latest: IntArray
    slack: IntArray
    critical: NDArray[np.bool_]
    finish: int | None


def schedule(dist_from: IntArray, dist_to: IntArray, potential: IntArray) -> Schedule:
    has_earliest = dist_to < INF
    has_latest = dist_from < INF
    earliest = np.where(has_earliest, -dist_to, INF)
    latest = np.where(has_latest, dist_from, INF)
    slack = np.where(has_earliest & has_latest, latest - earliest, INF)
    if not has_earliest.any():
        return Schedule(earliest, latest, slack, np.zeros(len(earliest), dtype=bool), None)
    finish = int(earliest[has_earliest].max())
    latest_by_finish = np.minimum(latest, finish + potential)
    critical = has_earliest & (latest_by_finish == earliest)
    return Schedule(earliest, latest, slack, critical, finish)
