"""Register-tiled schedules for depthwise NCHW conv2d kernels (groups == channels), MobileNet's other half.

A depthwise conv has no reduction over channels: each output is a k x k window of one input plane
times k x k scalars, so conv_schedule.py's channel-blocked tile does not apply as is. Two layouts,
picked per kernel by `channel_blocked`:

- planes (stride 1 on planes 56 wide or more, channels not a multiple of 8, channel multipliers):
  each channel's output plane is tiled by rows x columns; the tile (at most 8 vectors of 8 float32)
  accumulates in registers (local buffer, row loop unrolled, column loop vectorized) while the
  k x k window, unrolled, broadcasts one weight per FMA. With stride 2 the padded input is stored as
  [.., rows, column % 2, column // 2] so the window's vector loads are contiguous.
- channel blocks (NCHWc; stride 2, planes under 56 wide, widths no column tile divides): 8 channels
  per vector. The padded input of 8 channels is repacked to [h, w, 8] and the weights to
  [c / 8, kh, kw, 8], so every window step is one contiguous vector load (any stride) and one FMA per
  output pixel of the tile (up to 12 pixels x 8 channels in registers); the epilogue writes the tile
  back to NCHW.

Either way the padding block is computed per channel (or 8-channel block) just before its use, in the
same parallel loop (no separate pass over memory), and the fused epilogue (bias, ReLU/clip) runs on the
tile in registers. `schedule_depthwise` returns the names of the producer blocks it took, so that the
generic rule leaves them alone.
"""

from __future__ import annotations

from typing import Any

from tessera.backends.cpu.conv_schedule import accumulate_locally

