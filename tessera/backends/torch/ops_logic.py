"""Torch kernels of comparisons and logic (logic.py) and of the bitwise ops (bitwise.py).

Their results are booleans or integer bit patterns, so none has a gradient, except Where, which
passes the gradient to the branch each element takes. Unsigned dtypes torch has no arithmetic for are
compared and shifted through int64 (ints.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tessera.backends.torch.ints import logical_right_shift, ordered, restore, signed
from tessera.backends.torch.kernel import Call, Kernel, TorchOp, op
from tessera.ir.ops import bitwise, logic
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
Binary = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _compare(fn: Binary) -> Kernel:
    """A kernel comparing the two inputs in order-preserving form (ints.ordered)."""

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        return [fn(ordered(x[0]), ordered(x[1]))]

    return kernel


def _binary(fn: Binary) -> Kernel:
    """A kernel applying fn to the inputs as they are (dtypes torch supports for fn)."""

    def kernel(x: Ts, c: Call) -> list[torch.Tensor]:
        return [fn(x[0], x[1])]

    return kernel


def _not(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.logical_not(x[0])]


def _where(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.where(x[0], x[1], x[2])]


def _is_nan(x: Ts, c: Call) -> list[torch.Tensor]:
    return [torch.isnan(x[0])]


def _is_inf(x: Ts, c: Call) -> list[torch.Tensor]:
    t = x[0]
    found = torch.zeros_like(t, dtype=torch.bool)
    if c.attrs["detect_negative"]:
        found = found | torch.isneginf(t)
    if c.attrs["detect_positive"]:
        found = found | torch.isposinf(t)
    return [found]


def _bitwise_not(x: Ts, c: Call) -> list[torch.Tensor]:
    return [restore(torch.bitwise_not(signed(x[0])), x[0].dtype)]


def _bit_shift(x: Ts, c: Call) -> list[torch.Tensor]:
    """Opset 28 shifts: a right shift of a signed value is arithmetic; a left shift drops the bits
    pushed past the top; a count below 0 or at least the bit width gives -1 for a right shift of a
    negative value and 0 otherwise."""
    dtype = x[0].dtype
    value, count = torch.broadcast_tensors(signed(x[0]), signed(x[1]))
    in_range = (count >= 0) & (count < c.inputs[0].dtype.itemsize * 8)
    count = torch.where(in_range, count, torch.zeros_like(count))
    fill = torch.zeros_like(value)
    if c.attrs["direction"] == "LEFT":
        shifted = torch.bitwise_left_shift(value, count)
    elif dtype == torch.uint64:
        shifted = logical_right_shift(value, count)  # its int64 view may look negative
    else:
        shifted = torch.bitwise_right_shift(value, count)
        fill = torch.where(value < 0, torch.full_like(value, -1), fill)
    return [restore(torch.where(in_range, shifted, fill), dtype)]


_BOOL = "its result is boolean"
_BITS = "its result is an integer bit pattern"

KERNELS: dict[type[Op], TorchOp] = {
    logic.Equal: op(_binary(torch.eq), no_grad=f"Equal: {_BOOL}"),
    logic.Less: op(_compare(torch.lt), no_grad=f"Less: {_BOOL}"),
    logic.LessOrEqual: op(_compare(torch.le), no_grad=f"LessOrEqual: {_BOOL}"),
    logic.Greater: op(_compare(torch.gt), no_grad=f"Greater: {_BOOL}"),
    logic.GreaterOrEqual: op(_compare(torch.ge), no_grad=f"GreaterOrEqual: {_BOOL}"),
    logic.And: op(_binary(torch.logical_and), no_grad=f"And: {_BOOL}"),
    logic.Or: op(_binary(torch.logical_or), no_grad=f"Or: {_BOOL}"),
    logic.Xor: op(_binary(torch.logical_xor), no_grad=f"Xor: {_BOOL}"),
    logic.Not: op(_not, no_grad=f"Not: {_BOOL}"),
    logic.Where: op(_where),
    logic.IsNaN: op(_is_nan, no_grad=f"IsNaN: {_BOOL}"),
    logic.IsInf: op(_is_inf, no_grad=f"IsInf: {_BOOL}"),
    bitwise.BitwiseAnd: op(_binary(torch.bitwise_and), no_grad=f"BitwiseAnd: {_BITS}"),
    bitwise.BitwiseOr: op(_binary(torch.bitwise_or), no_grad=f"BitwiseOr: {_BITS}"),
    bitwise.BitwiseXor: op(_binary(torch.bitwise_xor), no_grad=f"BitwiseXor: {_BITS}"),
    bitwise.BitwiseNot: op(_bitwise_not, no_grad=f"BitwiseNot: {_BITS}"),
    bitwise.BitShift: op(_bit_shift, no_grad=f"BitShift: {_BITS}"),
}
