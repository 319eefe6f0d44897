"""C emitters for the int8 graph that `quantize-int8` produces: QConv, QFullyConnected, QMatMul,
QAdd, QMul, QAveragePool, Requantize, QuantizeLinear / DequantizeLinear, and the int8 forms of
MaxPool, Clip, Transpose and Concat (the float emitters keep their float forms).

Every parameter becomes a compile-time constant: per-channel multipliers and shifts as const int32
arrays, and for convolution and fully connected layers the input zero point folded into the bias
(`bias - x_zp * sum(w)`, exact integer arithmetic), so inner loops are one multiply-accumulate per tap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node, Value
from tessera.ir.ops import clip as clip_ops
from tessera.ir.ops import conv, pooling, quantized_eltwise, quantized_nn, shape_ops

from .context import (
    EmitContext,
    Unsupported,
    broadcast_strides,
    collapse,
    contiguous_strides,
    float_literal,
    numel,
    plane_geometry,
)
from .emit_linalg import _batched

I8, I32, F32 = DType.INT8, DType.INT32, DType.FLOAT32
_INT32_MAX = 2**31 - 1


def _block(*lines: str) -> str:
    return "{\n" + "\n".join("    " + line.replace("\n", "\n    ") for line in lines) + "\n}"


def _channels(node: Node, ctx: EmitContext, channels: int) -> str:
    """A static tk_qchannels for a per-channel output stage (one multiplier broadcast to all)."""
    a = node.attrs
    mult = np.broadcast_to(np.asarray(a["multiplier"], np.int64), (channels,))
    shift = np.broadcast_to(np.asarray(a["shift"], np.int64), (channels,))
    m, s = ctx.ints(f"{node.name}.multiplier", mult.tolist()), ctx.ints(f"{node.name}.shift", shift.tolist())
    return f"static const tk_qchannels q = {{{m}, {s}, {a['y_zero_point']}, {a['act_min']}, {a['act_max']}}};"


def _stage(attrs: Mapping[str, Any]) -> str:
    """A tk_qstage initializer for a per-tensor output stage."""
    (m,), (s,) = attrs["multiplier"], attrs["shift"]
    return f"{{{m}, {s}, {attrs['y_zero_point']}, {attrs['act_min']}, {attrs['act_max']}}}"


def _folded_bias(node: Node, ctx: EmitContext, w: np.ndarray, x_zp: int) -> tuple[str, str]:
    """(bias, bias - x_zp * sum(w)) as const int32 arrays; refuses sums that could leave int32 in C."""
    m = w.shape[0]
    b = node.inputs[2].data if len(node.inputs) == 3 else None
    bias = np.zeros(m, np.int64) if b is None else np.asarray(b, np.int64).reshape(m)
    wsum = w.reshape(m, -1).astype(np.int64).sum(axis=1)
    folded = bias - x_zp * wsum
    taps = w.reshape(m, -1).shape[1]
    worst = 2 * 128 * 127 * taps + int(np.abs(bias).max(initial=0))
    if worst > _INT32_MAX:
        raise Unsupported(f"{taps} products per output with bias up to {int(np.abs(bias).max())} may leave int32")
    return ctx.ints(f"{node.name}.bias", bias.tolist()), ctx.ints(f"{node.name}.bias_folded", folded.tolist())


def emit_qconv(node: Node, ctx: EmitContext) -> str:
    x, w, y = node.inputs[0], node.inputs[1], node.output
    if not w.is_constant or (len(node.inputs) == 3 and not node.inputs[2].is_constant):
        raise Unsupported("int8 convolution weights and bias must be constants")
    types = [v.type.with_dtype(F32) for v in node.inputs]
    g = plane_geometry(x, conv.Conv.geometry(types, quantized_nn.QConv.conv_attrs(node.attrs)))
    group, c, m = node.attrs["group"], x.shape[1], w.shape[0]
    x_zp = node.attrs["x_zero_point"]
    bias, folded = _folded_bias(node, ctx, np.asarray(w.data), x_zp)
    q = _channels(node, ctx, m)
    xin, yout, wt = ctx.ptr(x, I8), ctx.ptr(y, I8), ctx.ptr(w, I8)
    batch = {"x": numel(x.shape[1:]), "y": numel(y.shape[1:])}
    pointwise = group == 1 and g["kh"] == g["kw"] == 1 and g["sh"] == g["sw"] == 1
    inplace = ctx.aliased(node)
    if inplace and not group == c == m:
        raise Unsupported("only a depthwise convolution can write over its input")
    if pointwise and g["ph"] == g["pw"] == g["pe_h"] == g["pe_w"] == 0 and not inplace:
        call = f"tk_qconv2d_pointwise_i8({c}, {m}, {g['oh'] * g['ow']}, {xin}{{x}}, {wt}, {folded}, &q, {yout}{{y}});"
        return _block(q, _batched(x.shape[0], call, batch))
    fields = [c, g["h"], g["w"], m, g["oh"], g["ow"], *(g[k] for k in ["kh", "kw", "sh", "sw", "dh", "dw", "ph", "pw"])]
    geom = "{" + ", ".join(map(str, [*fields, group, x_zp])) + "}"
    kernel = "tk_qconv2d_depthwise_i8" if group == c == m else "tk_qconv2d_i8"
    call = f"{kernel}(&g, {xin}{{x}}, {wt}, {bias}, {folded}, &q, {yout}{{y}});"
    if inplace:  # the output starts at the input: one plane at a time through the workspace
        work = ctx.workspace(node, "int8_t")
        call = f"tk_qconv2d_depthwise_inplace_i8(&g, {xin}{{x}}, {wt}, {bias}, {folded}, &q, {yout}{{y}}, {work});"
    return _block(f"static const tk_qconv_geom g = {geom};", q, _batched(x.shape[0], call, batch))


def emit_qfc(node: Node, ctx: EmitContext) -> str:
    x, w, y = node.inputs[0], node.inputs[1], node.output
    if not w.is_constant or (len(node.inputs) == 3 and not node.inputs[2].is_constant):
        raise Unsupported("int8 fully connected weights and bias must be constants")
    n, k = w.shape
    _, folded = _folded_bias(node, ctx, np.asarray(w.data), node.attrs["x_zero_point"])
    rows = numel(x.shape[:-1])
    call = f"tk_qfc_i8({ctx.ptr(x, I8)}, {ctx.ptr(w, I8)}, {folded}, &q, {ctx.ptr(y, I8)}, {rows}, {n}, {k});"
    return _block(_channels(node, ctx, n), call)


def _binary_params(node: Node) -> str:
    a = node.attrs
    add = [a.get(k, 0) for k in ("a_multiplier", "a_shift", "b_multiplier", "b_shift", "left_shift")]
    fields = [a["a_zero_point"], a["b_zero_point"], *add]
    return f"static const tk_qbinary p = {{{', '.join(map(str, fields))}, {_stage(a)}}};"


def emit_qmatmul(node: Node, ctx: EmitContext) -> str:
    a, b, y = node.inputs[0], node.inputs[1], node.output
    a_shape = (1, *a.shape) if a.type.rank == 1 else a.shape
    b_shape = (*b.shape, 1) if b.type.rank == 1 else b.shape
    m, k = a_shape[-2:]
    n = b_shape[-1]
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    count = numel(batch)
    a_ptr, b_ptr, y_ptr = ctx.ptr(a, I8), ctx.ptr(b, I8), ctx.ptr(y, I8)
    args = f"{m}, {n}, {k}, {k}, 1, {n}, 1"
    if count == 1:
        return _block(_binary_params(node), f"tk_qmatmul_i8(&p, {a_ptr}, {b_ptr}, {y_ptr}, {args});")
    a_idx = np.broadcast_to(np.arange(numel(a_shape[:-2])).reshape(a_shape[:-2]), batch).reshape(-1)
    b_idx = np.broadcast_to(np.arange(numel(b_shape[:-2])).reshape(b_shape[:-2]), batch).reshape(-1)
    ao = ctx.ints(f"{node.name}.a_offsets", [int(i) * m * k for i in a_idx])
    bo = ctx.ints(f"{node.name}.b_offsets", [int(i) * k * n for i in b_idx])
    call = f"tk_qmatmul_i8(&p, {a_ptr} + {ao}[b], {b_ptr} + {bo}[b], {y_ptr} + b * {m * n}, {args});"
    return _block(_binary_params(node), f"for (int32_t b = 0; b < {count}; b++) {{\n    {call}\n}}")


def emit_qbinary(node: Node, ctx: EmitContext) -> str:
    a, b, y = node.inputs[0], node.inputs[1], node.output
    dims, (sa, sb) = collapse(list(y.shape), broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape))
    if len(dims) > 8:
        raise Unsupported(f"broadcast over {len(dims)} axes after merging; the kernel takes up to 8")
    args = [ctx.ints(f"{node.name}.{k}", v) for k, v in (("dims", dims), ("a", sa), ("b", sb))]
    kernel = "tk_qadd_i8" if node.op is quantized_eltwise.QAdd else "tk_qmul_i8"
    call = f"{kernel}(&p, {ctx.ptr(a, I8)}, {ctx.ptr(b, I8)}, {ctx.ptr(y, I8)}, {len(dims)}, {', '.join(args)});"
    return _block(_binary_params(node), call)


def _pool_geom(node: Node, x: Value, act: tuple[int, int]) -> str:
    g = plane_geometry(x, pooling._pool_window(node.op.name, x.type, node.attrs))
    fields = [x.shape[0] * x.shape[1], *(g[k] for k in ["h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw"])]
    return "{" + ", ".join(map(str, [*fields, g["ph"], g["pw"], *act])) + "}"


def emit_qavgpool(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    geom = _pool_geom(node, x, (node.attrs["act_min"], node.attrs["act_max"]))
    call = f"tk_qavgpool2d_i8(&g, {ctx.ptr(x, I8)}, {ctx.ptr(y, I8)});"
    return _block(f"static const tk_qpool_geom g = {geom};", call)


def emit_requantize(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    call = f"tk_requantize_i8({ctx.ptr(x, I8)}, {ctx.ptr(y, I8)}, {numel(y.shape)}, {node.attrs['x_zero_point']}, &q);"
    return _block(f"static const tk_qstage q = {_stage(node.attrs)};", call)


def _per_tensor(node: Node) -> tuple[float, int]:
    scale = node.inputs[1]
    zp = node.inputs[2] if len(node.inputs) == 3 else None
    zp_data = None if zp is None else zp.data
    if scale.data is None or scale.data.size != 1 or (zp is not None and zp_data is None):
        raise Unsupported("only per-tensor constant scale and zero point are supported")
    if scale.dtype is not F32:
        raise Unsupported(f"scale {scale.name!r} is {scale.dtype.value}; the kernel takes float32")
    return float(scale.data.reshape(())), 0 if zp_data is None else int(zp_data.reshape(()))


def emit_quantize(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    if y.dtype is not I8:
        raise Unsupported(f"QuantizeLinear to {y.dtype.value}; the MCU kernel quantizes to int8")
    scale, zp = _per_tensor(node)
    return f"tk_quantize_f32_i8({ctx.ptr(x, F32)}, {ctx.ptr(y, I8)}, {numel(y.shape)}, {float_literal(scale)}, {zp});"


def emit_dequantize(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    scale, zp = _per_tensor(node)
    return f"tk_dequantize_i8_f32({ctx.ptr(x, I8)}, {ctx.ptr(y, F32)}, {numel(y.shape)}, {float_literal(scale)}, {zp});"


# ---- int8 forms of ops whose float emitters live in emitters.py ----------------------------------
def emit_maxpool_i8(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the MaxPool Indices output is not supported")
    x, y = node.inputs[0], node.output
    geom = _pool_geom(node, x, (-128, 127))
    call = f"tk_maxpool2d_i8(&g, {ctx.ptr(x, I8)}, {ctx.ptr(y, I8)});"
    return _block(f"static const tk_qpool_geom g = {geom};", call)


def _int8_bound(value: float | None, default: int) -> int:
    return default if value is None else int(clip_ops._bound(value, np.dtype(np.int8)))


def emit_clip_i8(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    lo, hi = _int8_bound(node.attrs["min"], -128), _int8_bound(node.attrs["max"], 127)
    return f"tk_clip_i8({ctx.ptr(x, I8)}, {ctx.ptr(y, I8)}, {numel(y.shape)}, {lo}, {hi});"


def emit_transpose_i8(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    perm = shape_ops.Transpose.perm(x.type.rank, node.attrs)
    src = contiguous_strides(x.shape)
    dims, (strides,) = collapse(list(y.shape), [src[p] for p in perm])
    if len(dims) > 8:
        raise Unsupported(f"transpose of rank {len(dims)} after merging axes; the kernel takes up to 8")
    d, s = ctx.ints(f"{node.name}.dims", dims), ctx.ints(f"{node.name}.strides", strides)
    return f"tk_transpose_i8({ctx.ptr(x, I8)}, {ctx.ptr(y, I8)}, {len(dims)}, {d}, {s});"


def emit_concat_i8(node: Node, ctx: EmitContext) -> str:
    y = node.output
    axis = node.attrs["axis"] % y.type.rank
    outer, out_inner = numel(y.shape[:axis]), numel(y.shape[axis:])
    lines, offset = [], 0
    for x in node.inputs:
        inner = numel(x.shape[axis:])
        lines.append(f"tk_concat_part_i8({ctx.ptr(x, I8)}, {ctx.ptr(y, I8)}, {outer}, {inner}, {out_inner}, {offset});")
        offset += inner
    return "\n".join(lines)
