"""Torch kernels of the elementwise families: arithmetic (elementwise.py), unary math
(math_unary.py), activations (activation.py), Clip and PRelu (clip.py)."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.ir.ops import activation, elementwise
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]


def _add(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0] + x[1]]


def _sub(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0] - x[1]]


def _mul(x: Ts, c: Call) -> list[torch.Tensor]:
    return [x[0] * x[1]]


def _div(x: Ts, c: Call) -> list[torch.Tensor]:
    if x[0].dtype.is_floating_point:
        return [x[0] / x[1]]
    return [torch.div(x[0], x[1], rounding_mode="trunc")]


def _relu(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.relu(x[0])]


KERNELS: dict[type[Op], TorchOp] = {
    elementwise.Add: op(_add),
    elementwise.Sub: op(_sub),
    elementwise.Mul: op(_mul),
    elementwise.Div: op(_div),
    activation.Relu: op(_relu),
}
