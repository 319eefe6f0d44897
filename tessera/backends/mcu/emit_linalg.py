"""C emitters for the compute-heavy ops: Conv (regular, depthwise, pointwise), Gemm and MatMul.
Constant right-hand matrices are stored transposed (N x K) so every product is a row-by-row dot."""

from __future__ import annotations

import numpy as np

from tessera.ir.graph import Node
from tessera.ir.ops import conv

from .context import EmitContext, Unsupported, float_literal, numel, plane_geometry


def _batched(n: int, body: str, strides: dict[str, int]) -> str:
    """Run `body` once per batch element, offsetting the named pointers."""
    if n == 1:
        return body.format(**{k: "" for k in strides})
    offsets = {k: f" + b * {v}" for k, v in strides.items()}
    return f"for (int32_t b = 0; b < {n}; b++) {{\n    {body.format(**offsets)}\n}}"


def emit_conv(node: Node, ctx: EmitContext) -> str:
    x, w, y = node.inputs[0], node.inputs[1], node.output
    if not w.is_constant:
        raise Unsupported("convolution weights must be constants")
    g = plane_geometry(x, conv.Conv.geometry([v.type for v in node.inputs], node.attrs))
    group, c, m = node.attrs["group"], x.shape[1], w.shape[0]
    bias = ctx.ptr(node.inputs[2]) if len(node.inputs) == 3 else "NULL"
    xin, yout, wt = ctx.ptr(x), ctx.ptr(y), ctx.ptr(w)
    in_n, out_n = numel(x.shape[1:]), numel(y.shape[1:])
    pixels = g["oh"] * g["ow"]
    pointwise = group == 1 and g["kh"] == g["kw"] == 1 and g["sh"] == g["sw"] == 1
    inplace = ctx.aliased(node)
    if inplace and not group == c == m:
        raise Unsupported("only a depthwise convolution can write over its input")
    if pointwise and g["ph"] == g["pw"] == g["pe_h"] == g["pe_w"] == 0 and not inplace:
        body = f"tk_conv2d_pointwise_f32({c}, {m}, {pixels}, {xin}{{x}}, {wt}, {bias}, {yout}{{y}});"
        return _batched(x.shape[0], body, {"x": in_n, "y": out_n})
    fields = [
        c,
        g["h"],
        g["w"],
        m,
        g["oh"],
        g["ow"],
        *(g[k] for k in ["kh", "kw", "sh", "sw", "dh", "dw", "ph", "pw"]),
        group,
    ]
    kernel = "tk_conv2d_depthwise_f32" if group == c == m else "tk_conv2d_f32"
    call = f"{kernel}(&g, {xin}{{x}}, {wt}, {bias}, {yout}{{y}});"
    if inplace:  # the output starts at the input: one plane at a time through the workspace
        work = ctx.workspace(node, "float")
        call = f"tk_conv2d_depthwise_inplace_f32(&g, {xin}{{x}}, {wt}, {bias}, {yout}{{y}}, {work});"
    geom = "{" + ", ".join(map(str, fields)) + "}"
    inner = _batched(x.shape[0], call, {"x": in_n, "y": out_n}).replace("\n", "\n    ")
    return f"{{\n    static const tk_conv_geom g = {geom};\n    {inner}\n}}"


def emit_gemm(node: Node, ctx: EmitContext) -> str:
    a, b, y = node.inputs[0], node.inputs[1], node.output
    ta, tb = node.attrs["transA"], node.attrs["transB"]
    alpha, beta = node.attrs["alpha"], node.attrs["beta"]
    m, n = y.shape
    k = a.shape[0] if ta else a.shape[1]
    if ta:
        if not a.is_constant:
            raise Unsupported("transA=1 needs a constant A")
        lhs = ctx.weight(f"{a.name}.T", np.asarray(a.data).T)
    else:
        lhs = ctx.ptr(a)
    if b.is_constant:
        w = ctx.ptr(b) if tb else ctx.weight(f"{b.name}.T", np.asarray(b.data).T)
    elif tb:
        w = ctx.ptr(b)
    else:
        if len(node.inputs) == 3 or alpha != 1.0:
            raise Unsupported("a non-constant B with bias or alpha is not supported")
        return f"tk_matmul_strided_f32({lhs}, {ctx.ptr(b)}, {ctx.ptr(y)}, {m}, {n}, {k}, {k}, 1, {n}, 1);"
    bias, sm, sn = "NULL", 0, 0
    if len(node.inputs) == 3:
        c = node.inputs[2]
        shape = (1,) * (2 - c.type.rank) + c.shape
        sm, sn = (shape[1] if shape[0] != 1 else 0), (1 if shape[1] != 1 else 0)
        bias = ctx.ptr(c)
    alpha_c, beta_c = float_literal(alpha), float_literal(beta)
    return f"tk_gemm_nt_f32({lhs}, {w}, {bias}, {ctx.ptr(y)}, {m}, {n}, {k}, {alpha_c}, {beta_c}, {sm}, {sn});"


def emit_matmul(node: Node, ctx: EmitContext) -> str:
    a, b, y = node.inputs[0], node.inputs[1], node.output
    a_shape = (1, *a.shape) if a.type.rank == 1 else a.shape
    b_shape = (*b.shape, 1) if b.type.rank == 1 else b.shape
    m, k = a_shape[-2:]
    n = b_shape[-1]
    if b.is_constant and len(b_shape) == 2:  # weights: one product over all rows of A
        w = ctx.weight(f"{b.name}.T", np.asarray(b.data).reshape(b_shape).T)
        rows = numel(a_shape[:-1])
        return f"tk_gemm_nt_f32({ctx.ptr(a)}, {w}, NULL, {ctx.ptr(y)}, {rows}, {n}, {k}, 1.0f, 0.0f, 0, 0);"
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    count = numel(batch)
    a_idx = np.broadcast_to(np.arange(numel(a_shape[:-2])).reshape(a_shape[:-2]), batch).reshape(-1)
    b_idx = np.broadcast_to(np.arange(numel(b_shape[:-2])).reshape(b_shape[:-2]), batch).reshape(-1)
    args = f"{m}, {n}, {k}, {k}, 1, {n}, 1"
    a_ptr, b_ptr, y_ptr = ctx.ptr(a), ctx.ptr(b), ctx.ptr(y)
    if count == 1:
        return f"tk_matmul_strided_f32({a_ptr}, {b_ptr}, {y_ptr}, {args});"
    ao = ctx.ints(f"{node.name}.a_offsets", [int(i) * m * k for i in a_idx])
    bo = ctx.ints(f"{node.name}.b_offsets", [int(i) * k * n for i in b_idx])
    call = f"tk_matmul_strided_f32({a_ptr} + {ao}[b], {b_ptr} + {bo}[b], {y_ptr} + b * {m * n}, {args});"
    return f"for (int32_t b = 0; b < {count}; b++) {{\n    {call}\n}}"
