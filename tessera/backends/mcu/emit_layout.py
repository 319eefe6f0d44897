"""C emitters for the layout ops of super-resolution networks: Split (each part a strided copy, any
dtype) and DepthToSpace (the pixel shuffle, DCR or CRD: one transpose of the 6-D view the op's
reference defines, float32 or int8)."""

from __future__ import annotations

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops import tensor

from .context import EmitContext, Unsupported, collapse, contiguous_strides, numel
from .emit_tiling import box_copy

_DTS_VIEWS = {"DCR": (0, 3, 4, 1, 5, 2), "CRD": (0, 1, 4, 2, 5, 3)}  # the transpose of each mode's 6-D view


def emit_split(node: Node, ctx: EmitContext) -> str:
    """Part k is the box [start_k, start_k + size_k) of the split axis: one tk_copy per outer block."""
    x = node.inputs[0]
    axis = node.attrs["axis"] % x.type.rank
    sizes = tensor.Split.sizes(x.shape[axis], node.attrs)
    src, elem = contiguous_strides(x.shape), x.dtype.itemsize
    lines, start = [], 0
    for part, size in zip(node.outputs, sizes):
        if numel(part.shape) and part.name in ctx.plan.offsets:  # an unread part has no arena slot
            dst = contiguous_strides(part.shape)
            lines.append(box_copy(ctx.ptr(part, None), ctx.ptr(x, None), elem, list(part.shape), dst, src,
                                  start * src[axis], 0))  # fmt: skip
        start += size
    return "\n".join(lines) or "/* every part is empty or unread */"


def emit_depth_to_space(node: Node, ctx: EmitContext) -> str:
    """(n, c, h, w) read as the mode's 6-D view, transposed into (n, c / b^2, h * b, w * b)."""
    x, y = node.inputs[0], node.output
    b, mode = node.attrs["blocksize"], node.attrs["mode"]
    if mode not in _DTS_VIEWS:
        raise Unsupported(f"DepthToSpace mode {mode!r} (DCR and CRD are)")
    n, c, h, w = x.shape
    view = (n, b, b, c // (b * b), h, w) if mode == "DCR" else (n, c // (b * b), b, b, h, w)
    perm = _DTS_VIEWS[mode]
    strides = contiguous_strides(view)
    dims, (steps,) = collapse([view[p] for p in perm], [strides[p] for p in perm])
    d, s = ctx.ints(f"{node.name}.dims", dims), ctx.ints(f"{node.name}.strides", steps)
    if x.dtype is DType.INT8:
        return f"tk_transpose_i8({ctx.ptr(x, DType.INT8)}, {ctx.ptr(y, DType.INT8)}, {len(dims)}, {d}, {s});"
    return f"tk_transpose_f32({ctx.ptr(x)}, {ctx.ptr(y)}, {len(dims)}, {d}, {s});"
