"""A register-blocked schedule for NCHW conv2d kernels (regular and pointwise), the CNNs' hot spot.

The output is tiled by 16 channels x 4 columns, or else 8 channels x up to 8 columns: those sums stay in registers (the
accumulator buffer is local and, with the column loop unrolled and the channel loop vectorized,
LLVM keeps it in vector registers) while the reduction loops (input channels, kernel rows, kernel
columns) run outside them. Each step loads one or two vectors of 8 weights and broadcasts one input
value per column. The weights are repacked once per call to [f / tile, in channels, kh, kw, tile]
so those vector loads are contiguous. The fused epilogue (bias, residual add, ReLU/clip) runs on the tile while it is in
registers. Depthwise convs get depthwise_schedule.py; other grouped convs the generic rule.
"""

from __future__ import annotations

from typing import Any

LANES = 8  # AVX2: 8 float32 lanes
COLUMN_TILES = (8, 7, 6, 4, 2, 1)  # output columns per tile; resnet/mobilenet widths 112, 56, 28, 14, 7
WIDE_COLUMNS = 4  # columns of a 16-channel tile


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
    """(output channels, columns) of the register tile: 16 x 4 where it fits, else 8 x up to 8.

    16 x 4 (12 accumulators, 2 weight vectors, 1 broadcast: 15 of 16 ymm) does 2 FMAs per broadcast
    and measured 10-25% faster than 8 x 7 / 8 x 8 on widths 28-112 (1 thread, single kernels);
    16 x 7 was slower on widths 14 and 28 and no faster on 7 (it spills), so 7 and 14 keep 8 x 7.
    """
    wide = 2 * LANES
    if out_channels % wide == 0 and out_channels > wide and width % WIDE_COLUMNS == 0:
        return wide, WIDE_COLUMNS
    return LANES, next(t for t in COLUMN_TILES if width % t == 0)


def schedule_conv(sch: Any, block: Any, consumers: list[Any]) -> None:
    """Schedule `block` (see is_conv) with its elementwise `consumers` (in order) fused onto its tiles."""
    for consumer in consumers[:-1]:
        sch.compute_inline(consumer)
    n, f, y, x, rc, ry, rx = sch.get_loops(block)
    channels, tile = tile_shape(int(sch.get(f).extent), int(sch.get(x).extent))
    prepacked = _prepacked_tile(sch, block)
    channels = prepacked or channels
    fo, fi = sch.split(f, [None, channels])
    xo, xi = sch.split(x, [None, tile])
    sch.reorder(n, fo, y, xo, rc, ry, rx, xi, fi)
    epilogue = accumulate_locally(sch, block, consumers)
    sch.reverse_compute_at(epilogue, xo)
    if not prepacked:
        _pack_weights(sch, block)
    sch.parallel(sch.fuse(n, fo, y))
    sch.unroll(xi)
    sch.vectorize(fi)
    sch.decompose_reduction(block, rc)  # the init block inherits the unroll and vectorize
    _vectorize_epilogue(sch, epilogue)


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


def _vectorize_epilogue(sch: Any, epilogue: Any) -> None:
    loops = sch.get_loops(epilogue)
    # the epilogue's own loops under xo: (n?, f, y?, x) of extents (1, 8, 1, tile)
    inner = [lp for lp in loops[2:] if int(sch.get(lp).extent) > 1]
    if len(inner) == 2:
        sch.reorder(inner[1], inner[0])
        sch.vectorize(inner[0])
