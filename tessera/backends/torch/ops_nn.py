"""Torch kernels of the network families: Conv and ConvTranspose (conv.py), Gemm and MatMul
(linalg.py), pooling, normalization, Softmax and the reductions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import conv, linalg
from tessera.ir.ops._spatial import Window, window
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def pad_window(x: torch.Tensor, win: Window, value: float = 0.0) -> torch.Tensor:
    """x padded on its trailing spatial axes by the window's (possibly asymmetric) pads."""
    pads: list[int] = []
    for begin, end in reversed(list(zip(win.pads_begin, win.pads_end))):
        pads += [begin, end]
    if not any(pads):
        return x
    return F.pad(x, pads, value=value)


def _conv(x: Ts, c: Call) -> list[torch.Tensor]:
    xin, w = x[0], x[1]
    win = window("Conv", c.inputs[0].shape[2:], c.inputs[1].shape[2:], c.attrs)
    fn = _CONV[len(win.kernel)]
    bias = x[2] if len(x) == 3 else None
    y = fn(pad_window(xin, win), w, bias, stride=win.strides, dilation=win.dilations, groups=c.attrs["group"])
    return [y]


def _matmul(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.matmul(x[0], x[1])]


def _gemm(x: Ts, c: Call) -> list[torch.Tensor]:
    a, b = x[0], x[1]
    if c.attrs["transA"]:
        a = a.transpose(0, 1)
    if c.attrs["transB"]:
        b = b.transpose(0, 1)
    y = c.attrs["alpha"] * (a @ b) if c.attrs["alpha"] != 1.0 else a @ b
    if len(x) == 3:
        bias = x[2] if c.attrs["beta"] == 1.0 else c.attrs["beta"] * x[2]
        y = y + bias
    return [y]


KERNELS: dict[type[Op], TorchOp] = {
    conv.Conv: op(_conv),
    linalg.MatMul: op(_matmul),
    linalg.Gemm: op(_gemm),
}
