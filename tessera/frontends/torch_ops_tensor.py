"""ATen -> IR: shape and layout ops, slicing and indexing, casts, tensors made from shapes.

Shape ops take the static output shape torch recorded for the node, so views, flattens and
(un)squeezes all become one Reshape and never need -1 resolved here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tessera.errors import ShapeError
from tessera.frontends.torch_ops_base import Ctx, aten, axis
from tessera.ir.graph import Value
from tessera.ir.ops.cast import Cast
from tessera.ir.ops.indexing import Gather, GatherElements, GatherND
from tessera.ir.ops.pad import Pad
from tessera.ir.ops.shape_ops import Reshape, Transpose
from tessera.ir.ops.tensor import Concat, Expand, Slice, Split, Tile

INT64_MAX = 2**63 - 1


def _reshape(cx: Ctx, x: Value, shape: tuple[int, ...]) -> Value:
    return x if x.shape == shape else cx.emit(Reshape, [x], {"shape": list(shape)})


@aten(
    "view.default",
    "_unsafe_view.default",
    "reshape.default",
    "view_copy.default",
    "flatten.using_ints",
    "unflatten.int",
    "squeeze.dim",
    "squeeze.dims",
    "squeeze.default",
    "unsqueeze.default",
)
def reshape(cx: Ctx, a: dict[str, Any]) -> Value:
    return _reshape(cx, cx.v(a["self"]), cx.out_type().shape)


@aten("permute.default", "transpose.int", "t.default", "numpy_T.default")
def permute(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    rank = x.type.rank
    if "dims" in a:
        perm = [axis(d, rank) for d in a["dims"]]
    else:
        perm = list(range(rank))
        if "dim0" in a:
            i, j = axis(a["dim0"], rank), axis(a["dim1"], rank)
            perm[i], perm[j] = perm[j], perm[i]
        else:
            perm.reverse()
    return x if perm == sorted(perm) else cx.emit(Transpose, [x], {"perm": perm})


@aten("expand.default", "expand_copy.default")
def expand(cx: Ctx, a: dict[str, Any]) -> Value:
    x, shape = cx.v(a["self"]), cx.out_type().shape
    return x if x.shape == shape else cx.emit(Expand, [x], {"shape": list(shape)})


@aten("repeat.default")
def repeat(cx: Ctx, a: dict[str, Any]) -> Value:
    x, repeats = cx.v(a["self"]), list(a["repeats"])
    x = _reshape(cx, x, (1,) * (len(repeats) - x.type.rank) + x.shape)
    return cx.emit(Tile, [x], {"repeats": repeats})


@aten("cat.default", "concat.default")
def cat(cx: Ctx, a: dict[str, Any]) -> Value:
    dtype = cx.out_type().dtype
    parts = [cx.v(t, dtype) for t in a["tensors"]]
    parts = [p for p in parts if p.shape != (0,)] or parts[:1]  # torch skips legacy empty tensors
    if len(parts) == 1:
        return parts[0]
    return cx.emit(Concat, parts, {"axis": axis(a["dim"], parts[0].type.rank)})


@aten("stack.default")
def stack(cx: Ctx, a: dict[str, Any]) -> Value:
    out = cx.out_type()
    dim = axis(a["dim"], out.rank)
    parts = [cx.v(t, out.dtype) for t in a["tensors"]]
    parts = [_reshape(cx, p, (*p.shape[:dim], 1, *p.shape[dim:])) for p in parts]
    return parts[0] if len(parts) == 1 else cx.emit(Concat, parts, {"axis": dim})


@aten("slice.Tensor", "slice_copy.Tensor")
def slice_(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    dim = axis(a["dim"], x.type.rank)
    start, end = a["start"], a["end"]
    start, stop, step = slice(start, None if end is None else min(end, INT64_MAX), a["step"]).indices(x.shape[dim])
    if (start, stop, step) == (0, x.shape[dim], 1):
        return x
    return cx.emit(Slice, [x], {"starts": [start], "ends": [stop], "axes": [dim], "steps": [step]})


@aten("select.int", "select_copy.int")
def select(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    dim = axis(a["dim"], x.type.rank)
    index = cx.const(np.asarray(a["index"] % x.shape[dim], dtype=np.int64), "index")
    return cx.emit(Gather, [x, index], {"axis": dim})


@aten("split.Tensor", "split_with_sizes.default", "chunk.default", "unbind.int", "split_copy.Tensor")
def split(cx: Ctx, a: dict[str, Any]) -> list[Value]:
    x = cx.v(a["self"])
    dim = axis(a.get("dim", 0), x.type.rank)
    size = x.shape[dim]
    if "split_sizes" in a:
        sizes = list(a["split_sizes"])
    elif "split_size" in a:
        sizes = [min(a["split_size"], size - i) for i in range(0, size, a["split_size"])]
    elif "chunks" in a:
        step = -(-size // a["chunks"])
        sizes = [min(step, size - i) for i in range(0, size, step)]
    else:  # unbind
        sizes = [1] * size
    parts = cx.emit_multi(Split, [x], {"axis": dim, "split": sizes}, len(sizes))
    if "chunks" not in a and "split_size" not in a and "split_sizes" not in a:
        parts = [_reshape(cx, p, cx.out_type(i).shape) for i, p in enumerate(parts)]
    return parts


@aten("index_select.default")
def index_select(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    return cx.emit(Gather, [x, cx.v(a["index"])], {"axis": axis(a["dim"], x.type.rank)})


@aten("gather.default")
def gather(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    return cx.emit(GatherElements, [x, cx.v(a["index"])], {"axis": axis(a["dim"], x.type.rank)})


@aten("index.Tensor")
def index(cx: Ctx, a: dict[str, Any]) -> Value:
    """x[..., i0, i1, ...] with integer index tensors on adjacent axes (torch's advanced indexing)."""
    x = cx.v(a["self"])
    positions = [i for i, t in enumerate(a["indices"]) if t is not None]
    indices = [cx.v(a["indices"][i]) for i in positions]
    if any(not t.dtype.is_int for t in indices):
        raise ShapeError("indexing with boolean masks gives a data-dependent shape; use torch.where instead")
    if positions != list(range(positions[0], positions[0] + len(positions))):
        raise ShapeError(f"advanced indexing on non-adjacent axes {positions} is not supported")
    if len(indices) == 1:
        return cx.emit(Gather, [x, indices[0]], {"axis": positions[0]})
    first = positions[0]
    rest = [i for i in range(x.type.rank) if i not in positions]
    if first:
        x = cx.emit(Transpose, [x], {"perm": positions + rest})
    shape = np.broadcast_shapes(*(t.shape for t in indices))
    stacked = [_reshape(cx, _broadcast(cx, t, shape), (*shape, 1)) for t in indices]
    y = cx.emit(GatherND, [x, cx.emit(Concat, stacked, {"axis": len(shape)})])
    if first:  # torch keeps the indexed block where the first indexed axis was
        b = len(shape)
        perm = list(range(b, b + first)) + list(range(b)) + list(range(b + first, y.type.rank))
        y = cx.emit(Transpose, [y], {"perm": perm})
    return y


def _broadcast(cx: Ctx, t: Value, shape: tuple[int, ...]) -> Value:
    return t if t.shape == shape else cx.emit(Expand, [t], {"shape": list(shape)})


@aten("flip.default")
def flip(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    dims = [axis(d, x.type.rank) for d in a["dims"]]
    attrs = {"starts": [-1] * len(dims), "ends": [-INT64_MAX] * len(dims), "axes": dims, "steps": [-1] * len(dims)}
    return cx.emit(Slice, [x], attrs)


@aten("constant_pad_nd.default", "reflection_pad2d.default", "replication_pad2d.default", "reflection_pad1d.default")
def pad(cx: Ctx, a: dict[str, Any]) -> Value:
    x = cx.v(a["self"])
    rank, pairs = x.type.rank, list(a["pad"] if "pad" in a else a["padding"])
    begins, ends = [0] * rank, [0] * rank
    for i in range(len(pairs) // 2):  # torch lists (begin, end) from the last axis backwards
        begins[rank - 1 - i], ends[rank - 1 - i] = pairs[2 * i], pairs[2 * i + 1]
    target = str(cx.node.target)
    mode = "reflect" if "reflection" in target else "edge" if "replication" in target else "constant"
    attrs: dict[str, Any] = {"mode": mode, "pads": begins + ends}
    if mode == "constant":
        attrs["constant_value"] = float(a.get("value") or 0.0)
    return cx.emit(Pad, [x], attrs)


# ---- casts and tensors made from another tensor's shape ------------------------------------------
@aten("_to_copy.default", "to.dtype", "type_as.default")
def to_copy(cx: Ctx, a: dict[str, Any]) -> Value:
    x, dtype = cx.v(a["self"]), cx.out_type().dtype
    return x if x.dtype is dtype else cx.emit(Cast, [x], {"to": dtype})


@aten(
    "zeros_like.default",
    "ones_like.default",
    "full_like.default",
    "empty_like.default",
    "new_zeros.default",
    "new_ones.default",
    "new_full.default",
    "new_empty.default",
)
def like(cx: Ctx, a: dict[str, Any]) -> Value:
    out, target = cx.out_type(), str(cx.node.target)
    fill = a.get("fill_value", 1 if "ones" in target else 0)
    return cx.const(np.full(out.shape, fill, dtype=out.dtype.numpy()), "filled")
