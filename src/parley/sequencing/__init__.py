"""Sequencing: implementation steps, temporal constraints and the temporal-network engine.

The engine is pure (no database, no web) and works in whole days from an origin event:

* :mod:`parley.sequencing.plan`: the plan contract (:class:`Plan`, :class:`StepSpec`,
  :class:`ConstraintSpec`), :func:`parse_plan` and :class:`PlanError`;
* :mod:`parley.sequencing.check`: :func:`check_plan` and :class:`CheckResult` (earliest/latest
  windows, slack, critical path, or the conflicting constraints in the user's words);
* :mod:`parley.sequencing.incremental`: :class:`IncrementalSTN`, which revalidates one edit at
  a time;
* :mod:`parley.sequencing.whatif`: :func:`what_if`, "if X slips k days, what moves?";
* :mod:`parley.sequencing.stn`: the numpy core (Bellman-Ford with early exit, exact negative
  cycles, Dijkstra windows);
* :mod:`parley.sequencing.cli`: ``parley plan check`` and ``parley plan what-if``.

See docs/sequencing.md for the model and the JSON contract.
"""
