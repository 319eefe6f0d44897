"""Small hand-built NCHW CNNs for the patch-based tests: strided, padded, depthwise and pointwise
convolutions, pools, a residual add (a DAG), odd spatial sizes, and a head after the stage."""

from __future__ import annotations

import numpy as np

import tessera
from tessera.ir import DType, Graph, TensorType
from tessera.ir.graph import Value
from tessera.ir.ops import lookup


def _conv(g: Graph, x: Value, cout: int, k: int, rng: np.random.Generator, name: str, **attrs) -> Value:
    cin = x.shape[1] // attrs.get("group", 1)
    w = g.add_constant(f"{name}.w", (rng.standard_normal((cout, cin, k, k)) * 0.3).astype(np.float32))
    b = g.add_constant(f"{name}.b", (rng.standard_normal(cout) * 0.1).astype(np.float32))
    return g.add_node(lookup("Conv"), [x, w, b], attrs, name=name).output


def small_cnn(h: int = 13, w: int = 11, seed: int = 0, width: int = 8) -> Graph:
    """image -> conv3x3/s2 -> relu -> dw3x3 -> relu -> pw1x1 -> (+ residual) -> maxpool3/s1
    -> dw5x5/s2 (pads 2,1,1,2) -> avgpool -> global pool -> flatten. Cut candidates: 'res', 'pool', 'dw2'."""
    rng = np.random.default_rng(seed)
    g = Graph("small_cnn")
    x = g.add_input("image", TensorType(DType.FLOAT32, (1, 3, h, w)))
    t = _conv(g, x, width, 3, rng, "c0", strides=(2, 2), pads=(1, 1, 1, 1))
    t = g.add_node(lookup("Relu"), [t], name="r0").output
    d = _conv(g, t, width, 3, rng, "dw1", group=width, pads=(1, 1, 1, 1))
    d = g.add_node(lookup("Clip"), [d], {"min": 0.0, "max": 6.0}, name="r1").output
    p = _conv(g, d, width, 1, rng, "pw1")
    t = g.add_node(lookup("Add"), [t, p], name="add", output_names=["res"]).output
    t = g.add_node(lookup("MaxPool"), [t], {"kernel_shape": (3, 3), "pads": (1, 1, 1, 1)}, name="mp",
                   output_names=["pool"]).output  # fmt: skip
    t = _conv(g, t, 16, 5, rng, "dw2", group=8, strides=(2, 2), pads=(2, 1, 1, 2))
    g.rename(t, "dw2")
    t = g.add_node(lookup("AveragePool"), [t], {"kernel_shape": (2, 2), "pads": (0, 0, 1, 1)}, name="ap").output
    t = g.add_node(lookup("GlobalAveragePool"), [t], name="gap").output
    g.outputs.append(g.add_node(lookup("Flatten"), [t], name="flat").output)
    return g


def inputs(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {v.name: rng.standard_normal(v.shape).astype(np.float32) for v in graph.inputs}


def int8_cnn(h: int = 13, w: int = 11, int8_io: bool = False) -> Graph:
    graph = small_cnn(h, w)
    calibration = [inputs(graph, 100 + i) for i in range(4)]
    return tessera.quantize(graph, calibration, int8_io=int8_io).graph


def int8_inputs(graph: Graph, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for v in graph.inputs:
        if v.dtype is DType.INT8:
            out[v.name] = rng.integers(-128, 128, v.shape).astype(np.int8)
        else:
            out[v.name] = rng.standard_normal(v.shape).astype(np.float32)
    return out
