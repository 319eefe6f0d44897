"""A register-tiled schedule for depthwise NCHW conv2d kernels (groups == channels), MobileNet's other half.

A depthwise conv has no reduction over channels: each output is a k x k window of one input plane
times k x k scalars, so the 8 x 8 channel-blocked tile of conv_schedule.py does not apply. Here the
output plane of one channel is tiled by rows x columns; the tile (at most 8 vectors of 8 float32)
accumulates in registers (local buffer, row loop unrolled, column loop vectorized) while the kernel
window loops run outside it, unrolled: each step broadcasts one weight and does one FMA per vector.
The fused epilogue (bias, ReLU/clip) runs on the tile in registers. Any stride, padding and kernel
size (the padding block before it keeps the generic rule); channel multipliers > 1 too. With stride
2 the padded input is stored as [.., rows, column % 2, column // 2], so the window's vector loads are
contiguous (even or odd columns) rather than strided gathers.
"""

from __future__ import annotations

from typing import Any

from tessera.backends.cpu.conv_schedule import accumulate_locally

LANES = 8  # AVX2: 8 float32 lanes
MAX_VECTORS = 8  # accumulators kept in registers (of 16 ymm), leaving room for inputs and the weight
COLUMN_TILES = (16, 8, 14, 7, 12, 6, 4, 2, 1)  # widths 112, 56, 28, 14, 7 -> 16, 8, 14, 14, 7
ROW_TILES = (7, 4, 2, 1)


def is_depthwise(sch: Any, block: Any) -> bool:
    """A group conv2d (Relax legalizes depthwise to it) or topi depthwise block, one input channel per group."""
    stmt = sch.get(block)
    if not stmt.name_hint.startswith(("group_conv2d_nchw", "depthwise_conv2d_nchw", "DepthwiseConv2d")):
        return False
    kinds = [iv.iter_type for iv in stmt.iter_vars]
    if len(stmt.reads) != 2:
        return False
    if kinds == [0, 0, 0, 0, 2, 2, 2]:  # n, f, y, x, rc (extent 1), ry, rx
        return int(stmt.iter_vars[4].dom.extent) == 1
    return kinds == [0, 0, 0, 0, 2, 2]  # n, f, y, x, ry, rx (topi depthwise)


def tile_shape(height: int, width: int) -> tuple[int, int]:
    """(rows, columns) of the register tile: columns a vector-friendly divisor of the width."""
    cols = next(t for t in COLUMN_TILES if width % t == 0)
    vectors = -(-cols // LANES)
    rows = next(r for r in ROW_TILES if height % r == 0 and r * vectors <= MAX_VECTORS)
    return rows, cols


def schedule_depthwise(sch: Any, block: Any, consumers: list[Any]) -> None:
    """Schedule `block` (see is_depthwise) with its elementwise `consumers` fused onto its tiles."""
    for consumer in consumers[:-1]:
        sch.compute_inline(consumer)
    n, f, y, x, *reduce = sch.get_loops(block)
    rows, cols = tile_shape(int(sch.get(y).extent), int(sch.get(x).extent))
    _deinterleave_stride2(sch, block)
    yo, yi = sch.split(y, [None, rows])
    xo, xi = sch.split(x, [None, cols])
    sch.reorder(n, f, yo, xo, *reduce, yi, xi)
    epilogue = accumulate_locally(sch, block, consumers)
    sch.reverse_compute_at(epilogue, xo)
    sch.parallel(sch.fuse(n, f, yo))
    for loop in reduce[-2:]:  # the kernel window
        sch.unroll(loop)
    sch.unroll(yi)
    sch.vectorize(xi)
    sch.decompose_reduction(block, reduce[0])  # the init block inherits the unroll and vectorize
    _vectorize_epilogue(sch, epilogue)


def _deinterleave_stride2(sch: Any, block: Any) -> None:
    """Stride 2: store the (padded) input as [.., h, w % 2, w // 2] so each window column's vector
    load is contiguous (even or odd columns) instead of a strided gather."""
    stmt = sch.get(block)
    source = stmt.reads[0]
    index = source.region[-1].min  # x * stride + rx
    stride2 = (
        type(index).__name__ == "Add"
        and type(index.a).__name__ == "Mul"
        and index.a.a.same_as(stmt.iter_vars[3].var)
        and type(index.a.b).__name__ == "IntImm"
        and int(index.a.b) == 2
    )
    if not stride2 or int(source.source.shape[-1]) % 2:
        return
    sch.transform_layout(block, ("read", 0), lambda n, c, h, w: (n, c, h, w % 2, w // 2))


def _vectorize_epilogue(sch: Any, epilogue: Any) -> None:
    # the epilogue's own loops under xo: (n?, f?, y, x) of extents (1, 1, rows, cols)
    inner = [lp for lp in sch.get_loops(epilogue)[2:] if int(sch.get(lp).extent) > 1]
    if inner:
        sch.vectorize(inner[-1])
    if len(inner) == 2:
        sch.unroll(inner[0])
