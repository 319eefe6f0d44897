"""Data-movement ops: reshapes, transposes, slicing, padding, gathers, casts, resizing, constants.

Every shape is static, so Reshape, Flatten, Squeeze and Unsqueeze are one reshape to the inferred
output shape, and Expand is a broadcast to it.
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from tessera.backends.cpu.lowering._ctx import Ctx, Rule, constant
from tessera.ir.ops import reduce
from tessera.ir.ops.base import Op
from tessera.ir.ops.cast import Cast, CastLike
from tessera.ir.ops.identity import ConstantOfShape, Dropout, Identity, Shape, Size
from tessera.ir.ops.indexing import Gather, GatherElements, GatherND
from tessera.ir.ops.layout import DepthToSpace, SpaceToDepth
from tessera.ir.ops.pad import Pad
from tessera.ir.ops.reduce import ArgMax, ArgMin, Reduce
from tessera.ir.ops.resize import Resize, Upsample
from tessera.ir.ops.shape_ops import Flatten, Reshape, Squeeze, Transpose, Unsqueeze
from tessera.ir.ops.tensor import Concat, Expand, Slice, Split, Tile
from tessera.ir.ops.tiling import InsertSlice

R = relax.op
REDUCTIONS = (
    reduce.ReduceSum, reduce.ReduceMean, reduce.ReduceMax, reduce.ReduceMin, reduce.ReduceProd, reduce.ReduceL1,
    reduce.ReduceL2, reduce.ReduceSumSquare, reduce.ReduceLogSum, reduce.ReduceLogSumExp,
)  # fmt: skip


def _to_out_shape(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return R.reshape(a[0], ctx.out.shape)


def _cast(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    src, dst = ctx.in_types[0].dtype, ctx.out.dtype
    if dst.value == "bool" and src.value != "bool":
        return R.not_equal(a[0], ctx.const(0))
    return R.astype(a[0], dst.value)


def _dropout(ctx: Ctx, a: list[relax.Expr]) -> list[relax.Expr]:
    outs: list[relax.Expr] = [a[0]]
    if len(ctx.node.outputs) > 1:
        outs.append(R.ones(ctx.out.shape, "bool"))
    return outs


def _split(ctx: Ctx, a: list[relax.Expr]) -> list[relax.Expr]:
    axis = ctx.attrs["axis"] % ctx.in_types[0].rank
    sizes = [v.type.shape[axis] for v in ctx.node.outputs]
    cuts = list(np.cumsum(sizes)[:-1].tolist())
    parts = ctx.bb.emit(R.split(a[0], cuts, axis=axis))
    return [relax.TupleGetItem(parts, i) for i in range(len(sizes))]


def _slice(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    from tvm import te

    shape = ctx.in_types[0].shape
    starts, ends = ctx.attrs["starts"], ctx.attrs["ends"]
    axes = ctx.attrs["axes"] or tuple(range(len(starts)))
    steps = ctx.attrs["steps"] or (1,) * len(starts)
    first, step = [0] * len(shape), [1] * len(shape)
    for s, e, ax, st in zip(starts, ends, axes, steps):
        ax %= len(shape)
        first[ax], _, step[ax] = slice(s, e, st).indices(shape[ax])

    def compute(x: te.Tensor) -> te.Tensor:
        return te.compute(ctx.out.shape, lambda *i: x(*(f + j * s for j, f, s in zip(i, first, step))), name="slice")

    return ctx.emit_te(compute, a[0])


def _pad(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    from tvm import te
    from tvm import tirx as tir

    shape, mode = ctx.in_types[0].shape, ctx.attrs["mode"]
    widths = Pad.widths(shape, ctx.attrs)
    if mode != "constant" and any(b < 0 or e < 0 for b, e in widths):
        raise ctx.unsupported(f"negative pads with mode {mode!r}")
    begins = [b for b, _ in widths]
    value = np.asarray(ctx.attrs["constant_value"]).astype(ctx.out.dtype.numpy()).item()

    def source(j: tir.PrimExpr, d: int) -> tir.PrimExpr:
        if mode == "edge":
            return tir.max(0, tir.min(j, d - 1))
        if mode == "reflect":
            return tir.if_then_else(j < 0, -j, tir.if_then_else(j >= d, 2 * (d - 1) - j, j))
        if mode == "wrap":
            return tir.floormod(j, d)
        return j

    def compute(x: te.Tensor) -> te.Tensor:
        def at(*i: tir.PrimExpr) -> tir.PrimExpr:
            j = [o - b for o, b in zip(i, begins)]
            src = x(*(source(jj, d) for jj, d in zip(j, shape)))
            if mode != "constant":
                return src
            inside = tir.all(*[tir.all(jj >= 0, jj < d) for jj, d in zip(j, shape)]) if shape else True
            return tir.if_then_else(inside, src, tir.const(value, x.dtype))

        return te.compute(ctx.out.shape, at, name="pad")

    return ctx.emit_te(compute, a[0])


def _insert_slice(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    """ai.tessera::InsertSlice (the patch-based pass's tiles): dest (or zeros) with src written at
    its region; one elementwise kernel (a new tensor, not in place as on the mcu target)."""
    from tvm import te
    from tvm import tirx as tir

    region = InsertSlice.region(ctx.out, ctx.in_types[-1], ctx.attrs)

    def compute(*tensors: te.Tensor) -> te.Tensor:
        src = tensors[-1]

        def at(*i: tir.PrimExpr) -> tir.PrimExpr:
            inside = tir.all(*[tir.all(j >= r.start, j < r.stop) for j, r in zip(i, region)])
            outside = tensors[0](*i) if len(tensors) == 2 else tir.const(0, src.dtype)
            return tir.if_then_else(inside, src(*(j - r.start for j, r in zip(i, region))), outside)

        return te.compute(ctx.out.shape, at, name="insert_slice")

    return ctx.emit_te(compute, *a)


def _positive(ctx: Ctx, idx: relax.Expr, sizes: relax.Expr) -> relax.Expr:
    """Negative indices count from the end; out-of-range ones are clamped into range (TVM's gathers
    would read outside the tensor, so a bad index must never reach them)."""
    dtype = ctx.in_types[1].dtype.numpy()
    zero, one = constant(np.zeros((), dtype)), constant(np.ones((), dtype))
    wrapped = R.where(R.less(idx, zero), R.add(idx, sizes), idx)
    return R.maximum(R.minimum(wrapped, R.subtract(sizes, one)), zero)


def _size_const(ctx: Ctx, values: list[int]) -> relax.Expr:
    return constant(np.asarray(values, dtype=ctx.in_types[1].dtype.numpy()).reshape(-1 if len(values) > 1 else ()))


def _gather(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    axis = ctx.attrs["axis"] % ctx.in_types[0].rank
    idx = _positive(ctx, a[1], _size_const(ctx, [ctx.in_types[0].shape[axis]]))
    if ctx.in_types[1].rank == 0:  # TVM's take keeps a length-1 axis for a 0-d index: gather one, drop it
        return R.squeeze(R.take(a[0], R.reshape(idx, (1,)), axis=axis), [axis])
    return R.take(a[0], idx, axis=axis)


def _gather_elements(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    axis = ctx.attrs["axis"] % ctx.in_types[0].rank
    idx = _positive(ctx, a[1], _size_const(ctx, [ctx.in_types[0].shape[axis]]))
    return R.gather_elements(a[0], idx, axis=axis)


def _gather_nd(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    batch, k = ctx.attrs["batch_dims"], ctx.in_types[1].shape[-1]
    dims = list(ctx.in_types[0].shape[batch : batch + k])
    sizes = constant(np.asarray(dims, dtype=ctx.in_types[1].dtype.numpy()))
    return R.gather_nd(a[0], _positive(ctx, a[1], sizes), batch_dims=batch)


def _depth_to_space(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    n, c, h, w = ctx.in_types[0].shape
    bs = ctx.attrs["blocksize"]
    if ctx.attrs["mode"] == "DCR":
        x = R.permute_dims(R.reshape(a[0], (n, bs, bs, c // bs**2, h, w)), (0, 3, 4, 1, 5, 2))
    else:
        x = R.permute_dims(R.reshape(a[0], (n, c // bs**2, bs, bs, h, w)), (0, 1, 4, 2, 5, 3))
    return R.reshape(x, ctx.out.shape)


def _space_to_depth(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    n, c, h, w = ctx.in_types[0].shape
    bs = ctx.attrs["blocksize"]
    order = (0, 3, 5, 1, 2, 4) if ctx.attrs["mode"] == "DCR" else (0, 1, 3, 5, 2, 4)
    x = R.permute_dims(R.reshape(a[0], (n, c, h // bs, bs, w // bs, bs)), order)
    return R.reshape(x, ctx.out.shape)


def _constant_like(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    """Ops whose output is known from types or attributes alone (normally folded at import)."""
    values = ctx.node.op.compute([np.zeros(t.shape, t.dtype.numpy()) for t in ctx.in_types], ctx.attrs)
    return constant(np.asarray(values[0]))


def _resize(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    x = ctx.in_types[0]
    attrs = ctx.attrs
    is_upsample = ctx.node.op is Upsample
    if x.rank != 4 or x.shape[:2] != ctx.out.shape[:2]:
        raise ctx.unsupported("resizing other than the two spatial axes of an NCHW tensor")
    if not is_upsample and (attrs["antialias"] or attrs["keep_aspect_ratio_policy"] != "stretch"):
        raise ctx.unsupported("antialias or keep_aspect_ratio_policy")
    if not is_upsample and attrs["coordinate_transformation_mode"] == "tf_crop_and_resize":
        raise ctx.unsupported("coordinate_transformation_mode tf_crop_and_resize")
    mode = attrs["mode"]
    if mode == "cubic":
        raise ctx.unsupported("cubic resizing (TVM's cubic kernel differs from ONNX's)")
    method = {"nearest": "nearest_neighbor", "linear": "linear", "bilinear": "linear"}[mode]
    coord = "asymmetric" if is_upsample else attrs["coordinate_transformation_mode"]
    rounding = "floor" if is_upsample else attrs["nearest_mode"]
    if method != "nearest_neighbor":
        rounding = ""
    return R.image.resize2d(
        a[0],
        ctx.out.shape[2:],
        layout="NCHW",
        method=method,
        coordinate_transformation_mode=coord,
        rounding_method=rounding,
    )


def _reduce(kind: str) -> Rule:
    def rule(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
        axes = list(Reduce.reduced_axes(ctx.in_types[0].rank, ctx.attrs))
        if not axes:
            return a[0]
        keep = bool(ctx.attrs["keepdims"])
        x = a[0]
        if ctx.out.dtype.value == "bool":  # max/min of booleans: any/all, reduced as uint8
            fn = R.max if kind == "Max" else R.min
            return R.astype(fn(R.astype(x, "uint8"), axis=axes, keepdims=keep), "bool")

        def total(v: relax.Expr) -> relax.Expr:
            return R.sum(v, axis=axes, keepdims=keep)

        if kind == "L1":
            return total(R.abs(x))
        if kind == "L2":
            return R.sqrt(total(R.multiply(x, x)))
        if kind == "SumSquare":
            return total(R.multiply(x, x))
        if kind == "LogSum":
            return R.log(total(x))
        if kind == "LogSumExp":
            peak = R.max(x, axis=axes, keepdims=True)
            shifted = R.log(total(R.exp(R.subtract(x, peak))))
            return R.add(shifted, peak if keep else R.reshape(peak, ctx.out.shape))
        fn = {"Sum": R.sum, "Mean": R.mean, "Max": R.max, "Min": R.min, "Prod": R.prod}[kind]
        return fn(x, axis=axes, keepdims=keep)

    return rule


def _arg(fn: str) -> Rule:
    def rule(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
        axis = ctx.attrs["axis"] % ctx.in_types[0].rank
        keep = bool(ctx.attrs["keepdims"])
        if not ctx.attrs["select_last_index"]:
            return R.astype(getattr(R, fn)(a[0], axis=axis, keepdims=keep), ctx.out.dtype.value)
        # the last extreme: the first one in the flipped tensor, counted from the end
        first = R.astype(getattr(R, fn)(R.flip(a[0], axis), axis=axis, keepdims=keep), ctx.out.dtype.value)
        return R.subtract(ctx.const(ctx.in_types[0].shape[axis] - 1, ctx.out.dtype.value), first)

    return rule


RULES: dict[type[Op], Rule] = {
    Identity: lambda ctx, a: a[0],
    Dropout: _dropout,
    Cast: _cast,
    CastLike: _cast,
    Reshape: _to_out_shape,
    Flatten: _to_out_shape,
    Squeeze: _to_out_shape,
    Unsqueeze: _to_out_shape,
    Expand: lambda ctx, a: R.broadcast_to(a[0], ctx.out.shape),
    Transpose: lambda ctx, a: R.permute_dims(a[0], ctx.attrs["perm"]),
    Concat: lambda ctx, a: R.concat(a, axis=ctx.attrs["axis"] % ctx.out.rank),
    Split: _split,
    Slice: _slice,
    InsertSlice: _insert_slice,
    Pad: _pad,
    Tile: lambda ctx, a: R.tile(a[0], ctx.attrs["repeats"]),
    Gather: _gather,
    GatherElements: _gather_elements,
    GatherND: _gather_nd,
    DepthToSpace: _depth_to_space,
    SpaceToDepth: _space_to_depth,
    ConstantOfShape: _constant_like,
    Shape: _constant_like,
    Size: _constant_like,
    Resize: _resize,
    Upsample: _resize,
    **{op: _reduce(op.name.removeprefix("Reduce")) for op in REDUCTIONS},
    ArgMax: _arg("argmax"),
    ArgMin: _arg("argmin"),
}
