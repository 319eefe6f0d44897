"""patch-based: run the first, memory-heavy stage of a CNN patch by patch (MCUNetV2).

The stage's output (the cut tensor) is split into an n x n grid; each patch runs through every
stage node on just the input rows and columns it needs (halos overlap and are recomputed), and an
InsertSlice chain writes its tile into the stage output. Patches run depth-first (patch 1 through the
whole stage, then patch 2, ...), so only one patch's intermediates are live at a time, plus the
graph input and the stage output. Every patch computes exactly the whole-image values: a per-patch
conv or pool keeps padding only where its region touches the image border.

Options: `cut` (the stage output's tensor name) and `grid` (n); by default every cut and grid
2..`max_grid` (4) is tried and the one with the smallest arena kept (liveness peak first, then the `planner` arena of
the best few; `inplace` as the MCU target plans: InsertSlice chains and in-place kernels share
slots). `count_inputs=False` scores without the graph inputs, for the MCU target's
inputs="caller" mode, where the model reads the image in place (MCUNetV2: the image is read or
decoded patch by patch and never held whole in the arena). Cuts are visited by a lower bound on
their peak (the steps after the stage, which patching leaves alone) and the search stops when the
bound passes the shortlist. The report gives the choice, the arena and peak before and after, and
the MACs recomputed in the halos. Finer grids trade MACs for RAM: `max_grid` widens the automatic
search, and `max_mac_overhead` (e.g. 0.5 = at most 50% more MACs) drops candidates that recompute
more than that.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.errors import PassError, ShapeError
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.liveness import lifetimes, profile
from tessera.ir.ops._spatial import Window
from tessera.ir.ops.tensor import Slice
from tessera.ir.ops.tiling import InsertSlice
from tessera.ir.rewriter import Rewriter
from tessera.ir.traits import Windowed
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.memory.arena import PLANNERS, plan_arena
from tessera.passes.memory.model import InPlaceRules, inplace_rules_for
from tessera.passes.registry import register_pass
from tessera.passes.tiling.stage import Region, grid_bounds, input_need, propagate, stage_of, windows

SHORTLIST = 4  # candidates (best liveness peak first) that get a full arena plan


@dataclass
class PatchReport(Report):
    cut: str = ""
    grid: int = 0
    stage_nodes: int = 0
    patches: int = 0
    candidates: int = 0
    arena_before_bytes: int = 0
    arena_after_bytes: int = 0
    peak_before_bytes: int = 0
    peak_after_bytes: int = 0
    macs_before: int = 0
    macs_after: int = 0
    mac_overhead: float = 0.0  # macs_after / macs_before - 1: the halo recompute
    skipped: str = ""  # why the graph was left unchanged


def _peak(graph: Graph, external: list[str]) -> int:
    spans = [t for t in lifetimes(graph) if t.value not in external]
    return profile(spans, max(len(graph.nodes), 1)).peak_bytes


def graph_macs(graph: Graph) -> int:
    return sum(n.op.macs([v.type for v in n.inputs], [o.type for o in n.outputs], n.attrs) for n in graph.nodes)


def _slice(rw: Rewriter, v: Value, r: tuple[int, int, int, int], name: str) -> Value:
    attrs = {"starts": (r[0], r[2]), "ends": (r[1], r[3]), "axes": (2, 3)}
    return rw.add(Slice, [v], attrs, name=name).output


def _run_patch(
    rw: Rewriter, stage: list[Node], wins: dict[int, Window | None], cut: Value, out: Region, k: int
) -> Value:
    """Add the nodes of one patch (graph-input Slices, crops, the stage ops on their regions)."""
    regions = propagate(stage, wins, cut, out)
    patch: dict[int, Value] = {}

    def source(v: Value, need: Region) -> Value:
        if v.is_constant:
            return v
        reg = regions[id(v)]
        if id(v) not in patch:  # a graph input: its patch is a Slice of it
            patch[id(v)] = _slice(rw, v, (reg.r0, reg.r1, reg.c0, reg.c1), f"{v.name}@p{k}")
        if need == reg:
            return patch[id(v)]
        return _slice(rw, patch[id(v)], need.within(reg), f"{v.name}@p{k}.crop")

    for node in stage:
        need, pads = input_need(node, regions[id(node.output)], wins[id(node)])
        inputs = [source(v, need) for v in node.inputs]
        attrs = dict(node.attrs)
        if pads is not None:
            attrs["auto_pad"], attrs["pads"] = "NOTSET", pads
        patch[id(node.output)] = rw.add(node.op, inputs, attrs, name=f"{node.name}@p{k}").output
    return patch[id(cut)]


def patch_graph(graph: Graph, cut_name: str, grid: int) -> Graph:
    """A copy of `graph` whose stage up to `cut_name` runs as grid x grid patches."""
    g = graph.copy()
    rw = Rewriter(g)
    try:
        cut = g.value(cut_name)
    except KeyError:
        raise PassError(f"patch-based: cut {cut_name!r} is not a tensor of graph {graph.name!r}") from None
    stage = stage_of(g, cut)
    if isinstance(stage, str):
        raise PassError(f"patch-based: cut {cut_name!r} does not end a patchable stage: {stage}")
    h, w = cut.shape[2], cut.shape[3]
    if grid < 1 or grid > min(h, w):
        raise PassError(f"patch-based: grid {grid} does not fit the cut {cut_name!r} ({h} x {w}); use 1..{min(h, w)}")
    assert cut.producer is not None  # stage_of refuses graph inputs and constants
    pos = g.nodes.index(cut.producer)
    in_stage = {id(n) for n in stage}
    before = [n for n in g.nodes[:pos] if id(n) not in in_stage]
    after = g.nodes[pos + 1 :]
    start = len(g.nodes)
    wins = windows(stage)
    dest: Value | None = None
    for i, (r0, r1) in enumerate(grid_bounds(h, grid)):
        for j, (c0, c1) in enumerate(grid_bounds(w, grid)):
            k = i * grid + j
            tile = _run_patch(rw, stage, wins, cut, Region(r0, r1, c0, c1), k)
            attrs = {"starts": (r0, c0), "axes": (2, 3), "shape": None if dest else cut.shape}
            inputs = [tile] if dest is None else [dest, tile]
            dest = rw.add(InsertSlice, inputs, attrs, name=f"{cut.name}@insert{k}").output
    assert dest is not None
    added = g.nodes[start:]
    rw.replace_all_uses(cut, dest, take_name=True)  # the stage output keeps its name
    for node in reversed(stage):
        rw.erase(node)
    rw.reorder([*before, *added, *after])
    return g


def candidate_cuts(graph: Graph) -> list[str]:
    """Every tensor of at least 2 x 2 pixels that ends a stage with at least one conv or pool."""
    out = []
    for node in graph.nodes:
        if node.outputs[0].type.rank != 4 or min(node.outputs[0].shape[2:]) < 2:
            continue
        stage = stage_of(graph, node.outputs[0]) if len(node.outputs) == 1 else "multi-output"
        if not isinstance(stage, str) and any(n.op.has(Windowed) for n in stage):
            out.append(node.output.name)
    return out


def _by_bound(graph: Graph, cuts: list[str], external: list[str]) -> list[tuple[int, str]]:
    """Cuts with a lower bound on their patched peak, smallest first: the live bytes of the steps
    after the stage, which patching does not change."""
    spans = [t for t in lifetimes(graph) if t.value not in external]
    curve = profile(spans, max(len(graph.nodes), 1)).curve
    index = {n.output.name: i for i, n in enumerate(graph.nodes) if len(n.outputs) == 1}
    bounds = [(max(curve[index[c] + 1 :], default=0) if c in index else 0, c) for c in cuts]
    return sorted(bounds, key=lambda b: b[0])


@register_pass
@dataclass(frozen=True)
class PatchBased(Pass):
    """Run the first, memory-heavy stage of a CNN patch by patch to shrink the arena (MCUNetV2)."""

    name = "patch-based"
    cut: str | None = field(
        default=None, metadata={"help": "the stage output's tensor name; None: try every candidate"}
    )
    grid: int = field(default=0, metadata={"help": "patches per side (>= 1); 0: try 2..max_grid"})
    max_grid: int = field(default=4, metadata={"help": "the finest grid the automatic search tries (>= 2)"})
    max_mac_overhead: float | None = field(
        default=None,
        metadata={"help": "drop candidates whose halos add more than this fraction of MACs (e.g. 0.5); None: no cap"},
    )
    planner: str = field(
        default="best-fit",
        metadata={"help": f"the arena planner that scores candidates: {', '.join(sorted(PLANNERS))}"},
    )
    count_inputs: bool = field(
        default=True, metadata={"help": "false: the graph inputs stay in the caller's buffers (MCU inputs=caller)"}
    )
    inplace: bool | None = field(
        default=None,
        metadata={"help": "score arenas with the target's in-place rules; none: when the target has them"},
    )
    inplace_rules: InPlaceRules | None = field(
        default=None, compare=False, repr=False, metadata={"cli": False, "bind": "inplace_rules"}
    )

    def __post_init__(self) -> None:
        if self.grid < 0 or self.max_grid < 2:
            raise PassError(
                f"patch-based: grid must be >= 1 (0 = automatic) and max_grid >= 2, got {self.grid} and {self.max_grid}"
            )
        if self.max_mac_overhead is not None and self.max_mac_overhead < 0:
            raise PassError(
                f"patch-based: max_mac_overhead must be >= 0 (a fraction of the MACs, e.g. 0.5), "
                f"got {self.max_mac_overhead}"
            )
        if self.planner not in PLANNERS:
            raise PassError(f"patch-based: unknown planner {self.planner!r}; available: {', '.join(sorted(PLANNERS))}")

    def _arena(self, graph: Graph, external: list[str]) -> int:
        rules = inplace_rules_for(self.name, self.inplace, self.inplace_rules)
        return plan_arena(graph, self.planner, inplace=rules, external=external).arena_bytes

    def _too_costly(self, patched: Graph, macs_before: int) -> bool:
        if self.max_mac_overhead is None or not macs_before:
            return False
        return graph_macs(patched) > (1 + self.max_mac_overhead) * macs_before

    def run(self, graph: Graph) -> PassResult:
        cuts = [self.cut] if self.cut is not None else candidate_cuts(graph)
        grids = [self.grid] if self.grid else list(range(2, self.max_grid + 1))
        external = [] if self.count_inputs else [v.name for v in graph.inputs]
        report = PatchReport(arena_before_bytes=self._arena(graph, external))
        report.peak_before_bytes = _peak(graph, external)
        report.macs_before = graph_macs(graph)
        tried: list[tuple[int, str, int, Graph]] = []
        costly = 0
        for bound, cut in _by_bound(graph, cuts, external):
            if len(tried) >= SHORTLIST and bound > sorted(t[0] for t in tried)[SHORTLIST - 1]:
                break  # the rest of the graph alone already peaks above the shortlist
            for n in grids:
                if self.grid == 0 and n > min(graph.value(cut).shape[2:]):
                    continue  # an automatic grid finer than the cut
                try:
                    g = patch_graph(graph, cut, n)
                except ShapeError as err:
                    raise PassError(f"patch-based: cut {cut!r}, grid {n}: {err}") from err
                if self._too_costly(g, report.macs_before):
                    costly += 1
                    continue
                tried.append((_peak(g, external), cut, n, g))
        report.candidates = len(tried)
        best = None
        for _, cut, n, g in sorted(tried, key=lambda t: t[:3])[:SHORTLIST]:
            arena = self._arena(g, external)
            if best is None or arena < best[0]:
                best = (arena, cut, n, g)
        if best is None or (self.cut is None and self.grid == 0 and best[0] >= report.arena_before_bytes):
            report.skipped = "no patching lowers the arena"
            if best is None:
                over = f"all {costly} candidates add more than max_mac_overhead={self.max_mac_overhead} of MACs"
                report.skipped = over if costly else "no stage to patch"
            report.arena_after_bytes, report.peak_after_bytes = report.arena_before_bytes, report.peak_before_bytes
            report.macs_after = report.macs_before
            return PassResult(graph, False, report)
        arena, cut, n, g = best
        report.cut, report.grid, report.patches = cut, n, n * n
        report.stage_nodes = len(stage_of(graph, graph.value(cut)))  # type: ignore[arg-type]
        report.arena_after_bytes, report.peak_after_bytes = arena, _peak(g, external)
        report.macs_after = graph_macs(g)
        report.mac_overhead = report.macs_after / report.macs_before - 1 if report.macs_before else 0.0
        return PassResult(g, True, report)
