"""Seeded test values for the elementwise kernels: every integer dtype over its whole range (with
its edges), floats of each width."""

from __future__ import annotations

import numpy as np

INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
SIGNED = [np.int8, np.int16, np.int32, np.int64]
FLOATS = [np.float16, np.float32, np.float64]


def ints(dtype: type, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Random integers of the full range, the first elements being the edges (0, 1, -1, min, max)."""
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    out = rng.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    edges = [0, 1, info.max, info.min, info.max - 1] + ([-1] if info.min < 0 else [])
    flat = out.reshape(-1)
    flat[: min(len(edges), flat.size)] = np.array(edges, dtype=dtype)[: flat.size]
    return out


def small_ints(dtype: type, shape: tuple[int, ...], low: int, high: int, seed: int = 0) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).integers(low, high, size=shape, endpoint=True)).astype(dtype)


def floats(dtype: type, shape: tuple[int, ...], low: float = -3.0, high: float = 3.0, seed: int = 0) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).uniform(low, high, size=shape), dtype=dtype)


def tolerance(dtype: type) -> dict[str, float]:
    """rtol/atol for check_matches_reference: float16 results may differ by an ulp."""
    return {"rtol": 2e-3, "atol": 2e-3} if dtype == np.float16 else {"rtol": 1e-5, "atol": 1e-6}