LANES = 8  # AVX2: 8 float32 lanes
MAX_VECTORS = 8  # plane tile: accumulators kept in registers (of 16 ymm), leaving room for inputs and the weight
MAX_PIXELS = 12  # channel-block tile: output pixels x 8 channels in registers
COLUMN_TILES = (16, 8, 14, 7, 12, 6, 4, 2, 1)  # widths 112, 56, 28, 14, 7 -> 16, 8, 14, 14, 7
ROW_TILES = (7, 4, 2, 1)
BLOCK_COLUMN_TILES = (8, 7, 6, 4, 2, 1)
WIDE = 56  # stride-1 planes this wide or wider keep the plane layout (faster there: 18 vs 12 GF/s)


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
    """(rows, columns) of the plane tile: columns a vector-friendly divisor of the width."""
    cols = next(t for t in COLUMN_TILES if width % t == 0)
    vectors = -(-cols // LANES)
    rows = next(r for r in ROW_TILES if height % r == 0 and r * vectors <= MAX_VECTORS)
    return rows, cols


def block_tile_shape(height: int, width: int) -> tuple[int, int]:
    """(rows, columns) of output pixels in a channel-block tile (each pixel one vector of 8 channels)."""
    cols = next(t for t in BLOCK_COLUMN_TILES if width % t == 0)
    rows = next(r for r in (4, 3, 2, 1) if height % r == 0 and r * cols <= MAX_PIXELS)
    return rows, cols


def channel_blocked(channels: int, in_channels: int, stride: int, width: int) -> bool:
    """Vectorize over 8 channels (NCHWc) rather than along output columns?"""
    if channels % LANES or channels != in_channels:  # a channel tail or a channel multiplier
        return False
    return stride > 1 or width < WIDE or tile_shape(width, width)[1] < LANES // 2


def schedule_depthwise(sch: Any, block: Any, consumers: list[Any]) -> list[str]:
    """Schedule `block` (see is_depthwise) with its elementwise `consumers` fused onto its tiles;
    returns the names of the producer blocks (padding) computed inside its loops."""
    for consumer in consumers[:-1]:
        sch.compute_inline(consumer)
    stmt = sch.get(block)
    source = stmt.reads[0].source
    channels, width = int(stmt.iter_vars[1].dom.extent), int(stmt.iter_vars[3].dom.extent)
    stride = _stride(stmt)
    pads = [p for p in sch.get_producers(block) if sch.get(p).writes[0].source.same_as(source)]
    if channel_blocked(channels, int(source.shape[1]), stride, width):
        return _schedule_channel_blocks(sch, block, consumers, pads)
    return _schedule_planes(sch, block, consumers, pads, stride)


def _schedule_planes(sch: Any, block: Any, consumers: list[Any], pads: list[Any], stride: int) -> list[str]:
    n, f, y, x, *reduce = sch.get_loops(block)
    rows, cols = tile_shape(int(sch.get(y).extent), int(sch.get(x).extent))
    if stride == 2 and pads and int(sch.get(block).reads[0].source.shape[-1]) % 2 == 0:
        # the padded input as even / odd columns: each window column's vector load is contiguous
        sch.transform_block_layout(pads[0], lambda n, c, h, w: (n, c, h, w % 2, w // 2))
        sch.transform_layout(block, ("read", 0), lambda n, c, h, w: (n, c, h, w % 2, w // 2))
    yo, yi = sch.split(y, [None, rows])
    xo, xi = sch.split(x, [None, cols])
    sch.reorder(n, f, yo, xo, *reduce, yi, xi)
    epilogue = accumulate_locally(sch, block, consumers)
    sch.reverse_compute_at(epilogue, xo)
    channel = sch.fuse(n, f)
    sch.parallel(channel)
    names = _compute_pads_at(sch, pads, channel)
    for loop in reduce[-2:]:  # the kernel window
        sch.unroll(loop)
    sch.unroll(yi)
    sch.vectorize(xi)
    sch.decompose_reduction(block, reduce[0])  # the init block inherits the unroll and vectorize
    # the epilogue's own loops under xo: (n?, f?, y, x) of extents (1, 1, rows, cols)
    inner = [lp for lp in sch.get_loops(epilogue)[3:] if int(sch.get(lp).extent) > 1]
    if inner:
        sch.vectorize(inner[-1])
    if len(inner) == 2:
        sch.unroll(inner[0])
    return names


def _schedule_channel_blocks(sch: Any, block: Any, consumers: list[Any], pads: list[Any]) -> list[str]:
    if not pads:  # no padding block: repack the input in a copy of it
        pads = [sch.cache_read(block, 0, "global")]
    sch.transform_block_layout(pads[0], lambda n, c, h, w: (n, c // LANES, h, w, c % LANES))
    n, f, y, x, *reduce = sch.get_loops(block)
    rows, cols = block_tile_shape(int(sch.get(y).extent), int(sch.get(x).extent))
    fo, fi = sch.split(f, [None, LANES])
    yo, yi = sch.split(y, [None, rows])
    xo, xi = sch.split(x, [None, cols])
    sch.reorder(n, fo, yo, xo, *reduce, yi, xi, fi)
    epilogue = accumulate_locally(sch, block, consumers)
    sch.reverse_compute_at(epilogue, xo)
    sch.transform_layout(block, ("read", 0), lambda n, c, h, w: (n, c // LANES, h, w, c % LANES))
    sch.cache_read(block, 1, "global")  # weights repacked once per call (k*k*C floats)
    sch.transform_layout(block, ("read", 1), lambda f, c, h, w: (f // LANES, c, h, w, f % LANES))
    channels = sch.fuse(n, fo)
    sch.parallel(channels)
    names = _compute_pads_at(sch, pads, channels)
    for loop in (reduce[-1], yi, xi):  # window rows stay a loop: unrolling k x k x tile FMAs spills
        sch.unroll(loop)
    sch.vectorize(fi)
    sch.decompose_reduction(block, reduce[0])
    for loop in sch.get_loops(epilogue)[3:]:  # back to NCHW: (n?, f, y?, x) of extents (1, 8, rows, cols)
        if int(sch.get(loop).extent) > 1:
            sch.unroll(loop)
    return names


def _compute_pads_at(sch: Any, pads: list[Any], loop: Any) -> list[str]:
    """Compute the padding block for each channel (block) inside `loop`, vectorized along its last axis."""
    names = []
    for pad in pads:
        names.append(sch.get(pad).name_hint)
        sch.compute_at(pad, loop)
        sch.vectorize(sch.get_loops(pad)[-1])
    return names


def _stride(stmt: Any) -> int:
    """The column stride: `c` in the input column index x * c + rx (1 when it is x + rx)."""
    index = stmt.reads[0].region[-1].min
    if type(index).__name__ != "Add" or type(index.a).__name__ != "Mul":
        return 1
    if not index.a.a.same_as(stmt.iter_vars[3].var) or type(index.a.b).__name__ != "IntImm":
        return 1
    return int(index.a.b)
