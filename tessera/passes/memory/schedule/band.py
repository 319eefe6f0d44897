"""Band search: the exact DP over down-sets of fusion units (dp.py), restricted to orders that stay
near a reference order, with a cap on the states kept per layer.

With the units ranked by their place in the reference order, a state of depth d (d units run) must
have run every unit ranked below d - width and none ranked d + width or later: every order that
moves no unit more than `width` places from the reference. Inside that band the search is the
DP (memoised by the set run, states pruned at the peak to beat); when a layer holds more than
`cap` states, the ones holding the least memory are kept (then the lowest peak). So the search is
exact when no layer is cut, and in any case returns only orders strictly below the peak to beat.

This is the neighbourhood the window search (hmcos.improve over contiguous steps) lacks: NAS cells
need a cell's work moved across a neighbouring cell (darts-cifar: the next-but-one cell's
factorized reduce runs inside the reduction cell, after its max-pools free their inputs), a move of
20-40 units that no window with a fixed prefix and suffix of the incumbent allows."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.passes.memory.schedule.base import Budget
from tessera.passes.memory.schedule.decompose import Part
from tessera.passes.memory.schedule.fusion import fuse
from tessera.passes.memory.schedule.hmcos import PartSolver
from tessera.passes.memory.schedule.problem import Problem

# band-search work (states visited plus nodes simulated) per budget unit (base.WORK_PER_S)
WORK_SCALE = 5


class UnitTable:
    """The units' dependency masks and per-node byte counts: what a search step over units needs."""

    def __init__(self, p: Problem, units: Sequence[Sequence[int]]) -> None:
        self.p = p
        self.units = [list(u) for u in units]
        unit_of = {k: i for i, u in enumerate(units) for k in u}
        self.need = [0] * len(units)
        self.succ: list[set[int]] = [set() for _ in units]
        self.size = [len(u) for u in units]
        for i, u in enumerate(units):
            for k in u:
                for q in p.preds(k):
                    if unit_of[q] != i:
                        self.need[i] |= 1 << unit_of[q]
                        self.succ[unit_of[q]].add(i)
        self.node_mask = [sum(1 << k for k in u) for u in units]
        self.start = sum(p.size[t] for t in range(len(p.size)) if p.producer[t] < 0) + p.base
        self.unread_external = sum(
            p.size[t] for t in range(len(p.size)) if p.producer[t] < 0 and not p.readers[t] and not p.keep[t]
        )
        self.made = [sum(p.size[t] for t in p.outputs[k]) for k in range(p.n)]
        self.unread = [sum(p.size[t] for t in p.outputs[k] if not p.readers[t] and not p.keep[t]) for k in range(p.n)]
        self.ins = [
            [(p.size[t], p.alias[k] == t, sum(1 << r for r in p.readers[t] if r != k)) for t in ts if not p.keep[t]]
            for k, ts in enumerate(p.inputs)
        ]
        self.relevant = [0] * len(units)
        for i, u in enumerate(units):
            for k in u:
                for _, _, others in self.ins[k]:
                    self.relevant[i] |= others
        self.memo: dict[tuple[int, int], tuple[int, int]] = {}

    def run(self, live: int, done: int, unit: int) -> tuple[int, int]:
        """(peak while the unit runs, bytes live after it) from `live` bytes with nodes `done` run.
        Memoised: the result is `live` plus offsets that depend only on which readers of the
        unit's inputs are done."""
        key = (unit, done & self.relevant[unit])
        hit = self.memo.get(key)
        if hit is None:
            hit = self._offsets(done, unit)
            self.memo[key] = hit
        return live + hit[0], live + hit[1]

    def _offsets(self, done: int, unit: int) -> tuple[int, int]:
        peak, live = -(1 << 62), 0
        for k in self.units[unit]:
            dying = inplace = 0
            for size, aliased, others in self.ins[k]:
                if not others & ~done:
                    dying += size
                    if aliased:
                        inplace = size
            peak = max(peak, live + self.made[k] + self.p.workspace[k] - inplace)
            live += self.made[k] - dying - self.unread[k]
            done |= 1 << k
        return peak, live


def band_search(
    p: Problem,
    units: Sequence[Sequence[int]],
    reference: Sequence[int],
    upper: int,
    width: int = 24,
    cap: int = 100,
    budget: Budget | None = None,
) -> list[int] | None:
    """An order of peak < `upper` within `width` unit places of `reference` (an order of p's nodes),
    or None (none found in the band under the cap, or the budget ran out)."""
    u = UnitTable(p, units)
    unit_of = {k: i for i, unit in enumerate(u.units) for k in unit}
    ref: list[int] = list(dict.fromkeys(unit_of[k] for k in reference if k in unit_of))
    rank = [0] * len(ref)
    for r, i in enumerate(ref):
        rank[i] = r
    need, succ, size = u.need, u.succ, u.size
    # units run -> (peak, live, nodes run, ready units: not run, every predecessor run)
    layer = {0: (0, u.start, 0, tuple(i for i in ref if not need[i]))}
    parents: list[dict[int, tuple[int, int]]] = []
    for d in range(len(ref)):
        nxt: dict[int, tuple[int, int, int, int, int]] = {}  # -> (peak, live, nodes run, parent, unit)
        work = len(layer)
        must = 1 << ref[d - width] if d >= width else 0
        for mask, (peak, live, done, ready) in layer.items():
            for i in ready:
                key = mask | 1 << i
                if rank[i] >= d + width or (must and not key & must):
                    continue
                step_peak, after = u.run(live, done, i)
                work += size[i]
                if d == 0:
                    after -= u.unread_external
                new_peak = max(peak, step_peak)
                if new_peak >= upper:
                    continue
                old = nxt.get(key)
                if old is None or new_peak < old[0]:
                    nxt[key] = (new_peak, after, done | u.node_mask[i], mask, i)
        if budget is not None:
            budget.spend(1 + work // WORK_SCALE)
            if budget.exhausted:
                return None
        if not nxt:
            return None
        kept = sorted(nxt, key=lambda m: (nxt[m][1], nxt[m][0], m))[:cap] if len(nxt) > cap else list(nxt)
        back: dict[int, tuple[int, int]] = {}
        new_layer = {}
        for key in kept:
            peak, live, done, parent, i = nxt[key]
            opened = tuple(j for j in sorted(succ[i]) if not need[j] & ~key)
            new_layer[key] = (peak, live, done, (*(r for r in layer[parent][3] if r != i), *opened))
            back[key] = (parent, i)
        parents.append(back)
        layer = new_layer
    chosen, mask = [], (1 << len(u.units)) - 1
    for back in reversed(parents):
        mask, i = back[mask]
        chosen.append(i)
    return [k for i in reversed(chosen) for k in u.units[i]]


def band_part(budget: Budget, width: int = 24, cap: int = 100) -> PartSolver:
    """Re-order a part (a window of the order) by band search around its current order."""

    def solve(piece: Part, peak: int) -> list[int] | None:
        q = piece.problem
        if budget.exhausted:
            return None
        return band_search(q, fuse(q), range(q.n), peak, width, cap, budget)

    return solve
