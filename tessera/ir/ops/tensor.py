"""Ops that cut, join or repeat tensors: Concat, Split, Slice, Expand, Tile. Split sizes, slice
bounds, target shapes and repeats are compile-time attributes (static inputs in ONNX)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import broadcast_shapes, normalize_axes, normalize_axis, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeView, Op, register
from tessera.ir.types import TensorType


@register
class Concat(Op):
    name = "Concat"
    attrs = {"axis": Attr("int")}
    max_inputs = -1

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        dtype = same_dtype(inputs, cls.name)
        first = inputs[0]
        if first.rank == 0:
            raise ShapeError("Concat inputs must have rank >= 1, got a scalar")
        axis = normalize_axis(attrs["axis"], first.rank)
        for t in inputs[1:]:
            if t.rank != first.rank or any(a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis):
                raise ShapeError(
                    f"Concat along axis {axis}: input shapes {first.shape} and {t.shape} differ off that axis"
                )
        shape = list(first.shape)
        shape[axis] = sum(t.shape[axis] for t in inputs)
        return [TensorType(dtype, tuple(shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.concatenate(inputs, axis=normalize_axis(attrs["axis"], inputs[0].ndim))]


@register
class Split(Op):
    """Cut along `axis` into parts of sizes `split`, or into `num_outputs` parts of ceil(dim / n)
    elements with a smaller last part. The importer sets `num_outputs` to the node's output count
    when ONNX gives neither."""

    name = "Split"
    attrs = {"axis": Attr("int", 0), "split": Attr("ints", optional=True), "num_outputs": Attr("int", optional=True)}
    static_inputs = {1: "split"}
    num_outputs = -1

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        imported = super().from_onnx(view)
        if "split" not in imported.attrs and "num_outputs" not in imported.attrs:
            imported.attrs["num_outputs"] = view.num_outputs
        return imported

    @classmethod
    def sizes(cls, dim: int, attrs: Attrs) -> list[int]:
        split, n = attrs["split"], attrs["num_outputs"]
        if split is not None:
            if any(s < 0 for s in split) or sum(split) != dim:
                raise ShapeError(f"Split sizes {split} must be non-negative and sum to the axis size {dim}")
            return list(split)
        if n is None or n < 1:
            raise ShapeError("Split needs split sizes or num_outputs >= 1")
        chunk = math.ceil(dim / n)
        last = dim - chunk * (n - 1)
        if last < 0:
            raise ShapeError(f"Split cannot cut an axis of size {dim} into {n} parts of {chunk}")
        return [chunk] * (n - 1) + [last]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        axis = normalize_axis(attrs["axis"], x.rank)
        shape = list(x.shape)
        out = []
        for size in cls.sizes(x.shape[axis], attrs):
            shape[axis] = size
            out.append(x.with_shape(tuple(shape)))
        return out

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        axis = normalize_axis(attrs["axis"], x.ndim)
        bounds = np.cumsum(cls.sizes(x.shape[axis], attrs))[:-1]
        return [np.ascontiguousarray(part) for part in np.split(x, bounds, axis=axis)]


@register
class Slice(Op):
    """Strided slices along `axes` (default: the first len(starts) axes). Bounds are clamped as in
    ONNX; negative steps walk backwards."""

    name = "Slice"
    attrs = {
        "starts": Attr("ints"),
        "ends": Attr("ints"),
        "axes": Attr("ints", optional=True),
        "steps": Attr("ints", optional=True),
    }
    static_inputs = {1: "starts", 2: "ends", 3: "axes", 4: "steps"}

    @classmethod
    def slices(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[slice, ...]:
        starts, ends = attrs["starts"], attrs["ends"]
        axes = attrs["axes"] if attrs["axes"] is not None else tuple(range(len(starts)))
        steps = attrs["steps"] if attrs["steps"] is not None else (1,) * len(starts)
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise ShapeError(f"Slice starts {starts}, ends {ends}, axes {axes}, steps {steps} differ in length")
        out = [slice(None)] * len(shape)
        for axis, start, end, step in zip(normalize_axes(axes, len(shape)), starts, ends, steps):
            out[axis] = _clamped(start, end, step, shape[axis])
        return tuple(out)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        dims = tuple(len(range(*s.indices(d))) for s, d in zip(cls.slices(x.shape, attrs), x.shape))
        return [x.with_shape(dims)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [np.ascontiguousarray(x[cls.slices(x.shape, attrs)])]


def _clamped(start: int, end: int, step: int, dim: int) -> slice:
    if step == 0:
        raise ShapeError("Slice step must not be 0")
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        return slice(min(max(start, 0), dim), min(max(end, 0), dim), step)
    start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return slice(start, None if end < 0 else end, step) if start >= 0 else slice(0, 0, 1)


@register
class Expand(Op):
    """Broadcast the input against `shape` (bidirectionally, as numpy does)."""

    name = "Expand"
    attrs = {"shape": Attr("ints")}
    static_inputs = {1: "shape"}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if any(d < 0 for d in attrs["shape"]):
            raise ShapeError(f"Expand shape {attrs['shape']} has a negative dimension")
        return [inputs[0].with_shape(broadcast_shapes(inputs[0].shape, tuple(attrs["shape"])))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [np.array(np.broadcast_to(x, broadcast_shapes(x.shape, tuple(attrs["shape"]))))]


@register
class Tile(Op):
    """Repeat the input `repeats[i]` times along each axis i."""

    name = "Tile"
    attrs = {"repeats": Attr("ints")}
    static_inputs = {1: "repeats"}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x, repeats = inputs[0], attrs["repeats"]
        if len(repeats) != x.rank or any(r < 0 for r in repeats):
            raise ShapeError(f"Tile repeats {repeats} must be {x.rank} non-negative counts, one per input axis")
        return [x.with_shape(tuple(d * r for d, r in zip(x.shape, repeats)))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.tile(inputs[0], attrs["repeats"])]
