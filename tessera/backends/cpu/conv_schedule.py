"""A register-blocked schedule for NCHW conv2d kernels (regular and pointwise), the CNNs' hot spot.

The output is tiled by 24 or 16 channels x 4 columns, or else 8 channels x up to 8 columns: those sums
stay in registers (the accumulator buffer is local and, with the column loop unrolled and the
channel loop vectorized, LLVM keeps it in vector registers) while the reduction loops (input
channels, kernel rows, kernel columns) run outside them. Each step loads one to three vectors of 8
weights and broadcasts one input value per column. On planes up to 14x14 the spatial tiles run
outside the channel blocks (each input tile is used by every channel block while it is in cache),
elsewhere the channel blocks run outside. The weight vector loads are contiguous in
[f / tile, in channels, kh, kw, tile]: constant weights arrive packed that way (packed_conv.py, at
compile time); weights computed at run time are repacked once per call. 1x1 stride-1 convs whose
width takes no 4-column tile (14) run over the flattened plane (h * w) instead, so they get
4-column tiles. The fused epilogue (bias, residual add, ReLU/clip) runs on the tile while it is in
registers. Depthwise convs get depthwise_schedule.py; other grouped convs the generic rule.
"""

from __future__ import annotations

import math
from typing import Any

LANES = 8  # AVX2: 8 float32 lanes
COLUMN_TILES = (8, 7, 6, 4, 2, 1)  # output columns per tile; resnet/mobilenet widths 112, 56, 28, 14, 7
WIDE_COLUMNS = 4  # columns of a 16- or 24-channel tile
SPATIAL_OUTER_PLANE = 14 * 14  # output planes up to this size run spatial tiles outside channel blocks
SPATIAL_OUTER_WEIGHT_BYTES = 4 << 20  # ... unless the weights exceed half the L3 (re-read per tile)


def is_conv(sch: Any, block: Any) -> bool:
    """A conv2d_nchw block: n, f, y, x spatial then rc, ry, rx reduction, with F a multiple of 8."""
    stmt = sch.get(block)
    if not stmt.name_hint.startswith("conv2d_nchw"):
        return False
    kinds = [iv.iter_type for iv in stmt.iter_vars]
    if kinds != [0, 0, 0, 0, 2, 2, 2] or len(stmt.reads) != 2:
        return False
    return int(stmt.iter_vars[1].dom.extent) % LANES == 0


def tile_shape(out_channels: int, width: int) -> tuple[int, int]:
    """(output channels, columns) of the register tile: 24 or 16 x 4 where they fit, else 8 x up to 8.

    24 x 4 (12 accumulators, 3 weight vectors, 1 broadcast: all 16 ymm, 3 FMAs per broadcast) where
    the channels are a multiple of 24 and 4 divides the width: against 16 x 4 it measured 1-9% faster
    on MobileNetV2's expansions (32 -> 192 at 28x28: 0.385 -> 0.351 ms; 96 -> 576 at 14x14: 0.715 ->
    0.694) and projections (576 -> 96: 0.618 -> 0.593), and on its 24-channel projections, where the
    alternative is 8 x 8 (144 -> 24 at 56x56: 0.91 -> 0.70 ms) (1 thread, single kernels, 9
    interleaved rounds). 16 x 4 (8 accumulators, 2 weight vectors, 1 broadcast, 2 FMAs per broadcast)
    for other multiples of 16 above 16: 10-25% faster than 8 x 7 / 8 x 8 on widths 28-112. 16 x 7
    was slower on widths 14 and 28 and no faster on 7 (14 accumulators + 3: it spills), so 7 and 14
    keep 8 x 7 (pointwise convs on 14x14 run over the flattened plane instead: tile_width).
    """
    wide = 2 * LANES
    if width % WIDE_COLUMNS == 0:
        if out_channels % (3 * LANES) == 0:
            return 3 * LANES, WIDE_COLUMNS
        if out_channels % wide == 0 and out_channels > wide:
            return wide, WIDE_COLUMNS
    return LANES, next(t for t in COLUMN_TILES if width % t == 0)


