"""Each MCU kernel against the reference executor on the host (gcc -Werror, ASan + UBSan): one graph
per op family, covering the shapes the IR allows (padding, strides, dilation, groups, broadcasting)."""

import numpy as np
import pytest
from _mcu_helpers import check_on, const, f32, node

from tessera.ir import DType, Graph, TensorType

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def conv_graph() -> Graph:
    rng = np.random.default_rng(1)
    g = Graph("convs")
    x = g.add_input("x", f32((2, 4, 9, 11)))
    w = lambda *s: const(g, f"w{len(g.constants)}", rng.standard_normal(s) * 0.3)  # noqa: E731
    b = lambda n: const(g, f"b{len(g.constants)}", rng.standard_normal(n))  # noqa: E731
    spatial = {"kernel_shape": None, "dilations": None, "group": 1}
    outs = [
        node(g, "Conv", [x, w(6, 4, 3, 3), b(6)], strides=(1, 1), pads=(1, 1, 1, 1), **spatial),  # padded
        node(g, "Conv", [x, w(5, 4, 3, 2)], strides=(2, 3), pads=(0, 1, 2, 0), **spatial),  # strided, asymmetric
        node(g, "Conv", [x, w(4, 1, 3, 3), b(4)], strides=(2, 2), pads=(1, 1, 1, 1), kernel_shape=None,
             dilations=None, group=4),  # depthwise
        node(g, "Conv", [x, w(7, 4, 1, 1), b(7)], strides=None, pads=None, **spatial),  # pointwise
        node(g, "Conv", [x, w(6, 2, 3, 3)], strides=None, pads=(2, 1, 2, 1), kernel_shape=None,
             dilations=(2, 1), group=2),  # grouped, dilated
        node(g, "Conv", [x, w(3, 4, 1, 1)], strides=(2, 2), pads=None, **spatial),  # strided 1x1
    ]  # fmt: skip
    x1 = g.add_input("x1", f32((1, 3, 20)))
    outs.append(node(g, "Conv", [x1, w(4, 3, 5)], strides=(2,), pads=(2, 2), **spatial))  # 1-D
    g.outputs.extend(outs)
    return g


def pool_graph() -> Graph:
    g = Graph("pools")
    x = g.add_input("x", f32((1, 3, 9, 10)))
    base = {"auto_pad": "NOTSET", "dilations": None}
    g.outputs += [
        node(g, "MaxPool", [x], kernel_shape=(3, 3), strides=(2, 2), pads=(1, 1, 1, 1), ceil_mode=0, **base),
        node(g, "MaxPool", [x], kernel_shape=(2, 3), strides=(2, 2), pads=(0, 0, 0, 0), ceil_mode=1, **base),
        node(g, "AveragePool", [x], kernel_shape=(3, 3), strides=(2, 2), pads=(1, 1, 1, 1), ceil_mode=1,
             count_include_pad=0, **base),
        node(g, "AveragePool", [x], kernel_shape=(3, 2), strides=(1, 2), pads=(1, 0, 1, 1), ceil_mode=0,
             count_include_pad=1, **base),
        node(g, "GlobalAveragePool", [x]),
        node(g, "GlobalMaxPool", [x]),
    ]  # fmt: skip
    return g


def linalg_graph() -> Graph:
    rng = np.random.default_rng(2)
    g = Graph("linalg")
    a = g.add_input("a", f32((5, 7)))
    q = g.add_input("q", f32((2, 3, 5, 8)))
    k = g.add_input("k", f32((2, 1, 8, 6)))
    w = const(g, "w", rng.standard_normal((7, 9)))
    wt = const(g, "wt", rng.standard_normal((9, 7)))
    bias_row, bias_col = const(g, "brow", rng.standard_normal(9)), const(g, "bcol", rng.standard_normal((5, 1)))
    g.outputs += [
        node(g, "Gemm", [a, w, bias_row], alpha=1.0, beta=1.0, transA=0, transB=0),
        node(g, "Gemm", [a, wt, bias_col], alpha=0.5, beta=2.0, transA=0, transB=1),
        node(g, "MatMul", [q, const(g, "wm", rng.standard_normal((8, 4)))]),  # weights: one product
        node(g, "MatMul", [q, k]),  # batched, broadcast over axis 1
        node(g, "MatMul", [a, const(g, "v", rng.standard_normal(7))]),  # matrix x vector
    ]
    return g


def elementwise_graph() -> Graph:
    rng = np.random.default_rng(3)
    g = Graph("elementwise")
    x = g.add_input("x", f32((2, 3, 4, 5)))
    y = g.add_input("y", f32((3, 1, 5)))
    c = const(g, "c", rng.standard_normal((4, 1)))
    g.outputs += [
        node(g, "Add", [x, y]),
        node(g, "Sub", [y, x]),
        node(g, "Mul", [x, c]),
        node(g, "Div", [x, const(g, "two", np.float32(2.0))]),
        node(g, "Sum", [x, y, c]),
        node(g, "Relu", [x]),
        node(g, "Sigmoid", [x]),
        node(g, "Tanh", [x]),
        node(g, "Gelu", [x], approximate="none"),
        node(g, "Gelu", [x], approximate="tanh"),
        node(g, "Erf", [x]),
        node(g, "Exp", [x]),
        node(g, "Sqrt", [node(g, "Exp", [x])]),
        node(g, "Neg", [x]),
        node(g, "HardSwish", [x]),
        node(g, "Clip", [x], min=-0.5, max=0.75),
        node(g, "LeakyRelu", [x], alpha=0.1),
        node(g, "HardSigmoid", [x], alpha=0.2, beta=0.5),
    ]
    return g


def tensor_graph() -> Graph:
    rng = np.random.default_rng(4)
    g = Graph("tensors")
    x = g.add_input("x", f32((2, 3, 4, 5)))
    ids = g.add_input("ids", TensorType(DType.INT64, (2, 3)))
    table = const(g, "table", rng.standard_normal((16, 6)))
    scale, bias = const(g, "scale", rng.standard_normal(5)), const(g, "bias", rng.standard_normal(5))
    g.outputs += [
        node(g, "Softmax", [x], axis=-1),
        node(g, "Softmax", [x], axis=1),
        node(g, "LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-5),
        node(g, "LayerNormalization", [x, const(g, "s2", np.float32(1.5))], axis=2, epsilon=1e-3),
        node(g, "Concat", [x, node(g, "Relu", [x])], axis=2),
        node(g, "Concat", [x, x, x], axis=0),
        node(g, "Transpose", [x], perm=(0, 2, 3, 1)),
        node(g, "Transpose", [x], perm=(3, 1, 0, 2)),
        node(g, "Reshape", [x], shape=(6, 20)),
        node(g, "Gather", [table, ids], axis=0),
        node(g, "ReduceMean", [x], axes=(2, 3), keepdims=0),
        node(g, "ReduceSum", [x], axes=(1,), keepdims=1),
    ]
    return g


@pytest.mark.parametrize("build", [conv_graph, pool_graph, linalg_graph, elementwise_graph, tensor_graph])
def test_kernels_match_reference_under_sanitizers(build) -> None:
    check_on(build(), sanitize=True)
