"""Topology facts the schedulers share: ancestor / descendant sets (Python ints as bitsets), the
step window every node must run in, cut nodes, and lower bounds on the peak of any order."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.passes.memory.schedule.problem import Problem


@dataclass(frozen=True)
class Topology:
    anc: tuple[int, ...]  # node -> bitset of its ancestors
    desc: tuple[int, ...]  # node -> bitset of its descendants

    def window(self, k: int) -> tuple[int, int]:
        """The steps node k can run at in any topological order."""
        n = len(self.anc)
        return self.anc[k].bit_count(), n - 1 - self.desc[k].bit_count()

    def cuts(self) -> list[int]:
        """Nodes ordered against every other node: all ancestors run before, all descendants after."""
        n = len(self.anc)
        return [k for k in range(n) if self.anc[k].bit_count() + self.desc[k].bit_count() == n - 1]


def topology(p: Problem) -> Topology:
    order = topo_order(p)
    anc = [0] * p.n
    for k in order:
        for q in p.preds(k):
            anc[k] |= anc[q] | (1 << q)
    desc = [0] * p.n
    for k in reversed(order):
        for s in p.succs(k):
            desc[k] |= desc[s] | (1 << s)
    return Topology(tuple(anc), tuple(desc))


def topo_order(p: Problem) -> list[int]:
    """Kahn's algorithm, smallest index first (so an already topological order is kept)."""
    import heapq

    indeg = [len(p.preds(k)) for k in range(p.n)]
    ready = [k for k in range(p.n) if indeg[k] == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        k = heapq.heappop(ready)
        order.append(k)
        for s in p.succs(k):
            indeg[s] -= 1
            if indeg[s] == 0:
                heapq.heappush(ready, s)
    return order


def lower_bound(p: Problem, topo: Topology | None = None) -> int:
    """A peak no order can beat: for each node k, the tensors that must be live while k runs (its
    inputs and outputs, minus an input it may overwrite in place, plus every tensor made before k and read after k
    or kept) and its workspace; also everything live before the first and after the last step."""
    topo = topo or topology(p)
    external = sum(p.size[t] for t in range(len(p.size)) if p.producer[t] < 0)
    kept = sum(p.size[t] for t in range(len(p.size)) if p.keep[t])
    best = max(external, kept)
    reader_mask = [sum(1 << r for r in rs) for rs in p.readers]
    for k in range(p.n):
        own = set(p.inputs[k]) | set(p.outputs[k])
        must = sum(p.size[t] for t in own)
        a = p.alias[k]
        if a >= 0 and not p.keep[a] and not reader_mask[a] & topo.desc[k]:
            must -= p.size[a]  # k may be a's last reader and overwrite it
        before = topo.anc[k]
        after = topo.desc[k]
        for t in range(len(p.size)):
            if t in own:
                continue
            made = p.producer[t] < 0 or (before >> p.producer[t]) & 1
            if made and (p.keep[t] or reader_mask[t] & after):
                must += p.size[t]
        best = max(best, must + p.workspace[k])
    return p.base + best
