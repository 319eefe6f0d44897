"""The small CNN the he target's tests run: conv 3x3 -> relu -> depthwise 3x3 stride 2 -> relu
-> global average pool -> flatten -> gemm (every kind of linear layer a plan packs)."""

from __future__ import annotations

import numpy as np

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


def he_cnn(size: int = 8, channels: int = 4, classes: int = 5, seed: int = 0) -> Graph:
    rng = np.random.default_rng(seed)
    g = Graph("he_cnn")
    x = g.add_input("image", TensorType(DType.FLOAT32, (1, 3, size, size)))

    def const(name: str, shape: tuple[int, ...], scale: float) -> object:
        return g.add_constant(name, (rng.standard_normal(shape) * scale).astype(np.float32))

    t = g.add_node(lookup("Conv"), [x, const("c0.w", (channels, 3, 3, 3), 0.3), const("c0.b", (channels,), 0.1)],
                   {"pads": (1, 1, 1, 1)}, name="conv").output  # fmt: skip
    t = g.add_node(lookup("Relu"), [t], name="relu0").output
    t = g.add_node(lookup("Conv"), [t, const("dw.w", (channels, 1, 3, 3), 0.3), const("dw.b", (channels,), 0.1)],
                   {"group": channels, "strides": (2, 2), "pads": (1, 1, 1, 1)}, name="dw").output  # fmt: skip
    t = g.add_node(lookup("Relu"), [t], name="relu1").output
    t = g.add_node(lookup("GlobalAveragePool"), [t], name="gap").output
    t = g.add_node(lookup("Flatten"), [t], name="flat").output
    fc = [t, const("fc.w", (classes, channels), 0.5), const("fc.b", (classes,), 0.1)]
    g.outputs.append(g.add_node(lookup("Gemm"), fc, {"transB": 1}, name="fc").output)
    return g


def he_inputs(graph: Graph, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.standard_normal(v.shape).astype(np.float32) for v in graph.inputs}
