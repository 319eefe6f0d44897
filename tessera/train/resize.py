"""Bicubic resizing as MATLAB's `imresize` does it, the way super-resolution papers make their
low-resolution images.

Per axis (rows first, then columns; separable): output pixel i (0-based) sits at input coordinate
c = (i + 0.5) / scale - 0.5. Its value is the sum over the input pixels j of k(c - j) * x[j], with
the weights normalised to sum to 1, where k is the Keys cubic kernel with a = -0.5

    k(t) = 1.5|t|^3 - 2.5|t|^2 + 1            for |t| <= 1
         = -0.5|t|^3 + 2.5|t|^2 - 4|t| + 2    for 1 < |t| <= 2, else 0.

When downscaling (scale < 1) the kernel is widened by 1/scale (antialiasing): k_s(t) = scale * k(scale * t).
Input pixels past an edge are mirrored half-sample symmetrically (x[-1] = x[0], x[n] = x[n - 1]), as
MATLAB's "symmetric" padding does. Arithmetic is float64; the result is float32.
"""

from __future__ import annotations

import math

import numpy as np

from tessera.errors import ArgumentError

CUBIC_SUPPORT = 4.0  # the Keys kernel is non-zero on (-2, 2)


def cubic(t: np.ndarray) -> np.ndarray:
    """The Keys cubic convolution kernel with a = -0.5, evaluated elementwise."""
    t = np.abs(t)
    near = (1.5 * t - 2.5) * t * t + 1.0
    far = ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return np.where(t <= 1.0, near, np.where(t < 2.0, far, 0.0))


def contributions(size: int, out_size: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(indices, weights), both (out_size, taps): output pixel i of an axis of `size` pixels resized
    by `scale` is sum_k weights[i, k] * x[indices[i, k]] (indices already mirrored into [0, size))."""
    widen = min(scale, 1.0)  # antialiasing: stretch the kernel when reducing
    width = CUBIC_SUPPORT / widen
    centre = (np.arange(out_size, dtype=np.float64) + 0.5) / scale - 0.5
    left = np.floor(centre - width / 2.0)
    taps = math.ceil(width) + 2
    index = left[:, None] + np.arange(taps, dtype=np.float64)[None, :]
    weights = widen * cubic(widen * (centre[:, None] - index))
    weights /= weights.sum(axis=1, keepdims=True)
    period = np.mod(index.astype(np.int64), 2 * size)
    mirrored = np.where(period < size, period, 2 * size - 1 - period)
    return mirrored, weights


def _resize_rows(x: np.ndarray, out_size: int, scale: float) -> np.ndarray:
    """Resize axis -2 of float64 `x` (one tap at a time: memory stays one output's size)."""
    index, weights = contributions(x.shape[-2], out_size, scale)
    out = np.zeros((*x.shape[:-2], out_size, x.shape[-1]), np.float64)
    for k in range(index.shape[1]):
        out += weights[:, k, None] * x[..., index[:, k], :]
    return out


def imresize(image: np.ndarray, scale: float) -> np.ndarray:
    """`image` (..., H, W) resized bicubically by `scale` to (..., round(H*scale), round(W*scale)),
    float32, as MATLAB's imresize(image, scale) computes it in double precision (see the module docstring)."""
    image = np.asarray(image)
    if image.ndim < 2 or image.dtype.kind not in "fui":
        raise ArgumentError(f"imresize: image must be a real array (..., H, W), got {image.dtype}{list(image.shape)}")
    if not (isinstance(scale, int | float) and math.isfinite(scale) and scale > 0):
        raise ArgumentError(f"imresize: scale must be a positive number, got {scale!r}")
    height, width = image.shape[-2:]
    out_h, out_w = round(height * scale), round(width * scale)
    if min(height, width, out_h, out_w) < 1:
        raise ArgumentError(f"imresize: {height}x{width} by {scale} gives an empty image {out_h}x{out_w}")
    rows = _resize_rows(image.astype(np.float64), out_h, scale)
    both = _resize_rows(rows.swapaxes(-1, -2), out_w, scale).swapaxes(-1, -2)
    return np.ascontiguousarray(both, dtype=np.float32)


def modcrop(image: np.ndarray, scale: int) -> np.ndarray:
    """`image` (..., H, W) cropped at the bottom and right to H and W multiples of `scale`."""
    height, width = image.shape[-2:]
    return image[..., : height - height % scale, : width - width % scale]


def degrade(hr: np.ndarray, scale: int) -> np.ndarray:
    """The low-resolution image of `hr` (..., H, W) for an integer `scale`: `hr` cropped to multiples
    of `scale` (modcrop), then bicubically reduced by 1/scale: (..., H // scale, W // scale) float32."""
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ArgumentError(f"degrade: scale must be a positive integer, got {scale!r}")
    return imresize(modcrop(np.asarray(hr), scale), 1.0 / scale)
