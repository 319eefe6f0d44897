"""Torch kernels of the int8 convolution, products and average pool (quantized_nn.py: QConv,
QFullyConnected, QMatMul; quantized_eltwise.py: QAveragePool).

Exact mode accumulates in float64, exact for these integer sums (|acc| < 2^53) as in the reference
(torch has no int64 convolution on CPU), rounds to int64 and requantizes in integers. Simulation
accumulates the float codes in float32 (exact while |acc| < 2^24) and runs the output stage on
them with straight-through roundings (fake_quant.py). The int8 weights and int32 biases of QConv /
QFullyConnected train through float shadows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tessera.backends.torch.fake_quant import (
    codes,
    learned_stage,
    real_multiplier,
    simulate_stage,
    weighted_shadow,
)
from tessera.backends.torch.fixed_point import requantize
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.backends.torch.ste import round_half_away_ste
from tessera.errors import UnsupportedOpError
from tessera.ir.ops import quantized_eltwise, quantized_nn
from tessera.ir.ops._spatial import Window, window
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
_CONV: dict[int, Callable[..., torch.Tensor]] = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def _work(c: Call) -> torch.dtype:
    return torch.float32 if c.simulate else torch.float64


def _conv_fn(c: Call, op_name: str, spatial: int) -> Callable[..., torch.Tensor]:
    fn = _CONV.get(spatial)
    if fn is None:
        raise UnsupportedOpError(f"node {c.node!r} ({op_name}): {spatial} spatial axes; torch convolves 1 to 3")
    return fn


def _pad(x: torch.Tensor, begin: Sequence[int], end: Sequence[int]) -> torch.Tensor:
    """x zero-padded on its trailing spatial axes."""
    pads: list[int] = []
    for b, e in reversed(list(zip(begin, end))):
        pads += [b, e]
    return F.pad(x, pads) if any(pads) else x


def _bias(x: Ts, c: Call, like: torch.Tensor, axis: int) -> torch.Tensor | None:
    """The int32 bias (input 2) laid out along the output's channel `axis`, in `like`'s dtype."""
    if len(x) < 3:
        return None
    layout = [1] * like.ndim
    layout[axis] = c.inputs[2].numel
    bias = codes(x[2]) if c.simulate else x[2].to(torch.int64)
    return bias.reshape(layout)


def _finish(product: torch.Tensor, x: Ts, c: Call, axis: int | None) -> list[torch.Tensor]:
    """Accumulator (+ bias along the output channel `axis`) through the output stage: simulated on
    float codes, or rounded to int64 and requantized exactly."""
    acc = product if c.simulate else torch.round(product).to(torch.int64)
    bias = _bias(x, c, acc, axis) if axis is not None else None
    if bias is not None:
        acc = acc + bias
    if c.simulate and c.scales is not None:
        return [learned_stage(acc, c.attrs, real_multiplier(c.scales, c.attrs, acc, axis))]
    if c.simulate:
        return [simulate_stage(acc, c.attrs, axis)]
    return [requantize(acc, c.attrs, axis)]


def _qconv(x: Ts, c: Call) -> list[torch.Tensor]:
    a = c.attrs
    win = window("QConv", c.inputs[0].shape[2:], c.inputs[1].shape[2:], a)
    fn = _conv_fn(c, "QConv", len(win.kernel))
    work = _work(c)
    centered = x[0].to(work) - a["x_zero_point"]  # zero padding of the centred input = x_zero_point
    padded = _pad(centered, win.pads_begin, win.pads_end)
    product = fn(padded, x[1].to(work), stride=win.strides, dilation=win.dilations, groups=a["group"])
    return _finish(product, x, c, 1)


def _qfully_connected(x: Ts, c: Call) -> list[torch.Tensor]:
    a = c.attrs
    work = _work(c)
    product = torch.matmul(x[0].to(work) - a["x_zero_point"], x[1].to(work).transpose(0, 1))
    return _finish(product, x, c, c.outputs[0].rank - 1)


def _qmatmul(x: Ts, c: Call) -> list[torch.Tensor]:
    a = c.attrs
    work = _work(c)
    product = torch.matmul(x[0].to(work) - a["a_zero_point"], x[1].to(work) - a["b_zero_point"])
    return _finish(product, x, c, None)


def _window_counts(win: Window, sizes: Sequence[int]) -> np.ndarray:
    """How many input (not padding) positions each output window covers, shaped (O1, ..., Od);
    at least 1 (an all-padding window sums to 0, and 0 / 1 = 0 as the reference's 0 // 0)."""
    per_axis = []
    for axis, size in enumerate(sizes):
        starts = np.arange(win.out[axis]) * win.strides[axis] - win.pads_begin[axis]
        taps = starts[:, None] + np.arange(win.kernel[axis])[None, :] * win.dilations[axis]
        per_axis.append(((taps >= 0) & (taps < size)).sum(axis=1))
    counts = per_axis[0]
    for more in per_axis[1:]:
        counts = np.multiply.outer(counts, more)
    return np.maximum(counts, 1).astype(np.int64)


def _window_sums(x: torch.Tensor, c: Call, win: Window) -> torch.Tensor:
    """The sum of each window's input positions (pads contribute 0): a depthwise convolution by ones."""
    sizes = c.inputs[0].shape[2:]
    ends = [
        max(0, (o - 1) * s + e - i - b)
        for o, s, e, i, b in zip(win.out, win.strides, win.extent, sizes, win.pads_begin)
    ]
    channels = c.inputs[0].shape[1]
    ones = torch.ones((channels, 1, *win.kernel), dtype=x.dtype, device=x.device)
    fn = _conv_fn(c, "QAveragePool", len(win.kernel))
    total = fn(_pad(x, win.pads_begin, ends), ones, stride=win.strides, dilation=win.dilations, groups=channels)
    for axis, size in enumerate(win.out):
        total = total.narrow(2 + axis, 0, size)
    return total


def _qaverage_pool(x: Ts, c: Call) -> list[torch.Tensor]:
    """TFLite's int8 average pool: the window sum divided by its count, ties away from zero."""
    a = c.attrs
    win = window("QAveragePool", c.inputs[0].shape[2:], a["kernel_shape"], a, ceil_mode=bool(a["ceil_mode"]))
    counts = _window_counts(win, c.inputs[0].shape[2:])
    total = _window_sums(x[0].to(_work(c)), c, win)
    if c.simulate:
        n = torch.as_tensor(counts, dtype=torch.float32, device=total.device)
        return [torch.clamp(round_half_away_ste(total / n), a["act_min"], a["act_max"])]
    acc = torch.round(total).to(torch.int64)
    n_int = torch.as_tensor(counts, device=acc.device)
    half = n_int // 2
    rounded = torch.where(acc > 0, acc + half, acc - half)
    quotient = torch.sign(rounded) * (torch.abs(rounded) // n_int)  # C division truncates toward zero
    return [torch.clamp(quotient, a["act_min"], a["act_max"]).to(torch.int8)]


KERNELS: dict[type[Op], TorchOp] = {
    quantized_nn.QConv: op(_qconv, shadow=weighted_shadow),
    quantized_nn.QFullyConnected: op(_qfully_connected, shadow=weighted_shadow),
    quantized_nn.QMatMul: op(_qmatmul),
    quantized_eltwise.QAveragePool: op(_qaverage_pool),
}
