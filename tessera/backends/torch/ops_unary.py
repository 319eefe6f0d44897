"""Torch kernels of the unary math ops (math_unary.py): float16 is computed in float32 and rounded
once at the end, as the reference does. Round and Sign (for floats) use straight-through estimators;
Floor and Ceil have a zero derivative and are marked so."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tessera.backends.torch.ints import SHELL, UNSIGNED
from tessera.backends.torch.kernel import Call, Kernel, TorchOp, op
from tessera.backends.torch.ste import round_ste, sign_ste
from tessera.ir.ops import math_unary as mu
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
Unary = Callable[[torch.Tensor, Call], torch.Tensor]


def widened(fn: Unary) -> Kernel:
    """A kernel applying fn(x, call), computing float16 in float32 (the reference's UnaryOp rule)."""

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        if x[0].dtype == torch.float16:
            return [fn(x[0].to(torch.float32), c).to(torch.float16)]
        return [fn(x[0], c)]

    return kernel


def plain(fn: Callable[[torch.Tensor], torch.Tensor]) -> Kernel:
    """A widened kernel of a one-argument torch function."""
    return widened(lambda t, c: fn(t))


def erf(t: torch.Tensor) -> torch.Tensor:
    """erf evaluated in float64 and rounded to t's dtype, as the reference's _erf.erf is: 1 + erf(x)
    then cancels the same way (float32 erf would differ by an ulp of 1 near -1)."""
    return torch.erf(t.to(torch.float64)).to(t.dtype)


def _abs(t: torch.Tensor, c: Call) -> torch.Tensor:
    """|x|; unsigned values are their own absolute value, and abs(MIN) wraps to MIN as in numpy."""
    return t if t.dtype in UNSIGNED else torch.abs(t)


def _round(t: torch.Tensor) -> torch.Tensor:
    """rint(x) with an identity gradient (infinities stay: see round_ste)."""
    return round_ste(t)


def _sign(t: torch.Tensor, c: Call) -> torch.Tensor:
    """sign(x): floats through the clipped straight-through estimator, integers exactly."""
    if t.dtype.is_floating_point:
        return sign_ste(t)
    if t.dtype in SHELL:
        return (t != 0).to(t.dtype)
    return torch.sign(t)


_STEP = "its derivative is zero almost everywhere (a step function)"

KERNELS: dict[type[Op], TorchOp] = {
    mu.Sqrt: op(plain(torch.sqrt)),
    mu.Exp: op(plain(torch.exp)),
    mu.Log: op(plain(torch.log)),
    mu.Reciprocal: op(plain(torch.reciprocal)),
    mu.Erf: op(plain(erf)),
    mu.Floor: op(plain(torch.floor), no_grad=f"Floor: {_STEP}"),
    mu.Ceil: op(plain(torch.ceil), no_grad=f"Ceil: {_STEP}"),
    mu.Round: op(plain(_round)),
    mu.Neg: op(plain(torch.neg)),
    mu.Abs: op(widened(_abs)),
    mu.Sign: op(widened(_sign)),
    mu.Sin: op(plain(torch.sin)),
    mu.Cos: op(plain(torch.cos)),
    mu.Tan: op(plain(torch.tan)),
    mu.Asin: op(plain(torch.asin)),
    mu.Acos: op(plain(torch.acos)),
    mu.Atan: op(plain(torch.atan)),
    mu.Sinh: op(plain(torch.sinh)),
    mu.Cosh: op(plain(torch.cosh)),
    mu.Asinh: op(plain(torch.asinh)),
    mu.Acosh: op(plain(torch.acosh)),
    mu.Atanh: op(plain(torch.atanh)),
}
