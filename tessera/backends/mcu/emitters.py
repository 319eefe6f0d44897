"""One C emitter per op: node -> the C statements that run it. Each returns a string of statements
(or raises Unsupported with the reason). EMITTERS is the table the code generator dispatches on."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops import (
    activation,
    cast,
    conv,
    elementwise,
    identity,
    indexing,
    linalg,
    math_unary,
    normalization,
    pooling,
    reduce,
    shape_ops,
    softmax,
    tensor,
)
from tessera.ir.ops import clip as clip_ops
from tessera.ir.ops._spatial import Window
from tessera.ir.ops.base import Op
from tessera.ir.types import TensorType

from .context import C_TYPES, EmitContext, Unsupported, broadcast_strides, collapse, contiguous_strides, numel

Emitter = Callable[[Node, EmitContext], str]
EMITTERS: dict[type[Op], Emitter] = {}


def emits(*ops: type[Op]) -> Callable[[Emitter], Emitter]:
    def register(fn: Emitter) -> Emitter:
        for op in ops:
            EMITTERS[op] = fn
        return fn

    return register


def _f(x: float) -> str:
    """A float32 literal that reads back exactly."""
    v = float(np.float32(x))
    if np.isnan(v):
        return '__builtin_nanf("")'
    if np.isinf(v):
        return "__builtin_inff()" if v > 0 else "(-__builtin_inff())"
    return f"{v.hex()}f"


def _single_output(node: Node) -> None:
    if len(node.outputs) != 1:
        raise Unsupported(f"only the first output is supported, the node declares {len(node.outputs)}")


# ---- data movement --------------------------------------------------------------------------------
@emits(shape_ops.Reshape, shape_ops.Flatten, shape_ops.Squeeze, shape_ops.Unsqueeze, identity.Identity)
def emit_copy(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    if ctx.aliased(node):
        return "/* in place: the output shares its input's slot, nothing to copy */"
    return f"tk_copy({ctx.ptr(y, None)}, {ctx.ptr(x, None)}, {y.type.nbytes}u);"


@emits(identity.Dropout)
def emit_dropout(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the Dropout mask output is not supported")
    x, y = node.inputs[0], node.output
    if ctx.aliased(node):
        return "/* in place: the output shares its input's slot, nothing to copy */"
    return f"tk_copy({ctx.ptr(y, None)}, {ctx.ptr(x, None)}, {y.type.nbytes}u);"


@emits(cast.Cast, cast.CastLike)
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


@emits(shape_ops.Transpose)
def emit_transpose(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    perm = node.attrs["perm"] or tuple(reversed(range(x.type.rank)))
    src = contiguous_strides(x.shape)
    dims, (strides,) = collapse(list(y.shape), [src[p] for p in perm])
    if len(dims) > 8:
        raise Unsupported(f"transpose of rank {len(dims)} after merging axes; the kernel takes up to 8")
    d, s = ctx.ints(f"{node.name}.dims", dims), ctx.ints(f"{node.name}.strides", strides)
    return f"tk_transpose_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {len(dims)}, {d}, {s});"


@emits(tensor.Concat)
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


@emits(indexing.Gather)
def emit_gather(node: Node, ctx: EmitContext) -> str:
    data, idx, y = node.inputs[0], node.inputs[1], node.output
    axis = node.attrs["axis"] % data.type.rank
    outer, rows, inner = numel(data.shape[:axis]), data.shape[axis], numel(data.shape[axis + 1 :])
    ids = ctx.ptr(idx, DType.INT64)
    return f"tk_gather_rows_f32({ctx.ptr(data)}, {ids}, {ctx.ptr(y)}, {outer}, {rows}, {numel(idx.shape)}, {inner});"


# ---- elementwise ----------------------------------------------------------------------------------
_BINARY = {elementwise.Add: "TK_ADD", elementwise.Sub: "TK_SUB", elementwise.Mul: "TK_MUL", elementwise.Div: "TK_DIV"}


@emits(*_BINARY)
def emit_binary(node: Node, ctx: EmitContext) -> str:
    a, b, y = node.inputs[0], node.inputs[1], node.output
    dims, (sa, sb) = collapse(list(y.shape), broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape))
    if len(dims) > 8:
        raise Unsupported(f"broadcast over {len(dims)} axes after merging; the kernel takes up to 8")
    args = [ctx.ints(f"{node.name}.{k}", v) for k, v in (("dims", dims), ("a", sa), ("b", sb))]
    op = _BINARY[node.op]
    return f"tk_binary_f32({op}, {ctx.ptr(a)}, {ctx.ptr(b)}, {ctx.ptr(y)}, {len(dims)}, {', '.join(args)});"


@emits(elementwise.Sum)
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


_UNARY = {
    activation.Relu: "TK_RELU",
    activation.Sigmoid: "TK_SIGMOID",
    activation.Tanh: "TK_TANH",
    math_unary.Erf: "TK_ERF",
    math_unary.Exp: "TK_EXP",
    math_unary.Sqrt: "TK_SQRT",
    math_unary.Neg: "TK_NEG",
    activation.HardSwish: "TK_HARDSWISH",
}


@emits(*_UNARY, activation.Gelu)
def emit_unary(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    op = _UNARY.get(node.op) or ("TK_GELU_TANH" if node.attrs["approximate"] == "tanh" else "TK_GELU")
    return f"tk_unary_f32({op}, {ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)});"


@emits(clip_ops.Clip)
def emit_clip(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    lo, hi = _f(node.attrs["min"]), _f(node.attrs["max"])
    return f"tk_clip_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {lo}, {hi});"


@emits(activation.LeakyRelu)
def emit_leaky_relu(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    return f"tk_leaky_relu_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {_f(node.attrs['alpha'])});"


@emits(activation.HardSigmoid)
def emit_hard_sigmoid(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    alpha, beta = _f(node.attrs["alpha"]), _f(node.attrs["beta"])
    return f"tk_hard_sigmoid_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {numel(y.shape)}, {alpha}, {beta});"


@emits(reduce.ReduceMean, reduce.ReduceSum)
def emit_reduce(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    rank = x.type.rank
    axes = sorted(node.op.reduced_axes(rank, node.attrs))
    if not axes:
        return emit_copy(node, ctx)
    moving = [a for a in axes if x.shape[a] != 1]
    if moving and moving != list(range(moving[0], moving[-1] + 1)):
        raise Unsupported(f"reduction over non-adjacent axes {axes}; the kernel reduces one block of axes")
    lo, hi = (moving[0], moving[-1] + 1) if moving else (0, 0)
    outer, n, inner = numel(x.shape[:lo]), numel(x.shape[lo:hi]), numel(x.shape[hi:])
    scale = _f(1.0 / numel(tuple(x.shape[a] for a in axes))) if node.op is reduce.ReduceMean else _f(1.0)
    return f"tk_reduce_sum_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {outer}, {n}, {inner}, {scale});"


# ---- normalization --------------------------------------------------------------------------------
@emits(softmax.Softmax)
def emit_softmax(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    axis = node.attrs["axis"] % x.type.rank
    outer, inner = numel(x.shape[:axis]), numel(x.shape[axis + 1 :])
    return f"tk_softmax_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {outer}, {x.shape[axis]}, {inner});"


@emits(normalization.LayerNormalization)
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
        elif p.is_constant:  # broadcast over the normalized axes: expand once, at compile time
            full = np.broadcast_to(p.data, x.shape[axis:]).reshape(-1)
            params.append(ctx.weight(f"{p.name}.expanded", full))
        else:
            raise Unsupported(f"scale/bias {p.name!r} {p.type} varies across rows; the kernel takes one per row")
    bias = params[1] if len(params) > 1 else "NULL"
    rows = numel(x.shape[:axis])
    eps = _f(node.attrs["epsilon"])
    return f"tk_layernorm_f32({ctx.ptr(x)}, {params[0]}, {bias}, {ctx.ptr(y)}, {rows}, {size}, {eps});"


@emits(normalization.BatchNormalization)
def emit_batchnorm(node: Node, ctx: EmitContext) -> str:
    _single_output(node)
    x, y = node.inputs[0], node.output
    if not all(v.is_constant for v in node.inputs[1:5]):
        raise Unsupported("scale, bias, mean and variance must be constants")
    s, b, m, v = (np.asarray(p.data, dtype=np.float64) for p in node.inputs[1:5])
    scale = s / np.sqrt(v + node.attrs["epsilon"])
    shift = b - m * scale
    c = x.shape[1] if x.type.rank > 1 else 1
    sc, sh = ctx.weight(f"{node.name}.scale", scale), ctx.weight(f"{node.name}.shift", shift)
    inner = numel(x.shape[2:])
    return f"tk_channel_affine_f32({ctx.ptr(x)}, {sc}, {sh}, {ctx.ptr(y)}, {x.shape[0]}, {c}, {inner});"


# ---- pooling --------------------------------------------------------------------------------------
def _plane_geometry(x: TensorType, win: Window) -> dict[str, int]:
    """The 2-D window of a 1-D or 2-D spatial op (1-D runs as height 1)."""
    if len(win.kernel) == 1:
        win = Window((1, *win.kernel), (1, *win.strides), (1, *win.dilations), (0, *win.pads_begin),
                     (0, *win.pads_end), (1, *win.out))  # fmt: skip
    if len(win.kernel) != 2:
        raise Unsupported(f"{len(win.kernel)}-D windows are not supported (1-D and 2-D are)")
    h, w = (1, x.shape[2]) if x.type.rank == 3 else x.shape[2:4]
    return {
        "h": h, "w": w, "oh": win.out[0], "ow": win.out[1], "kh": win.kernel[0], "kw": win.kernel[1],
        "sh": win.strides[0], "sw": win.strides[1], "dh": win.dilations[0], "dw": win.dilations[1],
        "ph": win.pads_begin[0], "pw": win.pads_begin[1], "pe_h": win.pads_end[0], "pe_w": win.pads_end[1],
    }  # fmt: skip


@emits(pooling.MaxPool, pooling.AveragePool)
def emit_pool(node: Node, ctx: EmitContext) -> str:
    if any(o.users for o in node.outputs[1:]):
        raise Unsupported("the MaxPool Indices output is not supported")
    x, y = node.inputs[0], node.output
    g = _plane_geometry(x, pooling._pool_window(node.op.name, x.type, node.attrs))
    include = int(node.attrs.get("count_include_pad", 0))
    fields = [
        x.shape[0] * x.shape[1],
        *(g[k] for k in ["h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "ph", "pw"]),
    ]
    fields += [include, g["pe_h"], g["pe_w"]]
    kernel = "tk_maxpool2d_f32" if node.op is pooling.MaxPool else "tk_avgpool2d_f32"
    geom = "{" + ", ".join(map(str, fields)) + "}"
    return f"{{\n    static const tk_pool_geom g = {geom};\n    {kernel}(&g, {ctx.ptr(x)}, {ctx.ptr(y)});\n}}"


@emits(pooling.GlobalAveragePool, pooling.GlobalMaxPool)
def emit_global_pool(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    kind = "avg" if node.op is pooling.GlobalAveragePool else "max"
    planes = x.shape[0] * x.shape[1]
    return f"tk_global_{kind}pool_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {planes}, {numel(x.shape[2:])});"


# ---- convolution and matrix products --------------------------------------------------------------
from .emit_linalg import emit_conv, emit_gemm, emit_matmul  # noqa: E402

EMITTERS[conv.Conv] = emit_conv
EMITTERS[linalg.Gemm] = emit_gemm
EMITTERS[linalg.MatMul] = emit_matmul
