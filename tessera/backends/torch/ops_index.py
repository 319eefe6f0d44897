"""Torch kernels of the indexing families: Gather / GatherElements / GatherND (indexing.py), Pad
(pad.py), Resize and Upsample (resize.py).

Index data is wrapped (negatives count from the end) with torch ops, so it may be a graph input.
Pad's reflect / edge / wrap modes and Resize's taps depend only on static shapes: they are numpy
index (and weight) arrays, built by the reference's own helpers and applied with index_select, so
the results match the reference exactly and stay differentiable with respect to the data.
Out-of-range indices are not checked (that would need the values in Python); torch raises on them.
uint16/32/64 data moves as int64 (torch cannot index them under vmap) and is cast back, exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tessera.backends.torch._wide import signed
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import indexing, pad, resize
from tessera.ir.ops._util import normalize_axis
from tessera.ir.ops.base import Attrs, Op
from tessera.ir.ops.resize import _nearest, _source_coords, _taps, make_plan

Ts = Sequence[torch.Tensor]


def _wrapped(indices: torch.Tensor, dims: int | torch.Tensor) -> torch.Tensor:
    """int64 indices with negatives counted from the end of their axis."""
    indices = indices.to(torch.int64)
    return torch.where(indices < 0, indices + dims, indices)


def _gather(x: Ts, c: Call) -> list[torch.Tensor]:
    data_shape = c.inputs[0].shape
    axis = normalize_axis(c.attrs["axis"], len(data_shape))
    index = _wrapped(x[1], data_shape[axis]).reshape(-1)
    return [signed(x[0]).index_select(axis, index).reshape(c.outputs[0].shape).to(x[0].dtype)]


def _gather_elements(x: Ts, c: Call) -> list[torch.Tensor]:
    data, shape = x[0], c.inputs[1].shape
    axis = normalize_axis(c.attrs["axis"], len(shape))
    window = tuple(slice(None) if k == axis else slice(0, n) for k, n in enumerate(shape))
    index = _wrapped(x[1], c.inputs[0].shape[axis])
    return [torch.gather(signed(data[window]), axis, index).to(data.dtype)]


def _gather_nd(x: Ts, c: Call) -> list[torch.Tensor]:
    """The index tuples as flat row numbers of data viewed as (batch * rows, rest...)."""
    data_shape, index_shape = c.inputs[0].shape, c.inputs[1].shape
    b, k = c.attrs["batch_dims"], index_shape[-1]
    batch, count = math.prod(data_shape[:b]), math.prod(index_shape[b:-1])
    dims = data_shape[b : b + k]
    rows = math.prod(dims)
    tuples = _wrapped(x[1].reshape(batch, count, k), torch.tensor(dims, dtype=torch.int64))
    strides = torch.tensor([math.prod(dims[i + 1 :]) for i in range(k)], dtype=torch.int64)
    flat = (tuples * strides).sum(dim=-1) + torch.arange(batch, dtype=torch.int64).reshape(-1, 1) * rows
    table = signed(x[0]).reshape(batch * rows, *data_shape[b + k :])
    return [table.index_select(0, flat.reshape(-1)).reshape(c.outputs[0].shape).to(x[0].dtype)]


def _pad(x: Ts, c: Call) -> list[torch.Tensor]:
    """Crop the negative pads, then grow: constant mode with F.pad, the others by picking the
    indices numpy's own pad gives an arange of the axis."""
    shape = c.inputs[0].shape
    widths = pad.Pad.widths(shape, c.attrs)
    crop = tuple(slice(max(-b, 0), d - max(-e, 0)) for d, (b, e) in zip(shape, widths))
    y = x[0][crop]
    grow = [(max(b, 0), max(e, 0)) for b, e in widths]
    mode = c.attrs["mode"]
    if mode == "constant":
        if not any(b or e for b, e in grow):
            return [y]
        value = np.asarray(c.attrs["constant_value"]).astype(c.inputs[0].dtype.numpy()).item()
        flat = [w for b, e in reversed(grow) for w in (b, e)]
        return [F.pad(y, flat, value=value)]
    y = signed(y)
    for axis, (b, e) in enumerate(grow):
        if b or e:
            size = y.shape[axis]
            index = np.pad(np.arange(size, dtype=np.int64), (b, e), mode=mode)
            y = y.index_select(axis, torch.from_numpy(index))
    return [y.to(x[0].dtype)]


def _resize_axis(
    data: torch.Tensor, axis: int, out_len: int, scale: float, roi: tuple[float, float], attrs: Attrs
) -> torch.Tensor:
    """One axis of the reference's separable resize: static taps and weights, applied in torch."""
    in_len = data.shape[axis]
    tail = (1,) * (data.dim() - axis - 1)
    mode = attrs["coordinate_transformation_mode"]
    coords = _source_coords(mode, out_len, in_len, scale, roi)
    if attrs["mode"] == "nearest":
        index = np.clip(_nearest(coords, attrs["nearest_mode"]), 0, in_len - 1)
        result = data.index_select(axis, torch.from_numpy(index))
    else:
        index, weight = _taps(coords, in_len, scale, attrs)
        picked = data.index_select(axis, torch.from_numpy(index.reshape(-1)))
        picked = picked.reshape(*data.shape[:axis], *index.shape, *data.shape[axis + 1 :])
        result = (picked * torch.from_numpy(weight).reshape(*weight.shape, *tail)).sum(dim=axis + 1)
    if mode == "tf_crop_and_resize":
        outside = torch.from_numpy((coords < 0) | (coords > in_len - 1)).reshape(out_len, *tail)
        if not result.is_floating_point():
            result = result.to(torch.float64)
        result = torch.where(outside, torch.tensor(attrs["extrapolation_value"], dtype=result.dtype), result)
    return result


def _resize_with(x: torch.Tensor, c: Call, attrs: Attrs) -> torch.Tensor:
    shape = c.inputs[0].shape
    plan = make_plan(shape, attrs)
    result = signed(x) if attrs["mode"] == "nearest" else x.to(torch.float64)
    for axis, (in_len, out_len) in enumerate(zip(shape, plan.shape)):
        trivial_roi = attrs["coordinate_transformation_mode"] != "tf_crop_and_resize" or plan.rois[axis] == (0, 1)
        if in_len == out_len and math.isclose(plan.scales[axis], 1.0) and trivial_roi:
            continue
        result = _resize_axis(result, axis, out_len, plan.scales[axis], plan.rois[axis], attrs)
    if not x.dtype.is_floating_point and result.is_floating_point():
        info = torch.iinfo(x.dtype)
        result = torch.clamp(torch.round(result), info.min, info.max)
    return result.to(x.dtype)


def _resize(x: Ts, c: Call) -> list[torch.Tensor]:
    return [_resize_with(x[0], c, c.attrs)]


def _upsample(x: Ts, c: Call) -> list[torch.Tensor]:
    return [_resize_with(x[0], c, resize.Upsample.as_resize(c.attrs))]


KERNELS: dict[type[Op], TorchOp] = {
    indexing.Gather: op(_gather),
    indexing.GatherElements: op(_gather_elements),
    indexing.GatherND: op(_gather_nd),
    pad.Pad: op(_pad),
    resize.Resize: op(_resize),
    resize.Upsample: op(_upsample),
}
