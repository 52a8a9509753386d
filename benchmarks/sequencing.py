"""Benchmark of the temporal engine (issue 5): incremental edits and full checks.

Run ``python benchmarks/sequencing.py`` (``--quick`` for a smoke run). Fixed seeds. Baselines
are measured in the same run on the same instances: networkx's Bellman-Ford with negative-cycle
detection and scipy's ``johnson``; a baseline predicted to take more than 60 s is skipped and
the output says so. Figures are wall-clock on whatever machine runs it.

Instances are plan-like: events carry a hidden schedule; a chain of "at least the gap" bounds
links consecutive events (so shortest paths are long), random bounds join events close in time,
one in twenty joins any two; about half the bounds have a maximum, one in fifty is "exactly".
An inconsistent instance adds one deadline too short for the chain. A *deep* instance drops the
long-range links, so its shortest paths run the whole chain: the hard case for a Bellman-Ford
that relaxes in passes.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from parley.sequencing.check import check_plan, conflict_of  # noqa: E402
from parley.sequencing.incremental import IncrementalSTN  # noqa: E402
from parley.sequencing.plan import ConstraintSpec, EventSpec, Plan  # noqa: E402
from parley.sequencing.stn import (  # noqa: E402
    DistanceGraph,
    constraint_edges,
    schedule,
    solve,
)

BASELINE_BUDGET_S = 60.0


@dataclass
class Instance:
    n: int
    source: np.ndarray
    target: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    has_lo: np.ndarray
    has_hi: np.ndarray
    hidden: np.ndarray

    @property
    def m(self) -> int:
        return len(self.source)

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return constraint_edges(
            self.source, self.target, self.lo, self.hi, self.has_lo, self.has_hi
        )


def make_instance(
    n: int, m: int, seed: int, *, inconsistent: bool = False, deep: bool = False
) -> Instance:
    rng = np.random.default_rng(seed)
    hidden = np.sort(rng.integers(0, 5 * n, n))
    hidden[0] = 0
    k = m - (n - 1)
    a = rng.integers(0, n - 1, k)
    offset = rng.integers(1, 50, k)
    if not deep:
        far = rng.random(k) < 0.05
        offset[far] = rng.integers(1, n, int(far.sum()))
    b = np.minimum(a + offset, n - 1)
    source = np.concatenate([np.arange(n - 1), a])
    target = np.concatenate([np.arange(1, n), b])
    gap = hidden[target] - hidden[source]
    lo = gap - rng.integers(0, 20, len(source))
    lo[: n - 1] = gap[: n - 1] - rng.integers(0, 4, n - 1)  # the chain: nearly tight
    hi = gap + rng.integers(5, 60, len(source))
    pinned = rng.random(len(source)) < 0.02  # "exactly k days after"
    lo[pinned] = hi[pinned] = gap[pinned]
    has_hi = (rng.random(len(source)) < 0.5) | pinned
    has_lo = (rng.random(len(source)) >= 0.2) | pinned | ~has_hi
    has_lo[: n - 1] = True
    if inconsistent:
        # A deadline shorter than the chain's own minimum: the chain and it form a cycle.
        j = n - 1 - n // 3
        chain_min = int(lo[:j].sum())
        source = np.append(source, 0)
        target = np.append(target, j)
        lo = np.append(lo, 0)
        hi = np.append(hi, chain_min - 12)
        has_lo = np.append(has_lo, False)
        has_hi = np.append(has_hi, True)
    return Instance(n, source, target, lo, hi, has_lo, has_hi, hidden)


class LazySpecs(Sequence[ConstraintSpec]):
    """ConstraintSpecs made on demand: an explanation reads only the constraints it names."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def __len__(self) -> int:
        return self.inst.m

    def __getitem__(self, k: Any) -> Any:
        i = self.inst
        return ConstraintSpec(
            f"c{k}",
            f"e{i.source[k]}",
            f"e{i.target[k]}",
            int(i.lo[k]) if i.has_lo[k] else None,
            int(i.hi[k]) if i.has_hi[k] else None,
        )

    def __iter__(self) -> Iterator[ConstraintSpec]:
        return (self[k] for k in range(len(self)))


