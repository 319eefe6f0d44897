"""One rule per float op: emit the int8 form of a node, or return why it stays float.

Every rule checks all its conditions before it emits anything, so a node is either wholly
lowered or wholly copied. Multipliers are TFLite's: for Conv / FC the real rescale is
x_scale * w_scale[c] / y_scale per output channel; for Add, the TFLite ADD preparation with a
20-bit left shift; for Mul and MatMul, a_scale * b_scale / y_scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tessera.ir.graph import Node, Value
from tessera.ir.ops._fixed_point import INT32_MAX, quantize_multiplier
from tessera.ir.ops.activation import Relu
from tessera.ir.ops.base import Op
from tessera.ir.ops.clip import Clip
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul, Sum
from tessera.ir.ops.identity import Identity
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.pooling import AveragePool, GlobalAveragePool, MaxPool
from tessera.ir.ops.quantized import Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool, QMul
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected, QMatMul
from tessera.ir.ops.reduce import ReduceMean
from tessera.ir.ops.shape_ops import Flatten, Reshape, Squeeze, Transpose, Unsqueeze
from tessera.ir.ops.tensor import Concat
from tessera.passes.quantize.lower import Lowering, QuantizedLayer, activation_bounds
from tessera.passes.quantize.ranges import QParams, quantize_bias, quantize_weights, weight_scales

Rule = Callable[[Lowering, Node], str | None]
ADD_LEFT_SHIFT = 20


def multipliers(reals: np.ndarray | float) -> tuple[tuple[int, ...], tuple[int, ...]]:
    pairs = [quantize_multiplier(float(r)) for r in np.atleast_1d(reals)]
    return tuple(m for m, _ in pairs), tuple(s for _, s in pairs)


def _output(lw: Lowering, v: Value) -> tuple[Value, Node | None, float, float]:
    """The value a layer really produces: through a fused activation when one alone reads it."""
    act = lw.fusable_activation(v)
    if act is None:
        return v, None, -np.inf, np.inf
    return act[0].output, act[0], act[1], act[2]


def _emit(
    lw: Lowering,
    node: Node,
    op: type[Op],
    inputs: list[Value],
    attrs: dict,
    out: Value,
    py: QParams,
    fused: Node | None,
    w_scales: np.ndarray | None = None,
) -> None:
    new = lw.emit(node, op, inputs, attrs, lw.out_name(out))
    lw.set_int8(out, new.output, py)
    if fused is not None:
        lw.fused.add(fused.name)
    lw.layers.append(
        QuantizedLayer(
            node.name,
            node.op.name,
            op.name,
            out.name,
            new.output.name,
            py.scale,
            py.zero_point,
            fused.name if fused else None,
            None if w_scales is None else float(w_scales.min()),
            None if w_scales is None else float(w_scales.max()),
        )
    )


def _output_stage(py: QParams, reals: np.ndarray | float, lo: float, hi: float) -> dict:
    mult, shift = multipliers(reals)
    act_min, act_max = activation_bounds(py, lo, hi)
    return {
        "y_scale": py.scale,
        "y_zero_point": py.zero_point,
        "multiplier": mult,
        "shift": shift,
        "act_min": act_min,
        "act_max": act_max,
    }


def _weighted(
    lw: Lowering,
    node: Node,
    op: type[Op],
    x: Value,
    w: np.ndarray,
    b: np.ndarray | None,
    out: Value,
    extra: dict,
    fused_at: Value | None = None,
) -> str | None:
    """Conv / fully connected: per-channel weights along axis 0, int32 bias, per-channel rescale."""
    px = lw.qparams_of(x)
    if px is None:
        return "its input has no calibrated float range"
    out, fused, lo, hi = _output(lw, fused_at or out)
    py = lw.qparams_of(out)
    if py is None:
        return "its output has no usable calibrated range (not calibrated, or not finite: a mask's -inf)"
    scales = weight_scales(w, 0)
    b = np.zeros(w.shape[0]) if b is None else b
    reals = px.scale * scales / py.scale
    reason = _int32_overflow(b, px, scales, reals, int(np.prod(w.shape[1:])))
    if reason is not None:
        return reason
    xq, px = lw.int8_of(x)
    bias = quantize_bias(b, px.scale, scales)
    attrs = {
        **extra,
        "x_scale": px.scale,
        "x_zero_point": px.zero_point,
        "w_scale": tuple(scales),
        **_output_stage(py, reals, lo, hi),
    }
    inputs = [
        xq,
        lw.const(f"{node.name}_weight_i8", quantize_weights(w, scales, 0)),
        lw.const(f"{node.name}_bias_i32", bias),
    ]
    _emit(lw, node, op, inputs, attrs, out, py, fused, scales)
    return None


def _int32_overflow(b: np.ndarray, px: QParams, scales: np.ndarray, reals: np.ndarray, taps: int) -> str | None:
    """Why the int8 layer could leave int32 (so it stays float), or None when it provably cannot.

    The accumulator is bias_q + sum over `taps` of w_q * (x_q - x_zp), with |w_q| <= 127 and
    |x_q - x_zp| <= 255, then shifted left by the multiplier's positive shift. A saturated bias
    would change the layer's result, so a layer that could overflow is kept in float instead."""
    bias_q = np.abs(np.rint(b.astype(np.float64) / (px.scale * scales)))
    worst = float(bias_q.max(initial=0.0)) + taps * 127 * 255
    left = max(0, max(quantize_multiplier(float(r))[1] for r in np.atleast_1d(reals)))
    if worst * (1 << left) <= INT32_MAX:
        return None
    c = int(np.argmax(bias_q))
    return (
        f"int32 accumulator could overflow: bias {float(b[c]):.4g} at input scale {px.scale:.3g} x weight scale "
        f"{float(scales[c]):.3g} is {bias_q[c]:.3g} as int32 (limit {INT32_MAX}; {taps} taps, left shift {left}); "
        "kept float rather than saturating the bias (widen the calibration range of its input to quantize it)"
    )


