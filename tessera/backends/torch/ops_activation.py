"""Torch kernels of the one-input activations (activation.py), float16 computed in float32 as the
reference does. Exponential branches that `where` discards are evaluated on min(x, 0), so they never
overflow to inf and turn the gradient into NaN (the selected values are unchanged)."""

from __future__ import annotations

import math

import torch

from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.backends.torch.ops_unary import erf, plain, widened
from tessera.ir.ops import activation as act
from tessera.ir.ops.base import Op


def _relu(t: torch.Tensor, c: Call) -> torch.Tensor:
    return torch.relu(t)


def _softplus(t: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(x)) without overflow (numpy's logaddexp(0, x))."""
    return torch.logaddexp(t, torch.zeros((), dtype=t.dtype))


def _softsign(t: torch.Tensor, c: Call) -> torch.Tensor:
    return t / (1 + torch.abs(t))


def _mish(t: torch.Tensor, c: Call) -> torch.Tensor:
    return t * torch.tanh(_softplus(t))


def _gelu(t: torch.Tensor, c: Call) -> torch.Tensor:
    if c.attrs["approximate"] == "tanh":
        inner = math.sqrt(2 / math.pi) * (t + 0.044715 * t**3)
        return 0.5 * t * (1 + torch.tanh(inner))
    return 0.5 * t * (1 + erf(t / math.sqrt(2)))


def _hard_sigmoid(t: torch.Tensor, c: Call) -> torch.Tensor:
    return torch.clamp(c.attrs["alpha"] * t + c.attrs["beta"], 0, 1)


def _hard_swish(t: torch.Tensor, c: Call) -> torch.Tensor:
    return t * torch.clamp(t / 6 + 0.5, 0, 1)


def _leaky_relu(t: torch.Tensor, c: Call) -> torch.Tensor:
    return torch.where(t < 0, c.attrs["alpha"] * t, t)


def _thresholded_relu(t: torch.Tensor, c: Call) -> torch.Tensor:
    return torch.where(t > c.attrs["alpha"], t, torch.zeros_like(t))


def _negative_expm1(t: torch.Tensor) -> torch.Tensor:
    """expm1(x) where x <= 0 (elsewhere expm1(0) = 0, never inf)."""
    return torch.expm1(torch.clamp(t, max=0))


def _elu(t: torch.Tensor, c: Call) -> torch.Tensor:
    return torch.where(t < 0, c.attrs["alpha"] * _negative_expm1(t), t)


def _selu(t: torch.Tensor, c: Call) -> torch.Tensor:
    return c.attrs["gamma"] * torch.where(t <= 0, c.attrs["alpha"] * _negative_expm1(t), t)


def _celu(t: torch.Tensor, c: Call) -> torch.Tensor:
    """max(x, 0) + min(0, alpha * expm1(x / alpha)); the second term is 0 wherever x > 0."""
    alpha = c.attrs["alpha"]
    return torch.relu(t) + torch.clamp(alpha * torch.expm1(torch.clamp(t, max=0) / alpha), max=0)


def _shrink(t: torch.Tensor, c: Call) -> torch.Tensor:
    """x + bias below -lambd, x - bias above lambd, 0 between. Integers are computed in float64 and
    converted back (truncating), as the reference's numpy promotion does."""
    bias, lambd = c.attrs["bias"], c.attrs["lambd"]
    wide = t if t.dtype.is_floating_point else t.to(torch.float64)
    zero = torch.zeros_like(wide)
    result = torch.where(wide < -lambd, wide + bias, torch.where(wide > lambd, wide - bias, zero))
    return result.to(t.dtype)


KERNELS: dict[type[Op], TorchOp] = {
    act.Relu: op(widened(_relu)),
    act.Sigmoid: op(plain(torch.sigmoid)),
    act.Tanh: op(plain(torch.tanh)),
    act.Softplus: op(plain(_softplus)),
    act.Softsign: op(widened(_softsign)),
    act.Mish: op(widened(_mish)),
    act.Gelu: op(widened(_gelu)),
    act.HardSigmoid: op(widened(_hard_sigmoid)),
    act.HardSwish: op(widened(_hard_swish)),
    act.LeakyRelu: op(widened(_leaky_relu)),
    act.ThresholdedRelu: op(widened(_thresholded_relu)),
    act.Elu: op(widened(_elu)),
    act.Selu: op(widened(_selu)),
    act.Celu: op(widened(_celu)),
    act.Shrink: op(widened(_shrink)),
}
