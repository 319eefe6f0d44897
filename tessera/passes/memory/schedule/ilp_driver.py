"""The `ilp` method: the seed paper's pipeline, plus decomposition.

1. Warm start: the lns method (the hierarchical heuristic, then band search on windows around the
   peak: lns.py), or a basic heuristic order if one is better.
2. Parts: steps around the peak are re-ordered by CP-SAT on the fused part (windows of the order; a
   part's optimum given the rest is exact, so each accepted window lowers the peak).
3. Proof by DP: the exact DP over fused units, pruned at the peak found, within a time share; when it
   exhausts the orders below that peak, the peak is optimal.
4. Proof by parts: the graph splits at cut nodes into segments that are independent in every order; a segment
   small enough is solved whole by CP-SAT, whose bound is a lower bound on the whole graph's peak.
The lower bound reported is the best of these and the structural bound; the gap is what is left."""

from __future__ import annotations

import time

from tessera.passes.memory.schedule.base import WORK_PER_S, Budget, Outcome
from tessera.passes.memory.schedule.basic import greedy, imported, reverse_post_order
from tessera.passes.memory.schedule.bounds import proven_bound
from tessera.passes.memory.schedule.decompose import Part, part, splice
from tessera.passes.memory.schedule.dp import solve_dp
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.hmcos import PartSolver, improve
from tessera.passes.memory.schedule.ilp import solve_ilp
from tessera.passes.memory.schedule.lns import lns
from tessera.passes.memory.schedule.problem import Problem
from tessera.passes.memory.schedule.structure import topology

WHOLE_LIMIT = 160  # nodes: a segment up to this size goes to CP-SAT whole


def cpsat_part(seconds: float, total: float) -> PartSolver:
    """CP-SAT on a part, `seconds` of deterministic time each, `total` in all (so deterministic)."""
    spent = [0.0]

    def solve(piece: Part, peak: int) -> list[int] | None:
        q = piece.problem
        topo = topology(q)
        limit = min(seconds, total - spent[0])
        if limit < 0.2:
            return None
        spent[0] += limit
        result = solve_ilp(q, topo, fuse(q), list(range(q.n)), proven_bound(q), limit)
        return result.order if result.peak < peak else None

    return solve


def segments(p: Problem, order: list[int]) -> list[tuple[int, int]]:
    """Steps [a, b) between consecutive cut nodes of the order (cut nodes are their own segments)."""
    topo = topology(p)
    cut_steps = sorted(topo.anc[k].bit_count() for k in topo.cuts())
    bounds, prev = [], 0
    for s in cut_steps:
        if s > prev:
            bounds.append((prev, s))
        bounds.append((s, s + 1))
        prev = s + 1
    if prev < p.n:
        bounds.append((prev, p.n))
    return bounds


def ilp(p: Problem, time_limit_s: float) -> Outcome:
    start = time.perf_counter()
    # the warm start is exactly what the lns method returns for this limit (same deterministic
    # budget), or a basic heuristic order if one is better: ilp is never worse than either
    target = proven_bound(p)
    order = lns(p, time_limit_s, target)
    order = min((order, imported(p), reverse_post_order(p), greedy(p)), key=p.peak)
    if p.peak(order) == target:  # the cut bound proves it
        return Outcome(order, target, True, "optimal", {"proof": "cut"})
    # every later phase has a fixed share of the limit in deterministic units (DP states, CP-SAT
    # deterministic seconds); the wall clock (twice the limit) is only a safety net
    safety = start + 2 * time_limit_s
    windows = Budget(int(WORK_PER_S * time_limit_s), safety)
    order = improve(p, order, cpsat_part(2.0, 0.1 * time_limit_s), windows, (48, 80))
    bound = target
    proof = solve_dp(p, fuse(p), p.peak(order), int(WORK_PER_S * 0.05 * time_limit_s), safety, floor=target)
    if proof.proven:  # the DP exhausted every order below the peak: it is optimal (or it found one)
        order = proof.order if proof.order is not None else order
        return Outcome(order, p.peak(order), True, "optimal", {"proof": "dp", "states": proof.states})
    proven_parts, solved = 0, 0
    parts = [(a, b) for a, b in segments(p, order) if b - a > 1 and b - a <= WHOLE_LIMIT]
    share = 0.1 * time_limit_s / max(1, len(parts))
    for a, b in sorted(parts, key=lambda ab: ab[1] - ab[0]):
        if time.perf_counter() > safety or share < 0.1:
            break
        piece = part(p, order, a, b)
        q = piece.problem
        topo = topology(q)
        result = solve_ilp(q, topo, fuse(q), list(range(q.n)), proven_bound(q), share)
        solved += 1
        proven_parts += result.proven
        bound = max(bound, result.bound)
        if result.peak < q.peak(range(q.n)):
            order = splice(order, a, piece, result.order)
    status = "feasible"
    detail = {"segments": len(parts), "segments_solved": solved, "segments_proven": proven_parts}
    return Outcome(order, min(bound, p.peak(order)), False, status, detail)
