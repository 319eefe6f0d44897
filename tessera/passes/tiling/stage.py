"""The first stage of a CNN and its receptive fields, for patch-based inference (MCUNetV2).

A stage is every node a cut tensor depends on, when all of them are spatial-local NCHW ops (Windowed
ops: convolutions and pools of any stride, padding and groups; Pointwise ops: elementwise arithmetic,
activations, requantization, residual adds; see tessera.ir.traits) fed only by graph inputs and
constants, and when no tensor inside the stage is read outside it. Each output region of a node then
needs one input region per input:

    conv / pool: output rows [o0, o1) read rows [o0*s - p, (o1-1)*s - p + (k-1)*d + 1), clipped
    pointwise:   the same region

A Region is a half-open box over the two spatial axes (H, W) of an NCHW tensor.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops import quantized, quantized_nn
from tessera.ir.ops._spatial import Window
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.pooling import _pool_window
from tessera.ir.traits import Pointwise, Windowed


@dataclass(frozen=True)
class Region:
    """Rows [r0, r1) and columns [c0, c1) of an NCHW tensor."""

    r0: int
    r1: int
    c0: int
    c1: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.r1 - self.r0, self.c1 - self.c0)

    def union(self, other: Region | None) -> Region:
        if other is None:
            return self
        return Region(min(self.r0, other.r0), max(self.r1, other.r1), min(self.c0, other.c0), max(self.c1, other.c1))

    def within(self, outer: Region) -> tuple[int, int, int, int]:
        """This region's bounds relative to `outer` (for a Slice of outer's patch)."""
        return (self.r0 - outer.r0, self.r1 - outer.r0, self.c0 - outer.c0, self.c1 - outer.c0)


def full(v: Value) -> Region:
    return Region(0, v.shape[2], 0, v.shape[3])


def node_window(node: Node) -> Window:
    """The resolved window of a conv or pool node."""
    types = [v.type for v in node.inputs]
    if node.op is quantized_nn.QConv:
        return Conv.geometry([t.with_dtype(DType.FLOAT64) for t in types], quantized_nn.QConv.conv_attrs(node.attrs))
    if node.op is Conv:
        return Conv.geometry(types, node.attrs)
    return _pool_window(node.op.name, types[0], node.attrs)


def local_reason(node: Node) -> str | None:
    """None when `node` is a spatial-local op the patch pass can split; else why not."""
    if len(node.outputs) != 1 or node.output.type.rank != 4:
        return f"{node.op.name} {node.name!r} is not a single 4-D (NCHW) output"
    if node.op.has(Windowed):
        if node.attrs.get("ceil_mode"):
            return f"{node.op.name} {node.name!r} uses ceil_mode"
        if not all(v.is_constant for v in node.inputs[1:]):
            return f"{node.op.name} {node.name!r} has non-constant weights"
        return None
    if not node.op.has(Pointwise):
        return f"{node.op.name} {node.name!r} is not spatial-local"
    out = node.output.shape
    for v in node.inputs:
        if v.is_constant:
            padded = (1,) * (4 - v.type.rank) + tuple(v.shape)
            per_axis = node.op in (quantized.QuantizeLinear, quantized.DequantizeLinear) and v.type.rank == 1
            if per_axis and v.type.numel > 1 and node.attrs["axis"] % 4 in (2, 3):
                return f"{node.op.name} {node.name!r} is per-axis over a spatial axis"
            if not per_axis and (padded[2] != 1 or padded[3] != 1):
                return f"{node.op.name} {node.name!r} reads a constant with a spatial extent"
        elif v.type.rank != 4 or v.shape[2:] != out[2:]:
            return f"{node.op.name} {node.name!r} broadcasts an activation over the spatial axes"
    return None


def stage_of(graph: Graph, cut: Value) -> list[Node] | str:
    """The nodes `cut` depends on, in graph order, or the reason they do not form a stage."""
    if cut.producer is None or cut.type.rank != 4:
        return f"tensor {cut.name!r} is not a 4-D (NCHW) node output"
    seen: dict[int, Node] = {}
    stack = [cut.producer]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        why = local_reason(node)
        if why is not None:
            return why
        seen[id(node)] = node
        for v in node.inputs:
            if v.producer is not None:
                stack.append(v.producer)
            elif not v.is_constant and v.type.rank != 4:
                return f"graph input {v.name!r} is not 4-D"
    stage = [n for n in graph.nodes if id(n) in seen]
    for node in stage:
        v = node.output
        if v is cut:
            continue
        if v in graph.outputs or any(id(u) not in seen for u in v.users):
            return f"tensor {v.name!r} inside the stage is also read after it"
    return stage


def _axis_need(o0: int, o1: int, size: int, stride: int, pad: int, extent: int) -> tuple[int, int, int, int]:
    """Input [a0, a1) and the pads (begin, end) that make output [o0, o1) of the whole-image window."""
    start = o0 * stride - pad
    end = (o1 - 1) * stride - pad + extent
    a0, a1 = max(0, start), min(size, end)
    return a0, a1, a0 - start, end - a1


def input_need(node: Node, out: Region, win: Window | None) -> tuple[Region, tuple[int, int, int, int] | None]:
    """The region of the node's first input that output region `out` reads, and for a windowed op
    (`win`: its window) its pads (top, left, bottom, right) for that patch. Pointwise ops (`win`
    None) read `out` from every input."""
    if win is None:
        return out, None
    x = node.inputs[0]
    ext = win.extent
    r0, r1, pt, pb = _axis_need(out.r0, out.r1, x.shape[2], win.strides[0], win.pads_begin[0], ext[0])
    c0, c1, pl, pr = _axis_need(out.c0, out.c1, x.shape[3], win.strides[1], win.pads_begin[1], ext[1])
    return Region(r0, r1, c0, c1), (pt, pl, pb, pr)


def windows(stage: Sequence[Node]) -> dict[int, Window | None]:
    """The window of every windowed stage node (None for pointwise ones), by node id."""
    return {id(n): node_window(n) if n.op.has(Windowed) else None for n in stage}


def propagate(stage: Sequence[Node], wins: dict[int, Window | None], cut: Value, out: Region) -> dict[int, Region]:
    """Each stage tensor's (and graph input's) region for one patch of the cut: the union of what its
    readers need, walking the stage backwards."""
    regions: dict[int, Region] = {id(cut): out}
    for node in reversed(stage):
        need, _ = input_need(node, regions[id(node.output)], wins[id(node)])
        for v in node.inputs:
            if not v.is_constant:
                regions[id(v)] = need.union(regions.get(id(v)))
    return regions


def grid_bounds(size: int, n: int) -> list[tuple[int, int]]:
    """n nearly equal parts of [0, size)."""
    cuts = [i * size // n for i in range(n + 1)]
    return list(itertools.pairwise(cuts))
