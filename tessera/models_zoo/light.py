"""The nine ONNX 'light' models that ship inside the onnx wheel (opset 9, 1x3x224x224 inputs).

Their weights are ConstantOfShape placeholders, so their stored outputs are near-constant.
`randomized_light_model` replaces each placeholder with a seeded random initializer (He-scaled, so
activations stay in range through deep nets), giving a model that onnxruntime and Tessera both run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

from tessera.errors import ModelLoadError

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


def randomized_light_model(name: str, seed: int = 0) -> onnx.ModelProto:
    """The light model with every ConstantOfShape weight replaced by a seeded random initializer."""
    model = onnx.load(light_model_path(name))
    rng = np.random.default_rng(seed)
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    keep = []
    for node in model.graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in consts:
            keep.append(node)
            continue
        shape = tuple(int(d) for d in consts[node.input[0]])
        model.graph.initializer.append(numpy_helper.from_array(random_weight(rng, shape), node.output[0]))
    del model.graph.node[:]
    model.graph.node.extend(keep)
    model.ir_version = max(model.ir_version, 4)  # from IR 4 on, initializers need not be graph inputs
    return model


def random_weight(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """He-normal for weights (fan-in = product of all but the first dimension); 1-D tensors
    (biases, normalization parameters, variances) are drawn from [0.5, 1.5) so they stay positive."""
    if len(shape) <= 1:
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    fan_in = int(np.prod(shape[1:]))
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
