"""Integer and conversion helpers of the elementwise kernels.

Torch has almost no arithmetic for uint16, uint32 and uint64 (casts, `==`, `where` and bitwise
and/or/xor only). Kernels compute them in int64: uint16 and uint32 widened (exact), uint64 with its
bits reinterpreted (two's complement: add, sub, mul, left shifts and bitwise ops give the same bits),
and return to the unsigned type afterwards (wrapping, as numpy does).
"""

from __future__ import annotations

import torch

from tessera.backends.torch.kernel import Call
from tessera.errors import UnsupportedOpError

WIDENED = (torch.uint16, torch.uint32)
UNSIGNED = (torch.uint8, torch.uint16, torch.uint32, torch.uint64)
SHELL = (*WIDENED, torch.uint64)  # the unsigned dtypes torch has no arithmetic for
_INT64_MIN = -(2**63)


def signed(x: torch.Tensor) -> torch.Tensor:
    """x as a dtype torch computes with: uint16/uint32 widened to int64, uint64 reinterpreted as
    int64 (same bits); every other dtype unchanged."""
    if x.dtype in WIDENED:
        return x.to(torch.int64)
    if x.dtype == torch.uint64:
        return x.view(torch.int64)
    return x


def restore(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The inverse of `signed`: y (int64 bits) back as `dtype`, wrapping modulo 2**bits."""
    if dtype in WIDENED:
        return y.to(dtype)
    if dtype == torch.uint64:
        return y.view(torch.uint64)
    return y


def ordered(x: torch.Tensor) -> torch.Tensor:
    """A tensor whose (signed) order is x's order: uint64 with its top bit flipped, as int64."""
    if x.dtype == torch.uint64:
        return x.view(torch.int64) ^ _INT64_MIN
    return signed(x)


def logical_right_shift(x: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
    """x >> count filling with zeros, for int64 bits of a uint64 (0 <= count < 64)."""
    high = torch.bitwise_right_shift(torch.full_like(x, _INT64_MIN), count) << 1  # the top `count` bits
    return torch.bitwise_right_shift(x, count) & ~high


def unsigned_divmod(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Quotient and remainder of uint64 bits (int64 views) a and b, b != 0 (Hacker's Delight 9-3)."""
    one = torch.ones((), dtype=torch.int64)
    big = b < 0  # b >= 2**63: the quotient is 0 or 1
    small_b = torch.where(big, one, b)
    q = torch.div(logical_right_shift(a, one), small_b, rounding_mode="trunc") << 1
    r = a - q * small_b
    q = torch.where(ordered(r.view(torch.uint64)) >= ordered(small_b.view(torch.uint64)), q + 1, q)
    q = torch.where(big, (ordered(a.view(torch.uint64)) >= ordered(b.view(torch.uint64))).to(torch.int64), q)
    return q, a - q * b


def to_dtype(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """x converted as numpy converts (C casts). float64 -> float16 rounds once, like numpy: torch
    goes through float32 and can round twice, so x is first rounded to float32 to odd."""
    if x.dtype == torch.float64 and dtype == torch.float16:
        single = x.to(torch.float32)
        toward_zero = torch.where(single.abs() > x.abs(), torch.nextafter(single, torch.zeros_like(single)), single)
        inexact = (toward_zero.to(torch.float64) != x).to(torch.int32)
        return (toward_zero.view(torch.int32) | inexact).view(torch.float32).to(torch.float16)
    return x.to(dtype)


def refuse(call: Call, op: str, dtype: torch.dtype, why: str) -> UnsupportedOpError:
    """The error for a dtype a kernel cannot compute exactly."""
    name = str(dtype).removeprefix("torch.")
    return UnsupportedOpError(f"node {call.node!r} ({op}): {name} is not supported by the torch backend: {why}")
