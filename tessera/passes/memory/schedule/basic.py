"""Orders that need no search: as imported, reverse post-order, and a greedy list scheduler."""

from __future__ import annotations

from tessera.passes.memory.schedule.problem import Problem
from tessera.passes.memory.schedule.structure import topo_order


def imported(p: Problem) -> list[int]:
    """The graph's order as imported (made topological if it is not)."""
    return topo_order(p)


def reverse_post_order(p: Problem) -> list[int]:
    """Depth-first from the sources over successors; the reversed post-order (HMCOS's baseline)."""
    seen = [False] * p.n
    post: list[int] = []
    for root in [k for k in range(p.n) if not p.preds(k)][::-1]:
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(p.succs(root)[::-1]))]
        while stack:
            k, it = stack[-1]
            nxt = next((s for s in it if not seen[s]), None)
            if nxt is None:
                post.append(k)
                stack.pop()
                continue
            seen[nxt] = True
            stack.append((nxt, iter(p.succs(nxt)[::-1])))
    return post[::-1]


def greedy(p: Problem) -> list[int]:
    """List scheduling: among ready nodes run the one that leaves the least memory live after it,
    ties broken by the memory while it runs, then by imported order."""
    remaining = [len(r) for r in p.readers]
    missing = [len(p.preds(k)) for k in range(p.n)]
    ready = {k for k in range(p.n) if missing[k] == 0}
    live = sum(p.size[t] for t in range(len(p.size)) if p.producer[t] < 0)
    order: list[int] = []
    while ready:
        best: tuple[int, int, int] | None = None
        for k in ready:
            dying = [t for t in p.inputs[k] if remaining[t] == 1 and not p.keep[t]]
            made = sum(p.size[t] for t in p.outputs[k])
            running = live + made + p.workspace[k] - (p.size[p.alias[k]] if p.alias[k] in dying else 0)
            after = live + made - sum(p.size[t] for t in dying)
            after -= sum(p.size[t] for t in p.outputs[k] if not p.readers[t] and not p.keep[t])
            key = (after, running, k)
            if best is None or key < best:
                best = key
        assert best is not None
        after, _, k = best
        live = after
        order.append(k)
        ready.remove(k)
        for t in p.inputs[k]:
            remaining[t] -= 1
        for s in p.succs(k):
            missing[s] -= 1
            if missing[s] == 0:
                ready.add(s)
    return order
