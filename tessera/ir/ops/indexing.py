"""Gathers: Gather, GatherElements, GatherND. Indices are data (int32 or int64) and may be
negative, counting from the end of their axis."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._util import normalize_axis, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.types import TensorType

INDEX_DTYPES = (DType.INT32, DType.INT64)


def _wrapped(indices: np.ndarray, dims: int | np.ndarray, what: str) -> np.ndarray:
    """Indices with negatives counted from the end; IndexError when one is out of range."""
    indices = indices.astype(np.int64)
    if np.any((indices < -dims) | (indices >= dims)):
        raise IndexError(f"{what} indices out of range: {indices.min()}..{indices.max()} for size {dims}")
    return np.where(indices < 0, indices + dims, indices)


@register
class Gather(Op):
    """Pick slices along `axis`: out[i.., j.., k..] = data[i.., indices[j..], k..]."""

    name = "Gather"
    attrs = {"axis": Attr("int", 0)}
    min_inputs = max_inputs = 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        data, indices = inputs
        require_dtype(indices, INDEX_DTYPES, "Gather indices")
        if data.rank == 0:
            raise ShapeError("Gather data must have rank >= 1")
        axis = normalize_axis(attrs["axis"], data.rank)
        return [data.with_shape(data.shape[:axis] + indices.shape + data.shape[axis + 1 :])]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        data, indices = inputs
        axis = normalize_axis(attrs["axis"], data.ndim)
        return [np.asarray(np.take(data, _wrapped(indices, data.shape[axis], "Gather"), axis=axis))]


@register
class GatherElements(Op):
    """out[i][j] = data[indices[i][j]][j] (for axis 0); the output has the indices' shape."""

    name = "GatherElements"
    attrs = {"axis": Attr("int", 0)}
    min_inputs = max_inputs = 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        data, indices = inputs
        require_dtype(indices, INDEX_DTYPES, "GatherElements indices")
        axis = normalize_axis(attrs["axis"], data.rank)
        if indices.rank != data.rank:
            raise ShapeError(f"GatherElements indices rank {indices.rank} differs from data rank {data.rank}")
        if any(i > d for k, (i, d) in enumerate(zip(indices.shape, data.shape)) if k != axis):
            raise ShapeError(f"GatherElements indices shape {indices.shape} exceeds data shape {data.shape}")
        return [data.with_shape(indices.shape)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        data, indices = inputs
        axis = normalize_axis(attrs["axis"], data.ndim)
        window = tuple(slice(None) if k == axis else slice(0, n) for k, n in enumerate(indices.shape))
        wrapped = _wrapped(indices, data.shape[axis], "GatherElements")
        return [np.take_along_axis(data[window], wrapped, axis=axis)]


@register
class GatherND(Op):
    """Index the data with the tuples in the indices' last dimension; the first `batch_dims`
    dimensions of both are shared batch dimensions."""

    name = "GatherND"
    attrs = {"batch_dims": Attr("int", 0)}
    min_inputs = max_inputs = 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        data, indices = inputs
        require_dtype(indices, INDEX_DTYPES, "GatherND indices")
        b = attrs["batch_dims"]
        if indices.rank < 1 or not 0 <= b < min(data.rank, indices.rank):
            raise ShapeError(
                f"GatherND batch_dims {b} must be below both ranks (data {data.rank}, indices {indices.rank})"
            )
        if data.shape[:b] != indices.shape[:b]:
            raise ShapeError(f"GatherND batch dimensions differ: data {data.shape[:b]}, indices {indices.shape[:b]}")
        k = indices.shape[-1]
        if not 1 <= k <= data.rank - b:
            raise ShapeError(f"GatherND index tuples have length {k}; allowed 1..{data.rank - b}")
        return [data.with_shape(indices.shape[:-1] + data.shape[b + k :])]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        data, indices = inputs
        b, k = attrs["batch_dims"], indices.shape[-1]
        batch, count = math.prod(data.shape[:b]), math.prod(indices.shape[b:-1])
        flat_data = data.reshape((batch, *data.shape[b:]))
        tuples = _wrapped(indices.reshape(batch, count, k), np.array(data.shape[b : b + k]), "GatherND")
        rows = np.arange(batch)[:, None]
        picked = flat_data[(rows, *(tuples[..., i] for i in range(k)))]
        return [picked.reshape(indices.shape[:-1] + data.shape[b + k :])]
