"""What a zoo model takes as input, and seeded sample inputs in realistic ranges.

Images are smooth random scenes (coarse noise upsampled, plus fine noise) in [0, 1], then normalized
with the ImageNet mean and std as classifiers expect; super-resolution models take [0, 1] pixels.
Token ids are uniform in the vocabulary; attention masks are all ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
KINDS = ("image", "pixels", "token-ids", "mask")


@dataclass(frozen=True)
class InputSpec:
    """One model input: `kind` is "image" (normalized NCHW), "pixels" (NCHW in [0, 1]),
    "token-ids" (int64 in [0, vocab)) or "mask" (int64 ones)."""

    name: str
    shape: tuple[int, ...]
    kind: str
    vocab: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"input kind {self.kind!r} is not one of {KINDS}")


def image(shape: tuple[int, ...], name: str = "image") -> InputSpec:
    return InputSpec(name, shape, "image")


def sample_arrays(specs: Sequence[InputSpec], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {spec.name: _sample(spec, rng) for spec in specs}


def _sample(spec: InputSpec, rng: np.random.Generator) -> np.ndarray:
    if spec.kind == "token-ids":
        return rng.integers(0, spec.vocab, spec.shape, dtype=np.int64)
    if spec.kind == "mask":
        return np.ones(spec.shape, dtype=np.int64)
    pixels = _scene(spec.shape, rng)
    if spec.kind == "pixels":
        return pixels
    return ((pixels - IMAGENET_MEAN[:, None, None]) / IMAGENET_STD[:, None, None]).astype(np.float32)


def _scene(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """NCHW in [0, 1]: coarse noise upsampled by pixel repetition and box-blurred, plus fine noise."""
    n, c, h, w = shape
    cell = max(2, min(h, w) // 8)
    coarse = rng.uniform(0.0, 1.0, (n, c, -(-h // cell) + 1, -(-w // cell) + 1))
    up = np.repeat(np.repeat(coarse, cell, axis=2), cell, axis=3)
    kernel = np.ones(cell) / cell
    up = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 2, up)
    up = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 3, up)
    scene = up[:, :, :h, :w] + rng.normal(0.0, 0.05, (n, c, h, w))
    return np.clip(scene, 0.0, 1.0).astype(np.float32)
