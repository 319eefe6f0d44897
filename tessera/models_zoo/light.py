"""The nine ONNX 'light' models that ship inside the onnx wheel (opset 9, 1x3x224x224 inputs).
Their weights are ConstantOfShape placeholders: `randomize_weights` gives them seeded random ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from tessera.errors import ModelLoadError
from tessera.ir.graph import Graph

LIGHT_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
NAMES = (
    "bvlc_alexnet",
    "densenet121",
    "inception_v1",
    "inception_v2",
    "resnet50",
    "shufflenet",
    "squeezenet",
    "vgg19",
    "zfnet512",
)


def light_model_path(name: str) -> Path:
    path = LIGHT_DIR / f"light_{name}.onnx"
    if name not in NAMES or not path.is_file():
        raise ModelLoadError(f"no light model {name!r}; available: {', '.join(NAMES)}")
    return path


def randomize_weights(graph: Graph, seed: int = 0, scale: float = 0.1) -> Graph:
    """Replace every float constant with seeded random values, in place. BatchNorm variances (and any
    constant named like a variance) stay positive; so do all 1-D float constants, which keeps
    normalization statistics valid."""
    rng = np.random.default_rng(seed)
    for value in graph.constants.values():
        data = value.data
        if data is None or not value.dtype.is_float:
            continue
        new = rng.standard_normal(data.shape) * scale
        if data.ndim <= 1:
            new = np.abs(new) + 0.5
        value.data = new.astype(data.dtype)
    return graph
