"""C emitters for the boolean and mask ops (a BERT attention mask: And, Where, IsNaN, GatherND).
Booleans are uint8_t, one byte each (context.C_TYPES; DType.BOOL is 1 byte in the arena plan)."""

from __future__ import annotations

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node

from .context import EmitContext, Emitter, Unsupported, broadcast_strides, collapse, numel


def _broadcast(node: Node, ctx: EmitContext) -> tuple[int, list[str]]:
    """The merged output dims and each input's broadcast strides, as C int arrays."""
    y = node.output
    dims, strides = collapse(list(y.shape), *(broadcast_strides(v.shape, y.shape) for v in node.inputs))
    if len(dims) > 8:
        raise Unsupported(f"broadcast over {len(dims)} axes after merging; the kernel takes up to 8")
    args = [ctx.ints(f"{node.name}.dims", dims)]
    args += [ctx.ints(f"{node.name}.s{i}", s) for i, s in enumerate(strides)]
    return len(dims), args


def logic(code: str) -> Emitter:
    """The emitter of one tk_logic_u8 operation (`code`: TK_AND, TK_OR, TK_XOR) on bool tensors."""

    def emit(node: Node, ctx: EmitContext) -> str:
        a, b, y = node.inputs[0], node.inputs[1], node.output
        rank, args = _broadcast(node, ctx)
        ptrs = ", ".join(ctx.ptr(v, DType.BOOL) for v in (a, b, y))
        return f"tk_logic_u8({code}, {ptrs}, {rank}, {', '.join(args)});"

    return emit


def emit_where(node: Node, ctx: EmitContext) -> str:
    cond, a, b = node.inputs
    rank, args = _broadcast(node, ctx)
    ptrs = ", ".join([ctx.ptr(cond, DType.BOOL), ctx.ptr(a), ctx.ptr(b), ctx.ptr(node.output)])
    return f"tk_where_f32({ptrs}, {rank}, {', '.join(args)});"


def emit_isnan(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    return f"tk_isnan_f32({ctx.ptr(x)}, {ctx.ptr(y, DType.BOOL)}, {numel(y.shape)});"


def emit_gather_nd(node: Node, ctx: EmitContext) -> str:
    data, idx, y = node.inputs[0], node.inputs[1], node.output
    if node.attrs["batch_dims"]:
        raise Unsupported(f"GatherND with batch_dims={node.attrs['batch_dims']} (the kernel takes 0)")
    depth = idx.shape[-1]
    slice_bytes = numel(data.shape[depth:]) * data.dtype.itemsize
    dims = ctx.ints(f"{node.name}.dims", list(data.shape[:depth]))
    src, dst = ctx.ptr(data, None), ctx.ptr(y, None)
    ids = ctx.ptr(idx, DType.INT64)
    count = numel(idx.shape[:-1])
    return f"tk_gather_nd((const uint8_t *){src}, {ids}, (uint8_t *){dst}, {count}, {depth}, {dims}, {slice_bytes});"
