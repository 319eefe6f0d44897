"""The zoo's catalogue: one ZooSpec per model (data only, no torch import), and `get`, which builds
the PyTorch module with seeded weights and wraps it in a ZooModel.

A spec names its builder as "module:function"; the builder takes the model's options as keywords and
returns the module and its input specs. Options are validated here against the spec's defaults.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tessera.errors import TesseraError
from tessera.models_zoo.inputs import InputSpec, sample_arrays

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class ZooSpec:
    """A zoo entry: its name, what it is, how to build it, and the options it takes (with defaults)."""

    name: str
    family: str
    description: str
    builder: str  # "tessera.models_zoo.FAMILY:function"
    options: Mapping[str, Any]
    choices: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    published: str = ""  # published parameter / MAC figures to compare with, where known

    def all_options(self) -> dict[str, Any]:
        return {**self.options, "seed": 0}


@dataclass(frozen=True)
class ZooModel:
    """A built zoo model: an eval-mode PyTorch module with seeded weights and an example input."""

    name: str
    options: dict[str, Any]
    module: torch.nn.Module
    inputs: tuple[InputSpec, ...]
    example_inputs: tuple[torch.Tensor, ...]
    description: str

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.inputs)

    def sample_inputs(self, count: int = 8, seed: int = 0) -> list[dict[str, np.ndarray]]:
        """`count` seeded input sets keyed by input name, in the ranges the model expects
        (normalized images, token ids within the vocabulary, attention masks of ones)."""
        return [sample_arrays(self.inputs, seed * 100_003 + i) for i in range(count)]


_SPECS: dict[str, ZooSpec] = {}


def register(spec: ZooSpec) -> ZooSpec:
    if spec.name in _SPECS:
        raise TesseraError(f"zoo model {spec.name!r} is registered twice")
    _SPECS[spec.name] = spec
    return spec


def names() -> list[str]:
    return sorted(_SPECS)


def spec(name: str) -> ZooSpec:
    if name not in _SPECS:
        raise TesseraError(f"no zoo model {name!r}; available: {', '.join(names())}")
    return _SPECS[name]


def resolve_options(entry: ZooSpec, given: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's defaults updated with `given`, each checked for name, type and allowed values."""
    defaults = entry.all_options()
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise TesseraError(f"zoo model {entry.name!r} has no option {', '.join(unknown)}; valid options: {valid}")
    options = dict(defaults)
    for key, value in given.items():
        options[key] = _coerce(entry.name, key, value, defaults[key])
        allowed = entry.choices.get(key)
        if allowed is not None and options[key] not in allowed:
            raise TesseraError(f"zoo model {entry.name!r}: option {key}={value!r} must be one of {list(allowed)}")
    return options


def _coerce(model: str, key: str, value: Any, default: Any) -> Any:
    kind = type(default)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not ok:
        raise TesseraError(f"zoo model {model!r}: option {key}={value!r} must be {kind.__name__} (default {default!r})")
    return value


def build(name: str, **options: Any) -> ZooModel:
    entry = spec(name)
    resolved = resolve_options(entry, options)
    try:
        import torch
    except ImportError:
        raise TesseraError("the models zoo needs PyTorch: pip install 'tessera[torch]'") from None
    from tessera.models_zoo.weights import calibrate_batchnorm, init_weights

    module_name, _, function = entry.builder.partition(":")
    builder = getattr(importlib.import_module(module_name), function)
    kwargs = {k: v for k, v in resolved.items() if k != "seed"}
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(resolved["seed"])
        module, inputs = builder(**kwargs)
        init_weights(module, resolved["seed"])
    calibrate_batchnorm(module, [sample_arrays(inputs, 7_000_000 + resolved["seed"] * 16 + i) for i in range(4)])
    module.eval()
    example = tuple(torch.from_numpy(a) for a in sample_arrays(inputs, 0).values())  # = sample_inputs(1)[0]
    return ZooModel(name, resolved, module, tuple(inputs), example, entry.description)
