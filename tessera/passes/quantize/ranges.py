"""Range choices and quantization parameters.

Activations: asymmetric per-tensor int8. The range [lo, hi] comes from calibration by one of
  minmax      the observed extremes (TFLite's converter);
  percentile  the p-th / (100-p)-th percentiles of the sampled values (outliers clipped);
  mse         the symmetric shrink t * [min, max], t in (0, 1], minimizing the quantize-dequantize
              mean squared error over the sampled values;
and is widened to contain 0 so that real zero is exact: scale = (hi - lo) / 255,
zero_point = round(-128 - lo / scale).
Weights: symmetric per-channel int8 in [-127, 127] (zero point 0). Bias: int32 at scale
x_scale * w_scale[c] (zero point 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tessera.errors import PassError
from tessera.passes.quantize.calibrate import Observation

METHODS = ("minmax", "percentile", "mse")


@dataclass(frozen=True)
class QParams:
    scale: float
    zero_point: int

    def quantize(self, x: np.ndarray) -> np.ndarray:
        q = np.rint(np.asarray(x, np.float32) / np.float32(self.scale)) + self.zero_point
        return np.clip(q, -128, 127).astype(np.int8)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return (q.astype(np.float32) - self.zero_point) * np.float32(self.scale)


# A value reaching this magnitude is a sentinel (an attention mask's -inf or finfo(float32).min), not a
# signal: one int8 scale over it would round every real value of the tensor to the zero point.
SENTINEL_MAGNITUDE = 1e30


def usable_range(lo: float, hi: float) -> bool:
    """Whether [lo, hi] can be held by one int8 scale: finite and below the sentinel magnitude."""
    return bool(np.isfinite(lo) and np.isfinite(hi) and max(abs(lo), abs(hi)) < SENTINEL_MAGNITUDE)


def qparams(lo: float, hi: float) -> QParams:
    """Asymmetric int8 parameters covering [lo, hi] widened to contain 0."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo <= 1e-30:
        return QParams(1.0, 0)
    scale = float(np.float32((hi - lo) / 255.0))
    zero_point = int(np.clip(round(-128 - lo / scale), -128, 127))
    return QParams(scale, zero_point)


def choose_range(obs: Observation, method: str, percentile: float) -> tuple[float, float]:
    if method == "minmax" or obs.values.size == 0:
        return obs.min, obs.max
    if method == "percentile":
        lo, hi = np.percentile(obs.values, [100.0 - percentile, percentile])
        return max(float(lo), obs.min), min(float(hi), obs.max)
    if method == "mse":
        return _mse_range(obs)
    raise PassError(f"quantize-int8: unknown range method {method!r}; use one of {', '.join(METHODS)}")


def _mse_range(obs: Observation) -> tuple[float, float]:
    best, best_err = (obs.min, obs.max), np.inf
    for t in np.linspace(1.0, 0.2, 41):
        p = qparams(obs.min * t, obs.max * t)
        err = float(np.mean((p.dequantize(p.quantize(obs.values)) - obs.values) ** 2))
        if err < best_err:
            best, best_err = (obs.min * t, obs.max * t), err
    return best


def weight_scales(w: np.ndarray, axis: int = 0) -> np.ndarray:
    """Symmetric per-channel scales along `axis`: max |w| / 127 (1.0 for an all-zero channel)."""
    reduce = tuple(a for a in range(w.ndim) if a != axis)
    amax = np.abs(w.astype(np.float64)).max(axis=reduce) if reduce else np.abs(w.astype(np.float64))
    return np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32).astype(np.float64)


def quantize_weights(w: np.ndarray, scales: np.ndarray, axis: int = 0) -> np.ndarray:
    layout = [1] * w.ndim
    layout[axis] = scales.size
    return np.clip(np.rint(w / scales.reshape(layout)), -127, 127).astype(np.int8)


def quantize_bias(b: np.ndarray, x_scale: float, w_scales: np.ndarray) -> np.ndarray:
    q = np.rint(b.astype(np.float64) / (x_scale * w_scales))
    return np.clip(q, -(2**31), 2**31 - 1).astype(np.int32)
