"""The liveness memory model: which activation tensors are live while each node runs.

Step i is "node i of the order runs". A tensor is live from the step that produces it (step 0 for a
graph input) to the last step that reads it (the last step for a graph output). While node i runs,
memory is the sum of the tensors live at step i: its inputs, its outputs, and everything produced
earlier that still awaits a consumer. Constants (weights) are not activations and are excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.ir.graph import Graph, Node, Value


@dataclass(frozen=True)
class Lifetime:
    """One activation tensor: its size in bytes and the steps [first, last] it is live in."""

    value: str
    size: int
    first: int
    last: int

    def overlaps(self, other: Lifetime) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class MemoryProfile:
    """Live bytes at every step of one order, its peak, and the tensors that make the peak."""

    curve: tuple[int, ...]
    peak_bytes: int
    peak_step: int
    peak_values: tuple[str, ...]


def lifetimes(graph: Graph, order: Sequence[Node] | None = None) -> list[Lifetime]:
    """The lifetime of every activation tensor (graph inputs, node outputs) under `order`
    (default: the graph's node order). Ordered by first step, then by name."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    end = max(len(nodes) - 1, 0)
    outputs = {id(v) for v in graph.outputs}

    def last_step(v: Value, first: int) -> int:
        if id(v) in outputs:
            return end
        return max([first, *(step[id(u)] for u in v.users)])

    spans = [Lifetime(v.name, v.type.nbytes, 0, last_step(v, 0)) for v in graph.inputs]
    for n in nodes:
        spans += [Lifetime(o.name, o.type.nbytes, step[id(n)], last_step(o, step[id(n)])) for o in n.outputs]
    return sorted(spans, key=lambda t: (t.first, t.value))


def live_curve(spans: Sequence[Lifetime], steps: int) -> list[int]:
    """Bytes of `spans` live at each of `steps` steps."""
    delta = [0] * (steps + 1)
    for t in spans:
        delta[t.first] += t.size
        delta[t.last + 1] -= t.size
    curve, live = [], 0
    for d in delta[:steps]:
        live += d
        curve.append(live)
    return curve


def profile(spans: Sequence[Lifetime], steps: int) -> MemoryProfile:
    """The memory curve of `spans` over `steps` steps, with its peak."""
    curve = live_curve(spans, steps)
    if not curve:
        return MemoryProfile((), 0, 0, ())
    peak = max(curve)
    at = curve.index(peak)
    names = tuple(t.value for t in sorted(spans, key=lambda t: -t.size) if t.first <= at <= t.last)
    return MemoryProfile(tuple(curve), peak, at, names)


def memory_profile(graph: Graph, order: Sequence[Node] | None = None) -> MemoryProfile:
    """The liveness profile of `graph` run in `order` (default: its node order)."""
    steps = len(graph.nodes if order is None else order)
    return profile(lifetimes(graph, order), max(steps, 1))
