"""Torch kernels of the data-movement families: shapes (shape_ops.py), Concat / Slice / Split /
Tile / Expand (tensor.py), DepthToSpace / SpaceToDepth (layout.py), InsertSlice (tiling.py) and the
identities (identity.py). Gathers, Pad and Resize are in ops_index.py.

Everything here only moves data, so every dtype passes through as it is and floats are differentiable.
Shape, Size and ConstantOfShape depend only on static types: they return constants.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tessera.backends.torch._wide import signed
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import identity, layout, shape_ops, tensor, tiling
from tessera.ir.ops._util import normalize_axis
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]


def _to_output_shape(x: Ts, c: Call) -> list[torch.Tensor]:
    """Reshape, Flatten, Squeeze, Unsqueeze: the output's static shape says it all."""
    return [x[0].reshape(c.outputs[0].shape)]


def _transpose(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0].permute(shape_ops.Transpose.perm(len(c.inputs[0].shape), c.attrs))]


def _concat(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.cat(list(x), dim=normalize_axis(c.attrs["axis"], len(c.inputs[0].shape)))]


def _split(x: Ts, c: Call) -> list[torch.Tensor]:
    axis = normalize_axis(c.attrs["axis"], len(c.inputs[0].shape))
    sizes = tensor.Split.sizes(c.inputs[0].shape[axis], c.attrs)
    return list(torch.split(x[0], sizes, dim=axis))


def _slice(x: Ts, c: Call) -> list[torch.Tensor]:
    """Positive steps slice directly; a negative step flips the axis first and walks it forwards
    (torch slicing has no negative steps). torch cannot flip uint16/32/64: they move as int64."""
    shape = c.inputs[0].shape
    y = signed(x[0])
    for axis, (s, dim) in enumerate(zip(tensor.Slice.slices(shape, c.attrs), shape)):
        if s == slice(None):
            continue
        start, stop, step = s.indices(dim)
        count = len(range(start, stop, step))
        if step < 0 and count:
            y, start, step = y.flip(axis), dim - 1 - start, -step
        y = y[(slice(None),) * axis + (slice(start, start + (count - 1) * step + 1 if count else start, step),)]
    return [y.to(x[0].dtype)]


def _expand(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0].expand(c.outputs[0].shape)]


def _tile(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0].repeat(c.attrs["repeats"])] if c.attrs["repeats"] else [x[0]]


def _depth_to_space(x: Ts, c: Call) -> list[torch.Tensor]:
    n, ch, h, w = c.inputs[0].shape
    b = c.attrs["blocksize"]
    if c.attrs["mode"] == "DCR":
        blocks = x[0].reshape(n, b, b, ch // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
    else:
        blocks = x[0].reshape(n, ch // (b * b), b, b, h, w).permute(0, 1, 4, 2, 5, 3)
    return [blocks.reshape(c.outputs[0].shape)]


def _space_to_depth(x: Ts, c: Call) -> list[torch.Tensor]:
    n, ch, h, w = c.inputs[0].shape
    b = c.attrs["blocksize"]
    cells = x[0].reshape(n, ch, h // b, b, w // b, b)
    order = (0, 3, 5, 1, 2, 4) if c.attrs["mode"] == "DCR" else (0, 1, 3, 5, 2, 4)
    return [cells.permute(order).reshape(c.outputs[0].shape)]


def _insert_slice(x: Ts, c: Call) -> list[torch.Tensor]:
    """src zero-padded to dest's shape, then chosen over dest inside its region (no in-place write,
    so dest and src may be batched independently)."""
    src = x[-1]
    dest_type = c.outputs[0]
    region = tiling.InsertSlice.region(dest_type, c.inputs[-1], c.attrs)
    pads: list[int] = []
    for r, d in reversed(list(zip(region, dest_type.shape))):
        pads += [r.start, d - r.stop]
    placed = F.pad(src, pads) if any(pads) else src
    if len(x) == 1:
        return [placed]
    inside = np.zeros(dest_type.shape, dtype=bool)
    inside[region] = True
    return [torch.where(torch.from_numpy(inside), placed, x[0])]


def _identity(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0]]


def _dropout(x: Ts, c: Call) -> list[torch.Tensor]:
    """Inference Dropout: the data passes; the optional mask is all true."""
    return [x[0], torch.ones(c.outputs[0].shape, dtype=torch.bool)][: len(c.outputs)]


def _shape(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.tensor(identity.Shape._dims(c.inputs[0].shape, c.attrs), dtype=torch.int64)]


def _size(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.tensor(c.inputs[0].numel, dtype=torch.int64)]


def _constant_of_shape(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.from_numpy(identity.ConstantOfShape.compute([], c.attrs)[0])]


_STATIC = "its value depends only on static types, not on the input's values."

KERNELS: dict[type[Op], TorchOp] = {
    shape_ops.Reshape: op(_to_output_shape),
    shape_ops.Flatten: op(_to_output_shape),
    shape_ops.Squeeze: op(_to_output_shape),
    shape_ops.Unsqueeze: op(_to_output_shape),
    shape_ops.Transpose: op(_transpose),
    tensor.Concat: op(_concat),
    tensor.Split: op(_split),
    tensor.Slice: op(_slice),
    tensor.Expand: op(_expand),
    tensor.Tile: op(_tile),
    layout.DepthToSpace: op(_depth_to_space),
    layout.SpaceToDepth: op(_space_to_depth),
    tiling.InsertSlice: op(_insert_slice),
    identity.Identity: op(_identity),
    identity.Dropout: op(_dropout),
    identity.Shape: op(_shape, no_grad="Shape is an integer tensor: " + _STATIC),
    identity.Size: op(_size, no_grad="Size is an integer scalar: " + _STATIC),
    identity.ConstantOfShape: op(_constant_of_shape, no_grad="ConstantOfShape has no inputs: " + _STATIC),
}
