"""Arena planning: one offset per activation tensor in a single buffer, so that two tensors live at
the same step never overlap. The liveness peak of the same order is the arena's lower bound.

Planners are registered by name in PLANNERS; each takes the lifetimes (sizes already rounded up to the
alignment) and an optional time limit (only solvers use it), and returns offsets or a Placement:
- greedy-by-size: TFLite Micro's planner, largest tensor first at the lowest offset that fits;
- best-fit: the best of several list and skyline placements (tessera.passes.memory.best_fit);
- cp-sat: CP-SAT 2D no-overlap placement warm-started from best-fit, optimal when proven.
The max load (the largest sum of aligned sizes live at one step) is a lower bound for every planner."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from time import perf_counter

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.liveness import Lifetime, lifetimes, profile
from tessera.passes.memory.best_fit import best_fit, max_load
from tessera.passes.memory.cpsat_arena import Placement, cpsat

Planner = Callable[..., dict[str, int] | Placement]


@dataclass(frozen=True)
class ArenaPlan:
    """Where every activation lives in the arena, for one node order."""

    method: str
    arena_bytes: int
    peak_bytes: int  # liveness peak of the same order (unaligned): the arena's lower bound
    alignment: int
    offsets: Mapping[str, int]
    lifetimes: tuple[Lifetime, ...]
    lower_bound_bytes: int = 0  # max load of the aligned sizes: no planner can do better
    status: str = "heuristic"  # "optimal" when arena == lower bound or a solver proved it
    time_s: float = 0.0  # planner time

    @property
    def optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def ratio(self) -> float:
        """Arena over liveness peak (1.0 = no fragmentation and no alignment padding)."""
        return self.arena_bytes / self.peak_bytes if self.peak_bytes else 1.0

    def check(self) -> None:
        """Raise if a tensor has no offset or a misaligned one, runs past the arena, or overlaps
        another tensor live at the same step."""
        missing = [t.value for t in self.lifetimes if t.value not in self.offsets]
        if missing:
            raise PassError(f"arena plan ({self.method}) gives no offset to {', '.join(map(repr, missing[:5]))}")
        spans = sorted(self.lifetimes, key=lambda t: self.offsets[t.value])
        for i, a in enumerate(spans):
            start = self.offsets[a.value]
            if start % self.alignment:
                raise PassError(f"arena plan puts {a.value!r} at {start}, not a multiple of {self.alignment}")
            if start < 0 or start + a.size > self.arena_bytes:
                raise PassError(f"arena plan puts {a.value!r} at {start} (+{a.size}) outside {self.arena_bytes} B")
            for b in spans[i + 1 :]:
                if self.offsets[b.value] >= start + a.size:
                    break
                if a.overlaps(b) and a.size and b.size:
                    raise PassError(f"arena plan overlaps {a.value!r} and {b.value!r}, live at the same time")


def greedy_by_size(spans: Sequence[Lifetime], time_limit_s: float | None = None) -> dict[str, int]:
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


PLANNERS: dict[str, Planner] = {"greedy-by-size": greedy_by_size, "best-fit": best_fit, "cp-sat": cpsat}


def plan_arena(
    graph: Graph,
    method: str = "greedy-by-size",
    alignment: int = 16,
    order: Sequence[Node] | None = None,
    time_limit_s: float | None = None,
    external: Collection[str] = (),
) -> ArenaPlan:
    """Plan one arena for `graph` in `order` (default: its node order) with the planner `method`.
    `time_limit_s` bounds a solver planner (cp-sat; default 5 s); heuristics ignore it. Tensors named
    in `external` (graph inputs the caller keeps) get no place in the arena."""
    if method not in PLANNERS:
        raise PassError(f"unknown arena planner {method!r}; available: {', '.join(sorted(PLANNERS))}")
    if alignment < 1:
        raise PassError(f"arena alignment must be >= 1, got {alignment}")
    exact = [t for t in lifetimes(graph, order) if t.value not in external]
    aligned = [Lifetime(t.value, -(-t.size // alignment) * alignment, t.first, t.last) for t in exact]
    start = perf_counter()
    found = PLANNERS[method](aligned, time_limit_s=time_limit_s)
    elapsed = perf_counter() - start
    placement = found if isinstance(found, Placement) else Placement(found)
    offsets = placement.offsets
    size = max((offsets[t.value] + t.size for t in aligned), default=0)
    bound = max(placement.lower_bound_bytes, max_load(aligned))
    status = "optimal" if size <= bound else placement.status
    steps = max(len(graph.nodes if order is None else order), 1)
    peak = profile(exact, steps).peak_bytes
    plan = ArenaPlan(method, size, peak, alignment, offsets, tuple(aligned), bound, status, elapsed)
    plan.check()
    return plan
