"""Dtype helpers shared by the torch kernels: float16 work precision and the unsigned integers torch
has little arithmetic for (uint16, uint32, uint64)."""

from __future__ import annotations

import torch

UNSIGNED_WIDE = (torch.uint16, torch.uint32, torch.uint64)
_SIGN_BIT = -(2**63)


def work_float(x: torch.Tensor) -> torch.Tensor:
    """float16 (and integer codes) widened to float32; float32 and float64 stay as they are."""
    if x.dtype in (torch.float32, torch.float64):
        return x
    return x.to(torch.float32)


def signed(x: torch.Tensor) -> torch.Tensor:
    """uint16 / uint32 / uint64 as int64 (uint64 wraps modulo 2**64, so sums and products stay exact
    once cast back); every other dtype unchanged."""
    return x.to(torch.int64) if x.dtype in UNSIGNED_WIDE else x


def ordered(x: torch.Tensor) -> torch.Tensor:
    """An integer tensor as one torch can compare, with the same order: uint16 / uint32 widen to
    int64, uint64 maps to int64 with its sign bit flipped. `unordered` undoes it."""
    if x.dtype == torch.uint64:
        return torch.bitwise_xor(x.to(torch.int64), _SIGN_BIT)
    return signed(x)


def unordered(y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The inverse of `ordered` for values of original dtype `dtype`."""
    if dtype == torch.uint64:
        return torch.bitwise_xor(y, _SIGN_BIT).to(dtype)
    return y.to(dtype)
