"""The seed paper's ILP as a CP-SAT model, with topology-aware variable pruning and a warm start.

Booleans run_at[k][j] (node k runs at step j) and T[t][j] (tensor t is live at step j) exist only inside
the step window of their node (j >= |ancestors|, j <= n-1-|descendants|). Each node runs once, one
node per step, producers before readers; a tensor is live when made, while read, and back-to-back in
between (T[t][j] => T[t][j-1] or made at j); a node that overwrites an input in place needs it live at
the step before instead of its own. Memory at each step <= mem, minimise mem. Units from fusion run
at consecutive steps."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ortools.sat.python import cp_model

from tessera.passes.memory.schedule.fusion import follow_units
from tessera.passes.memory.schedule.problem import Problem
from tessera.passes.memory.schedule.structure import Topology


@dataclass(frozen=True)
class ILPResult:
    order: list[int]
    peak: int
    bound: int
    proven: bool
    status: str
    time_s: float


def solve_ilp(
    p: Problem,
    topo: Topology,
    units: Sequence[Sequence[int]],
    hint: Sequence[int],
    lower: int,
    time_limit_s: float,
    workers: int = 2,
) -> ILPResult:
    start = time.perf_counter()
    n = p.n
    m = cp_model.CpModel()
    lo, hi = zip(*(topo.window(k) for k in range(n)))
    # a unit's nodes run back to back: tighten each node's window by its place in the unit
    for u in units:
        for i, k in enumerate(u):
            lo_k = max(lo[u[0]] + i, lo[k])
            hi_k = min(hi[u[-1]] - (len(u) - 1 - i), hi[k])
            lo = (*lo[:k], lo_k, *lo[k + 1 :])
            hi = (*hi[:k], hi_k, *hi[k + 1 :])
    run_at = {(k, j): m.new_bool_var("") for k in range(n) for j in range(lo[k], hi[k] + 1)}
    pos = [m.new_int_var(lo[k], hi[k], "") for k in range(n)]
    for k in range(n):
        steps = range(lo[k], hi[k] + 1)
        m.add_exactly_one(run_at[k, j] for j in steps)
        m.add(pos[k] == sum(j * run_at[k, j] for j in steps))
    for j in range(n):
        m.add_exactly_one(run_at[k, j] for k in range(n) if lo[k] <= j <= hi[k])
    for k in range(n):
        for q in p.preds(k):
            m.add(pos[k] >= pos[q] + 1)
    for u in units:
        for a, b in itertools.pairwise(u):
            m.add(pos[b] == pos[a] + 1)

    mem = m.new_int_var(lower - p.base, sum(p.size) + max(p.workspace, default=0), "mem")
    load: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in range(n)]
    hint = follow_units(list(hint), [list(u) for u in units])
    hinted = p.spans(hint)
    for t in range(len(p.size)):
        q = p.producer[t]
        first = 0 if q < 0 else lo[q]
        if p.keep[t]:
            last = n - 1
        elif p.readers[t]:
            last = max(hi[r] for r in p.readers[t])
        else:
            last = first if q < 0 else hi[q]
        T = {j: m.new_bool_var("") for j in range(first, last + 1)}
        for j, var in T.items():
            load[j].append((p.size[t], var))
            m.add_hint(var, hinted[t][0] <= j <= hinted[t][1])
        if q < 0:
            if p.keep[t] or not p.readers[t]:
                for var in T.values():
                    m.add(var == 1)  # kept to the end, or unread: live at the first step only
            for j in range(first + 1, last + 1):
                m.add_implication(T[j], T[j - 1])  # live only since the start
        else:
            for j in range(first, last + 1):
                made = run_at.get((q, j))
                if made is not None:
                    m.add_implication(made, T[j])
                prev = T.get(j - 1)
                m.add_bool_or([T[j].negated(), *(x for x in (prev, made) if x is not None)])  # live since made
                if p.keep[t] and prev is not None:
                    m.add_implication(prev, T[j])
        for r in p.readers[t]:
            in_place = p.alias[r] == t and not p.keep[t]
            for j in range(lo[r], hi[r] + 1):
                if not in_place:
                    m.add_implication(run_at[r, j], T[j])
                elif j - 1 in T:
                    m.add_implication(run_at[r, j], T[j - 1])  # overwritten in place: live up to the step before
    for j in range(n):
        terms = [s * v for s, v in load[j]]
        terms += [p.workspace[k] * run_at[k, j] for k in range(n) if p.workspace[k] and (k, j) in run_at]
        m.add(sum(terms) <= mem)
    m.minimize(mem)
    m.add_hint(mem, p.peak(hint) - p.base)
    for i, k in enumerate(hint):
        for j in range(lo[k], hi[k] + 1):
            m.add_hint(run_at[k, j], j == i)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.cp_model_probing_level = 0  # probing alone can eat the whole time limit here
    # deterministic: a fixed seed, interleaved workers, and a limit in deterministic time; the wall
    # clock limit (twice that) is only a safety net
    solver.parameters.random_seed = 0
    solver.parameters.interleave_search = True
    solver.parameters.max_deterministic_time = max(0.1, time_limit_s)
    solver.parameters.max_time_in_seconds = max(0.1, 2 * time_limit_s - (time.perf_counter() - start))
    code = solver.solve(m)
    elapsed = time.perf_counter() - start
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ILPResult(list(hint), p.peak(hint), lower, False, solver.status_name(code).lower(), elapsed)
    order = sorted(range(n), key=lambda k: solver.value(pos[k]))
    bound = max(lower, int(solver.best_objective_bound) + p.base)
    proven = code == cp_model.OPTIMAL
    return ILPResult(order, p.peak(order), bound, proven, "optimal" if proven else "feasible", elapsed)
