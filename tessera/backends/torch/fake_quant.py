"""The float simulation of int8 ops (fake quantization) and the float shadows of int8 weights.

In simulation an int8 tensor is a float32 tensor of whole numbers (its codes). An op's output stage
becomes y = clamp(round(acc * M) + y_zero_point, act_min, act_max) with M the node's fixed-point
multiplier (multiplier * 2^(shift - 31), TFLite's approximation of x_scale * w_scale[c] / y_scale
for a convolution), rounded in the same two steps as the integer kernel, so simulation and exact
agree code for code (up to float rounding of huge accumulators); every rounding passes the gradient
straight through and the clamps stop it where they saturate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from tessera.backends.torch.fixed_point import INT32_MAX, INT32_MIN, channel_param
from tessera.backends.torch.kernel import Shadow
from tessera.backends.torch.ste import round_half_away_ste, round_half_up_ste, round_ste
from tessera.ir.graph import Node
from tessera.ir.ops.base import Attrs

WEIGHT, BIAS = 1, 2  # input positions of the weights and the bias of QConv / QFullyConnected


def codes(x: torch.Tensor) -> torch.Tensor:
    """An int8 tensor as simulation sees it: float32 codes (graph inputs already are)."""
    return x if x.dtype == torch.float32 else x.to(torch.float32)


def simulate_mbqm(
    x: torch.Tensor, multiplier: Sequence[int], shift: Sequence[int], axis: int | None = None
) -> torch.Tensor:
    """MultiplyByQuantizedMultiplier on float codes, in float64 with the fixed-point stage's two
    roundings: the doubling high multiply (ties toward +inf) and the division by 2^-shift (ties
    away from zero). Equal to the integer kernel unless x * multiplier lies within 2^-22 of a tie
    (the float64 product keeps 53 of its 62 bits); the gradient is the multiplier's real value."""
    shifts = np.asarray(shift, dtype=np.int64)
    wide = x.to(torch.float64)
    left = channel_param(2.0 ** np.maximum(shifts, 0), wide, axis)
    high = channel_param(np.asarray(multiplier, dtype=np.float64) / 2.0**31, wide, axis)
    right = channel_param(2.0 ** np.maximum(-shifts, 0), wide, axis)
    shifted = torch.clamp(wide * left, INT32_MIN, INT32_MAX)
    return round_half_away_ste(round_half_up_ste(shifted * high) / right)


def simulate_stage(acc: torch.Tensor, attrs: Attrs, axis: int | None = None) -> torch.Tensor:
    """The simulated output stage (OUTPUT_ATTRS): the accumulator, clamped to int32, times the
    node's fixed-point multiplier (per tensor, or per channel along `axis`), plus the output zero
    point, clamped to [act_min, act_max]; float32 codes."""
    acc = torch.clamp(acc.to(torch.float64), INT32_MIN, INT32_MAX)
    y = simulate_mbqm(acc, attrs["multiplier"], attrs["shift"], axis) + attrs["y_zero_point"]
    return torch.clamp(y, attrs["act_min"], attrs["act_max"]).to(torch.float32)


def real_multiplier(
    scales: Mapping[str, torch.Tensor], attrs: Attrs, like: torch.Tensor, axis: int | None
) -> torch.Tensor:
    """The real rescale of an int8 op from its learned scales (float64, laid out along `axis`):
    a_scale * b_scale / y_scale (QMatMul, QMul), x_scale * w_scale[c] / y_scale (QConv,
    QFullyConnected), x_scale / y_scale (Requantize)."""
    if "a_scale" in scales:
        product = scales["a_scale"] * scales["b_scale"]
    else:
        product = scales["x_scale"]
        if "w_scale" in attrs:
            product = product * channel_param(attrs["w_scale"], like.to(torch.float64), axis)
    return product / scales["y_scale"]


def learned_stage(acc: torch.Tensor, attrs: Attrs, multiplier: torch.Tensor) -> torch.Tensor:
    """The output stage with learned scales: clamp(round(acc * multiplier) + y_zero_point, act_min,
    act_max), the accumulator clamped to int32 first, ties away from zero (as the fixed-point
    stage); within one code of the exact stage at the same scales; float32 codes."""
    acc = torch.clamp(acc.to(torch.float64), INT32_MIN, INT32_MAX)
    y = round_half_away_ste(acc * multiplier) + attrs["y_zero_point"]
    return torch.clamp(y, attrs["act_min"], attrs["act_max"]).to(torch.float32)


def bias_code(real: torch.Tensor, x_scale: torch.Tensor, w_scales: np.ndarray) -> torch.Tensor:
    """An int32 bias's codes at the current input scale: clamp(round(real / (x_scale * w_scale[c])))
    in float64 (as ranges.quantize_bias), straight through the rounding."""
    w = torch.from_numpy(np.array(w_scales, dtype=np.float64)).to(real.device)
    return torch.clamp(round_ste(real.to(torch.float64) / (x_scale * w)), INT32_MIN, INT32_MAX)


def channel_scales(attrs: Attrs, channels: int) -> np.ndarray:
    """w_scale as one float64 value per output channel."""
    return np.broadcast_to(np.asarray(attrs["w_scale"], dtype=np.float64), (channels,))


def weighted_shadow(node: Node, position: int, values: np.ndarray) -> Shadow | None:
    """ShadowRule of QConv / QFullyConnected: the int8 weights (axis 0 = output channel) and the
    int32 bias train through their dequantized float values; the scales stay fixed."""
    if position == WEIGHT:
        scales = channel_scales(node.attrs, values.shape[0])
        lo = -128 if values.size and int(values.min()) == -128 else -127  # the quantize pass uses [-127, 127]
        return _shadow(values, scales, lo, 127, torch.float32)
    if position == BIAS:
        scales = node.attrs["x_scale"] * channel_scales(node.attrs, values.shape[0])
        return _shadow(values, scales, INT32_MIN, INT32_MAX, torch.float64)
    return None


def _shadow(values: np.ndarray, scales: np.ndarray, lo: int, hi: int, work: torch.dtype) -> Shadow:
    """real = codes * scale along axis 0; code(real) = clamp(round(real / scale), lo, hi), divided in
    `work` precision (float64 for int32 biases: lossless back to the codes while |code| < 2^23)."""
    layout = (values.shape[0],) + (1,) * (values.ndim - 1)
    per_channel = scales.reshape(layout)
    real = (values.astype(np.float64) * per_channel).astype(np.float32)
    scale = torch.from_numpy(np.array(per_channel, dtype=np.float64))

    def code(t: torch.Tensor) -> torch.Tensor:
        q = round_ste(t.to(work) / scale.to(device=t.device, dtype=work))
        return torch.clamp(q, lo, hi)

    return Shadow(real, code)
