"""Exact dynamic program over the sets of scheduled units (Serenity-style), with memoisation and a
budget (states and a deadline). States that already reach the best known peak are pruned, so the program proves either a
better order or that the known one is optimal; past `max_states` it gives up ("budget-exceeded")."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from tessera.passes.memory.schedule.problem import Problem


@dataclass(frozen=True)
class DPResult:
    order: list[int] | None  # None: nothing beats `upper_bound`
    peak: int
    proven: bool  # the search finished: `peak` (or the upper bound) is optimal
    states: int


def solve_dp(
    p: Problem,
    units: Sequence[Sequence[int]],
    upper_bound: int,
    max_states: int = 200_000,
    deadline: float = float("inf"),
    floor: int = 0,
    dominance: bool = True,
) -> DPResult:
    """Lowest peak of an order running each unit back to back, if below `upper_bound`. `floor` is a
    proven lower bound on every order's peak (0 if none is known); with `dominance`, a state that
    has a ready unit which frees at least what it makes and whose step stays within the peak so far
    (or `floor`) runs only that unit next: some optimal completion does (docs/scheduling.md)."""
    unit_of = {k: i for i, u in enumerate(units) for k in u}
    node_mask = [sum(1 << k for k in u) for u in units]
    need = [0] * len(units)
    for i, u in enumerate(units):
        for k in u:
            for q in p.preds(k):
                if unit_of[q] != i:
                    need[i] |= 1 << unit_of[q]
    start = sum(p.size[t] for t in range(len(p.size)) if p.producer[t] < 0) + p.base
    # per node, precomputed: bytes made, bytes made and never read, workspace, and for each input that
    # can die here (not kept) its size, whether k may overwrite it, and the mask of its other readers
    made = [sum(p.size[t] for t in p.outputs[k]) for k in range(p.n)]
    unread = [sum(p.size[t] for t in p.outputs[k] if not p.readers[t] and not p.keep[t]) for k in range(p.n)]
    ins = [
        [(p.size[t], p.alias[k] == t, sum(1 << r for r in p.readers[t] if r != k)) for t in ts if not p.keep[t]]
        for k, ts in enumerate(p.inputs)
    ]

    def run(live: int, done: int, unit: Sequence[int]) -> tuple[int, int]:
        peak = 0
        for k in unit:
            dying = inplace = 0
            for size, aliased, others in ins[k]:
                if not others & ~done:
                    dying += size
                    if aliased:
                        inplace = size
            peak = max(peak, live + made[k] + p.workspace[k] - inplace)
            live += made[k] - dying - unread[k]
            done |= 1 << k
        return peak, live

    unread_external = sum(
        p.size[t] for t in range(len(p.size)) if p.producer[t] < 0 and not p.readers[t] and not p.keep[t]
    )
    full = (1 << len(units)) - 1
    layer: dict[int, tuple[int, int, int]] = {0: (0, start, 0)}  # units done -> (peak, live, done nodes)
    parents: list[dict[int, tuple[int, int]]] = []
    states = 0
    for depth in range(len(units)):
        nxt: dict[int, tuple[int, int, int]] = {}
        back: dict[int, tuple[int, int]] = {}
        for mask, (peak, live, done) in layer.items():
            moves = []
            for i in range(len(units)):
                if mask >> i & 1 or need[i] & ~mask:
                    continue
                step_peak, after = run(live, done, units[i])
                if dominance and after <= live and step_peak <= max(peak, floor):
                    moves = [(i, step_peak, after)]  # forced: some optimal completion runs it next
                    break
                moves.append((i, step_peak, after))
            for i, step_peak, after in moves:
                if depth == 0:
                    after -= unread_external
                new_peak = max(peak, step_peak)
                if new_peak >= upper_bound:
                    continue
                key = mask | 1 << i
                old = nxt.get(key)
                if old is None or new_peak < old[0]:
                    nxt[key] = (new_peak, after, done | node_mask[i])
                    back[key] = (mask, i)
        states += len(nxt)
        if states > max_states or time.perf_counter() > deadline:
            return DPResult(None, upper_bound, False, states)
        parents.append(back)
        layer = nxt
        if not layer:
            return DPResult(None, upper_bound, True, states)
    peak = layer[full][0]
    chosen, mask = [], full
    for back in reversed(parents):
        mask, i = back[mask]
        chosen.append(i)
    return DPResult([k for i in reversed(chosen) for k in units[i]], peak, True, states)
