"""The `lns` method: large-neighbourhood search around the peak.

Start from the hierarchical heuristic (hmcos.py) on part of the limit; then repeatedly take a window
of the order around a peak step (decompose.part) and re-order it by band search (band.py: the exact
DP over down-sets of fusion units, restricted to orders moving no unit more than `BAND` places, at
most `CAP` states per layer), and apply the local moves (moves.py), until nothing improves or the
work budget is spent. Every accepted change lowers the peak or removes a step at the peak."""

from __future__ import annotations

from tessera.passes.memory.schedule.band import band_part
from tessera.passes.memory.schedule.base import Budget
from tessera.passes.memory.schedule.hmcos import hmcos, improve
from tessera.passes.memory.schedule.moves import delay_cones
from tessera.passes.memory.schedule.problem import Problem

BAND = 32  # units a band search may move a unit from its place in the current order
CAP = 60  # states kept per layer of a band search
WINDOW = 160  # nodes of the order re-ordered at once
HMCOS_SHARE = 0.4  # of the work budget, for the starting order
BAND_SHARE = 0.5  # of the work budget, for the band windows


def lns(p: Problem, time_limit_s: float, target: int = 0) -> list[int]:
    """Deterministic for a given limit: every phase spends work units (base.Budget), not seconds.
    Stops as soon as the peak reaches `target` (a proven lower bound, e.g. bounds.cut_bound)."""
    order = hmcos(p, time_limit_s, Budget.for_limit(time_limit_s, HMCOS_SHARE), target)
    budget = Budget.for_limit(time_limit_s, BAND_SHARE)
    while not budget.exhausted and p.peak(order) > target:
        curve = p.curve(order)
        before = max(curve), curve.count(max(curve))
        order = improve(p, order, band_part(budget, BAND, CAP), budget, (WINDOW,), target)
        order = delay_cones(p, order, budget)
        curve = p.curve(order)
        if (max(curve), curve.count(max(curve))) >= before:
            break
    return order
