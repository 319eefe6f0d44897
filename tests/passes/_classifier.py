"""A small int8-quantizable classifier with two named outputs, for interface-name tests."""

from __future__ import annotations

import numpy as np

from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


def classifier() -> Graph:
    """image -> Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm = logits -> Softmax = probs.
    `logits` is both a graph output and read by the float Softmax (which has no int8 kernel)."""
    rng = np.random.default_rng(7)
    g = Graph("classifier")
    x = g.add_input("image", TensorType(DType.FLOAT32, (1, 3, 8, 8)))
    w = g.add_constant("conv_w", rng.standard_normal((6, 3, 3, 3)).astype(np.float32) * 0.3)
    b = g.add_constant("conv_b", rng.standard_normal(6).astype(np.float32) * 0.1)
    c = g.add_node(lookup("Conv"), [x, w, b], {"pads": [1, 1, 1, 1]}, name="conv").output
    r = g.add_node(lookup("Relu"), [c], name="relu").output
    p = g.add_node(lookup("GlobalAveragePool"), [r], name="pool").output
    f = g.add_node(lookup("Flatten"), [p], name="flatten").output
    fw = g.add_constant("fc_w", rng.standard_normal((10, 6)).astype(np.float32) * 0.5)
    fb = g.add_constant("fc_b", rng.standard_normal(10).astype(np.float32) * 0.1)
    logits = g.add_node(lookup("Gemm"), [f, fw, fb], {"transB": 1}, name="gemm", output_names=["logits"]).output
    probs = g.add_node(lookup("Softmax"), [logits], {"axis": -1}, name="softmax", output_names=["probs"]).output
    g.outputs += [logits, probs]
    return g


def sample(seed: int = 0) -> dict[str, np.ndarray]:
    return {"image": np.random.default_rng(seed).standard_normal((1, 3, 8, 8)).astype(np.float32)}