def tile_width(out_channels: int, height: int, width: int, pointwise: bool) -> int:
    """The extent the column tile runs over: the flattened plane (height * width) for a 1x1 stride-1
    unpadded conv where that gives a larger tile (width 14: 16 x 4 instead of 8 x 7), else the width."""
    plane = height * width
    if pointwise and tile_shape(out_channels, plane) != tile_shape(out_channels, width):
        return plane
    return width


def schedule_conv(sch: Any, block: Any, consumers: list[Any]) -> None:
    """Schedule `block` (see is_conv) with its elementwise `consumers` (in order) fused onto its tiles."""
    for consumer in consumers[:-1]:
        sch.compute_inline(consumer)
    out_channels, height, width = (int(d) for d in sch.get(block).writes[0].source.shape[1:])
    flat = tile_width(out_channels, height, width, _pointwise(sch, block)) != width
    if flat:  # one loop over the plane: tiles run across row ends
        sch.transform_block_layout(block, lambda n, f, y, x, rc, ry, rx: (n, f, y * width + x, rc, ry, rx))
        n, f, x, rc, ry, rx = sch.get_loops(block)
        rows = []
    else:
        n, f, y, x, rc, ry, rx = sch.get_loops(block)
        rows = [y]
    channels, tile = tile_shape(out_channels, int(sch.get(x).extent))
    prepacked = _prepacked_tile(sch, block)
    channels = prepacked or channels
    fo, fi = sch.split(f, [None, channels])
    xo, xi = sch.split(x, [None, tile])
    spatial_outer = _spatial_outer(sch, block, height * width)
    outer = [n, *rows, xo, fo] if spatial_outer else [n, fo, *rows, xo]
    sch.reorder(*outer, rc, ry, rx, xi, fi)
    epilogue = accumulate_locally(sch, block, consumers)
    if flat:  # the register tile and the epilogue over the flattened plane too
        sch.transform_layout(block, ("write", 0), lambda n, f, y, x: (n, f, y * width + x))
        sch.transform_block_layout(epilogue, lambda n, f, y, x: (n, f, y * width + x))
    if spatial_outer or not rows:  # threads take contiguous runs of tiles (spatial outer: each tile's
        tile_loop, depth = sch.fuse(*outer), 1  # input stays hot while every channel block reads it)
    else:  # the column tiles of one row run serially inside the parallel (channel block, row) loop
        tile_loop, depth = xo, 2
        sch.fuse(*outer[:-1])
    sch.parallel(sch.get_loops(block)[0])
    sch.reverse_compute_at(epilogue, tile_loop)
    if not prepacked:
        _pack_weights(sch, block)
    if channels > LANES:  # one vector register per 8 channels, unrolled (vectorizing 24 lanes spills)
        fi, lanes = sch.split(fi, [None, LANES])
        sch.unroll(fi)
        fi = lanes
    sch.unroll(xi)
    sch.vectorize(fi)
    sch.decompose_reduction(block, rc)  # the init block inherits the unroll and vectorize
    _vectorize_epilogue(sch, epilogue, depth)


def schedule_padding(sch: Any, block: Any) -> None:
    """A block before the conv (its padding): rows in parallel, each row one serial loop that LLVM
    vectorizes. The generic rule vectorizes the channel loop where no vector width divides the padded
    width (58, 30, 16, 9, 226): a strided scatter. Measured (1 thread, single kernels): the first
    MobileNetV2 conv (3 -> 32, 224x224, stride 2) 1.68 -> 0.96 ms; the 3x3 convs of ResNet18 unchanged
    within the noise."""
    loops = sch.get_loops(block)
    if len(loops) < 2 or any(iv.iter_type != 0 for iv in sch.get(block).iter_vars):
        return
    sch.parallel(sch.fuse(*loops[:-1]))


