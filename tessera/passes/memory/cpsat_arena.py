"""Arena placement by CP-SAT: lifetimes are fixed x-intervals, offsets are y, AddNoOverlap2D keeps
boxes apart, and the arena (the highest box top) is minimised. Warm-started from the best heuristic
plan; the max load (largest sum of sizes live at one step) is the lower bound, so a heuristic plan
that reaches it is optimal without calling the solver."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from tessera.errors import PassError
from tessera.ir.liveness import Lifetime
from tessera.passes.memory.best_fit import arena_size, best_fit, max_load

DEFAULT_TIME_LIMIT_S = 5.0


@dataclass(frozen=True)
class Placement:
    """A planner's answer with what it knows about its quality."""

    offsets: dict[str, int] = field(default_factory=dict)
    status: str = "heuristic"  # "optimal" when proven, "feasible" when the solver stopped on time
    lower_bound_bytes: int = 0


def cpsat(
    spans: Sequence[Lifetime], time_limit_s: float | None = None, workers: int = 2, groups: Sequence = ()
) -> Placement:
    """Minimum-arena offsets for `spans` (sizes already aligned), proven optimal when CP-SAT can
    within `time_limit_s` (default 5 s); never worse than `best_fit`. With in-place `groups` the solver
    is not run (its boxes cannot share an offset yet): best_fit's plan, optimal if it meets the bound."""
    limit = DEFAULT_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if limit <= 0:
        raise PassError(f"cp-sat arena planner needs a positive time limit, got {limit}")
    if groups:
        hint = best_fit(spans, groups=groups)
        bound = max_load(spans, groups)
        return Placement(hint, "optimal" if arena_size(spans, hint) <= bound else "heuristic", bound)
    start = time.perf_counter()
    hint = best_fit(spans)
    bound = max_load(spans)
    upper = arena_size(spans, hint)
    if upper <= bound:
        return Placement(hint, "optimal", bound)
    remaining = limit - (time.perf_counter() - start)
    if remaining <= 0:
        return Placement(hint, "feasible", bound)
    return _solve(spans, hint, bound, upper, remaining, workers)


def _solve(
    spans: Sequence[Lifetime], hint: dict[str, int], bound: int, upper: int, limit: float, workers: int
) -> Placement:
    from ortools.sat.python import cp_model

    unit = math.gcd(*(t.size for t in spans if t.size)) or 1  # solve in units of the common divisor
    top = upper // unit
    model = cp_model.CpModel()
    arena = model.new_int_var(-(-bound // unit), top, "arena")
    xs, ys, offset = [], [], {}
    for i, t in enumerate(spans):
        size = t.size // unit
        y = model.new_int_var(0, max(top - size, 0), f"y{i}")
        offset[t.value] = y
        model.add_hint(y, hint[t.value] // unit)
        if size == 0:
            continue
        model.add(arena >= y + size)
        xs.append(model.new_fixed_size_interval_var(t.first, t.last - t.first + 1, f"x{i}"))
        ys.append(model.new_fixed_size_interval_var(y, size, f"h{i}"))
    model.add_no_overlap_2d(xs, ys)
    model.add_hint(arena, top)
    model.minimize(arena)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Placement(hint, "feasible", bound)
    found = {name: solver.value(y) * unit for name, y in offset.items()}
    lower = max(bound, int(solver.best_objective_bound) * unit)
    if arena_size(spans, found) > arena_size(spans, hint):  # the solver returns its best; guard anyway
        return Placement(hint, "feasible", lower)
    return Placement(found, "optimal" if status == cp_model.OPTIMAL else "feasible", lower)
