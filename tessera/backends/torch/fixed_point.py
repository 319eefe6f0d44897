"""TFLite's integer output stage in torch int64, bit for bit as tessera/ir/ops/_fixed_point.py.

Every function works on int64 tensors holding int32 values and is vmap-safe: the parameters
(multipliers, shifts, zero points, bounds) come from attributes, so everything that depends on them
is computed in Python and only tensor ops touch the data.

One deliberate difference: where the reference raises OverflowError (an accumulator outside int32,
or `acc << left_shift` leaving int32), which would need a data-dependent check, these kernels
saturate to the int32 range instead. The quantize pass never emits such layers (rules.py keeps a
layer float when its accumulator could overflow).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from tessera.ir.ops.base import Attrs

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def channel_param(
    values: Sequence[int] | Sequence[float] | np.ndarray, like: torch.Tensor, axis: int | None
) -> torch.Tensor:
    """A per-tensor or per-channel parameter as a tensor of `like`'s device and dtype, shaped to
    broadcast against `like` along `axis` (one value broadcasts everywhere; under vmap `like.ndim`
    is the per-example rank, as in the graph)."""
    array = np.asarray(values)
    tensor = torch.as_tensor(array, device=like.device).to(like.dtype)
    if array.size == 1:
        return tensor.reshape(())
    if axis is None:
        return tensor
    layout = [1] * like.ndim
    layout[axis] = array.size
    return tensor.reshape(layout)


def saturate_int32(x: torch.Tensor) -> torch.Tensor:
    return torch.clamp(x, INT32_MIN, INT32_MAX)


def srdhm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """gemmlowp SaturatingRoundingDoublingHighMul of int32 values held in int64."""
    ab = a * b
    nudge = (1 << 30) - (ab < 0).to(torch.int64) * ((1 << 31) - 1)  # 2^30, or 1 - 2^30 below zero
    total = ab + nudge
    high = torch.where(total >= 0, total >> 31, -((-total) >> 31))  # C's truncating division by 2^31
    overflow = (a == b) & (a == INT32_MIN)
    return torch.where(overflow, torch.full_like(high, INT32_MAX), high)


def rounding_divide_by_pot(x: torch.Tensor, exponent: torch.Tensor) -> torch.Tensor:
    """gemmlowp RoundingDivideByPOT: x / 2^exponent, ties away from zero (0 <= exponent <= 31)."""
    mask = (torch.ones_like(exponent) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).to(torch.int64)
    return (x >> exponent) + (remainder > threshold).to(torch.int64)


def mbqm(x: torch.Tensor, multiplier: Sequence[int], shift: Sequence[int], axis: int | None = None) -> torch.Tensor:
    """TFLite MultiplyByQuantizedMultiplier with per-tensor or per-channel (along `axis`) parameters."""
    shifts = np.asarray(shift, dtype=np.int64)
    left = channel_param(np.left_shift(1, np.maximum(shifts, 0)), x, axis)
    right = channel_param(np.maximum(-shifts, 0), x, axis)
    shifted = saturate_int32(x * left)
    return rounding_divide_by_pot(srdhm(shifted, channel_param(multiplier, x, axis)), right)


def requantize(acc: torch.Tensor, attrs: Attrs, axis: int | None = None) -> torch.Tensor:
    """The output stage of every int8 op (OUTPUT_ATTRS): scale the int32 accumulator, add the output
    zero point, clamp to [act_min, act_max], narrow to int8."""
    scaled = mbqm(saturate_int32(acc), attrs["multiplier"], attrs["shift"], axis)
    out = scaled + attrs["y_zero_point"]
    return torch.clamp(out, attrs["act_min"], attrs["act_max"]).to(torch.int8)
