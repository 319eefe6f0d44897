"""Arena planning: one offset per activation tensor in a single buffer, so that two tensors live at
the same step never overlap. The liveness peak of the same order is the arena's lower bound.

Planners are registered by name in PLANNERS; each takes the lifetimes (sizes already rounded up to the
alignment) and an optional time limit (only solvers use it), and returns offsets or a Placement:
- greedy-by-size: TFLite Micro's planner, largest tensor first at the lowest offset that fits;
- best-fit: the best of several list and skyline placements (tessera.passes.memory.best_fit);
- cp-sat: CP-SAT 2D no-overlap placement warm-started from best-fit, optimal when proven.
The max load (the largest sum of aligned sizes live at one step) is a lower bound for every planner.

In place (`inplace=True`): the kernel rules in tessera.passes.memory.model.INPLACE_RULES decide which
node outputs overwrite an input (`inplace_aliases`). Each chain of such pairs becomes one slot: its
lifetime the union of its tensors', its size the largest of theirs, and every tensor in it gets the
slot's offset. A rule's workspace gets a slot of its own, live at that node's step only. The plan's
`peak_bytes` is the liveness peak of those same slots (unaligned), so `ratio` still compares the
arena with what the planner was asked to place."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.liveness import Lifetime, MemoryProfile, lifetimes, profile
from tessera.passes.memory.best_fit import best_fit, max_load
from tessera.passes.memory.cpsat_arena import Placement, cpsat
from tessera.passes.memory.model import inplace_aliases

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
    aliases: Mapping[str, str] = field(default_factory=dict)  # output -> the input it overwrites in place
    workspaces: Mapping[str, str] = field(default_factory=dict)  # node -> its workspace's name in offsets

    def slot_of(self, name: str) -> tuple[str, ...]:
        """Every tensor that shares `name`'s slot (in-place chains), first written first."""
        root = name
        while root in self.aliases:
            root = self.aliases[root]
        inverse = {src: out for out, src in self.aliases.items()}
        chain = [root]
        while chain[-1] in inverse:
            chain.append(inverse[chain[-1]])
        return tuple(chain)

    def shared_slots(self) -> list[tuple[str, ...]]:
        """Every in-place chain of two or more tensors that share one slot, first written first."""
        roots = sorted({self.slot_of(out)[0] for out in self.aliases}, key=lambda r: (self.offsets[r], r))
        return [self.slot_of(r) for r in roots]

    def slot_profile(self) -> MemoryProfile:
        """The liveness profile of the slots this plan placed (aligned sizes; an in-place chain is one
        slot named by its first tensor): the step where the arena's lower bound is reached and what is
        live there."""
        groups: dict[str, list[Lifetime]] = {}
        for t in self.lifetimes:
            groups.setdefault(self.slot_of(t.value)[0], []).append(t)
        slots = [
            Lifetime(root, max(t.size for t in ts), min(t.first for t in ts), max(t.last for t in ts))
            for root, ts in groups.items()
        ]
        return profile(slots, max((t.last for t in slots), default=0) + 1)

    def workspace_offset(self, node: str) -> int | None:
        """The arena offset of node `node`'s workspace, or None if it has none."""
        key = self.workspaces.get(node)
        return None if key is None else self.offsets[key]

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
        pairs = {frozenset(p) for p in self.aliases.items()}
        for i, a in enumerate(spans):
            start = self.offsets[a.value]
            if start % self.alignment:
                raise PassError(f"arena plan puts {a.value!r} at {start}, not a multiple of {self.alignment}")
            if start < 0 or start + a.size > self.arena_bytes:
                raise PassError(f"arena plan puts {a.value!r} at {start} (+{a.size}) outside {self.arena_bytes} B")
            for b in spans[i + 1 :]:
                if self.offsets[b.value] >= start + a.size:
                    break
                declared = frozenset((a.value, b.value)) in pairs and self.offsets[b.value] == start
                if a.overlaps(b) and a.size and b.size and not declared:
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
    inplace: bool = False,
    external: Collection[str] = (),
) -> ArenaPlan:
    """Plan one arena for `graph` in `order` (default: its node order) with the planner `method`.
    `time_limit_s` bounds a solver planner (cp-sat; default 5 s); heuristics ignore it. `inplace`:
    honour the kernels' in-place rules (INPLACE_RULES; see the module docstring). Tensors named in
    `external` (graph inputs the caller keeps) get no place in the arena, and no kernel writes over
    them in place."""
    if method not in PLANNERS:
        raise PassError(f"unknown arena planner {method!r}; available: {', '.join(sorted(PLANNERS))}")
    if alignment < 1:
        raise PassError(f"arena alignment must be >= 1, got {alignment}")
    exact = [t for t in lifetimes(graph, order) if t.value not in external]
    up = lambda n: -(-n // alignment) * alignment  # noqa: E731
    aliases: dict[str, str] = {}
    workspaces: dict[str, str] = {}
    slots, extra = exact, []
    if inplace:
        slots, extra, aliases, workspaces = _inplace_slots(graph, order, exact, external)
    aligned_slots = [Lifetime(t.value, up(t.size), t.first, t.last) for t in [*slots, *extra]]
    start = perf_counter()
    found = PLANNERS[method](aligned_slots, time_limit_s=time_limit_s)
    elapsed = perf_counter() - start
    placement = found if isinstance(found, Placement) else Placement(found)
    size = max((placement.offsets[t.value] + t.size for t in aligned_slots), default=0)
    bound = max(placement.lower_bound_bytes, max_load(aligned_slots))
    status = "optimal" if size <= bound else placement.status
    steps = max(len(graph.nodes if order is None else order), 1)
    peak = profile([*slots, *extra], steps).peak_bytes
    offsets = dict(placement.offsets)
    for out in aliases:  # every tensor of a chain at its slot's offset (the slot is named by its first)
        offsets[out] = offsets[_root(aliases, out)]
    spans = tuple(Lifetime(t.value, up(t.size), t.first, t.last) for t in [*exact, *extra])
    plan = ArenaPlan(
        method, size, peak, alignment, offsets, spans, bound, status, elapsed, dict(aliases), dict(workspaces)
    )
    plan.check()
    return plan


def _root(aliases: Mapping[str, str], name: str) -> str:
    while name in aliases:
        name = aliases[name]
    return name


def _inplace_slots(
    graph: Graph, order: Sequence[Node] | None, exact: list[Lifetime], external: Collection[str] = ()
) -> tuple[list[Lifetime], list[Lifetime], dict[str, str], dict[str, str]]:
    """(one Lifetime per in-place chain, named by its first tensor; the workspaces; output -> input
    aliases; node -> workspace name)."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    found = [a for a in inplace_aliases(graph, nodes) if a.input.name not in external]
    aliases = {a.output.name: a.input.name for a in found}
    taken = {t.value for t in exact}
    workspaces: dict[str, str] = {}
    extra = []
    for a in found:
        if a.workspace_bytes <= 0:
            continue
        key, k = f"<workspace:{a.node.name}>", 0
        while key in taken:  # never collide with a tensor named like a workspace
            k += 1
            key = f"<workspace:{a.node.name}>#{k}"
        taken.add(key)
        workspaces[a.node.name] = key
        at = step[id(a.node)]
        extra.append(Lifetime(key, a.workspace_bytes, at, at))
    groups: dict[str, list[Lifetime]] = {}
    for t in exact:
        groups.setdefault(_root(aliases, t.value), []).append(t)
    slots = [
        Lifetime(root, max(t.size for t in ts), min(t.first for t in ts), max(t.last for t in ts))
        for root, ts in groups.items()
    ]
    return slots, extra, aliases, workspaces
