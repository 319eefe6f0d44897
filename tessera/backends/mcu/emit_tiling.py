"""C emitters for the data movement of patch-based inference: Slice (a box of a tensor, any dtype,
positive steps) and InsertSlice (a tile written into a bigger tensor). Both are strided copies: the
axes are merged where both sides walk contiguously, and the innermost contiguous run is one tk_copy.

InsertSlice is correct whether or not the planner puts its output over `dest` (in place): it copies
dest to the output only when the arena plan gives them different offsets. Its in-place rule
(inplace.py `insert_slice_rule`: output over `dest`, no workspace) makes the chain dest0 -> InsertSlice
-> dest1 -> ... one arena slot when the target plans in place."""

from __future__ import annotations

from tessera.ir.graph import Node
from tessera.ir.ops import tensor
from tessera.ir.ops.tiling import InsertSlice

from .context import EmitContext, Unsupported, collapse, contiguous_strides, numel


def box_copy(dst: str, src: str, elem: int, dims: list[int], dst_strides: list[int], src_strides: list[int],
              src_offset: int, dst_offset: int) -> str:  # fmt: skip
    """C statements copying a box of `dims` elements between two strided layouts (element strides)."""
    dims, (ds, ss) = collapse(dims, dst_strides, src_strides)
    run = 1
    if dims and ds[-1] == 1 and ss[-1] == 1:
        run = dims.pop()
        ds, ss = ds[:-1], ss[:-1]
    loops = [f"for (uint32_t i{k} = 0; i{k} < {d}u; ++i{k})" for k, d in enumerate(dims)]
    d_at = " + ".join([str(dst_offset), *(f"i{k} * {s}u" for k, s in enumerate(ds))])
    s_at = " + ".join([str(src_offset), *(f"i{k} * {s}u" for k, s in enumerate(ss))])
    copy = f"tk_copy(d + ({d_at}) * {elem}u, s + ({s_at}) * {elem}u, {run * elem}u);"
    body = "\n".join(f"{'  ' * (k + 1)}{loop}" for k, loop in enumerate(loops))
    indent = "  " * (len(loops) + 1)
    lines = [f"{{ uint8_t *d = (uint8_t *){dst}; const uint8_t *s = (const uint8_t *){src};"]
    if body:
        lines.append(body)
    lines += [f"{indent}{copy}", "}"]
    return "\n".join(lines)


def emit_slice(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    bounds = [s.indices(d) for s, d in zip(tensor.Slice.slices(x.shape, node.attrs), x.shape)]
    if any(step < 0 for _, _, step in bounds):
        raise Unsupported("Slice with a negative step")
    if numel(y.shape) == 0:
        return "/* empty slice */"
    src = contiguous_strides(x.shape)
    offset = sum(start * st for (start, _, _), st in zip(bounds, src))
    steps = [st * step for st, (_, _, step) in zip(src, bounds)]
    elem = y.type.nbytes // numel(y.shape)
    return box_copy(ctx.ptr(y, None), ctx.ptr(x, None), elem, list(y.shape), contiguous_strides(y.shape), steps,
                     offset, 0)  # fmt: skip


def emit_insert_slice(node: Node, ctx: EmitContext) -> str:
    src, y = node.inputs[-1], node.output
    out = ctx.ptr(y, None)
    if len(node.inputs) == 2:
        dest = node.inputs[0]
        in_place = not dest.is_constant and ctx.plan.offsets[dest.name] == ctx.plan.offsets[y.name]
        head = "/* in place over dest */" if in_place else f"tk_copy({out}, {ctx.ptr(dest, None)}, {y.type.nbytes}u);"
    else:
        head = f"{{ uint8_t *z = (uint8_t *){out}; for (uint32_t i = 0; i < {y.type.nbytes}u; ++i) z[i] = 0; }}"
    if numel(src.shape) == 0:
        return head
    region = InsertSlice.region(y.type, src.type, node.attrs)
    dst = contiguous_strides(y.shape)
    offset = sum(r.start * st for r, st in zip(region, dst))
    elem = y.type.nbytes // numel(y.shape)
    copy = box_copy(out, ctx.ptr(src, None), elem, list(src.shape), dst, contiguous_strides(src.shape), 0, offset)
    return head + "\n" + copy
