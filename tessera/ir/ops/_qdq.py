"""The ONNX QDQ form of the int8 ops: each becomes DequantizeLinear -> float op -> QuantizeLinear,
which onnxruntime runs (and fuses back into its QLinear kernels). Export uses `expand_qdq`.

The float form requantizes in float32 with round-half-even where the integer kernels use fixed
point with round-half-away, so the two agree to within one int8 step (1 LSB)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.base import Attrs
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.pooling import AveragePool
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear, Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool, QMul
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected, QMatMul
from tessera.ir.ops.shape_ops import Reshape


def _const(g: Graph, node: Node, what: str, data: np.ndarray) -> Value:
    return g.add_constant(f"{node.name}_{what}", data, unique=True)


def _dq(g: Graph, node: Node, x: Value, scale: float | np.ndarray, zp: int | np.ndarray = 0, axis: int = 1) -> Value:
    s = np.asarray(scale, dtype=np.float32)
    z = np.broadcast_to(np.asarray(zp), s.shape).astype(x.dtype.numpy())
    inputs = [x, _const(g, node, "scale", s), _const(g, node, "zero_point", z)]
    return g.add_node(DequantizeLinear, inputs, {"axis": axis}, name=f"{node.name}_dq", before=node).output


def _q_out(g: Graph, node: Node, y: Value, attrs: Attrs, scale: float, zp: int) -> Value:
    """Clamp to the fused activation's bounds (when tighter than int8's), then quantize."""
    lo, hi = attrs["act_min"], attrs["act_max"]
    if lo > -128 or hi < 127:
        bounds = {"min": (lo - zp) * scale, "max": (hi - zp) * scale}
        y = g.add_node(Clip, [y], bounds, name=f"{node.name}_act", before=node).output
    inputs = [y, _const(g, node, "y_scale", np.float32(scale)), _const(g, node, "y_zero_point", np.int8(zp))]
    return g.add_node(QuantizeLinear, inputs, name=f"{node.name}_q", before=node).output


def _out(g: Graph, node: Node, y: Value) -> Value:
    a = node.attrs
    return _q_out(g, node, y, a, a["y_scale"], a["y_zero_point"])


def _bias_dq(g: Graph, node: Node, bias: Value, axis: int = 0) -> Value:
    a = node.attrs
    w_scale = np.asarray(a["w_scale"], np.float64)
    scale = np.broadcast_to(a["x_scale"] * w_scale, bias.shape)
    return _dq(g, node, bias, scale, 0, axis)


def _conv(g: Graph, node: Node) -> Value:
    a = node.attrs
    x = _dq(g, node, node.inputs[0], a["x_scale"], a["x_zero_point"])
    channels = node.inputs[1].shape[0]
    w = _dq(g, node, node.inputs[1], np.broadcast_to(a["w_scale"], (channels,)), 0, axis=0)
    inputs = [x, w] + ([_bias_dq(g, node, node.inputs[2])] if len(node.inputs) == 3 else [])
    y = g.add_node(Conv, inputs, QConv.conv_attrs(a), name=f"{node.name}_float", before=node).output
    return _out(g, node, y)


def _fully_connected(g: Graph, node: Node) -> Value:
    a = node.attrs
    # Gemm on a 2-D view, reshaped in int8 (onnxruntime's QDQ rewrites fail on MatMul + Add of a
    # 3-D input and on Reshape between DequantizeLinear and the op).
    x, shape = node.inputs[0], node.inputs[0].shape
    if len(shape) != 2:
        x = g.add_node(Reshape, [x], {"shape": (-1, shape[-1])}, name=f"{node.name}_flatten", before=node).output
    x = _dq(g, node, x, a["x_scale"], a["x_zero_point"])
    w_int = node.inputs[1]
    w = _dq(g, node, w_int, np.broadcast_to(a["w_scale"], (w_int.shape[0],)), 0, axis=0)
    inputs = [x, w] + ([_bias_dq(g, node, node.inputs[2])] if len(node.inputs) == 3 else [])
    y = _out(g, node, g.add_node(Gemm, inputs, {"transB": 1}, name=f"{node.name}_float", before=node).output)
    if len(shape) != 2:
        back = {"shape": node.output.shape}
        y = g.add_node(Reshape, [y], back, name=f"{node.name}_unflatten", before=node).output
    return y


def _binary(op: type) -> Callable[[Graph, Node], Value]:
    def expand(g: Graph, node: Node) -> Value:
        a = node.attrs
        lhs = _dq(g, node, node.inputs[0], a["a_scale"], a["a_zero_point"])
        rhs = _dq(g, node, node.inputs[1], a["b_scale"], a["b_zero_point"])
        return _out(g, node, g.add_node(op, [lhs, rhs], name=f"{node.name}_float", before=node).output)

    return expand


def _average_pool(g: Graph, node: Node) -> Value:
    a = node.attrs
    x = _dq(g, node, node.inputs[0], a["scale"], a["zero_point"])
    pool = {k: a[k] for k in ("auto_pad", "kernel_shape", "strides", "dilations", "pads", "ceil_mode")}
    y = g.add_node(AveragePool, [x], pool, name=f"{node.name}_float", before=node).output
    return _q_out(g, node, y, a, a["scale"], a["zero_point"])


def _requantize(g: Graph, node: Node) -> Value:
    a = node.attrs
    return _out(g, node, _dq(g, node, node.inputs[0], a["x_scale"], a["x_zero_point"]))


EXPANSIONS: dict[type, Callable[[Graph, Node], Value]] = {
    QConv: _conv,
    QFullyConnected: _fully_connected,
    QMatMul: _binary(MatMul),
    QAdd: _binary(Add),
    QMul: _binary(Mul),
    QAveragePool: _average_pool,
    Requantize: _requantize,
}


def has_quantized_ops(graph: Graph) -> bool:
    return any(n.op in EXPANSIONS for n in graph.nodes)


def expand_qdq(graph: Graph) -> Graph:
    """A copy of `graph` with every int8 compute op in QDQ form (ONNX ops only)."""
    g = graph.copy()
    for node in [n for n in g.nodes if n.op in EXPANSIONS]:
        new = EXPANSIONS[node.op](g, node)
        g.replace_all_uses(node.output, new)
        g.erase(node)
    g.remove_unused_constants()
    return g
