"""Calibration: run the float graph on representative inputs and record, for every float tensor,
its exact min / max and a seeded random sample of its values (for percentile and MSE ranges)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute

Sample = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Observation:
    """What calibration saw of one tensor."""

    min: float
    max: float
    values: np.ndarray  # float32 sample of the tensor's elements over all calibration inputs


@dataclass(frozen=True)
class Calibration:
    observations: Mapping[str, Observation]  # keyed by value name
    samples: int


def random_samples(graph: Graph, count: int, seed: int) -> list[dict[str, np.ndarray]]:
    """Standard-normal float inputs: a last resort, flagged loudly in the report."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        feeds = {}
        for v in graph.inputs:
            if not v.dtype.is_float:
                raise PassError(f"random calibration cannot make input {v.name!r} ({v.type}); pass calibration data")
            feeds[v.name] = rng.standard_normal(v.shape).astype(v.dtype.numpy())
        out.append(feeds)
    return out


def calibrate(graph: Graph, samples: Iterable[Sample], keep: int = 0, seed: int = 0) -> Calibration:
    """Observe every float tensor over `samples`. keep > 0 also keeps up to `keep` random elements
    per tensor and sample (percentile / MSE ranges need them)."""
    rng = np.random.default_rng(seed)
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    kept: dict[str, list[np.ndarray]] = {}
    count = 0
    for sample in samples:
        env = execute(graph, _checked(graph, sample, count), capture=True)
        count += 1
        for name, arr in env.items():
            if arr.dtype.kind != "f" or arr.size == 0 or name in graph.constants:
                continue
            lo[name] = min(lo.get(name, np.inf), float(arr.min()))
            hi[name] = max(hi.get(name, -np.inf), float(arr.max()))
            if keep:
                flat = arr.reshape(-1)
                pick = flat if flat.size <= keep else flat[rng.choice(flat.size, keep, replace=False)]
                kept.setdefault(name, []).append(pick.astype(np.float32))
    if count == 0:
        raise PassError("quantize-int8: the calibration data is empty; pass at least one input dict")
    empty = np.zeros(0, np.float32)
    obs = {n: Observation(lo[n], hi[n], np.concatenate(kept[n]) if n in kept else empty) for n in lo}
    return Calibration(obs, count)


def _checked(graph: Graph, sample: Sample, index: int) -> dict[str, np.ndarray]:
    if not isinstance(sample, Mapping):
        raise PassError(
            f"calibration item {index} is a {type(sample).__name__}; each item must be a dict of input name -> array"
        )
    feeds = {}
    for v in graph.inputs:
        if v.name not in sample:
            raise PassError(f"calibration item {index} lacks input {v.name!r}; it has {sorted(sample)}")
        arr = np.asarray(sample[v.name])
        if arr.shape != v.shape:
            raise PassError(
                f"calibration item {index}: input {v.name!r} has shape {arr.shape}, the graph wants {v.shape}"
            )
        feeds[v.name] = arr.astype(v.dtype.numpy(), copy=False)
    return feeds