def _spatial_outer(sch: Any, block: Any, plane: int) -> bool:
    """Run the spatial tiles outside the channel blocks (each input tile is read once and used by every
    channel block while in cache) for small planes, unless the weights are too large to re-read per
    tile. Measured (1 thread, single kernels, f_out -> x_out): 14x14 planes 64 -> 384 pointwise
    0.42 -> 0.31-0.33 ms, 96 -> 576 0.80 -> 0.65, ResNet's 256-channel 3x3 8.1-8.3 -> 6.4-6.7; 7x7
    pointwise 1-9% faster; 512-channel 3x3 at 7x7 (9.4 MB of weights) 8.3 -> 9.0-9.6 (slower, kept);
    planes of 28x28 and up equal or slower (16 -> 96 at 112x112: 1.9 -> 2.6-2.7)."""
    weights = sch.get(block).reads[1].source
    weight_bytes = 4 * math.prod(int(d) for d in weights.shape)
    return plane <= SPATIAL_OUTER_PLANE and weight_bytes <= SPATIAL_OUTER_WEIGHT_BYTES


def _pointwise(sch: Any, block: Any) -> bool:
    """A 1x1 conv reading its input unpadded at stride 1: the input plane is the output plane."""
    stmt = sch.get(block)
    kernel = [int(iv.dom.extent) for iv in stmt.iter_vars[5:]]
    source, out = stmt.reads[0].source, stmt.writes[0].source
    return kernel == [1, 1] and [int(d) for d in source.shape[2:]] == [int(d) for d in out.shape[2:]]


def accumulate_locally(sch: Any, block: Any, consumers: list[Any]) -> Any:
    """Keep `block`'s output tile in registers ("local"); returns the block that writes it out: the
    last fused consumer, or a copy to global memory when there is none."""
    epilogue = consumers[-1] if consumers else sch.cache_write(block, 0, "global")
    sch.set_scope(block, 0, "local")
    return epilogue


def _prepacked_tile(sch: Any, block: Any) -> int | None:
    """The channel tile of weights packed at compile time (packed_conv.py: [f/tile, c, kh, kw, tile])."""
    weights = sch.get(block).reads[1].source
    return int(weights.shape[-1]) if len(weights.shape) == 5 else None


def _pack_weights(sch: Any, block: Any) -> None:
    """Copy the weights to [f/8, c, kh, kw, 8] once per call, in parallel (8/(H*W) of the FMAs)."""
    packed = sch.cache_read(block, 1, "global")
    fi = int(sch.get(sch.get_loops(block)[-1]).extent)  # the channel tile (the innermost loop)
    sch.transform_layout(block, ("read", 1), lambda f, c, h, w: (f // fi, c, h, w, f % fi))
    loops = sch.get_loops(packed)
    sch.parallel(sch.fuse(*loops[:2]))


def _vectorize_epilogue(sch: Any, epilogue: Any, depth: int) -> None:
    """Store the tile: along the columns (contiguous 4- or 8-wide stores, channels unrolled) where the
    column tile is a multiple of 4, else along the channels (a strided store per lane). Column stores
    measured 1.2-1.3x faster on 16 x 4 tiles of pointwise convs with few input channels (16 -> 96 at
    112x112: 2.65 -> 2.05 ms; 24 -> 144 at 56x56: 1.20 -> 0.96 ms), where the store is a large share."""
    loops = sch.get_loops(epilogue)
    # the epilogue's own loops under the tile loop (the first `depth` loops): (n?, f, y?, x) of
    # extents (1, channels, 1, columns)
    inner = [lp for lp in loops[depth:] if int(sch.get(lp).extent) > 1]
    if len(inner) != 2:
        return
    channels, columns = inner
    if int(sch.get(columns).extent) % 4 == 0:
        sch.unroll(channels)
        sch.vectorize(columns)
        return
    sch.reorder(columns, channels)
    sch.vectorize(channels)
