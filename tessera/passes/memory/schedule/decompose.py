"""Cut a problem into independent parts: the nodes at consecutive steps [a, b) of a fixed order form
a sub-problem whose orders can be chosen without touching the rest.

In the part, a tensor made before step a is live from its start (producer -1); one read after step b
(or kept) stays live to its end (keep); tensors made before a and read after b that the part never
touches are `base` bytes. The part's step-by-step curve is exactly the whole order's curve over
[a, b), so re-ordering the part lowers the whole peak when the part holds it. Between two cut nodes
(nodes ordered against all others, see Topology.cuts) the part is the same in every order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.passes.memory.schedule.problem import Problem


@dataclass(frozen=True)
class Part:
    problem: Problem
    nodes: tuple[int, ...]  # local node -> node of the whole problem


def part(p: Problem, order: Sequence[int], a: int, b: int) -> Part:
    """The sub-problem of the nodes at steps [a, b) of `order`."""
    pos = {k: i for i, k in enumerate(order)}
    nodes = tuple(order[a:b])
    local = {k: i for i, k in enumerate(nodes)}
    touched = sorted({t for k in nodes for t in (*p.inputs[k], *p.outputs[k])})
    tid = {t: i for i, t in enumerate(touched)}

    def made_before(t: int) -> bool:
        return p.producer[t] < 0 or pos[p.producer[t]] < a

    def read_after(t: int) -> bool:
        return p.keep[t] or any(pos[r] >= b for r in p.readers[t])

    base = p.base
    for t in range(len(p.size)):
        if t not in tid and made_before(t) and read_after(t):
            base += p.size[t]
    sub = Problem(
        names=tuple(p.names[k] for k in nodes),
        size=tuple(p.size[t] for t in touched),
        producer=tuple(-1 if made_before(t) else local[p.producer[t]] for t in touched),
        readers=tuple(tuple(sorted(local[r] for r in p.readers[t] if r in local)) for t in touched),
        keep=tuple(read_after(t) for t in touched),
        inputs=tuple(tuple(tid[t] for t in p.inputs[k]) for k in nodes),
        outputs=tuple(tuple(tid[t] for t in p.outputs[k]) for k in nodes),
        alias=tuple(tid[p.alias[k]] if p.alias[k] >= 0 else -1 for k in nodes),
        workspace=tuple(p.workspace[k] for k in nodes),
        base=base,
    )
    return Part(sub, nodes)


def splice(order: Sequence[int], a: int, piece: Part, local_order: Sequence[int]) -> list[int]:
    """`order` with steps [a, a + len(piece)) replaced by the part's nodes in `local_order`."""
    new = list(order)
    new[a : a + len(local_order)] = [piece.nodes[i] for i in local_order]
    return new
