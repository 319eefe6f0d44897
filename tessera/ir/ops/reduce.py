"""Reductions (ReduceSum, ReduceMean, ReduceMax, ... and ArgMax/ArgMin).

`axes` is an attribute in some ONNX opsets and input 1 in others (ReduceSum from 13, the rest from
18); the default import takes either. No axes reduces every axis, unless noop_with_empty_axes is
set: then nothing is reduced and the op applies only its elementwise part (ReduceSumSquare squares).
Reducing an empty set gives the identity of the reduction (0 for sums, -inf for ReduceMax, ...).
Float16 is accumulated in float32.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._util import FLOATS, NUMERIC, normalize_axes, normalize_axis, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.types import TensorType

Axes = tuple[int, ...]


class Reduce(Op):
    """Base of the ReduceX ops: subclasses define `reduce(x, axes)`, keeping the reduced axes."""

    attrs = {
        "axes": Attr("ints", optional=True),
        "keepdims": Attr("int", 1),
        "noop_with_empty_axes": Attr("int", 0),
    }
    static_inputs = {1: "axes"}
    allowed: ClassVar[tuple[DType, ...]] = NUMERIC

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        raise NotImplementedError

    @classmethod
    def reduced_axes(cls, rank: int, attrs: Attrs) -> Axes:
        if attrs["axes"]:
            return normalize_axes(attrs["axes"], rank)
        return () if attrs["noop_with_empty_axes"] else tuple(range(rank))

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, cls.allowed, f"{cls.name} input")
        axes = cls.reduced_axes(x.rank, attrs)
        if attrs["keepdims"]:
            return [x.with_shape(tuple(1 if i in axes else d for i, d in enumerate(x.shape)))]
        return [x.with_shape(tuple(d for i, d in enumerate(x.shape) if i not in axes))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        shape = cls.infer([TensorType(DType.from_numpy(x.dtype), x.shape)], attrs)[0].shape
        work = x.astype(np.float32) if x.dtype == np.float16 else x
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            result = cls.reduce(work, cls.reduced_axes(x.ndim, attrs))
        return [np.asarray(result).astype(x.dtype).reshape(shape)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel


def _lowest(dtype: np.dtype) -> float | int | bool:
    if dtype == np.bool_:
        return False
    return -np.inf if np.issubdtype(dtype, np.floating) else int(np.iinfo(dtype).min)


def _highest(dtype: np.dtype) -> float | int | bool:
    if dtype == np.bool_:
        return True
    return np.inf if np.issubdtype(dtype, np.floating) else int(np.iinfo(dtype).max)


@register
class ReduceSum(Reduce):
    name = "ReduceSum"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sum(x, axis=axes, keepdims=True)


@register
class ReduceMean(Reduce):
    name = "ReduceMean"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        count = math.prod(x.shape[a] for a in axes)
        return np.sum(x, axis=axes, keepdims=True) / np.float64(count)


@register
class ReduceProd(Reduce):
    name = "ReduceProd"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.prod(x, axis=axes, keepdims=True)


@register
class ReduceMax(Reduce):
    name = "ReduceMax"
    allowed = (*NUMERIC, DType.BOOL)

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.max(x, axis=axes, keepdims=True, initial=_lowest(x.dtype))


@register
class ReduceMin(Reduce):
    name = "ReduceMin"
    allowed = (*NUMERIC, DType.BOOL)

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.min(x, axis=axes, keepdims=True, initial=_highest(x.dtype))


@register
class ReduceL1(Reduce):
    name = "ReduceL1"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sum(np.abs(x), axis=axes, keepdims=True)


@register
class ReduceL2(Reduce):
    name = "ReduceL2"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sqrt(np.sum(np.square(x), axis=axes, keepdims=True))


@register
class ReduceSumSquare(Reduce):
    name = "ReduceSumSquare"

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sum(np.square(x), axis=axes, keepdims=True)


@register
class ReduceLogSum(Reduce):
    name = "ReduceLogSum"
    allowed = FLOATS

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        return np.log(np.sum(x, axis=axes, keepdims=True))


@register
class ReduceLogSumExp(Reduce):
    """log(sum(exp(x))), computed as m + log(sum(exp(x - m))) with m the (finite) maximum."""

    name = "ReduceLogSumExp"
    allowed = FLOATS

    @classmethod
    def reduce(cls, x: np.ndarray, axes: Axes) -> np.ndarray:
        peak = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
        peak = np.where(np.isfinite(peak), peak, 0.0).astype(x.dtype)
        return np.log(np.sum(np.exp(x - peak), axis=axes, keepdims=True)) + peak


class ArgReduce(Op):
    """Base of ArgMax/ArgMin: int64 positions along `axis` (the first, or the last on ties when
    select_last_index is set)."""

    attrs = {"axis": Attr("int", 0), "keepdims": Attr("int", 1), "select_last_index": Attr("int", 0)}
    pick: ClassVar[str]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, NUMERIC, f"{cls.name} input")
        if x.rank == 0:
            raise ShapeError(f"{cls.name} needs an input of rank >= 1, got a scalar")
        axis = normalize_axis(attrs["axis"], x.rank)
        if x.shape[axis] == 0:
            raise ShapeError(f"{cls.name} needs a non-empty axis {axis}; input shape is {x.shape}")
        shape = list(x.shape)
        if attrs["keepdims"]:
            shape[axis] = 1
        else:
            del shape[axis]
        return [TensorType(DType.INT64, tuple(shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        axis = normalize_axis(attrs["axis"], x.ndim)
        fn = np.argmax if cls.pick == "max" else np.argmin
        if attrs["select_last_index"]:
            index = x.shape[axis] - 1 - fn(np.flip(x, axis=axis), axis=axis, keepdims=True)
        else:
            index = fn(x, axis=axis, keepdims=True)
        shape = cls.infer([TensorType(DType.from_numpy(x.dtype), x.shape)], attrs)[0].shape
        return [index.astype(np.int64).reshape(shape)]


@register
class ArgMax(ArgReduce):
    name = "ArgMax"
    pick = "max"


@register
class ArgMin(ArgReduce):
    name = "ArgMin"
    pick = "min"
