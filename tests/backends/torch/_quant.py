"""Shared pieces of the int8 kernel tests: output-stage attributes from real multipliers, random
int8 data, and the simulation-against-exact check."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute
from tessera.ir.ops._fixed_point import quantize_multiplier
from tests.backends.torch._check import feeds, to_torch, torch


def stage(real: Sequence[float] | float, y_scale: float = 0.05, zp: int = 3, lo: int = -128, hi: int = 127) -> dict:
    """OUTPUT_ATTRS for real multiplier(s) `real` (TFLite QuantizeMultiplier of each)."""
    pairs = [quantize_multiplier(float(r)) for r in np.atleast_1d(real)]
    return {
        "y_scale": y_scale,
        "y_zero_point": zp,
        "multiplier": [m for m, _ in pairs],
        "shift": [s for _, s in pairs],
        "act_min": lo,
        "act_max": hi,
    }


def int8(rng: np.random.Generator, shape: Sequence[int], lo: int = -128, hi: int = 127) -> np.ndarray:
    return rng.integers(lo, hi + 1, size=tuple(shape)).astype(np.int8)


def spread(taps: int) -> float:
    """A real multiplier that maps a sum of `taps` random int8 products to about +-40 codes."""
    return 40.0 / (np.sqrt(taps) * 74.0 * 73.0)


def as_tensor(a: np.ndarray) -> Any:
    return torch.from_numpy(np.array(a))


def simulated(graph: Graph, inputs: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    module = to_torch(graph, simulate=True)
    with torch.no_grad():
        out = module(**{k: as_tensor(v) for k, v in feeds(graph, inputs).items()})
    return {k: v.numpy() for k, v in out.items()}


def check_simulation(graph: Graph, inputs: Sequence[np.ndarray], *, codes: int = 1, exact_share: float = 1.0) -> None:
    """Simulation is within `codes` codes of the exact (reference) result everywhere and equal to it
    on at least `exact_share` of the elements; a vmap batch of two simulates as two single runs."""
    want = execute(graph, feeds(graph, inputs))
    got = simulated(graph, inputs)
    for name, ref in want.items():
        diff = np.abs(got[name].astype(np.float64) - ref.astype(np.float64))
        assert got[name].dtype == np.float32, name
        assert np.all(got[name] == np.round(got[name])), f"{name}: simulation must yield whole codes"
        assert diff.max() <= codes, f"{name}: simulation is {diff.max()} codes off the exact kernel"
        assert np.mean(diff == 0) >= exact_share, f"{name}: only {np.mean(diff == 0):.2%} equal to exact"
    module = to_torch(graph, simulate=True)
    stacked = {k: torch.stack([as_tensor(v), as_tensor(v)]) for k, v in feeds(graph, inputs).items()}
    with torch.no_grad():
        batch = module(**stacked)
    for name in want:
        np.testing.assert_array_equal(batch[name][0].numpy(), got[name])
        np.testing.assert_array_equal(batch[name][1].numpy(), got[name])
