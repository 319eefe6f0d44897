"""Conv2d with constant weights packed at compile time, for conv_schedule.py's register tile.

The register-blocked conv schedule loads one vector of `tile` weights per step (output channels
f .. f + tile - 1 at one input channel and kernel position), so it wants the weights as
[f / tile, c, kh, kw, tile]. For a weight that is a graph constant (every CNN weight after
fold-constants and fold-batchnorm) the lowering packs it here once, in numpy, and emits a conv whose
tensor expression reads the packed layout: the compiled kernel has no per-call weight copy. A
weight computed at run time keeps Relax's conv2d, and the schedule copies it per call instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tessera.backends.cpu import conv_schedule

BLOCK_NAME = "conv2d_nchw_packed"  # conv_schedule.is_conv matches the conv2d_nchw prefix


def packable(weight: np.ndarray, groups: int, tile_width: int) -> int | None:
    """The channel tile to pack `weight` (OIHW) with, or None where the conv schedule would not apply;
    `tile_width` is the extent the column tile runs over (conv_schedule.tile_width)."""
    if weight.ndim != 4 or groups != 1 or weight.dtype != np.float32:
        return None
    if weight.shape[0] % conv_schedule.LANES:
        return None
    return conv_schedule.tile_shape(weight.shape[0], tile_width)[0]


def pack(weight: np.ndarray, tile: int) -> np.ndarray:
    """[f, c, kh, kw] -> [f / tile, c, kh, kw, tile]."""
    f, c, kh, kw = weight.shape
    return np.ascontiguousarray(weight.reshape(f // tile, tile, c, kh, kw).transpose(0, 2, 3, 4, 1))


def conv2d_packed(
    x: Any,
    w: Any,
    strides: Sequence[int],
    pads_begin: Sequence[int],
    pads_end: Sequence[int],
    dilations: Sequence[int],
) -> Any:
    """NCHW conv2d (groups 1) of `x` with weights `w` packed as [f / tile, c, kh, kw, tile] (TE)."""
    from tvm import te, topi

    n, c, h, wd = (int(d) for d in x.shape)
    blocks, _, kh, kw, tile = (int(d) for d in w.shape)
    (sy, sx), (dy, dx) = strides, dilations
    out_h = (h + pads_begin[0] + pads_end[0] - (kh - 1) * dy - 1) // sy + 1
    out_w = (wd + pads_begin[1] + pads_end[1] - (kw - 1) * dx - 1) // sx + 1
    padded = x
    if any(pads_begin) or any(pads_end):
        padded = topi.nn.pad(x, [0, 0, *pads_begin], [0, 0, *pads_end], name="pad_temp")
    rc, ry, rx = te.reduce_axis((0, c), "rc"), te.reduce_axis((0, kh), "ry"), te.reduce_axis((0, kw), "rx")
    return te.compute(
        (n, blocks * tile, out_h, out_w),
        lambda b, f, y, xx: te.sum(
            padded[b, rc, y * sy + ry * dy, xx * sx + rx * dx] * w[f // tile, rc, ry, rx, f % tile],
            axis=[rc, ry, rx],
        ),
        name=BLOCK_NAME,
    )
