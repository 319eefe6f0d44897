"""C emitters for the float ops: node -> the C statements that run it. Each returns a string of
statements (or raises Unsupported with the reason). Which op uses which emitter is the MCU kernel
table's to say (table.py)."""

from __future__ import annotations

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops import (
    normalization,
    pooling,
    reduce,
    shape_ops,
)

from .context import (
    C_TYPES,
    EmitContext,
    Emitter,
    Unsupported,
    broadcast_strides,
    collapse,
    contiguous_strides,
    float_literal,
    numel,
    plane_geometry,
)


def _single_output(node: Node) -> None:
    if len(node.outputs) != 1:
        raise Unsupported(f"only the first output is supported, the node declares {len(node.outputs)}")


# ---- data movement --------------------------------------------------------------------------------
def emit_copy(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    if ctx.aliased(node):
        return "/* in place: the output shares its input's slot, nothing to copy */"
    return f"tk_copy({ctx.ptr(y, None)}, {ctx.ptr(x, None)}, {y.type.nbytes}u);"


def emit_dropout(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the Dropout mask output is not supported")
    x, y = node.inputs[0], node.output
    if ctx.aliased(node):
        return "/* in place: the output shares its input's slot, nothing to copy */"
    return f"tk_copy({ctx.ptr(y, None)}, {ctx.ptr(x, None)}, {y.type.nbytes}u);"


def emit_cast(node: Node, ctx: EmitContext) -> str:
    """Integer or bool to float32 / another integer (a mask input made float, as BERT does). A float to
    integer cast is refused: out-of-range and NaN values have no defined result in C."""
    x, y = node.inputs[0], node.output
    if x.dtype.is_float and x.dtype is not y.dtype:
        raise Unsupported(f"Cast from {x.dtype.value} to {y.dtype.value} (only integer/bool sources are cast)")
    src, dst = C_TYPES.get(x.dtype), C_TYPES.get(y.dtype)
    if src is None or dst is None:
        raise Unsupported(f"Cast from {x.dtype.value} to {y.dtype.value}, a dtype the MCU backend lacks")
    xp, yp = ctx.ptr(x, None), ctx.ptr(y, None)
    return (
        f"{{ const {src} *cx = (const {src} *){xp}; {dst} *cy = ({dst} *){yp};\n"
        f"  for (uint32_t i = 0; i < {numel(y.shape)}u; ++i) cy[i] = ({dst})cx[i]; }}"
    )


def emit_transpose(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    perm = shape_ops.Transpose.perm(x.type.rank, node.attrs)
    src = contiguous_strides(x.shape)
    dims, (strides,) = collapse(list(y.shape), [src[p] for p in perm])
    if len(dims) > 8:
        raise Unsupported(f"transpose of rank {len(dims)} after merging axes; the kernel takes up to 8")
    d, s = ctx.ints(f"{node.name}.dims", dims), ctx.ints(f"{node.name}.strides", strides)
    return f"tk_transpose_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {len(dims)}, {d}, {s});"


def emit_concat(node: Node, ctx: EmitContext) -> str:
    y = node.output
    axis = node.attrs["axis"] % y.type.rank
    outer, out_inner = numel(y.shape[:axis]), numel(y.shape[axis:])
    lines, offset = [], 0
    for x in node.inputs:
        inner = numel(x.shape[axis:])
        lines.append(f"tk_concat_part_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {outer}, {inner}, {out_inner}, {offset});")
        offset += inner
    return "\n".join(lines)


def emit_gather(node: Node, ctx: EmitContext) -> str:
    data, idx, y = node.inputs[0], node.inputs[1], node.output
    axis = node.attrs["axis"] % data.type.rank
    outer, rows, inner = numel(data.shape[:axis]), data.shape[axis], numel(data.shape[axis + 1 :])
    ids = ctx.ptr(idx, DType.INT64)
    if data.dtype is not DType.FLOAT32 and outer == 1:  # a bool / integer table: rows of bytes
        dims, row_bytes = ctx.ints(f"{node.name}.dims", [rows]), inner * data.dtype.itemsize
        src, dst = ctx.ptr(data, None), ctx.ptr(y, None)
        count = numel(idx.shape)
        return f"tk_gather_nd((const uint8_t *){src}, {ids}, (uint8_t *){dst}, {count}, 1, {dims}, {row_bytes});"
    return f"tk_gather_rows_f32({ctx.ptr(data)}, {ids}, {ctx.ptr(y)}, {outer}, {rows}, {numel(idx.shape)}, {inner});"


# ---- elementwise ----------------------------------------------------------------------------------
def binary(code: str) -> Emitter:
    """The emitter of one tk_binary_f32 operation (`code`: TK_ADD, TK_SUB, TK_MUL, TK_DIV), numpy broadcasting."""

    def emit(node: Node, ctx: EmitContext) -> str:
        a, b, y = node.inputs[0], node.inputs[1], node.output
        strides = broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape)
        dims, (sa, sb) = collapse(list(y.shape), *strides)
        if len(dims) > 8:
            raise Unsupported(f"broadcast over {len(dims)} axes after merging; the kernel takes up to 8")
        args = [ctx.ints(f"{node.name}.{k}", v) for k, v in (("dims", dims), ("a", sa), ("b", sb))]
        return f"tk_binary_f32({code}, {ctx.ptr(a)}, {ctx.ptr(b)}, {ctx.ptr(y)}, {len(dims)}, {', '.join(args)});"

    return emit


def emit_sum(node: Node, ctx: EmitContext) -> str:
    """Sum of n inputs: y = x0 + x1, then y = y + x2, ... (in place on y, which is contiguous)."""
    y = node.output
    if len(node.inputs) == 1:
        return emit_copy(node, ctx)
    lines, left = [], node.inputs[0]
    for i, right in enumerate(node.inputs[1:]):
        out_strides = broadcast_strides(y.shape, y.shape)
        a_strides = out_strides if i else broadcast_strides(left.shape, y.shape)
        dims, (sa, sb) = collapse(list(y.shape), a_strides, broadcast_strides(right.shape, y.shape))
        args = [ctx.ints(f"{node.name}.{i}.{k}", v) for k, v in (("dims", dims), ("a", sa), ("b", sb))]
        a_ptr = ctx.ptr(y) if i else ctx.ptr(left)
        lines.append(f"tk_binary_f32(TK_ADD, {a_ptr}, {ctx.ptr(right)}, {ctx.ptr(y)}, {len(dims)}, {', '.join(args)});")
    return "\n".join(lines)


def unary(code: str) -> Emitter:
    """The emitter of one tk_unary_f32 function (`code`: TK_RELU, TK_HARDSWISH, ...): y[i] = f(x[i])."""

    def emit(node: Node, ctx: EmitContext) -> str:
        x, y = node.inputs[0], node.output
        return f"tk_unary_f32({code}, {ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)});"

    return emit


def emit_gelu(node: Node, ctx: EmitContext) -> str:
    return unary("TK_GELU_TANH" if node.attrs["approximate"] == "tanh" else "TK_GELU")(node, ctx)


def emit_clip(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    lo, hi = float_literal(node.attrs["min"]), float_literal(node.attrs["max"])
    return f"tk_clip_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {lo}, {hi});"


def emit_leaky_relu(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    return f"tk_leaky_relu_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {float_literal(node.attrs['alpha'])});"


def emit_prelu(node: Node, ctx: EmitContext) -> str:
    """A slope that varies along one block of adjacent axes (one per channel: (C, 1, 1)) or a scalar:
    x seen as (outer, channels, inner), one slope per channel."""
    x, slope, y = node.inputs[0], node.inputs[1], node.output
    padded = (1,) * (x.type.rank - slope.type.rank) + tuple(slope.shape)
    moving = [a for a, d in enumerate(padded) if d != 1]
    lo, hi = (moving[0], moving[-1] + 1) if moving else (0, 0)
    if any(padded[a] != x.shape[a] for a in range(lo, hi)):
        raise Unsupported(
            f"PRelu slope of shape {slope.shape} varies along axes {moving} of X {x.shape}, which are not "
            "adjacent; the kernel takes a scalar slope or one per channel (e.g. (C, 1, 1)); use --target reference"
        )
    outer, channels, inner = numel(x.shape[:lo]), numel(x.shape[lo:hi]), numel(x.shape[hi:])
    return f"tk_prelu_f32({ctx.ptr(x)}, {ctx.ptr(slope)}, {ctx.ptr(y)}, {outer}, {channels}, {inner});"


def emit_hard_sigmoid(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    alpha, beta = float_literal(node.attrs["alpha"]), float_literal(node.attrs["beta"])
    return f"tk_hard_sigmoid_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {alpha}, {beta});"


def emit_reduce(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    rank = x.type.rank
    axes = sorted(reduce.Reduce.reduced_axes(rank, node.attrs))
    if not axes:
        return emit_copy(node, ctx)
    moving = [a for a in axes if x.shape[a] != 1]
    if moving and moving != list(range(moving[0], moving[-1] + 1)):
        raise Unsupported(f"reduction over non-adjacent axes {axes}; the kernel reduces one block of axes")
    lo, hi = (moving[0], moving[-1] + 1) if moving else (0, 0)
    outer, n, inner = numel(x.shape[:lo]), numel(x.shape[lo:hi]), numel(x.shape[hi:])
    mean = node.op is reduce.ReduceMean
    scale = float_literal(1.0 / numel(tuple(x.shape[a] for a in axes)) if mean else 1.0)
    return f"tk_reduce_sum_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {outer}, {n}, {inner}, {scale});"


# ---- normalization --------------------------------------------------------------------------------
def emit_softmax(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    axis = node.attrs["axis"] % x.type.rank
    outer, inner = numel(x.shape[:axis]), numel(x.shape[axis + 1 :])
    return f"tk_softmax_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {outer}, {x.shape[axis]}, {inner});"


def emit_layernorm(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the Mean and InvStdDev outputs are not supported")
    x, y = node.inputs[0], node.output
    axis = node.attrs["axis"] % x.type.rank
    size = numel(x.shape[axis:])
    params = []
    for p in node.inputs[1:]:
        if numel(p.shape) == size:
            params.append(ctx.ptr(p))
        elif p.data is not None:  # a constant broadcast over the normalized axes: expand once, at compile time
            full = np.broadcast_to(p.data, x.shape[axis:]).reshape(-1)
            params.append(ctx.weight(f"{p.name}.expanded", full))
        else:
            raise Unsupported(f"scale/bias {p.name!r} {p.type} varies across rows; the kernel takes one per row")
    bias = params[1] if len(params) > 1 else "NULL"
    rows = numel(x.shape[:axis])
    eps = float_literal(node.attrs["epsilon"])
    return f"tk_layernorm_f32({ctx.ptr(x)}, {params[0]}, {bias}, {ctx.ptr(y)}, {rows}, {size}, {eps});"


def emit_batchnorm(node: Node, ctx: EmitContext) -> str:
    _single_output(node)
    x, y = node.inputs[0], node.output
    if not all(v.is_constant for v in node.inputs[1:5]):
        raise Unsupported("scale, bias, mean and variance must be constants")
    s, b, m, v = (np.asarray(p.data, dtype=np.float64) for p in node.inputs[1:5])
    scale, shift = normalization.BatchNormalization.affine(s, b, m, v, node.attrs["epsilon"])
    c = x.shape[1] if x.type.rank > 1 else 1
    sc, sh = ctx.weight(f"{node.name}.scale", scale), ctx.weight(f"{node.name}.shift", shift)
    inner = numel(x.shape[2:])
    return f"tk_channel_affine_f32({ctx.ptr(x)}, {sc}, {sh}, {ctx.ptr(y)}, {x.shape[0]}, {c}, {inner});"


# ---- pooling --------------------------------------------------------------------------------------
def emit_pool(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the MaxPool Indices output is not supported")
    x, y = node.inputs[0], node.output
    g = plane_geometry(x, pooling._pool_window(node.op.name, x.type, node.attrs))
    include = int(node.attrs.get("count_include_pad", 0))
    fields = [
        x.shape[0] * x.shape[1],
        *(g[k] for k in ["h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "ph", "pw"]),
    ]
    fields += [include, g["pe_h"], g["pe_w"]]
    kernel = "tk_maxpool2d_f32" if node.op is pooling.MaxPool else "tk_avgpool2d_f32"
    geom = "{" + ", ".join(map(str, fields)) + "}"
    return f"{{\n    static const tk_pool_geom g = {geom};\n    {kernel}(&g, {ctx.ptr(x)}, {ctx.ptr(y)});\n}}"


def emit_global_pool(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    kind = "avg" if node.op is pooling.GlobalAveragePool else "max"
    planes = x.shape[0] * x.shape[1]
    return f"tk_global_{kind}pool_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {planes}, {numel(x.shape[2:])});"
