"""Run a super-resolution model of a fixed input size over a whole low-resolution image, tile by tile."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tessera.errors import ArgumentError

Run = Callable[[np.ndarray], np.ndarray]  # a batch (B, 3, tile, tile) -> (B, 3, s*tile, s*tile)


def tile_starts(length: int, tile: int) -> list[int]:
    """Where the tiles along an axis of `length` start: every `tile` pixels, the last one shifted back
    to end at the border (so it overlaps the one before when `tile` does not divide `length`)."""
    starts = list(range(0, length - tile + 1, tile))
    if starts[-1] + tile < length:
        starts.append(length - tile)
    return starts


def super_resolve(run: Run, lr: np.ndarray, tile: int, scale: int, batch: int = 16) -> np.ndarray:
    """`lr` (3, h, w) super-resolved by `run`, a model of fixed input size: (3, scale*h, scale*w) float32.

    The image is split into tile x tile tiles (`tile_starts` on each axis), given to `run` `batch` at a
    time as (B, 3, tile, tile) arrays, and its (B, 3, scale*tile, scale*tile) outputs are pasted in
    row-major order; where the last row or column of tiles overlaps the one before, the later tile's
    pixels are kept."""
    lr = np.asarray(lr, np.float32)
    if lr.ndim != 3 or lr.shape[0] != 3:
        raise ArgumentError(f"super_resolve: lr must be one image (3, h, w), got {list(lr.shape)}")
    if tile < 1 or scale < 1 or batch < 1:
        raise ArgumentError(f"super_resolve: tile, scale and batch must be positive, got {tile}, {scale}, {batch}")
    _, height, width = lr.shape
    if min(height, width) < tile:
        raise ArgumentError(
            f"super_resolve: the image {height}x{width} is smaller than the model's tile {tile}; "
            "use a model of a smaller input size or a larger image"
        )
    corners = [(y, x) for y in tile_starts(height, tile) for x in tile_starts(width, tile)]
    out = np.zeros((3, scale * height, scale * width), np.float32)
    size = scale * tile
    for first in range(0, len(corners), batch):
        group = corners[first : first + batch]
        tiles = np.stack([lr[:, y : y + tile, x : x + tile] for y, x in group])
        result = np.asarray(run(tiles))
        if result.shape != (len(group), 3, size, size):
            raise ArgumentError(
                f"super_resolve: run gave {list(result.shape)} for {list(tiles.shape)}; it must return "
                f"[{len(group)}, 3, {size}, {size}] (scale {scale} times the tile)"
            )
        for (y, x), patch in zip(group, result, strict=True):
            out[:, scale * y : scale * y + size, scale * x : scale * x + size] = patch
    return out
