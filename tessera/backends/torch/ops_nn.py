"""Torch kernels of the network families: Conv and ConvTranspose (conv.py), Gemm and MatMul
(linalg.py). Pooling, normalization and reductions live in ops_pool.py, ops_norm.py and
ops_reduce.py. float16 is computed in float32 and rounded once, as the references do."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from tessera.backends.torch._wide import UNSIGNED_WIDE, signed, work_float
from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import conv, linalg
from tessera.ir.ops._spatial import Window, window
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def pad_window(x: torch.Tensor, win: Window, value: float = 0.0) -> torch.Tensor:
    """x padded on its trailing spatial axes by the window's (possibly asymmetric) pads."""
    pads: list[int] = []
    for begin, end in reversed(list(zip(win.pads_begin, win.pads_end))):
        pads += [begin, end]
    if not any(pads):
        return x
    return F.pad(x, pads, value=value)


def _conv(x: Ts, c: Call) -> list[torch.Tensor]:
    """Conv: symmetric pads go to torch's convolution (no copy of the input); asymmetric ones are
    applied first, then torch's convolution without padding."""
    xin, w = work_float(x[0]), work_float(x[1])
    win = window("Conv", c.inputs[0].shape[2:], c.inputs[1].shape[2:], c.attrs)
    fn = _CONV[len(win.kernel)]
    bias = work_float(x[2]) if len(x) == 3 else None
    group = c.attrs["group"]
    if win.pads_begin == win.pads_end:
        y = fn(xin, w, bias, stride=win.strides, padding=win.pads_begin, dilation=win.dilations, groups=group)
    else:
        y = fn(pad_window(xin, win), w, bias, stride=win.strides, dilation=win.dilations, groups=group)
    return [y.to(x[0].dtype)]


def _conv_transpose(x: Ts, c: Call) -> list[torch.Tensor]:
    """ConvTranspose: torch's full transposed convolution (no padding), then cropped or zero-extended
    to the reference's window [pads_begin, pads_begin + out) of the full result (a negative begin,
    from an output_shape larger than the full result, reads zeros)."""
    xin, w = work_float(x[0]), work_float(x[1])
    win = conv.ConvTranspose.geometry(c.inputs, c.attrs)
    fn = _CONV_T[len(win.kernel)]
    y = fn(xin, w, None, stride=win.strides, groups=c.attrs["group"], dilation=win.dilations)
    pads: list[int] = []
    for axis in reversed(range(len(win.kernel))):
        begin, out, full = win.pads_begin[axis], win.out[axis], y.shape[2 + axis]
        pads += [-begin, begin + out - full]
    y = F.pad(y, pads)
    if len(x) == 3:
        y = y + work_float(x[2]).reshape(-1, *(1,) * len(win.kernel))
    return [y.to(x[0].dtype)]


def _operands(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """float16 widened to float32; unsigned integers as int64 (products wrap exactly as the reference's)."""
    if a.dtype == torch.float16:
        return a.to(torch.float32), b.to(torch.float32)
    if a.dtype in UNSIGNED_WIDE:
        return signed(a), signed(b)
    return a, b


def _matmul(x: Ts, c: Call) -> list[torch.Tensor]:
    a, b = _operands(x[0], x[1])
    return [torch.matmul(a, b).to(x[0].dtype)]


def _scaled(t: torch.Tensor, factor: float) -> torch.Tensor:
    """t * factor as numpy computes it: integers in float64, floats in their own precision."""
    if factor == 1.0:
        return t
    return (t if t.is_floating_point() else t.to(torch.float64)) * factor


def _gemm(x: Ts, c: Call) -> list[torch.Tensor]:
    """alpha * A' @ B' + beta * C; C is skipped when beta is 0, as in the reference (so its inf/NaN
    never reach the result)."""
    a, b = _operands(x[0], x[1])
    if c.attrs["transA"]:
        a = a.transpose(0, 1)
    if c.attrs["transB"]:
        b = b.transpose(0, 1)
    y = _scaled(a @ b, c.attrs["alpha"])
    if len(x) == 3 and c.attrs["beta"] != 0.0:
        bias = _scaled(signed(x[2]), c.attrs["beta"])
        y = y.to(torch.promote_types(y.dtype, bias.dtype)) + bias
    return [y.to(x[0].dtype)]


KERNELS: dict[type[Op], TorchOp] = {
    conv.Conv: op(_conv),
    conv.ConvTranspose: op(_conv_transpose),
    linalg.MatMul: op(_matmul),
    linalg.Gemm: op(_gemm),
}