def conv(lw: Lowering, node: Node) -> str | None:
    w, b = node.inputs[1], node.inputs[2] if len(node.inputs) == 3 else None
    if w.data is None or (b is not None and b.data is None):
        return "its weights or bias are not constants"
    extra = {k: node.attrs[k] for k in Conv.attrs}
    return _weighted(lw, node, QConv, node.inputs[0], w.data, None if b is None else b.data, node.output, extra)


def gemm(lw: Lowering, node: Node) -> str | None:
    a, b = node.inputs[0], node.inputs[1]
    c = node.inputs[2] if len(node.inputs) == 3 else None
    if b.data is None or (c is not None and c.data is None):
        return "B or C is not a constant"
    if node.attrs["transA"] or len(a.shape) != 2:
        return "transA=1 (A must be (M, K))"
    n = node.output.shape[1]
    w = (b.data if node.attrs["transB"] else b.data.T) * node.attrs["alpha"]
    bias = None
    if c is not None and c.data is not None:
        if c.data.size not in (1, n) or c.data.ndim > 2 or (c.data.ndim == 2 and c.data.shape[0] != 1):
            return f"C {c.type} is not one bias per output column"
        bias = np.broadcast_to(c.data.reshape(-1), (n,)) * node.attrs["beta"]
    return _weighted(lw, node, QFullyConnected, a, w, bias, node.output, {})


def matmul(lw: Lowering, node: Node) -> str | None:
    a, b = node.inputs
    if b.data is not None and b.data.ndim == 2 and len(a.shape) >= 1:
        bias, end = _bias_add(lw, node.output)
        reason = _weighted(lw, node, QFullyConnected, a, b.data.T, bias, node.output, {}, fused_at=end)
        if reason is None and end is not node.output:
            lw.fused.add(end.producer.name)  # type: ignore[union-attr]
        return reason
    if a.data is not None or b.data is not None:
        return "a constant operand that is not a 2-D right-hand weight"
    return _two_operand(
        lw, node, QMatMul, lambda pa, pb, py: _output_stage(py, pa.scale * pb.scale / py.scale, -np.inf, np.inf)
    )


