"""Memory-aware scheduling: pick a topological order of a graph's nodes with a low liveness peak.

`schedule(graph, method)` runs one scheduler from SCHEDULERS and returns a ScheduleResult: the order
(node names), its peak under the memory model, a proven lower bound, and how it was found. Methods:
imported, rpo, greedy (heuristics), dp (exact, budgeted), hmcos (hierarchical), lns (hmcos, then
band search around the peak), ilp (fusion +
decomposition + CP-SAT, the seed paper's method)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.passes.memory.model import PLAIN, MemoryModel
from tessera.passes.memory.schedule.base import Outcome
from tessera.passes.memory.schedule.basic import greedy, imported, reverse_post_order
from tessera.passes.memory.schedule.bounds import proven_bound
from tessera.passes.memory.schedule.dp import solve_dp
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.hmcos import best_heuristic, hmcos
from tessera.passes.memory.schedule.ilp_driver import ilp
from tessera.passes.memory.schedule.lns import lns
from tessera.passes.memory.schedule.problem import Problem, build_problem


@dataclass(frozen=True)
class ScheduleResult:
    method: str
    order: tuple[str, ...]  # node names: a topological order of the graph
    peak_bytes: int  # liveness peak of `order` under the model used
    lower_bound_bytes: int  # proven lower bound (== peak_bytes when optimal)
    optimal: bool
    status: str  # "optimal", "feasible", "heuristic", "budget-exceeded"
    time_s: float
    nodes: int = 0
    units: int = 0  # nodes left after fusion
    inplace: bool = False

    @property
    def gap(self) -> float:
        return (self.peak_bytes - self.lower_bound_bytes) / self.peak_bytes if self.peak_bytes else 0.0


Scheduler = Callable[[Problem, float], Outcome]


def _dp(p: Problem, time_limit_s: float) -> Outcome:
    deadline = time.perf_counter() + time_limit_s
    start = best_heuristic(p)
    result = solve_dp(p, fuse(p), p.peak(start), deadline=deadline)
    if not result.proven:
        return Outcome(start, status="budget-exceeded", detail={"states": result.states})
    order = result.order if result.order is not None else start
    return Outcome(order, p.peak(order), True, "optimal", {"states": result.states})


SCHEDULERS: dict[str, Scheduler] = {
    "imported": lambda p, _: Outcome(imported(p)),
    "rpo": lambda p, _: Outcome(reverse_post_order(p)),
    "greedy": lambda p, _: Outcome(greedy(p)),
    "dp": _dp,
    "hmcos": lambda p, limit: Outcome(hmcos(p, limit, target=proven_bound(p))),
    "lns": lambda p, limit: Outcome(lns(p, limit, proven_bound(p))),
    "ilp": ilp,
}


def schedule(
    graph: Graph, method: str = "ilp", *, time_limit_s: float = 10.0, model: MemoryModel = PLAIN
) -> ScheduleResult:
    """Schedule `graph` with `method`; the graph is not changed (the memory-schedule pass reorders)."""
    if method not in SCHEDULERS:
        raise PassError(f"unknown scheduling method {method!r}; available: {', '.join(SCHEDULERS)}")
    if time_limit_s <= 0:
        raise PassError(f"time_limit_s must be positive, got {time_limit_s}")
    start = time.perf_counter()
    p = build_problem(graph, model)
    if p.n == 0:
        return ScheduleResult(method, (), p.base, p.base, True, "optimal", 0.0, 0, 0, model.inplace)
    out = SCHEDULERS[method](p, time_limit_s)
    p.check_order(out.order)
    peak = p.peak(out.order)
    bound = min(peak, max(out.lower_bound, proven_bound(p, out.order)))
    optimal = out.optimal or bound == peak
    status = "optimal" if optimal else out.status
    elapsed = time.perf_counter() - start
    names = tuple(p.names[k] for k in out.order)
    return ScheduleResult(method, names, peak, bound, optimal, status, elapsed, p.n, len(fuse(p)), model.inplace)


__all__ = ["SCHEDULERS", "Outcome", "ScheduleResult", "schedule"]
