"""The cut bound: for each node k, the least memory any order can have while k runs, found exactly
by a minimum cut; the largest over k is a lower bound on every order's peak.

Whatever the order, the nodes run before k form a down-set D (closed under predecessors) holding
k's ancestors and none of its descendants; every such D occurs in some order (D, then k). The
memory while k runs is a function of D alone: a tensor counts when its producer is in D + {k} (or it
exists from the start) and it is kept or some reader is not in D; k's workspace counts; an input k
overwrites in place stops counting when its other readers are all in D; an unread output counts at
its producer's step only. Minimising that over down-sets is a minimum-weight closure problem
(Picard 1976) with a variable per node (x: in D + {k}) and per tensor (y: all readers in D):

    minimise  sum_t size(t) * (x_producer(t) - y_t)  [- size(a) * z for k's in-place input a]
    subject to  x_v <= x_u for each predecessor u of v,  y_t <= x_r for each reader r of t,
                x_k = 1,  x_s = 0 for k's successors,  y_t = 0 for k's inputs,  z <= x_r for a's other readers,

solved as a maximum flow (OR-Tools SimpleMaxFlow). The structural bound (structure.lower_bound)
counts only the tensors every D must hold, so this one is never lower for the same k; it also
charges the cheaper of the two sides of every node that is neither an ancestor nor a descendant of k
(a cell that runs before k holds its output, one that runs after holds its inputs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.passes.memory.schedule.base import Budget
from tessera.passes.memory.schedule.problem import Problem


class CutBound:
    """The arcs every node's cut shares, built once per problem."""

    def __init__(self, p: Problem) -> None:
        self.p = p
        n = p.n
        self.inf = sum(p.size) + p.base + sum(p.workspace) + 1
        self.source, self.sink = n + len(p.size), n + len(p.size) + 1
        self.alias_vertex = n + len(p.size) + 2
        tails: list[int] = []
        heads: list[int] = []
        caps: list[int] = []

        def arc(a: int, b: int, c: int) -> None:
            tails.append(a)
            heads.append(b)
            caps.append(c)

        node_cost = [0] * n
        self.constant = p.base  # bytes every D pays: tensors that exist from the start
        self.profit = 0  # sum of the source arcs' capacities
        for v in range(n):
            for u in p.preds(v):
                arc(v, u, self.inf)
        for t in range(len(p.size)):
            q, size = p.producer[t], p.size[t]
            if not p.readers[t] and not p.keep[t]:
                continue  # counts at its producer's step only (added per node)
            if q < 0:
                self.constant += size
            else:
                node_cost[q] += size
            if p.keep[t]:
                continue
            y = n + t
            arc(self.source, y, size)
            self.profit += size
            for r in p.readers[t]:
                arc(y, r, self.inf)
        for v in range(n):
            if node_cost[v]:
                arc(v, self.sink, node_cost[v])
        self.tails = np.array(tails, dtype=np.int32)
        self.heads = np.array(heads, dtype=np.int32)
        self.caps = np.array(caps, dtype=np.int64)
        self.unread = [sum(p.size[t] for t in p.outputs[k] if not p.readers[t] and not p.keep[t]) for k in range(n)]

    def at(self, k: int) -> int:
        """The least memory of any order while node k runs."""
        from ortools.graph.python import max_flow

        p = self.p
        tails, heads, caps = [self.source], [k], [self.inf]
        for s in p.succs(k):
            tails.append(s)
            heads.append(self.sink)
            caps.append(self.inf)
        for t in p.inputs[k]:
            if not p.keep[t]:
                tails.append(p.n + t)
                heads.append(self.sink)
                caps.append(self.inf)
        bonus = 0
        a = p.alias[k]
        if a >= 0 and not p.keep[a] and a in p.inputs[k]:
            others = [r for r in p.readers[a] if r != k]
            if not others:
                bonus = p.size[a]
            else:
                tails.append(self.source)
                heads.append(self.alias_vertex)
                caps.append(p.size[a])
                for r in others:
                    tails.append(self.alias_vertex)
                    heads.append(r)
                    caps.append(self.inf)
        flow = max_flow.SimpleMaxFlow()
        flow.add_arcs_with_capacity(
            np.concatenate([self.tails, np.array(tails, dtype=np.int32)]),
            np.concatenate([self.heads, np.array(heads, dtype=np.int32)]),
            np.concatenate([self.caps, np.array(caps, dtype=np.int64)]),
        )
        if flow.solve(self.source, self.sink) != flow.OPTIMAL:
            return 0  # never expected; 0 is a valid (useless) bound
        profit = self.profit + sum(c for tl, c in zip(tails, caps, strict=True) if tl == self.source and c != self.inf)
        cost = flow.optimal_flow() - profit
        return self.constant + cost + self.unread[k] + p.workspace[k] - bonus


def cut_bound(p: Problem, order: Sequence[int], floor: int = 0, budget: Budget | None = None) -> int:
    """max over nodes of CutBound.at, at least `floor`. Nodes are tried in falling order of their
    memory in `order` (a valid order: that memory bounds their cut from above), and the search stops
    when the next one cannot beat the bound found (or the budget is spent)."""
    if p.n == 0:
        return max(floor, p.base)
    bound = CutBound(p)
    curve = p.curve(order)
    best = floor
    for step in sorted(range(p.n), key=lambda s: (-curve[s], s)):
        if curve[step] <= best or (budget is not None and budget.exhausted):
            break
        best = max(best, bound.at(order[step]))
        if budget is not None:
            budget.spend(1 + p.n // 64)
    return best


def proven_bound(p: Problem, order: Sequence[int] | None = None) -> int:
    """The best lower bound here: the cut bound, and the bytes live before the first step (graph
    inputs) or after the last (kept tensors). `order` only speeds the search up (imported if None)."""
    from tessera.passes.memory.schedule.structure import topo_order

    external = sum(p.size[t] for t in range(len(p.size)) if p.producer[t] < 0)
    kept = sum(p.size[t] for t in range(len(p.size)) if p.keep[t])
    return cut_bound(p, topo_order(p) if order is None else order, p.base + max(external, kept))
