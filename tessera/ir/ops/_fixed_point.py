"""Integer requantization exactly as TFLite / gemmlowp / CMSIS-NN define it.

A real multiplier M > 0 is stored as a Q31 int32 `multiplier` in [2^30, 2^31) and a power-of-two
`shift` with M ~= multiplier * 2^(shift - 31) (`quantize_multiplier`, TFLite's QuantizeMultiplier).
At run time `multiply_by_quantized_multiplier` scales an int32 accumulator by M with two roundings,
bit for bit as TFLite's MultiplyByQuantizedMultiplier:

    left  = max(shift, 0);  right = max(-shift, 0)
    RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * 2^left, multiplier), right)

The kernels here are vectorized over int64 numpy arrays holding int32 values; each line mirrors
the C reference, so a C port is a transcription (docs/quantization.md gives the C).
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def quantize_multiplier(real: float) -> tuple[int, int]:
    """(multiplier, shift) for a real multiplier, as TFLite's QuantizeMultiplier: frexp, then the
    mantissa rounded half away from zero to Q31; 0 maps to (0, 0)."""
    if not math.isfinite(real) or real < 0:
        raise ValueError(f"a requantization multiplier must be finite and non-negative, got {real}")
    if real == 0.0:
        return 0, 0
    mantissa, shift = math.frexp(real)  # real = mantissa * 2^shift, mantissa in [0.5, 1)
    q = math.floor(mantissa * (1 << 31) + 0.5)  # std::round for a positive value
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:  # TFLite clamps: the multiplier saturates
        return INT32_MAX, 30
    return int(q), int(shift)


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: np.ndarray | int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul: (a * b * 2 + 2^31 rounding nudge) >> 32, with the
    single overflow case (INT32_MIN * INT32_MIN) saturated to INT32_MAX. The division by 2^31
    truncates toward zero as C's `/` does."""
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    total = ab + nudge
    high = np.where(total >= 0, total >> 31, -((-total) >> 31))
    overflow = (a == b) & (a == INT32_MIN)
    return np.where(overflow, np.int64(INT32_MAX), high)


def rounding_divide_by_pot(x: np.ndarray, exponent: np.ndarray | int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: x / 2^exponent rounded to nearest, ties away from zero."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    if np.any((exponent < 0) | (exponent > 31)):
        raise ValueError("RoundingDivideByPOT needs 0 <= exponent <= 31")
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(
    x: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int
) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier; `multiplier` and `shift` broadcast against `x`
    (per-channel arrays are laid out along the channel axis by the caller)."""
    x = np.asarray(x, dtype=np.int64)
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = x * (np.int64(1) << left)
    if np.any((shifted < INT32_MIN) | (shifted > INT32_MAX)):
        raise OverflowError("accumulator << left shift leaves int32 (undefined behaviour in the C reference)")
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def requantize(
    acc: np.ndarray, multiplier: np.ndarray | int, shift: np.ndarray | int, zero_point: int, lo: int, hi: int
) -> np.ndarray:
    """The output stage of every int8 op: scale the int32 accumulator, add the output zero point,
    clamp to the activation bounds [lo, hi] (within [-128, 127]) and narrow to int8."""
    acc = np.asarray(acc, dtype=np.int64)
    if np.any((acc < INT32_MIN) | (acc > INT32_MAX)):
        raise OverflowError("int32 accumulator overflow")
    out = multiply_by_quantized_multiplier(acc, multiplier, shift) + zero_point
    return np.clip(out, lo, hi).astype(np.int8)
