"""Arena planning: one offset per activation tensor in a single buffer, so that two tensors live at
the same step never overlap. The liveness peak of the same order is the arena's lower bound.

Planners are registered by name in PLANNERS; each takes the lifetimes (sizes already rounded up to the
alignment) and an optional time limit (only solvers use it), and returns offsets or a Placement:
- greedy-by-size: TFLite Micro's planner, largest tensor first at the lowest offset that fits;
- best-fit: the best of several list and skyline placements (tessera.passes.memory.best_fit);
- cp-sat: CP-SAT 2D no-overlap placement warm-started from best-fit, optimal when proven.
The max load (the largest sum of aligned sizes live at one step) is a lower bound for every planner.

In place (`inplace=rules`): a backend's kernel rules (an `InPlaceRules` mapping, e.g. the MCU target's
`tessera.backends.mcu.inplace_rules()`) decide which node outputs overwrite an input
(`inplace_aliases`). Each chain of such pairs is one group: every tensor in it gets the same offset,
keeps its own size and lifetime (a staircase: a float input overwritten by its int8 quantization frees
its other bytes at once), and the planners place the group as a unit. A rule's workspace gets a slot of
its own, live at that node's step only. The plan's `peak_bytes` counts a group at each step once, at its
largest member live there (unaligned): the same rule as the lower bound, so `ratio` still compares the
arena with what the planner was asked to place.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.liveness import Lifetime, MemoryProfile, lifetimes, profile
from tessera.passes.memory.best_fit import best_fit, group_placement, load_curve, max_load
from tessera.passes.memory.cpsat_arena import Placement, cpsat
from tessera.passes.memory.model import InPlaceRules, inplace_aliases
from tessera.passes.memory.status import SolveStatus

Planner = Callable[..., dict[str, int] | Placement]


@dataclass(frozen=True)
class ArenaPlan:
    """Where every activation lives in the arena, for one node order."""

    method: str
    arena_bytes: int
    peak_bytes: int  # liveness peak of the same order (unaligned; an in-place pair counts once): a lower bound
    alignment: int
    offsets: Mapping[str, int]
    lifetimes: tuple[Lifetime, ...]
    lower_bound_bytes: int = 0  # max load of the aligned sizes: no planner can do better
    status: SolveStatus = SolveStatus.HEURISTIC  # optimal when arena == lower bound or a solver proved it
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
        return sorted(chains(self.aliases), key=lambda c: (self.offsets[c[0]], c))

    def slot_profile(self) -> MemoryProfile:
        """The memory curve of what this plan placed (aligned sizes; tensors sharing a slot in place
        count once per step, at the largest live there): the step where the arena's lower bound is
        reached and the tensors live there (one name per slot, its first tensor)."""
        curve = load_curve(self.lifetimes, chains(self.aliases))
        if not curve:
            return MemoryProfile((), 0, 0, ())
        peak = max(curve)
        at = curve.index(peak)
        live = [t for t in self.lifetimes if t.first <= at <= t.last]
        size: dict[str, int] = {}
        for t in live:
            root = self.slot_of(t.value)[0]
            size[root] = max(size.get(root, 0), t.size)
        names = tuple(sorted(size, key=lambda n: (-size[n], n)))
        return MemoryProfile(tuple(curve), peak, at, names)

    def workspace_offset(self, node: str) -> int | None:
        """The arena offset of node `node`'s workspace, or None if it has none."""
        key = self.workspaces.get(node)
        return None if key is None else self.offsets[key]

    @property
    def optimal(self) -> bool:
        return self.status is SolveStatus.OPTIMAL

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


def greedy_by_size(
    spans: Sequence[Lifetime], time_limit_s: float | None = None, groups: Sequence = ()
) -> dict[str, int]:
    """TFLite Micro's GreedyMemoryPlanner: largest tensor first, each at the lowest offset that does
    not overlap a placed tensor whose lifetime intersects it (an in-place group as one unit)."""
    if groups:
        return group_placement(spans, groups, lambda t: (-t.size, t.first, t.value))
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
    inplace: InPlaceRules | None = None,
    external: Collection[str] = (),
) -> ArenaPlan:
    """Plan one arena for `graph` in `order` (default: its node order) with the planner `method`.
    `time_limit_s` bounds a solver planner (cp-sat; default 5 s); heuristics ignore it. `inplace`:
    the kernels' in-place rules to honour (None: every tensor its own slot; see the module docstring). Tensors named in
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
    extra: list[Lifetime] = []
    if inplace is not None:
        extra, aliases, workspaces = _inplace(graph, order, exact, inplace, external)
    groups = chains(aliases)
    aligned = [Lifetime(t.value, up(t.size), t.first, t.last) for t in [*exact, *extra]]
    start = perf_counter()
    kwargs = {"groups": groups} if groups else {}
    found = PLANNERS[method](aligned, time_limit_s=time_limit_s, **kwargs)
    elapsed = perf_counter() - start
    placement = found if isinstance(found, Placement) else Placement(found)
    size = max((placement.offsets[t.value] + t.size for t in aligned), default=0)
    bound = max(placement.lower_bound_bytes, max_load(aligned, groups))
    status = SolveStatus.OPTIMAL if size <= bound else SolveStatus(placement.status)
    steps = max(len(graph.nodes if order is None else order), 1)
    curve = load_curve([*exact, *extra], groups)
    peak = max(curve, default=0) if groups else profile([*exact, *extra], steps).peak_bytes
    plan = ArenaPlan(
        method, size, peak, alignment, placement.offsets, tuple(aligned), bound, status, elapsed, aliases, workspaces
    )
    plan.check()
    return plan


def chains(aliases: Mapping[str, str]) -> list[tuple[str, ...]]:
    """Each in-place chain (tensors that share one offset), first written first."""
    inverse = {src: out for out, src in aliases.items()}
    roots = sorted({src for src in aliases.values() if src not in aliases})
    found = []
    for root in roots:
        chain = [root]
        while chain[-1] in inverse:
            chain.append(inverse[chain[-1]])
        found.append(tuple(chain))
    return found


def _inplace(
    graph: Graph, order: Sequence[Node] | None, exact: list[Lifetime], rules: InPlaceRules, external: Collection[str]
) -> tuple[list[Lifetime], dict[str, str], dict[str, str]]:
    """(the workspaces' lifetimes; output -> input aliases, none over an `external` input;
    node -> workspace name)."""
    nodes = list(graph.nodes if order is None else order)
    step = {id(n): i for i, n in enumerate(nodes)}
    found = [a for a in inplace_aliases(graph, nodes, rules) if a.input.name not in external]
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
    return extra, aliases, workspaces
