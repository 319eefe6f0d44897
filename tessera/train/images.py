"""Super-resolution data from the natural images inside scikit-image's wheel (no download).

`TRAIN_IMAGES` give training crops, `EVAL_IMAGES` (disjoint; natural photos with detail, like an SR test
set) are for evaluation. Low-resolution images are made as SR papers make them: the HR image cropped to a
multiple of the scale, then bicubically reduced with MATLAB's imresize (`tessera.train.resize`).
`crops` returns training pairs in the stacked form `tessera.finetune` takes; `psnr_y` is the SR papers'
metric; `evaluate` and `bicubic` give per-image PSNR-Y tables for a model and for bicubic upscaling.
Needs scikit-image (pip install 'tessera[train]'), imported only when an image is loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from tessera.errors import ArgumentError, TesseraError
from tessera.train.resize import degrade, imresize, modcrop
from tessera.train.superres import Run, super_resolve

# RGB photos, and grey ones (given 3 equal channels). skimage's "cat" is "chelsea" again: in neither list.
TRAIN_IMAGES = (
    "stereo_motorcycle",  # the left view of the pair
    "hubble_deep_field",
    "immunohistochemistry",
    "retina",
    "camera",
    "brick",
    "gravel",
    "coins",
)
EVAL_IMAGES = ("astronaut", "chelsea", "coffee", "rocket")
EVAL_SIZE = 192  # the default centre crop (HR pixels) of each eval image: affordable on 2 cores
TARGET = "target"


@functools.cache
def _load(name: str) -> np.ndarray:
    if name not in TRAIN_IMAGES + EVAL_IMAGES:
        raise TesseraError(f"no image {name!r}; the images are {', '.join(TRAIN_IMAGES + EVAL_IMAGES)}")
    try:
        from skimage import data
    except ImportError as err:
        raise TesseraError(f"the images come from scikit-image: pip install 'tessera[train]' ({err})") from None
    pixels = getattr(data, name)()
    if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity)
        pixels = pixels[0]
    pixels = np.asarray(pixels)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    image = (pixels[..., :3].astype(np.float32) / 255.0).transpose(2, 0, 1)
    image.flags.writeable = False  # cached: shared by every caller
    return image


def load(name: str) -> np.ndarray:
    """Image `name` of `TRAIN_IMAGES` or `EVAL_IMAGES`: float32 (3, H, W) in [0, 1] (uint8 / 255; an
    alpha channel dropped, a grey image repeated over 3 channels). Read-only (it is cached)."""
    if not isinstance(name, str):
        raise ArgumentError(f"load: an image name is a str, got {type(name).__name__}")
    return _load(name)


def _check_scale(what: str, scale: object) -> int:
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
        raise ArgumentError(f"{what}: scale must be a positive integer (2, 3, 4), got {scale!r}")
    return scale


def _augment(pair: tuple[np.ndarray, np.ndarray], code: int) -> tuple[np.ndarray, np.ndarray]:
    """One of the 8 flips / 90-degree rotations (code 0..7) applied to both images of a pair alike."""
    out = []
    for image in pair:
        if code & 1:
            image = image[..., ::-1]
        out.append(np.rot90(image, code >> 1, axes=(-2, -1)))
    return out[0], out[1]


def crops(
    names: Sequence[str], scale: int, lr_size: int, count: int, seed: int, input_name: str = "image"
) -> dict[str, np.ndarray]:
    """`count` random aligned training pairs from the images `names`, in the stacked form
    `tessera.finetune` takes: {input_name: LR float32 [count, 3, lr_size, lr_size] (for a graph input of
    shape [1, 3, lr_size, lr_size]: the batch-1 axis dropped), "target": HR float32 [count, 3, S, S]}
    with S = scale * lr_size.

    Each pair picks an image uniformly, a uniform position in its degraded (LR) image, the HR region
    it came from (scale times the position and size), and one of the 8 flips / rotations; all drawn
    from numpy's default_rng(seed), so the same arguments give the same pairs."""
    scale = _check_scale("crops", scale)
    if not names or isinstance(names, str):
        raise ArgumentError(f"crops: names must be a non-empty sequence of image names, got {names!r}")
    if lr_size < 1 or count < 1:
        raise ArgumentError(f"crops: lr_size and count must be positive, got {lr_size} and {count}")
    pairs = [(degrade(hr, scale), modcrop(hr, scale)) for hr in map(load, names)]
    small = [n for n, (lr, _) in zip(names, pairs, strict=True) if min(lr.shape[1:]) < lr_size]
    if small:
        raise ArgumentError(f"crops: images {small} are smaller than lr_size={lr_size} at x{scale}")
    rng = np.random.default_rng(seed)
    size = scale * lr_size
    lrs = np.empty((count, 3, lr_size, lr_size), np.float32)
    hrs = np.empty((count, 3, size, size), np.float32)
    for i in range(count):
        lr, hr = pairs[rng.integers(len(pairs))]
        y = int(rng.integers(lr.shape[1] - lr_size + 1))
        x = int(rng.integers(lr.shape[2] - lr_size + 1))
        lr_patch = lr[:, y : y + lr_size, x : x + lr_size]
        hr_patch = hr[:, scale * y : scale * y + size, scale * x : scale * x + size]
        lrs[i], hrs[i] = _augment((lr_patch, hr_patch), int(rng.integers(8)))
    return {input_name: lrs, TARGET: hrs}


