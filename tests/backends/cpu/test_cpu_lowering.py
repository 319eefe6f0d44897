"""The lowering rules against the reference executor: one graph per op family (one TVM compile
each), every op's output a graph output. Random inputs are seeded; see `assert_cpu_matches_reference`."""

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from _cpu_helpers import assert_cpu_matches_reference
from conftest import TVM, require

from tessera.ir import DType, Graph, TensorType
from tessera.ir.graph import Value
from tessera.ir.ops import lookup

F32 = DType.FLOAT32
RNG = np.random.default_rng(7)


def _add(g: Graph, op: str, inputs: Sequence[Value], attrs: dict[str, Any] | None = None, outputs: int = 1) -> None:
    node = g.add_node(lookup(op), list(inputs), attrs or {}, num_outputs=outputs)
    g.outputs.extend(node.outputs)


def _const(g: Graph, name: str, shape: tuple[int, ...], dtype: Any = np.float32) -> Value:
    return g.add_constant(name, RNG.standard_normal(shape).astype(dtype))


UNARY = [
    "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "Cos", "Cosh", "Erf", "Exp", "Floor",
    "Log", "Neg", "Reciprocal", "Round", "Sigmoid", "Sign", "Sin", "Sinh", "Sqrt", "Tan", "Tanh", "IsNaN",
    "IsInf", "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
    "Mish", "Gelu", "ThresholdedRelu", "Shrink", "Identity",
]  # fmt: skip
BINARY = ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Equal", "Greater", "GreaterOrEqual",
          "Less", "LessOrEqual"]  # fmt: skip


def test_elementwise_float() -> None:
    g = Graph("elementwise")
    x = g.add_input("x", TensorType(F32, (3, 4)))
    y = g.add_input("y", TensorType(F32, (4,)))
    for op in UNARY:
        _add(g, op, [x])
    _add(g, "Gelu", [x], {"approximate": "tanh"})
    _add(g, "Clip", [x], {"min": -0.5, "max": 0.7})
    _add(g, "PRelu", [x, y])
    _add(g, "Mod", [x, y], {"fmod": 1})
    for op in BINARY:
        _add(g, op, [g.add_node(lookup("Abs"), [x]).output, y])
    _add(g, "Where", [g.add_node(lookup("Greater"), [x, y]).output, x, y])
    assert_cpu_matches_reference(g, atol=1e-4)


