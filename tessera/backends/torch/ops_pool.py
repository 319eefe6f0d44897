"""Torch kernels of pooling.py: MaxPool (with Indices), AveragePool, GlobalMaxPool,
GlobalAveragePool and LRN.

The windowed kernels follow the reference step by step: the input padded as far as the last window
reaches, one strided slice per kernel offset, a running max (ties keep the first offset) or sum. The
Indices and the AveragePool divisors depend only on static shapes, so they are the reference's own
numpy arrays, made tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tessera.backends.torch._wide import work_float
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import pooling
from tessera.ir.ops._spatial import Window
from tessera.ir.ops.base import Op
from tessera.ir.ops.pooling import _broadcast, _flat_index, _flat_strides, _offsets, _pool_window

Ts = Sequence[torch.Tensor]


def _work(x: torch.Tensor) -> torch.Tensor:
    """The pooling references' precision: float64 stays, everything else is float32."""
    return x if x.dtype == torch.float64 else x.to(torch.float32)


def _padded(x: torch.Tensor, win: Window, fill: float) -> torch.Tensor:
    """x padded by the begin pads and at the end as far as the last window reaches (the reference's
    `_padded`)."""
    pads: list[int] = []
    axes = list(zip(win.out, win.strides, win.extent, x.shape[2:], win.pads_begin))
    for o, s, e, i, b in reversed(axes):
        pads += [b, max(0, (o - 1) * s + e - i - b)]
    return F.pad(x, pads, value=fill) if any(pads) else x


def _max_pool(x: Ts, c: Call) -> list[torch.Tensor]:
    xin = x[0]
    win = _pool_window("MaxPool", c.inputs[0], c.attrs)
    xp = _padded(_work(xin), win, -math.inf)
    sizes = c.inputs[0].shape[2:]
    strides = _flat_strides(sizes, column_major=bool(c.attrs["storage_order"]))
    (first, where), *rest = _offsets(win)
    best = xp[where]
    index = torch.from_numpy(np.ascontiguousarray(_flat_index(win, first, strides))).expand(best.shape)
    for offset, where in rest:
        vals = xp[where]
        better = vals > best  # ties keep the first position, as the reference
        best = torch.where(better, vals, best)
        index = torch.where(better, torch.from_numpy(_flat_index(win, offset, strides)), index)
    n, ch = c.inputs[0].shape[:2]
    base = np.arange(n * ch, dtype=np.int64).reshape(n, ch, *(1,) * len(sizes)) * math.prod(sizes)
    outputs = [best.to(xin.dtype), index + torch.from_numpy(base)]
    return outputs[: len(c.outputs)]


def _average_pool(x: Ts, c: Call) -> list[torch.Tensor]:
    xin = x[0]
    win = _pool_window("AveragePool", c.inputs[0], c.attrs)
    xp = _padded(_work(xin), win, 0.0)
    total = sum((xp[where] for _, where in _offsets(win)), start=torch.zeros((), dtype=xp.dtype))
    include_pad = bool(c.attrs["count_include_pad"])
    sizes = c.inputs[0].shape[2:]
    counts = [pooling.AveragePool._axis_counts(win, a, size, include_pad) for a, size in enumerate(sizes)]
    divisor = torch.from_numpy(np.asarray(math.prod(_broadcast(counts))))
    return [(total / divisor).to(xin.dtype)]


def _global_average_pool(x: Ts, c: Call) -> list[torch.Tensor]:
    axes = tuple(range(2, len(c.inputs[0].shape)))
    return [_work(x[0]).mean(dim=axes, keepdim=True).to(x[0].dtype)]


def _global_max_pool(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0].amax(dim=tuple(range(2, len(c.inputs[0].shape))), keepdim=True)]


def _lrn(x: Ts, c: Call) -> list[torch.Tensor]:
    """X / (bias + alpha / size * sum of squares over `size` neighbouring channels) ^ beta."""
    xin, size = x[0], c.attrs["size"]
    shape = c.inputs[0].shape
    channels, spatial = shape[1], len(shape) - 2
    squares = torch.square(_work(xin))
    before = (size - 1) // 2
    padded = F.pad(squares, [0, 0] * spatial + [before, size - 1 - before])
    total = sum((padded[:, j : j + channels] for j in range(size)), start=torch.zeros((), dtype=squares.dtype))
    denominator = (c.attrs["bias"] + c.attrs["alpha"] / size * total) ** c.attrs["beta"]
    return [(work_float(xin) / denominator).to(xin.dtype)]


KERNELS: dict[type[Op], TorchOp] = {
    pooling.MaxPool: op(_max_pool),
    pooling.AveragePool: op(_average_pool),
    pooling.GlobalAveragePool: op(_global_average_pool),
    pooling.GlobalMaxPool: op(_global_max_pool),
    pooling.LRN: op(_lrn),
}
