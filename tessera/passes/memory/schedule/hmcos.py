"""Hierarchical heuristic in HMCOS's spirit, and the window search the ILP reuses.

Start from the better of reverse post-order and greedy; then, as HMCOS ungroups around the peak,
repeatedly take the steps around the current peak as a part (decompose.part), fuse it, and re-order it
exactly (a budgeted DP, or CP-SAT for `ilp`). A part's curve is the whole order's curve over its steps,
so every accepted change lowers the peak or removes a step at the peak; the order never gets worse."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tessera.passes.memory.schedule.base import Budget
from tessera.passes.memory.schedule.basic import greedy, reverse_post_order
from tessera.passes.memory.schedule.decompose import Part, part, splice
from tessera.passes.memory.schedule.dp import solve_dp
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.moves import delay_cones
from tessera.passes.memory.schedule.problem import Problem

# Re-order one part: (part, its current peak) -> a better local order, or None.
PartSolver = Callable[[Part, int], "list[int] | None"]


def dp_part(budget: Budget, max_states: int = 20_000) -> PartSolver:
    def solve(piece: Part, peak: int) -> list[int] | None:
        states = min(max_states, max(budget.work, 1))
        result = solve_dp(piece.problem, fuse(piece.problem), peak, states, budget.deadline)
        budget.spend(result.states)
        return result.order

    return solve


def best_heuristic(p: Problem) -> list[int]:
    return min((list(range(p.n)), reverse_post_order(p), greedy(p)), key=p.peak)


def improve(
    p: Problem,
    order: Sequence[int],
    solve_part: PartSolver,
    budget: Budget,
    widths: Sequence[int] = (24, 40, 64),
    target: int = 0,
) -> list[int]:
    """Re-order windows around the peak steps until none of them improves, the work runs out, or
    the peak reaches `target` (a proven lower bound: nothing is left to gain)."""
    order = list(order)
    curve = p.curve(order)
    # a window that failed stays failed while its nodes, the nodes before it and its peak are the same
    # (the part is then the same problem): remember it by those, across improvements elsewhere
    stuck: set[tuple[int, int, int]] = set()
    while not budget.exhausted and max(curve) > target:
        peak = max(curve)
        tries = [
            (max(0, s - w + off), w)
            for w in widths
            for s in (i for i, c in enumerate(curve) if c == peak)
            for off in (w // 2, w // 4, 3 * w // 4)
        ]
        improved = False
        for a, w in dict.fromkeys((a, min(w, p.n - a)) for a, w in tries):
            if budget.exhausted:
                break
            local_peak = max(curve[a : a + w])
            if local_peak < peak:
                continue
            key = (hash(tuple(order[a : a + w])), hash(frozenset(order[:a])), local_peak)
            if key in stuck:
                continue
            piece = part(p, order, a, a + w)
            local = solve_part(piece, local_peak)
            if local is not None and piece.problem.peak(local) < local_peak:
                order = splice(order, a, piece, local)
                curve = p.curve(order)
                improved = True
                break
            stuck.add(key)
        if not improved:
            break
    return order


def hmcos(p: Problem, time_limit_s: float, budget: Budget | None = None, target: int = 0) -> list[int]:
    """Deterministic for a given limit: the search spends work units (Budget), not seconds. It stops
    early when the peak reaches `target` (a proven lower bound)."""
    budget = budget or Budget.for_limit(time_limit_s)
    order = best_heuristic(p)
    while not budget.exhausted and p.peak(order) > target:
        before = p.peak(order), p.curve(order).count(p.peak(order))
        order = improve(p, order, dp_part(budget), budget, target=target)
        order = delay_cones(p, order, budget)
        if (p.peak(order), p.curve(order).count(p.peak(order))) >= before:
            break
    return order
