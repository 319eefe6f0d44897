"""A register-blocked schedule for the 2-D BinaryConv kernel (binary_conv.py): the popcount sums of
a tile of output channels x columns stay in vector registers while the reduction (words, kernel
rows, kernel columns) runs outside them.

Each reduction step loads one uint32 vector of `lanes` packed weights per channel vector (contiguous
in [M / lanes, words, kh, kw, lanes], packed at compile time), broadcasts one input word per column,
and accumulates popcount(x ^ w) per lane (vpopcntd on AVX-512 VPOPCNTDQ; LLVM's nibble table
elsewhere). Threads take (image, channel block, output row) triples, the column tiles of a row run
serially; the epilogue (border constant, float conversion, alpha, bias and any fused elementwise
consumers) runs on the tile while it is in registers, vectorized along its columns. The zero-padded
input is one parallel pass before (conv_schedule.schedule_padding).

Without AVX-512 VPOPCNTDQ the popcount is LLVM's nibble-table sequence and bounds the kernel, not the
tile: built for mcpu=haswell (AVX2) on the same Xeon, 3x3 64 -> 64 on 64x64 takes 0.97 ms with every
tile tried (8 to 32 channels x 2 to 8 columns, 8 or 16 lanes) against 4.5 ms for the float conv
(4.6x; with VPOPCNTDQ 0.24 ms, 16x).
"""

from __future__ import annotations

from typing import Any

from tessera.backends.cpu.binary_conv import BLOCK_NAME
from tessera.backends.cpu.conv_schedule import accumulate_locally

LANES = 16  # uint32 lanes of one AVX-512 register
CHANNEL_TILES = (32, 16)  # output channels per tile (a multiple of the weight vector, dividing a group)
COLUMN_TILES = (8, 7, 6, 4, 2, 1)  # output columns per tile (widths 112, 56, 28, 14, 7 -> 8, 8, 7, 7, 7)
REGISTERS = 16  # accumulator vectors per tile (of 32 zmm: the rest hold weights, the broadcast, temporaries)


def is_binary_conv(sch: Any, block: Any) -> bool:
    """The 2-D binary_conv block: n, m, y, x spatial then words, ky, kx reduction."""
    stmt = sch.get(block)
    if stmt.name_hint != BLOCK_NAME:
        return False
    return [iv.iter_type for iv in stmt.iter_vars] == [0, 0, 0, 0, 2, 2, 2]


def tile_shape(group_out: int, lanes: int, width: int) -> tuple[int, int]:
    """(channels, columns) of the register tile: channels a multiple of the weight vector that divides
    the channels of one group (so a tile reads one group's input words), columns dividing the width,
    at most REGISTERS accumulator vectors. 32 x 8 measured fastest on 3x3 64 -> 64 (pads 1, 1 thread,
    Xeon with AVX-512 VPOPCNTDQ, ms at 32x32 / 64x64 / 128x128): 32 x 8 0.062 / 0.238 / 0.958,
    16 x 16 0.068 / 0.250 / 0.989, 32 x 16 0.070 / 0.258 / 1.13, 32 x 4 0.072 / 0.283 / 1.48,
    64 x 4 (64x64) 0.296, 64 x 8 0.354 (spills)."""
    channels = next((t for t in CHANNEL_TILES if t % lanes == 0 and group_out % t == 0), lanes)
    vectors = -(-channels // LANES)
    columns = next(t for t in COLUMN_TILES if width % t == 0 and t * vectors <= REGISTERS)
    return channels, columns


def schedule_binary_conv(sch: Any, block: Any, consumers: list[Any]) -> None:
    """Schedule `block` (see is_binary_conv) with its epilogue and fused consumers (in order)."""
    for consumer in consumers[:-1]:
        sch.compute_inline(consumer)
    stmt = sch.get(block)
    weights = stmt.reads[1].source
    lanes = int(weights.shape[-1])
    out_channels, _, width = (int(d) for d in stmt.writes[0].source.shape[1:])
    group_out = _group_out(sch, block, out_channels)
    channels, columns = tile_shape(group_out, lanes, width)
    n, f, y, x, rk, ry, rx = sch.get_loops(block)
    fo, fi = sch.split(f, [None, channels])
    xo, xi = sch.split(x, [None, columns])
    sch.reorder(n, fo, y, xo, rk, ry, rx, xi, fi)
    epilogue = accumulate_locally(sch, block, consumers)
    sch.transform_layout(block, ("write", 0), lambda n, f, y, x: (n, y, x, f))  # lanes contiguous
    sch.parallel(sch.fuse(n, fo, y))
    sch.reverse_compute_at(epilogue, xo)
    vector = min(LANES, channels)
    if channels > vector:
        fv, fi = sch.split(fi, [None, vector])
        sch.unroll(fv)
    sch.unroll(xi)
    sch.vectorize(fi)
    sch.decompose_reduction(block, rk)
    _vectorize_epilogue(sch, epilogue)


def _group_out(sch: Any, block: Any, out_channels: int) -> int:
    """Output channels per group: the kernel's input words over the weights' words per filter."""
    stmt = sch.get(block)
    in_words = int(stmt.reads[0].source.shape[1])
    per_filter = int(stmt.reads[1].source.shape[1])
    return out_channels // max(1, in_words // per_filter)


def _vectorize_epilogue(sch: Any, epilogue: Any) -> None:
    """The epilogue's loops under the tile loop are (n, channels, row, columns): channels unrolled,
    columns vectorized (contiguous stores)."""
    loops = sch.get_loops(epilogue)[2:]
    inner = [lp for lp in loops if int(sch.get(lp).extent) > 1]
    if len(inner) != 2:
        return
    channels, columns = inner
    sch.unroll(channels)
    if int(sch.get(columns).extent) >= 4:
        sch.vectorize(columns)