def _luma(image: np.ndarray) -> np.ndarray:
    """ITU-R BT.601 Y in [16, 235] of a (3, H, W) image in [0, 1], after clipping and rounding to 8 bits."""
    rgb = np.round(np.clip(image.astype(np.float64), 0.0, 1.0) * 255.0) / 255.0
    return 16.0 + 65.481 * rgb[0] + 128.553 * rgb[1] + 24.966 * rgb[2]


def psnr_y(sr: np.ndarray, hr: np.ndarray, border: int) -> float:
    """PSNR (dB) on the Y channel, as SR papers report it: `sr` and `hr` (3, H, W) in [0, 1] are
    clipped and rounded to 8 bits (as benchmarks save images; the HR of `load` already is), converted
    to Y = 16 + 65.481 R + 128.553 G + 24.966 B (not rounded), `border` pixels cropped on every side
    (papers crop `scale`), PSNR = 10 log10(255^2 / MSE); inf when the two are equal."""
    sr, hr = np.asarray(sr), np.asarray(hr)
    if sr.shape != hr.shape or sr.ndim != 3 or sr.shape[0] != 3:
        raise ArgumentError(f"psnr_y: sr and hr must both be (3, H, W), got {list(sr.shape)} and {list(hr.shape)}")
    if border < 0 or 2 * border >= min(sr.shape[1:]):
        raise ArgumentError(f"psnr_y: border {border} leaves nothing of a {sr.shape[1]}x{sr.shape[2]} image")
    inner = (slice(border, sr.shape[1] - border), slice(border, sr.shape[2] - border))
    mse = float(np.mean((_luma(sr)[inner] - _luma(hr)[inner]) ** 2))
    return float("inf") if mse == 0.0 else float(10.0 * np.log10(255.0**2 / mse))


def eval_image(name: str, scale: int, size: int | None = EVAL_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(LR, HR) of an eval image: the centre `size` x `size` HR pixels (the whole image when None or
    larger), cropped to a multiple of `scale`, and its degraded LR. The LR is made from the crop, so
    its outer pixels see the crop's mirrored edge rather than the pixels beyond it."""
    hr = load(name)
    if size is not None:
        top, left = max(0, (hr.shape[1] - size) // 2), max(0, (hr.shape[2] - size) // 2)
        hr = hr[:, top : top + size, left : left + size]
    hr = modcrop(hr, scale)
    return degrade(hr, scale), hr


def evaluate(
    run: Run, names: Sequence[str] = EVAL_IMAGES, scale: int = 2, tile: int = 48, size: int | None = EVAL_SIZE
) -> dict[str, float]:
    """PSNR-Y (border = scale) of `super_resolve(run, LR, tile, scale)` against the HR for each image
    of `names` (see `eval_image` for the crop `size`), and their "mean"."""
    scale = _check_scale("evaluate", scale)
    table = {}
    for name in names:
        lr, hr = eval_image(name, scale, size)
        table[name] = psnr_y(super_resolve(run, lr, tile, scale), hr, scale)
    return {**table, "mean": float(np.mean(list(table.values())))}


def bicubic(names: Sequence[str] = EVAL_IMAGES, scale: int = 2, size: int | None = EVAL_SIZE) -> dict[str, float]:
    """The bicubic row: PSNR-Y (border = scale) of imresize(LR, scale) against the HR for each image of
    `names` (see `eval_image` for the crop `size`), and their "mean"."""
    scale = _check_scale("bicubic", scale)
    table = {}
    for name in names:
        lr, hr = eval_image(name, scale, size)
        table[name] = psnr_y(imresize(lr, scale), hr, scale)
    return {**table, "mean": float(np.mean(list(table.values())))}