def test_elementwise_int_and_bool() -> None:
    g = Graph("integers")
    a = g.add_input("a", TensorType(DType.INT32, (3, 4)))
    b = g.add_constant("b", np.array([3, -2, 5, -7], np.int32))
    for op in ["Div", "Mod", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Add", "Mul", "Max"]:
        _add(g, op, [a, b])
    _add(g, "BitwiseNot", [a])
    _add(g, "Relu", [a])
    p = g.add_node(lookup("Greater"), [a, b]).output
    q = g.add_node(lookup("Less"), [a, g.add_constant("two", np.array(2, np.int32))]).output
    for op in ["And", "Or", "Xor"]:
        _add(g, op, [p, q])
    _add(g, "Not", [p])
    _add(g, "Cast", [a], {"to": DType.FLOAT32})
    _add(g, "Cast", [a], {"to": DType.BOOL})
    assert_cpu_matches_reference(g)


def test_nn_ops() -> None:
    g = Graph("nn")
    x = g.add_input("x", TensorType(F32, (1, 4, 9, 9)))
    w = _const(g, "w", (6, 2, 3, 3))
    _add(g, "Conv", [x, w, _const(g, "b", (6,))], {"group": 2, "strides": (2, 2), "pads": (1, 0, 2, 1)})
    _add(g, "Conv", [x, _const(g, "wd", (4, 1, 3, 3))], {"group": 4, "dilations": (2, 2), "auto_pad": "SAME_UPPER"})
    _add(g, "ConvTranspose", [x, _const(g, "wt", (4, 3, 3, 3))], {"strides": (2, 2), "output_padding": (1, 1)})
    _add(g, "MaxPool", [x], {"kernel_shape": (3, 3), "strides": (2, 2), "ceil_mode": 1})
    _add(g, "AveragePool", [x], {"kernel_shape": (2, 2), "strides": (2, 2), "pads": (1, 1, 1, 1)})
    _add(g, "AveragePool", [x], {"kernel_shape": (3, 3), "pads": (1, 1, 1, 1), "count_include_pad": 1})
    _add(g, "GlobalAveragePool", [x])
    _add(g, "GlobalMaxPool", [x])
    _add(g, "LRN", [x], {"size": 3, "alpha": 0.01})
    stats = [_const(g, n, (4,)) for n in ("scale", "bias", "mean")]
    var = g.add_constant("var", np.abs(RNG.standard_normal(4)).astype(np.float32) + 0.5)
    _add(g, "BatchNormalization", [x, *stats, var])
    _add(g, "InstanceNormalization", [x, stats[0], stats[1]])
    _add(g, "GroupNormalization", [x, stats[0], stats[1]], {"num_groups": 2})
    _add(g, "Softmax", [x], {"axis": 1})
    _add(g, "LogSoftmax", [x], {"axis": -1})
    _add(g, "Hardmax", [x], {"axis": 2})
    assert_cpu_matches_reference(g, atol=1e-4)


def test_matrix_ops() -> None:
    g = Graph("matrix")
    a = g.add_input("a", TensorType(F32, (5, 8)))
    t = g.add_input("t", TensorType(F32, (2, 3, 5, 8)))
    _add(g, "Gemm", [a, _const(g, "wg", (6, 8)), _const(g, "cg", (6,))], {"transB": 1, "alpha": 0.5, "beta": 2.0})
    _add(g, "MatMul", [t, _const(g, "wm", (8, 4))])
    _add(g, "MatMul", [t, _const(g, "wb", (2, 3, 8, 5))])
    _add(g, "LayerNormalization", [t, _const(g, "ls", (8,)), _const(g, "lb", (8,))], outputs=3)
    assert_cpu_matches_reference(g, atol=1e-4)


def test_tensor_ops() -> None:
    g = Graph("tensor")
    x = g.add_input("x", TensorType(F32, (2, 8, 4, 6)))
    idx = g.add_constant("idx", np.array([[0, -1], [3, 2]], np.int64))
    _add(g, "Slice", [x], {"starts": (-1, 1), "ends": (-100, 7), "axes": (3, 1), "steps": (-2, 3)})
    for mode in ("constant", "reflect", "edge", "wrap"):
        _add(g, "Pad", [x], {"mode": mode, "pads": (0, 0, 1, 2, 0, 0, 2, 1), "constant_value": 1.5})
    _add(g, "Pad", [x], {"pads": (0, -2, 1, 0, 0, 0, 0, -1)})
    _add(g, "Gather", [x, idx], {"axis": 1})
    _add(g, "Gather", [x, g.add_constant("i0", np.array(-1, np.int64))], {"axis": 2})  # 0-d index drops the axis
    _add(g, "Split", [x], {"axis": 1, "split": (3, 5)}, outputs=2)
    _add(g, "Concat", [x, x], {"axis": -1})
    _add(g, "Transpose", [x], {"perm": (0, 2, 3, 1)})
    _add(g, "Reshape", [x], {"shape": (4, -1)})
    _add(g, "Flatten", [x], {"axis": 2})
    _add(g, "Unsqueeze", [x], {"axes": (0,)})
    _add(g, "Expand", [g.add_constant("row", np.arange(6, dtype=np.float32))], {"shape": (3, 6)})
    _add(g, "Tile", [x], {"repeats": (1, 1, 2, 1)})
    _add(g, "DepthToSpace", [x], {"blocksize": 2, "mode": "CRD"})
    _add(g, "SpaceToDepth", [x], {"blocksize": 2})
    _add(g, "Resize", [x], {"mode": "nearest", "sizes": (2, 8, 8, 12)})
    _add(g, "Resize", [x], {"mode": "linear", "scales": (1.0, 1.0, 2.0, 0.5)})
    for op in ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare"]:
        _add(g, op, [x], {"axes": (1, 3), "keepdims": 0})
    _add(g, "ReduceProd", [x], {"keepdims": 1})
    _add(g, "ArgMax", [x], {"axis": 1, "select_last_index": 1})
    _add(g, "ArgMin", [x], {"axis": -1, "keepdims": 0})
    _add(g, "Dropout", [x], outputs=2)
    assert_cpu_matches_reference(g)


def test_unsupported_form_names_the_node() -> None:
    require("tvm", TVM)
    import tessera
    from tessera.errors import UnsupportedOpError

    g = Graph("cubic")
    x = g.add_input("x", TensorType(F32, (1, 1, 4, 4)))
    _add(g, "Resize", [x], {"mode": "cubic", "scales": (1.0, 1.0, 2.0, 2.0)})
    with pytest.raises(UnsupportedOpError, match=r"node 'resize' .*cubic"):
        tessera.compile(g, target="cpu")
