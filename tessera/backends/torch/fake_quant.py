"""The float simulation of int8 ops (fake quantization) and the float shadows of int8 weights.

In simulation an int8 tensor is a float32 tensor of whole numbers (its codes). An op's output stage
becomes y = clamp(round(acc * M) + y_zero_point, act_min, act_max) with M the real multiplier its
scales define (x_scale * w_scale[c] / y_scale for a convolution); the rounding passes the gradient
straight through and the clamp stops it where it saturates. It differs from the exact kernels only
by the fixed-point multiplier's rounding against the real one (at most one code).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from tessera.backends.torch.fixed_point import INT32_MAX, INT32_MIN, channel_param
from tessera.backends.torch.kernel import Shadow
from tessera.backends.torch.ste import round_ste
from tessera.ir.graph import Node
from tessera.ir.ops.base import Attrs

WEIGHT, BIAS = 1, 2  # input positions of the weights and the bias of QConv / QFullyConnected


def codes(x: torch.Tensor) -> torch.Tensor:
    """An int8 tensor as simulation sees it: float32 codes (graph inputs already are)."""
    return x if x.dtype == torch.float32 else x.to(torch.float32)


def simulate_stage(
    acc: torch.Tensor, real: Sequence[float] | np.ndarray | float, attrs: Attrs, axis: int | None = None
) -> torch.Tensor:
    """The simulated output stage: acc * real multiplier (per tensor, or per channel along `axis`)
    rounded half to even, plus the output zero point, clamped to [act_min, act_max]."""
    multiplier = channel_param(np.atleast_1d(np.asarray(real, dtype=np.float64)), acc, axis)
    y = round_ste(acc * multiplier) + attrs["y_zero_point"]
    return torch.clamp(y, attrs["act_min"], attrs["act_max"])


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
    scale = torch.from_numpy(np.ascontiguousarray(per_channel))

    def code(t: torch.Tensor) -> torch.Tensor:
        q = round_ste(t.to(work) / scale.to(device=t.device, dtype=work))
        return torch.clamp(q, lo, hi)

    return Shadow(real, code)