def _bias_add(lw: Lowering, v: Value) -> tuple[np.ndarray | None, Value]:
    """A MatMul followed by Add(const bias over the last axis), as torch exports Linear: fuse it."""
    if len(v.users) != 1 or v in lw.src.outputs or v.users[0].op is not Add:
        return None, v
    add = v.users[0]
    other = add.inputs[1] if add.inputs[0] is v else add.inputs[0]
    n = v.shape[-1]
    if other.data is None or other.data.size != n or other.shape[-1:] != (n,) or add.output.shape != v.shape:
        return None, v
    return other.data.reshape(-1).astype(np.float64), add.output


def _two_operand(
    lw: Lowering, node: Node, op: type[Op], stage: Callable[[QParams, QParams, QParams], dict], fuse: bool = False
) -> str | None:
    a, b = node.inputs
    if lw.qparams_of(a) is None or lw.qparams_of(b) is None:
        return "an operand has no usable calibrated range (not float, not calibrated, or not finite: a mask's -inf)"
    out, fused, lo, hi = _output(lw, node.output) if fuse else (node.output, None, -np.inf, np.inf)
    py = lw.qparams_of(out)
    if py is None:
        return "its output has no usable calibrated range (not calibrated, or not finite: a mask's -inf)"
    (aq, pa), (bq, pb) = lw.int8_of(a), lw.int8_of(b)
    attrs = {
        "a_scale": pa.scale,
        "a_zero_point": pa.zero_point,
        "b_scale": pb.scale,
        "b_zero_point": pb.zero_point,
        **stage(pa, pb, py),
    }
    if fused is not None:
        attrs["act_min"], attrs["act_max"] = activation_bounds(py, lo, hi)
    _emit(lw, node, op, [aq, bq], attrs, out, py, fused)
    return None


def add_stage(pa: QParams, pb: QParams, py: QParams) -> dict:
    twice_max = 2.0 * max(pa.scale, pb.scale)
    (am,), (ash,) = multipliers(np.array([pa.scale / twice_max]))
    (bm,), (bsh,) = multipliers(np.array([pb.scale / twice_max]))
    stage = _output_stage(py, np.array([twice_max / ((1 << ADD_LEFT_SHIFT) * py.scale)]), -np.inf, np.inf)
    return {
        "a_multiplier": am,
        "a_shift": ash,
        "b_multiplier": bm,
        "b_shift": bsh,
        "left_shift": ADD_LEFT_SHIFT,
        **stage,
    }


def add(lw: Lowering, node: Node) -> str | None:
    return _two_operand(lw, node, QAdd, add_stage, fuse=True)


def sum_(lw: Lowering, node: Node) -> str | None:
    """Sum of two tensors (opset-9 models write residual adds as Sum) is an Add."""
    if len(node.inputs) != 2:
        return f"Sum of {len(node.inputs)} inputs (int8 Add takes two)"
    return add(lw, node)


def mul(lw: Lowering, node: Node) -> str | None:
    return _two_operand(
        lw, node, QMul, lambda pa, pb, py: _output_stage(py, pa.scale * pb.scale / py.scale, -np.inf, np.inf), True
    )


def average_pool(lw: Lowering, node: Node) -> str | None:
    x = node.inputs[0]
    if lw.qparams_of(x) is None:
        return "its input has no calibrated float range"
    if node.op is AveragePool:
        if node.attrs["count_include_pad"] and any(node.attrs["pads"] or ()):
            return "count_include_pad=1 with padding (TFLite int8 pools count input positions only)"
        attrs = {k: node.attrs[k] for k in ("auto_pad", "kernel_shape", "strides", "dilations", "pads", "ceil_mode")}
    else:
        attrs = {"kernel_shape": x.shape[2:]}
    xq, px = lw.int8_of(x)
    attrs.update(scale=px.scale, zero_point=px.zero_point)
    _emit(lw, node, QAveragePool, [xq], attrs, node.output, px, None)
    return None


