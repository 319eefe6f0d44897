"""Torch kernels of elementwise arithmetic (elementwise.py) and of Clip and PRelu (clip.py).

Integer results wrap as numpy's do; uint16/uint32/uint64 are computed through int64 (ints.py).
Integer division by zero gives 0, as the reference's numpy does (torch would raise).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from tessera.backends.torch.ints import SHELL, UNSIGNED, ordered, restore, signed, to_dtype, unsigned_divmod
from tessera.backends.torch.kernel import Call, TorchOp, op, out_dtype, torch_dtype
from tessera.ir.dtypes import DType
from tessera.ir.ops import clip, elementwise
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
Binary = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _wrapping(fn: Binary) -> Callable[[Ts, Call], list[torch.Tensor]]:
    """A kernel applying fn to both inputs, computing unsigned dtypes torch lacks through int64."""

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        return [restore(fn(signed(x[0]), signed(x[1])), x[0].dtype)]

    return kernel


def _int_safe_divisor(b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(b with 0 and -1 replaced by 1, where b was 0): torch raises on 0 and traps on MIN / -1."""
    zero = b == 0
    return torch.where(zero | (b == -1), torch.ones_like(b), b), zero


def _div(x: Ts, c: Call) -> list[torch.Tensor]:
    a, b = x
    if a.dtype.is_floating_point:
        return [a / b]
    if a.dtype == torch.uint64:
        ai, bi = signed(a), signed(b)
        q, _ = unsigned_divmod(ai, torch.where(bi == 0, torch.ones_like(bi), bi))
        return [restore(torch.where(bi == 0, torch.zeros_like(q), q), a.dtype)]
    ai, bi = signed(a), signed(b)
    safe, zero = _int_safe_divisor(bi)
    q = torch.div(ai, safe, rounding_mode="trunc")
    q = torch.where(bi == -1, -ai, q)  # MIN / -1 wraps to MIN, as in numpy
    return [restore(torch.where(zero, torch.zeros_like(q), q), a.dtype)]


def _mod(x: Ts, c: Call) -> list[torch.Tensor]:
    """fmod=1: the dividend's sign (C fmod); fmod=0: the divisor's (numpy mod). x mod 0 is 0 for
    integers, NaN for floats."""
    a, b = x
    fn = torch.fmod if c.attrs["fmod"] else torch.remainder
    if a.dtype.is_floating_point:
        return [fn(a, b)]
    ai, bi = signed(a), signed(b)
    if a.dtype == torch.uint64:
        zero = bi == 0
        _, r = unsigned_divmod(ai, torch.where(zero, torch.ones_like(bi), bi))
        return [restore(torch.where(zero, torch.zeros_like(r), r), a.dtype)]
    safe, _ = _int_safe_divisor(bi)  # x mod 1 = 0 = x mod 0 = x mod -1
    return [restore(fn(ai, safe), a.dtype)]


def _pow(x: Ts, c: Call) -> list[torch.Tensor]:
    """In numpy's common dtype of base and exponent, cast to the base's dtype. Integer bases with a
    negative integer exponent anywhere are computed in float64 (as the reference does)."""
    base_t, exp_t = c.inputs
    common = np.result_type(base_t.dtype.numpy(), exp_t.dtype.numpy())
    work = torch_dtype(DType.from_numpy(common))
    out = out_dtype(c)
    if work == torch.uint64:
        return [_uint64_pow(signed(x[0].to(work)), signed(x[1].to(work))).to(out)]
    if common.kind == "u":
        work = torch.int64  # uint16/uint32 powers wrap the same in int64
    base, exponent = x[0].to(work), x[1].to(work)
    result = to_dtype(torch.pow(base, exponent), out)  # wraps to narrower integers
    if common.kind in "iu" and exp_t.dtype.numpy().kind == "i":
        wide = to_dtype(torch.pow(base.to(torch.float64), exponent.to(torch.float64)), out)
        result = torch.where((exponent < 0).any(), wide, result)
    return [result]


def _uint64_pow(base: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
    """base ** exponent modulo 2**64 (int64 views of uint64) by square and multiply over all 64 bits."""
    result = torch.ones_like(base * exponent)
    square = base.expand_as(result)
    for bit in range(64):
        chosen = (torch.bitwise_right_shift(exponent, bit) & 1) == 1
        result = torch.where(chosen, result * square, result)
        square = square * square
    return restore(result, torch.uint64)


def _variadic(fn: Binary) -> Callable[[Ts, Call], list[torch.Tensor]]:
    """A kernel folding fn over the inputs left to right, as functools.reduce does."""

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        result = x[0]
        for t in x[1:]:
            result = fn(result, t)
        return [result]

    return kernel


def _maximum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.dtype.is_floating_point or a.dtype not in SHELL:
        return torch.maximum(a, b)
    return torch.where(ordered(b) > ordered(a), b, a)


def _minimum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if a.dtype.is_floating_point or a.dtype not in SHELL:
        return torch.minimum(a, b)
    return torch.where(ordered(b) < ordered(a), b, a)


def _mean(x: Ts, c: Call) -> list[torch.Tensor]:
    return [_variadic(torch.add)(x, c)[0] / len(x)]


def _clip(x: Ts, c: Call) -> list[torch.Tensor]:
    """max(x, min) then min(.., max): with min > max every element is max. Bounds are rounded to
    the input dtype (integer bounds saturate), as the reference does."""
    y = x[0]
    dtype = c.inputs[0].dtype.numpy()
    if y.dtype.is_floating_point:
        low, high = (None if c.attrs[k] is None else float(clip._bound(c.attrs[k], dtype)) for k in ("min", "max"))
        return [_float_clip(y, low, high)]
    for key, pick in (("min", _maximum), ("max", _minimum)):
        if c.attrs[key] is not None:
            bound = torch.from_numpy(np.array(clip._bound(c.attrs[key], dtype)))
            y = pick(y, bound)
    return [y]


def _float_clip(y: torch.Tensor, low: float | None, high: float | None) -> torch.Tensor:
    """The reference's max-then-min with torch's fused forms where they agree (NaN stays NaN; with
    min > max every element is max, as torch.clamp does): ReLU6-like bounds as hardtanh and a zero
    floor as relu, whose backward passes are one kernel each (clamp's is four)."""
    if low is not None and high is not None and low <= high:
        return F.hardtanh(y, low, high)
    if low == 0.0 and high is None:
        return torch.relu(y)
    if low is None and high is None:
        return y
    return torch.clamp(y, low, high)


def _prelu(x: Ts, c: Call) -> list[torch.Tensor]:
    """x where x >= 0, slope * x elsewhere (unsigned inputs are never negative)."""
    if x[0].dtype in UNSIGNED:
        return [x[0]]
    return [torch.where(x[0] < 0, x[0] * x[1], x[0])]


KERNELS: dict[type[Op], TorchOp] = {
    elementwise.Add: op(_wrapping(torch.add)),
    elementwise.Sub: op(_wrapping(torch.sub)),
    elementwise.Mul: op(_wrapping(torch.mul)),
    elementwise.Div: op(_div),
    elementwise.Mod: op(_mod),
    elementwise.Pow: op(_pow),
    elementwise.Sum: op(_variadic(torch.add)),
    elementwise.Max: op(_variadic(_maximum)),
    elementwise.Min: op(_variadic(_minimum)),
    elementwise.Mean: op(_mean),
    clip.Clip: op(_clip, frozen=(1, 2)),
    clip.PRelu: op(_prelu),
}
