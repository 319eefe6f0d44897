"""Arena planning: one offset per activation tensor in a single buffer, so that two tensors live at
the same step never overlap. The liveness peak of the same order is the arena's lower bound.

Planners are registered by name in PLANNERS; each takes the lifetimes (sizes already rounded up to the
alignment) and returns offsets."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.liveness import Lifetime, lifetimes, profile

Planner = Callable[[Sequence[Lifetime]], dict[str, int]]


@dataclass(frozen=True)
class ArenaPlan:
    """Where every activation lives in the arena, for one node order."""

    method: str
    arena_bytes: int
    peak_bytes: int  # liveness peak of the same order (unaligned): the arena's lower bound
    alignment: int
    offsets: Mapping[str, int]
    lifetimes: tuple[Lifetime, ...]

    def check(self) -> None:
        """Raise if two tensors live at the same step overlap, or one runs past the arena."""
        spans = sorted(self.lifetimes, key=lambda t: self.offsets[t.value])
        for i, a in enumerate(spans):
            start = self.offsets[a.value]
            if start < 0 or start + a.size > self.arena_bytes:
                raise PassError(f"arena plan puts {a.value!r} at {start} (+{a.size}) outside {self.arena_bytes} B")
            for b in spans[i + 1 :]:
                if self.offsets[b.value] >= start + a.size:
                    break
                if a.overlaps(b) and a.size and b.size:
                    raise PassError(f"arena plan overlaps {a.value!r} and {b.value!r}, live at the same time")


def greedy_by_size(spans: Sequence[Lifetime]) -> dict[str, int]:
    """TFLite Micro's GreedyMemoryPlanner: largest tensor first, each at the lowest offset that does
    not overlap a placed tensor whose lifetime intersects it."""
    placed: list[tuple[int, Lifetime]] = []
    offsets: dict[str, int] = {}
    for t in sorted(spans, key=lambda t: (-t.size, t.first, t.value)):
        conflicts = sorted(((off, other) for off, other in placed if other.overlaps(t)), key=lambda p: p[0])
        offset = 0
        for off, other in conflicts:
            if off >= offset + t.size:
                break
            offset = max(offset, off + other.size)
        offsets[t.value] = offset
        placed.append((offset, t))
    return offsets


PLANNERS: dict[str, Planner] = {"greedy-by-size": greedy_by_size}


def plan_arena(
    graph: Graph, method: str = "greedy-by-size", alignment: int = 16, order: Sequence[Node] | None = None
) -> ArenaPlan:
    """Plan one arena for `graph` in `order` (default: its node order) with the planner `method`."""
    if method not in PLANNERS:
        raise PassError(f"unknown arena planner {method!r}; available: {', '.join(sorted(PLANNERS))}")
    if alignment < 1:
        raise PassError(f"arena alignment must be >= 1, got {alignment}")
    exact = lifetimes(graph, order)
    aligned = [Lifetime(t.value, -(-t.size // alignment) * alignment, t.first, t.last) for t in exact]
    offsets = PLANNERS[method](aligned)
    size = max((offsets[t.value] + t.size for t in aligned), default=0)
    steps = max(len(graph.nodes if order is None else order), 1)
    plan = ArenaPlan(method, size, profile(exact, steps).peak_bytes, alignment, offsets, tuple(aligned))
    plan.check()
    return plan
