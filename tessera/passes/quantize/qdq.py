"""The `expand-qdq` pass: the ONNX QDQ form of the int8 ops. Each becomes DequantizeLinear -> float op
-> QuantizeLinear, which onnxruntime runs (and fuses back into its QLinear kernels);
`tessera.export_onnx` writes int8 graphs through `qdq_form`. The expanded op's output keeps its name.

The float form requantizes in float32 with round-half-even where the integer kernels use fixed
point with round-half-away, so the two agree to within one int8 step (1 LSB)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.base import Attrs, Op
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.pooling import AveragePool
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear, Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool, QMul
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected, QMatMul
from tessera.ir.ops.shape_ops import Reshape
from tessera.ir.rewriter import Rewriter
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.registry import register_pass

Expansion = Callable[[Rewriter, Node], Value]


def _const(rw: Rewriter, node: Node, what: str, data: np.ndarray | np.generic) -> Value:
    return rw.constant(f"{node.name}_{what}", np.asarray(data))


def _dq(
    rw: Rewriter, node: Node, x: Value, scale: float | np.ndarray, zp: int | np.ndarray = 0, axis: int = 1
) -> Value:
    s = np.asarray(scale, dtype=np.float32)
    z = np.broadcast_to(np.asarray(zp), s.shape).astype(x.dtype.numpy())
    inputs = [x, _const(rw, node, "scale", s), _const(rw, node, "zero_point", z)]
    return rw.add(DequantizeLinear, inputs, {"axis": axis}, name=f"{node.name}_dq", before=node).output


def _q_out(rw: Rewriter, node: Node, y: Value, attrs: Attrs, scale: float, zp: int) -> Value:
    """Clamp to the fused activation's bounds (when tighter than int8's), then quantize."""
    lo, hi = attrs["act_min"], attrs["act_max"]
    if lo > -128 or hi < 127:
        bounds = {"min": (lo - zp) * scale, "max": (hi - zp) * scale}
        y = rw.add(Clip, [y], bounds, name=f"{node.name}_act", before=node).output
    inputs = [y, _const(rw, node, "y_scale", np.float32(scale)), _const(rw, node, "y_zero_point", np.int8(zp))]
    return rw.add(QuantizeLinear, inputs, name=f"{node.name}_q", before=node).output


def _out(rw: Rewriter, node: Node, y: Value) -> Value:
    a = node.attrs
    return _q_out(rw, node, y, a, a["y_scale"], a["y_zero_point"])


def _bias_dq(rw: Rewriter, node: Node, bias: Value, axis: int = 0) -> Value:
    a = node.attrs
    w_scale = np.asarray(a["w_scale"], np.float64)
    scale = np.broadcast_to(a["x_scale"] * w_scale, bias.shape)
    return _dq(rw, node, bias, scale, 0, axis)


def _conv(rw: Rewriter, node: Node) -> Value:
    a = node.attrs
    x = _dq(rw, node, node.inputs[0], a["x_scale"], a["x_zero_point"])
    channels = node.inputs[1].shape[0]
    w = _dq(rw, node, node.inputs[1], np.broadcast_to(a["w_scale"], (channels,)), 0, axis=0)
    inputs = [x, w] + ([_bias_dq(rw, node, node.inputs[2])] if len(node.inputs) == 3 else [])
    y = rw.add(Conv, inputs, QConv.conv_attrs(a), name=f"{node.name}_float", before=node).output
    return _out(rw, node, y)


def _fully_connected(rw: Rewriter, node: Node) -> Value:
    a = node.attrs
    # Gemm on a 2-D view, reshaped in int8 (onnxruntime's QDQ rewrites fail on MatMul + Add of a
    # 3-D input and on Reshape between DequantizeLinear and the op).
    x, shape = node.inputs[0], node.inputs[0].shape
    if len(shape) != 2:
        x = rw.add(Reshape, [x], {"shape": (-1, shape[-1])}, name=f"{node.name}_flatten", before=node).output
    x = _dq(rw, node, x, a["x_scale"], a["x_zero_point"])
    w_int = node.inputs[1]
    w = _dq(rw, node, w_int, np.broadcast_to(a["w_scale"], (w_int.shape[0],)), 0, axis=0)
    inputs = [x, w] + ([_bias_dq(rw, node, node.inputs[2])] if len(node.inputs) == 3 else [])
    y = _out(rw, node, rw.add(Gemm, inputs, {"transB": 1}, name=f"{node.name}_float", before=node).output)
    if len(shape) != 2:
        back = {"shape": node.output.shape}
        y = rw.add(Reshape, [y], back, name=f"{node.name}_unflatten", before=node).output
    return y


def _binary(op: type[Op]) -> Expansion:
    def expand(rw: Rewriter, node: Node) -> Value:
        a = node.attrs
        lhs = _dq(rw, node, node.inputs[0], a["a_scale"], a["a_zero_point"])
        rhs = _dq(rw, node, node.inputs[1], a["b_scale"], a["b_zero_point"])
        return _out(rw, node, rw.add(op, [lhs, rhs], name=f"{node.name}_float", before=node).output)

    return expand


def _average_pool(rw: Rewriter, node: Node) -> Value:
    a = node.attrs
    x = _dq(rw, node, node.inputs[0], a["scale"], a["zero_point"])
    pool = {k: a[k] for k in ("auto_pad", "kernel_shape", "strides", "dilations", "pads", "ceil_mode")}
    y = rw.add(AveragePool, [x], pool, name=f"{node.name}_float", before=node).output
    return _q_out(rw, node, y, a, a["scale"], a["zero_point"])


def _requantize(rw: Rewriter, node: Node) -> Value:
    a = node.attrs
    return _out(rw, node, _dq(rw, node, node.inputs[0], a["x_scale"], a["x_zero_point"]))


EXPANSIONS: dict[type[Op], Expansion] = {
    QConv: _conv,
    QFullyConnected: _fully_connected,
    QMatMul: _binary(MatMul),
    QAdd: _binary(Add),
    QMul: _binary(Mul),
    QAveragePool: _average_pool,
    Requantize: _requantize,
}


@dataclass
class ExpandQdqReport(Report):
    expanded: dict[str, int] = field(default_factory=dict)  # int8 op -> how many became QDQ form


@register_pass
@dataclass(frozen=True)
class ExpandQdq(Pass):
    """Write every int8 compute op (QConv, QFullyConnected, QMatMul, QAdd, QMul, QAveragePool,
    Requantize) as DequantizeLinear -> float op -> QuantizeLinear: ONNX ops only. No options."""

    name = "expand-qdq"

    def run(self, graph: Graph) -> PassResult:
        rw = Rewriter(graph)
        counts: dict[str, int] = {}
        for node in [n for n in graph.nodes if n.op in EXPANSIONS]:
            rw.replace_all_uses(node.output, EXPANSIONS[node.op](rw, node))  # a graph output keeps its name
            rw.erase(node)
            counts[node.op.name] = counts.get(node.op.name, 0) + 1
        rw.remove_dead()  # the int8 weights and parameters nothing reads now
        return PassResult(graph, bool(counts), ExpandQdqReport(dict(sorted(counts.items()))))


def qdq_form(graph: Graph) -> Graph:
    """`graph` as ONNX can run it: a copy with its int8 ops expanded, or `graph` itself if it has none."""
    if not any(n.op in EXPANSIONS for n in graph.nodes):
        return graph
    return ExpandQdq().run(graph.copy()).graph
