"""int8 MCU kernels, bit-exact (np.array_equal) against Tessera's int8 reference kernels: graphs of
each op family quantized by `tessera.quantize`, and hand-built int8 graphs that push the fixed-point
arithmetic to its corners (extreme multipliers and shifts, rounding ties, saturation). Host builds use
gcc -Werror with ASan + UBSan; the fixed-point corners also run on QEMU Cortex-M4."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, QEMU_TOOLS, const, f32, node, random_inputs
from conftest import MCU_TOOLS, require_tools

import tessera
from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear, Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QMul
from tessera.ir.ops.quantized_nn import QFullyConnected

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SPATIAL = {"kernel_shape": None, "dilations": None, "group": 1}
POOL = {"auto_pad": "NOTSET", "dilations": None}


def nn_graph() -> Graph:
    """Convolutions of every form, fully connected layers and activation products."""
    rng = np.random.default_rng(11)
    g = Graph("int8_nn")
    x = g.add_input("x", f32((2, 4, 9, 11)))
    w = lambda *s: const(g, f"w{len(g.constants)}", rng.standard_normal(s) * 0.3)  # noqa: E731
    b = lambda n: const(g, f"b{len(g.constants)}", rng.standard_normal(n))  # noqa: E731
    dw = {"kernel_shape": None, "dilations": None, "group": 4}
    g.outputs += [
        node(g, "Conv", [x, w(6, 4, 3, 3), b(6)], strides=(1, 1), pads=(1, 1, 1, 1), **SPATIAL),  # padded
        node(g, "Conv", [x, w(5, 4, 3, 2)], strides=(2, 3), pads=(0, 1, 2, 0), **SPATIAL),  # strided, asymmetric
        node(g, "Conv", [x, w(4, 1, 3, 3), b(4)], strides=(2, 2), pads=(1, 1, 1, 1), **dw),  # depthwise 3x3 s2
        node(g, "Conv", [x, w(4, 1, 3, 3), b(4)], strides=None, pads=(1, 1, 1, 1), **dw),  # depthwise 3x3 s1
        node(g, "Conv", [x, w(4, 1, 5, 3)], strides=None, pads=(2, 0, 1, 1), **dw),  # depthwise 5x3
        node(g, "Conv", [x, w(7, 4, 1, 1), b(7)], strides=None, pads=None, **SPATIAL),  # pointwise
        node(g, "Conv", [x, w(6, 2, 3, 3)], strides=None, pads=(2, 1, 2, 1), kernel_shape=None,
             dilations=(2, 1), group=2),  # grouped, dilated
        node(g, "Conv", [x, w(3, 4, 1, 1)], strides=(2, 2), pads=None, **SPATIAL),  # strided 1x1
        node(g, "Relu", [node(g, "Conv", [x, w(5, 4, 3, 3), b(5)], strides=None, pads=(1, 1, 1, 1), **SPATIAL)]),
        node(g, "Clip", [node(g, "Conv", [x, w(8, 4, 1, 1), b(8)], strides=None, pads=None, **SPATIAL)],
             min=0.0, max=0.5),  # fused ReLU6-style clamp
    ]  # fmt: skip
    x1 = g.add_input("x1", f32((1, 3, 20)))
    g.outputs.append(node(g, "Conv", [x1, w(4, 3, 5)], strides=(2,), pads=(2, 2), **SPATIAL))  # 1-D
    a = g.add_input("a", f32((5, 7)))
    q = g.add_input("q", f32((2, 3, 5, 8)))
    k = g.add_input("k", f32((2, 1, 8, 6)))
    g.outputs += [
        node(g, "Gemm", [a, w(7, 9), b(9)], alpha=1.0, beta=1.0, transA=0, transB=0),
        node(g, "Gemm", [a, w(6, 7), b(6)], alpha=0.5, beta=2.0, transA=0, transB=1),
        node(g, "Add", [node(g, "MatMul", [q, w(8, 4)]), b(4)]),  # torch Linear on a 4-D input
        node(g, "MatMul", [q, k]),  # batched, broadcast over axis 1
        node(g, "MatMul", [a, node(g, "Transpose", [a], perm=(1, 0))]),  # one product of two activations
    ]
    return g


def eltwise_graph() -> Graph:
    """Adds and products with broadcasting, pools, concatenation at two scales, data movement."""
    rng = np.random.default_rng(12)
    g = Graph("int8_eltwise")
    x = g.add_input("x", f32((1, 4, 8, 9)))
    y = g.add_input("y", f32((1, 4, 1, 9)))
    c1 = node(g, "Conv", [x, const(g, "w", rng.standard_normal((4, 4, 3, 3)) * 0.3)], strides=None,
              pads=(1, 1, 1, 1), **SPATIAL)  # fmt: skip
    add = node(g, "Add", [c1, y])  # broadcast
    mp = node(g, "MaxPool", [c1], kernel_shape=(3, 3), strides=(2, 2), pads=(1, 1, 1, 1), ceil_mode=0, **POOL)
    gap = node(g, "GlobalAveragePool", [c1])
    g.outputs += [
        add,
        node(g, "Mul", [c1, const(g, "c", rng.standard_normal((4, 1, 1)))]),
        node(g, "Sum", [c1, node(g, "Mul", [c1, add])]),
        node(g, "Relu", [add]),  # not fusable (add has other users): an int8 Clip
        mp,
        node(g, "MaxPool", [c1], kernel_shape=(2, 3), strides=(2, 2), pads=(0, 0, 0, 0), ceil_mode=1, **POOL),
        node(g, "AveragePool", [c1], kernel_shape=(3, 3), strides=(2, 2), pads=(1, 1, 1, 1), ceil_mode=1,
             count_include_pad=0, **POOL),
        gap,
        node(g, "Concat", [c1, add], axis=1),  # different scales: Requantize
        node(g, "Transpose", [mp], perm=(0, 2, 3, 1)),
        node(g, "Flatten", [gap], axis=1),
        node(g, "Clip", [mp], min=-0.5, max=0.75),
    ]  # fmt: skip
    return g


def _quantized(build) -> Graph:
    g = build()
    result = tessera.quantize(g, [random_inputs(g, seed) for seed in range(8)])
    assert not result.report.float_layers, result.report.float_layers  # every layer is int8
    return result.graph


def _check(graph: Graph, inputs: dict, on: str = "host", sanitize: bool = False) -> None:
    require_tools(QEMU_TOOLS if on == "qemu" else HOST_TOOLS, MCU_TOOLS)
    result = tessera.compile(graph, target="mcu", passes=[])
    got = result.run(inputs, on=on, sanitize=sanitize)
    want = execute(result.graph, inputs)
    assert set(got) == set(want)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and np.array_equal(got[name], ref), name


def test_conv_fc_matmul_bit_exact_under_sanitizers() -> None:
    graph = _quantized(nn_graph)
    counts = graph.op_counts()
    assert counts["QConv"] == 11 and counts["QFullyConnected"] == 3 and counts["QMatMul"] == 2
    for seed in (100, 101):
        _check(graph, random_inputs(graph, seed), sanitize=seed == 100)


def test_eltwise_pools_data_movement_bit_exact_under_sanitizers() -> None:
    graph = _quantized(eltwise_graph)
    counts = graph.op_counts()
    for op in ("QAdd", "QMul", "QAveragePool", "Requantize", "MaxPool", "Clip", "Transpose", "Concat"):
        assert counts.get(op), op
    assert counts.get("Flatten") or counts.get("Reshape")  # canonicalize may turn Flatten into Reshape
    assert all(n.inputs[0].dtype is DType.INT8 for n in graph.nodes if n.op.name in ("MaxPool", "Clip", "Transpose"))
    _check(graph, random_inputs(graph, 7), sanitize=True)


# ---- fixed-point corners, on hand-built int8 graphs -----------------------------------------------
STAGES = [  # (multiplier, shift, zero point, act_min, act_max)
    (2**31 - 1, 23, 0, -128, 127), (2**30, 0, -128, -128, 127), (1518500250, -1, 127, -128, 127),
    (2**30, -31, 5, -128, 127), (2**31 - 1, -31, 0, -128, 127), (1, 0, 0, -128, 127), (0, 0, 3, -128, 127),
    (1717986918, 5, -7, -100, 50), (1234567890, -7, 9, -128, 127), (2**31 - 1, 0, 0, 0, 127),
    (1073741825, -8, -1, -128, 127), (1431655765, -2, 0, -128, 127),
]  # fmt: skip


def _stage(m: int, s: int, zp: int, lo: int, hi: int) -> dict:
    return {"y_scale": 1.0, "y_zero_point": zp, "multiplier": (m,), "shift": (s,), "act_min": lo, "act_max": hi}


def fixed_point_graph() -> tuple[Graph, dict]:
    g = Graph("int8_fixed_point")
    i8 = TensorType(DType.INT8, (256,))
    a, b = g.add_input("a", i8), g.add_input("b", i8)
    for i, (m, s, zp, lo, hi) in enumerate(STAGES):
        attrs = {"x_scale": 1.0, "x_zero_point": [-128, 0, 127, 3][i % 4], **_stage(m, s, zp, lo, hi)}
        g.outputs.append(g.add_node(Requantize, [a], attrs, name=f"requantize{i}").output)
    ops = {"a_scale": 1.0, "b_scale": 1.0}
    for i, (left, am, ash, bm, bsh) in enumerate(
        [(20, 2**30, 0, 1518500250, -3), (0, 2**31 - 1, -1, 1, 0), (22, 1073741825, -10, 2**30, -1)]
    ):
        attrs = {**ops, "a_zero_point": -3 * i, "b_zero_point": 127 - i, "left_shift": left}
        attrs.update(a_multiplier=am, a_shift=ash, b_multiplier=bm, b_shift=bsh)
        attrs.update(_stage(STAGES[i + 7][0], -(left + 1) + i, i, -128, 127))
        g.outputs.append(g.add_node(QAdd, [a, b], attrs, name=f"qadd{i}").output)
    for i, (m, s) in enumerate([(2**31 - 1, -16), (1518500250, -8), (2**30, 14), (1, 0)]):
        attrs = {**ops, "a_zero_point": [0, -128, 127, 5][i], "b_zero_point": [-128, 127, 0, -5][i]}
        attrs.update(_stage(m, s, i, -128, 127))
        g.outputs.append(g.add_node(QMul, [a, b], attrs, name=f"qmul{i}").output)
    x = g.add_input("x", f32((1208,)))
    for i, (scale, zp) in enumerate([(0.5, 3), (0.1, -128), (0.0371, 127)]):
        q = g.add_node(QuantizeLinear, [x, const(g, f"s{i}", np.float32(scale)), g.add_constant(f"z{i}", np.int8(zp))])
        g.outputs.append(q.output)
        dq = g.add_node(DequantizeLinear, [q.output, const(g, f"ds{i}", np.float32(scale * 1.7)),
                                           g.add_constant(f"dz{i}", np.int8(-zp // 2))])  # fmt: skip
        g.outputs.append(dq.output)
    every = np.arange(-128, 128, dtype=np.int8)
    ties = np.arange(-600, 600, dtype=np.float32) * 0.25  # x / 0.5 lands on every .5 tie
    extremes = np.array([np.inf, -np.inf, 1e9, -1e9, 63.75, -64.25, 0.05, -0.05], np.float32)
    inputs = {"a": every, "b": every[::-1].copy(), "x": np.concatenate([ties, extremes])}
    return g, inputs


@pytest.mark.parametrize("on", ["host", "qemu"])
def test_fixed_point_corners_bit_exact(on: str) -> None:
    graph, inputs = fixed_point_graph()
    _check(graph, inputs, on=on, sanitize=on == "host")


def test_accumulator_that_may_leave_int32_is_refused() -> None:
    g = Graph("big_bias")
    x = g.add_input("x", TensorType(DType.INT8, (1, 64)))
    w = g.add_constant("w", np.ones((2, 64), np.int8))
    bias = g.add_constant("bias", np.array([2**31 - 1000, 0], np.int32))
    attrs = {"x_scale": 1.0, "x_zero_point": 0, "w_scale": (1.0,), **_stage(2**30, 0, 0, -128, 127)}
    g.outputs.append(g.add_node(QFullyConnected, [x, w, bias], attrs, name="fc").output)
    with pytest.raises(TargetError, match=r"fc.*may leave int32"):
        tessera.compile(g, target="mcu", passes=[])


def test_per_axis_quantize_is_refused_with_the_node() -> None:
    g = Graph("per_axis")
    x = g.add_input("x", f32((1, 3)))
    q = g.add_node(QuantizeLinear, [x, const(g, "s", [0.1, 0.2, 0.3]), g.add_constant("z", np.zeros(3, np.int8))],
                   name="quant")  # fmt: skip
    g.outputs.append(q.output)
    with pytest.raises(TargetError, match=r"quant.*per-tensor"):
        tessera.compile(g, target="mcu", passes=[])