def reduce_mean(lw: Lowering, node: Node) -> str | None:
    """A mean over all spatial axes of an N, C, spatial... tensor is the global average pool."""
    x = node.inputs[0]
    rank = len(x.shape)
    axes = ReduceMean.reduced_axes(rank, node.attrs)
    spatial = tuple(range(2, rank))
    if rank < 3 or tuple(sorted(axes)) != spatial:
        return (
            f"it averages axes {tuple(sorted(axes))} of a rank-{rank} tensor; only a mean over all spatial axes "
            "(2.. of N, C, spatial...) has an int8 form, the global average pool"
        )
    if lw.qparams_of(x) is None:
        return "its input has no calibrated float range"
    xq, px = lw.int8_of(x)
    attrs = {"kernel_shape": x.shape[2:], "scale": px.scale, "zero_point": px.zero_point}
    if node.attrs["keepdims"]:
        _emit(lw, node, QAveragePool, [xq], attrs, node.output, px, None)
        return None
    pooled = lw.add(QAveragePool, [xq], attrs, name=f"{node.name}_pool", output_name=lw.fresh(f"{x.name}_pooled"))
    _emit(lw, node, Squeeze, [pooled.output], {"axes": spatial}, node.output, px, None)
    return None


def passthrough(lw: Lowering, node: Node) -> str | None:
    """Data movement (and max) on int8 keeps the input's scale and zero point, as in TFLite."""
    x = node.inputs[0]
    if not lw.has_int8(x):
        return "its input is float here (data-movement ops follow their input)"
    if any(o.users or o in lw.src.outputs for o in node.outputs[1:]):
        return "its second output (indices) is used"
    xq, px = lw.int8_of(x)
    attrs = dict(node.attrs)
    if node.op is Relu or node.op is Clip:
        lo, hi = (0.0, np.inf) if node.op is Relu else (node.attrs["min"], node.attrs["max"])
        q_lo, q_hi = activation_bounds(px, -np.inf if lo is None else lo, np.inf if hi is None else hi)
        op: type[Op] = Clip
        attrs = {"min": q_lo, "max": q_hi}
    else:
        op = node.op
    new = lw.emit(node, op, [xq], attrs, lw.out_name(node.output))
    lw.set_int8(node.output, new.output, px)
    return None


def concat(lw: Lowering, node: Node) -> str | None:
    if any(lw.qparams_of(v) is None for v in node.inputs) or lw.qparams_of(node.output) is None:
        return "an input or the output has no calibrated float range"
    py = lw.qparams_of(node.output)
    assert py is not None
    parts = []
    for v in node.inputs:
        q, p = lw.int8_of(v)
        if p != py:
            (m,), (s,) = multipliers(np.array([p.scale / py.scale]))
            attrs = {
                "x_scale": p.scale,
                "x_zero_point": p.zero_point,
                "y_scale": py.scale,
                "y_zero_point": py.zero_point,
                "multiplier": (m,),
                "shift": (s,),
            }
            name, out = f"{node.name}_requantize", lw.fresh(f"{v.name}_requantized")
            q = lw.add(Requantize, [q], attrs, name=name, output_name=out).output
        parts.append(q)
    _emit(lw, node, Concat, parts, dict(node.attrs), node.output, py, None)
    return None


RULES: dict[type, Rule] = {
    Conv: conv,
    Gemm: gemm,
    MatMul: matmul,
    Add: add,
    Sum: sum_,
    Mul: mul,
    AveragePool: average_pool,
    GlobalAveragePool: average_pool,
    ReduceMean: reduce_mean,
    Concat: concat,
    MaxPool: passthrough,
    Reshape: passthrough,
    Flatten: passthrough,
    Transpose: passthrough,
    Squeeze: passthrough,
    Unsqueeze: passthrough,
    Identity: passthrough,
    Relu: passthrough,
    Clip: passthrough,
}
