"""Ops that only rearrange or relabel dimensions: Reshape, Flatten, Squeeze, Unsqueeze, Transpose.
Shapes, axes and permutations are compile-time attributes (static inputs in ONNX)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import normalize_axes
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import View
from tessera.ir.types import TensorType


def reshape_dims(shape: tuple[int, ...], target: Sequence[int], allowzero: bool) -> tuple[int, ...]:
    """ONNX Reshape's target shape resolved: 0 copies the input dimension (unless allowzero), -1 is
    inferred from the element count."""
    dims = list(target)
    if any(d < -1 for d in dims):
        raise ShapeError(f"Reshape shape {tuple(target)} has a dimension below -1")
    if dims.count(-1) > 1:
        raise ShapeError(f"Reshape shape {tuple(target)} has more than one -1; at most one dimension is inferred")
    if allowzero and 0 in dims and -1 in dims:
        raise ShapeError(f"Reshape shape {tuple(target)} with allowzero=1 cannot hold both 0 and -1")
    if not allowzero:
        for i, d in enumerate(dims):
            if d == 0:
                if i >= len(shape):
                    raise ShapeError(f"Reshape shape {tuple(target)}: 0 at position {i} copies no input dimension")
                dims[i] = shape[i]
    total = math.prod(shape)
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        if known == 0 or total % known:
            raise ShapeError(f"cannot reshape {shape} ({total} elements) to {tuple(target)}: -1 has no whole value")
        dims[dims.index(-1)] = total // known
    if math.prod(dims) != total:
        raise ShapeError(f"cannot reshape {shape} ({total} elements) to {tuple(target)} ({math.prod(dims)} elements)")
    return tuple(dims)


@register
class Reshape(Op):
    traits = frozenset({View})
    name = "Reshape"
    attrs = {"shape": Attr("ints"), "allowzero": Attr("int", 0)}
    static_inputs = {1: "shape"}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        return [x.with_shape(reshape_dims(x.shape, attrs["shape"], bool(attrs["allowzero"])))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [x.reshape(reshape_dims(x.shape, attrs["shape"], bool(attrs["allowzero"])))]


class Regroup(Op):
    """An op that only regroups dimensions: subclasses give `out_shape`; the data is a reshape."""

    traits = frozenset({View})

    @classmethod
    def out_shape(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[int, ...]:
        raise NotImplementedError

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [inputs[0].with_shape(cls.out_shape(inputs[0].shape, attrs))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [inputs[0].reshape(cls.out_shape(inputs[0].shape, attrs))]


@register
class Flatten(Regroup):
    """Collapse to 2-D: dimensions before `axis` form the rows, the rest the columns."""

    name = "Flatten"
    attrs = {"axis": Attr("int", 1)}

    @classmethod
    def out_shape(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[int, ...]:
        rank, axis = len(shape), attrs["axis"]
        if not -rank <= axis <= rank:
            raise ShapeError(f"Flatten axis {axis} is out of range for rank {rank} (allowed {-rank}..{rank})")
        axis = axis + rank if axis < 0 else axis
        return math.prod(shape[:axis]), math.prod(shape[axis:])


@register
class Squeeze(Regroup):
    """Drop size-1 dimensions: those in `axes`, or all of them when `axes` is absent."""

    name = "Squeeze"
    attrs = {"axes": Attr("ints", optional=True)}
    static_inputs = {1: "axes"}

    @classmethod
    def out_shape(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[int, ...]:
        axes = attrs["axes"]
        if not axes:
            return tuple(d for d in shape if d != 1)
        dropped = normalize_axes(axes, len(shape))
        for axis in dropped:
            if shape[axis] != 1:
                raise ShapeError(f"Squeeze axis {axis} has size {shape[axis]}; only size-1 dimensions can go")
        return tuple(d for i, d in enumerate(shape) if i not in dropped)


@register
class Unsqueeze(Regroup):
    """Insert size-1 dimensions at `axes` (positions in the output)."""

    name = "Unsqueeze"
    attrs = {"axes": Attr("ints")}
    static_inputs = {1: "axes"}

    @classmethod
    def out_shape(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[int, ...]:
        axes = attrs["axes"]
        rank = len(shape) + len(axes)
        inserted = set(normalize_axes(axes, rank))
        rest = iter(shape)
        return tuple(1 if i in inserted else next(rest) for i in range(rank))


@register
class Transpose(Op):
    """Permute dimensions; output dimension i is input dimension perm[i] (default: reversed)."""

    name = "Transpose"
    attrs = {"perm": Attr("ints", optional=True)}

    @classmethod
    def perm(cls, rank: int, attrs: Attrs) -> tuple[int, ...]:
        perm = attrs["perm"]
        if perm is None:
            return tuple(reversed(range(rank)))
        if sorted(perm) != list(range(rank)):
            raise ShapeError(f"Transpose perm {perm} is not a permutation of 0..{rank - 1} (input rank {rank})")
        return tuple(perm)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        return [x.with_shape(tuple(x.shape[p] for p in cls.perm(x.rank, attrs)))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [np.ascontiguousarray(np.transpose(x, cls.perm(x.ndim, attrs)))]