def to_plan(inst: Instance) -> Plan:
    return Plan(
        origin="e0",
        events=tuple(EventSpec(f"e{v}") for v in range(inst.n)),
        constraints=tuple(LazySpecs(inst)),
    )


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds. On a shared machine CPU time shows what the code costs
    when other processes take turns on the cores; the goals are about wall-clock."""

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall * 1000:9.2f} ms (cpu {self.cpu * 1000:8.2f})"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Timing, Any]:
    """Best-of-``repeat`` timing and the last result; the collector is paused while timing."""
    wall = cpu = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            w0, c0 = time.perf_counter(), time.process_time()
            result = fn()
            wall = min(wall, time.perf_counter() - w0)
            cpu = min(cpu, time.process_time() - c0)
        finally:
            gc.enable()
    return Timing(wall, cpu), result


def median(timings: Sequence[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
    )


def percentile(timings: Sequence[Timing], q: float) -> Timing:
    return Timing(
        float(np.percentile([t.wall for t in timings], q)),
        float(np.percentile([t.cpu for t in timings], q)),
    )


# --------------------------------------------------------------------------- our full check


def full_check(inst: Instance) -> dict[str, Any]:
    """Arrays in, verdict out: windows, slack and critical path, or the named conflict."""
    src, dst, w, label = inst.edges()
    graph = DistanceGraph.build(inst.n, src, dst, w, label)
    sol = solve(graph, origin=0)
    if not sol.consistent:
        assert sol.cycle is not None
        conflict = conflict_of(sol.cycle.labels, sol.cycle.weight, LazySpecs(inst))
        return {
            "consistent": False,
            "excess_days": conflict.excess_days,
            "explanation": conflict.explanation,
            "size": len(conflict.links),
        }
    assert sol.dist_from_origin is not None and sol.dist_to_origin is not None
    assert sol.potential is not None
    sched = schedule(sol.dist_from_origin, sol.dist_to_origin, sol.potential)
    return {"consistent": True, "critical": int(sched.critical.sum()), "passes": sol.passes}


# --------------------------------------------------------------------------- baselines


def networkx_check(inst: Instance) -> Callable[[], Any]:
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(range(inst.n))
    src, dst, w, _ = inst.edges()
    for a, b, x in zip(src.tolist(), dst.tolist(), w.tolist(), strict=True):
        if not graph.has_edge(a, b) or graph[a][b]["weight"] > x:
            graph.add_edge(a, b, weight=x)
    reverse = graph.reverse(copy=True)

    def run() -> Any:
        if nx.negative_edge_cycle(graph):
            return nx.find_negative_cycle(graph, 0)  # the deadline makes it reachable from 0
        latest = nx.single_source_bellman_ford_path_length(graph, 0)
        earliest = nx.single_source_bellman_ford_path_length(reverse, 0)
        return len(latest), len(earliest)

    return run


def scipy_johnson_check(inst: Instance) -> Callable[[], Any]:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import NegativeCycleError, johnson

    src, dst, w, label = inst.edges()
    g = DistanceGraph.build(inst.n, src, dst, w, label)  # csr would add up parallel edges
    fwd = sp.csr_matrix((g.weight.astype(float), (g.src, g.dst)), shape=(g.n, g.n))
    bwd = fwd.T.tocsr()

    def run() -> Any:
        try:
            latest = johnson(fwd, directed=True, indices=0)
            earliest = johnson(bwd, directed=True, indices=0)
        except NegativeCycleError:
            return "negative cycle"
        return latest.shape, earliest.shape

    return run


# --------------------------------------------------------------------------- incremental edits


def edit_script(inst: Instance, count: int, seed: int) -> list[tuple[str, Any]]:
    """Edits that keep the hidden schedule feasible: tighten, loosen, add, remove."""
    rng = np.random.default_rng(seed)
    script: list[tuple[str, Any]] = []
    added: list[str] = []

    def pick(rng: np.random.Generator) -> int:
        # A third of the edits hit the chain, so their effect runs down every later event.
        chain = inst.n - 1
        return int(rng.integers(0, chain) if rng.random() < 0.3 else rng.integers(chain, inst.m))

    for i in range(count):
        roll = rng.random()
        if roll < 0.35:
            k = pick(rng)
            gap = int(inst.hidden[inst.target[k]] - inst.hidden[inst.source[k]])
            lo = int(inst.lo[k]) if inst.has_lo[k] else gap - 30
            hi = int(inst.hi[k]) if inst.has_hi[k] else gap + 60
            script.append(
                (
                    "tighten",
                    (
                        f"c{k}",
                        max(lo, gap - int(rng.integers(0, 5))),
                        min(hi, gap + int(rng.integers(0, 5))),
                    ),
                )
            )
        elif roll < 0.55:
            k = pick(rng)
            # Widen what the constraint has; drop its maximum half the time if it keeps a minimum.
            wider_lo = int(inst.lo[k]) - int(rng.integers(1, 10)) if inst.has_lo[k] else None
            wider_hi = int(inst.hi[k]) + 30 if inst.has_hi[k] else None
            if wider_lo is not None and rng.random() < 0.5:
                wider_hi = None
            script.append(("loosen", (f"c{k}", wider_lo, wider_hi)))
        elif roll < 0.85 or not added:
            a = int(rng.integers(0, inst.n - 1))
            b = min(inst.n - 1, a + int(rng.integers(1, 200)))
            gap = int(inst.hidden[b] - inst.hidden[a])
            cid = f"new{i}"
            added.append(cid)
            spec = ConstraintSpec(
                cid,
                f"e{a}",
                f"e{b}",
                gap - int(rng.integers(0, 10)),
                gap + int(rng.integers(0, 30)),
            )
            script.append(("add", spec))
        else:
            script.append(("remove", added.pop(int(rng.integers(0, len(added))))))
    return script


def apply_edit(stn: IncrementalSTN, kind: str, arg: Any) -> Any:
    if kind in ("tighten", "loosen"):
        return stn.set_bounds(*arg)
    if kind == "add":
        return stn.add_constraint(arg)
    return stn.remove_constraint(arg)


def bench_incremental(n: int, m: int, edits: int, baseline_reps: int) -> None:
    print(f"\n== An edit revalidated, every window refreshed: {n:,} events / {m:,} constraints")
    inst = make_instance(n, m, seed=11)
    plan = to_plan(inst)
    load, stn = timed(lambda: IncrementalSTN.from_plan(plan))
    print(f"load and first full check (IncrementalSTN.from_plan): {load}")
    times: dict[str, list[Timing]] = {}
    moved: list[int] = []
    recomputed = 0
    for kind, arg in edit_script(inst, edits, seed=12):

        def edit(kind: str = kind, arg: Any = arg) -> Any:
            result = apply_edit(stn, kind, arg)
            return result, stn.windows()  # every window, as a fresh dict

        t, (result, windows) = timed(edit)
        assert result.consistent and len(windows) == n
        times.setdefault(kind, []).append(t)
        moved.append(len(result.changes))
        recomputed += result.recomputed
    every = [t for ts in times.values() for t in ts]
    p95 = percentile(every, 95)
    print(f"{len(every)} edits (goal p95 <= 10 ms):")
    print(
        f"  all      p50 {median(every)}  p95 {p95}  max {max(t.wall for t in every) * 1000:.2f} ms"
    )
    for kind, ts in times.items():
        print(f"  {kind:8s} p50 {median(ts)}  p95 {percentile(ts, 95)}  (x{len(ts)})")
    print(
        f"  windows moved per edit: mean {statistics.mean(moved):.1f}, max {max(moved)}; "
        f"full recomputations: {recomputed}"
    )

    # A contradicting edit: detected and explained, then withdrawn (which heals by a full check).
    j = n - 1 - n // 3
    bad = ConstraintSpec("deadline", "e0", f"e{j}", None, int(inst.lo[:j].sum()) - 12)
    t_bad, res = timed(lambda: stn.add_constraint(bad))
    assert not res.consistent
    t_heal, healed = timed(lambda: stn.remove_constraint("deadline"))
    assert healed.consistent
    size = len(res.conflict.links)
    print(f"a contradicting edit, its {size}-constraint conflict explained: {t_bad}")
    print(f"withdrawing it again (the network was inconsistent: full recheck): {t_heal}")

    print("baselines, each a full revalidation of the same network (ratio to the edit p95):")
    for name, run in [
        ("parley full check (numpy)", lambda: full_check(inst)),
        ("networkx Bellman-Ford + neg. cycle", networkx_check(inst)),
        ("scipy johnson (2 runs, one source)", scipy_johnson_check(inst)),
    ]:
        t, _ = timed(run, repeat=baseline_reps)
        print(f"  {name:36s} {t}   {t.wall / p95.wall:8.1f}x")


# --------------------------------------------------------------------------- full checks


def bench_full(sizes: list[tuple[int, int]], reps: int) -> None:
    print("\n== A full check with explanation (arrays in; windows + critical path, or conflict)")
    previous: dict[str, float] = {}
    for n, m in sizes:
        goal = "<= 50 ms" if n <= 10_000 else "<= 1 s"
        print(f"-- {n:,} events / {m:,} constraints (goal {goal}; median of {reps})")
        for label, kwargs in [
            ("consistent", {}),
            ("inconsistent", {"inconsistent": True}),
            ("deep, consistent", {"deep": True}),
            ("deep, inconsistent", {"deep": True, "inconsistent": True}),
        ]:
            inst = make_instance(n, m, seed=21, **kwargs)
            t = median([timed(partial(full_check, inst))[0] for _ in range(reps)])
            out = full_check(inst)
            detail = (
                f"{out['passes']} passes, {out['critical']} critical"
                if out["consistent"]
                else f"conflict of {out['size']} constraints, {out['excess_days']} days"
            )
            print(f"  parley {label:20s} {t}   ({detail})")
            if label.startswith("deep"):
                continue
            # growth: how much longer the next size is expected to take, from this run's scaling
            for name, make, growth in [
                ("networkx BF + neg. cycle", networkx_check, 40.0),
                ("scipy johnson", scipy_johnson_check, 100.0),
            ]:
                key = f"{name}/{label}"
                if key in previous and previous[key] * growth > BASELINE_BUDGET_S:
                    print(
                        f"    {name:26s} skipped: predicted {previous[key] * growth:,.0f} s "
                        f"(> {BASELINE_BUDGET_S:.0f} s) from the smaller size"
                    )
                    continue
                t_base, _ = timed(make(inst))
                previous[key] = t_base.wall
                print(f"    {name:26s} {t_base}   ratio {t_base.wall / t.wall:8.1f}x")
        plan = to_plan(make_instance(n, m, seed=21))
        t_plan, _ = timed(partial(check_plan, plan))
        print(f"  end to end: check_plan(Plan) from {m:,} Python ConstraintSpecs: {t_plan}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    if args.quick:
        bench_incremental(500, 5_000, edits=60, baseline_reps=1)
        bench_full([(2_000, 20_000)], reps=2)
    else:
        bench_incremental(2_000, 20_000, edits=400, baseline_reps=3)
        bench_full([(10_000, 100_000), (100_000, 1_000_000)], reps=5)


if __name__ == "__main__":
    main()
