"""Elementwise arithmetic with numpy (multidirectional) broadcasting: the binary ops Add, Sub, Mul,
Div, Mod, Pow and the variadic Sum, Max, Min, Mean. Binary and variadic ops share small base classes;
each op is then one line of semantics."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._util import FLOATS, NUMERIC, broadcast_shapes, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType

# Called as cls.fn(a, b); typed loosely because mypy binds callable class variables like methods.
BinaryFn = Callable[..., np.ndarray]


class BinaryOp(Op):
    """Two inputs of one dtype, broadcast; the result has that dtype. One MAC per output element."""

    traits = frozenset({Elementwise})
    min_inputs = max_inputs = 2
    allowed: ClassVar[tuple[DType, ...]] = NUMERIC
    fn: ClassVar[BinaryFn]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        dtype = same_dtype(inputs, cls.name)
        require_dtype(inputs[0], cls.allowed, f"{cls.name} input")
        return [TensorType(dtype, broadcast_shapes(inputs[0].shape, inputs[1].shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a, b = inputs
        with np.errstate(all="ignore"):  # IEEE results (inf, nan) and integer wrap-around are intended
            result = cls.fn(a, b)
        return [np.asarray(result).astype(a.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel


def _divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True division for floats; integer division truncates toward zero (as in C), not toward -inf."""
    if a.dtype.kind not in "iu":
        return np.divide(a, b)
    quotient = np.floor_divide(a, b)
    inexact = (np.remainder(a, b) != 0) & ((a < 0) ^ (b < 0))
    return quotient + inexact.astype(quotient.dtype)


@register
class Add(BinaryOp):
    name = "Add"
    fn = staticmethod(np.add)


@register
class Sub(BinaryOp):
    name = "Sub"
    fn = staticmethod(np.subtract)


@register
class Mul(BinaryOp):
    name = "Mul"
    fn = staticmethod(np.multiply)


@register
class Div(BinaryOp):
    name = "Div"
    fn = staticmethod(_divide)


@register
class Mod(BinaryOp):
    """fmod=0: the result takes the divisor's sign (numpy mod); fmod=1: the dividend's (C fmod)."""

    name = "Mod"
    attrs = {"fmod": Attr("int", 0)}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if attrs["fmod"] not in (0, 1):
            raise ShapeError(f"Mod fmod must be 0 or 1, got {attrs['fmod']}")
        return super().infer(inputs, attrs)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a, b = inputs
        fn = np.fmod if attrs["fmod"] else np.mod
        with np.errstate(all="ignore"):
            return [np.asarray(fn(a, b)).astype(a.dtype, copy=False)]


@register
class Pow(BinaryOp):
    """Base and exponent may have different dtypes; the result has the base's."""

    name = "Pow"

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], NUMERIC, "Pow base")
        require_dtype(inputs[1], NUMERIC, "Pow exponent")
        return [TensorType(inputs[0].dtype, broadcast_shapes(inputs[0].shape, inputs[1].shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        base, exponent = inputs
        if base.dtype.kind in "iu" and exponent.dtype.kind in "iu" and np.any(exponent < 0):
            base = base.astype(np.float64)  # numpy refuses negative integer powers of integers
        with np.errstate(all="ignore"):
            result = np.power(base, exponent)
        return [np.asarray(result).astype(inputs[0].dtype)]


class VariadicOp(Op):
    """One or more inputs of one dtype, all broadcast together; folded pairwise with `fn`."""

    traits = frozenset({Elementwise})
    min_inputs, max_inputs = 1, -1
    allowed: ClassVar[tuple[DType, ...]] = NUMERIC
    fn: ClassVar[BinaryFn]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if not inputs:
            raise ShapeError(f"{cls.name} needs at least one input")
        dtype = same_dtype(inputs, cls.name)
        require_dtype(inputs[0], cls.allowed, f"{cls.name} input")
        return [TensorType(dtype, broadcast_shapes(*(t.shape for t in inputs)))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            result = functools.reduce(cls.fn, inputs)
        return [np.array(result, dtype=inputs[0].dtype)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * max(len(inputs) - 1, 1)


@register
class Sum(VariadicOp):
    name = "Sum"
    allowed = FLOATS
    fn = staticmethod(np.add)


@register
class Max(VariadicOp):
    name = "Max"
    fn = staticmethod(np.maximum)


@register
class Min(VariadicOp):
    name = "Min"
    fn = staticmethod(np.minimum)


@register
class Mean(VariadicOp):
    name = "Mean"
    allowed = FLOATS
    fn = staticmethod(np.add)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        total = super().compute(inputs, attrs)[0]
        return [np.asarray(total / len(inputs)).astype(total.dtype)]
