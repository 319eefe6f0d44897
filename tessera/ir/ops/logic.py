"""Comparisons and logic: Equal, Less, LessOrEqual, Greater, GreaterOrEqual (bool results), And, Or,
Xor, Not, Where, IsNaN, IsInf. Do no arithmetic, so they count no MACs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.ops._util import FLOATS, NUMERIC, broadcast_shapes, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType

BOOL = (DType.BOOL,)


class CompareOp(Op):
    """Two inputs of one dtype, broadcast; the result is bool."""

    traits = frozenset({Elementwise})
    min_inputs = max_inputs = 2
    allowed: ClassVar[tuple[DType, ...]] = NUMERIC
    fn: ClassVar[Callable[..., np.ndarray]]  # fn(a, b)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        same_dtype(inputs, cls.name)
        require_dtype(inputs[0], cls.allowed, f"{cls.name} input")
        return [TensorType(DType.BOOL, broadcast_shapes(inputs[0].shape, inputs[1].shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.asarray(cls.fn(inputs[0], inputs[1]), dtype=bool)]


@register
class Equal(CompareOp):
    name = "Equal"
    allowed = (*NUMERIC, DType.BOOL)
    fn = staticmethod(np.equal)


@register
class Less(CompareOp):
    name = "Less"
    fn = staticmethod(np.less)


@register
class LessOrEqual(CompareOp):
    name = "LessOrEqual"
    fn = staticmethod(np.less_equal)


@register
class Greater(CompareOp):
    name = "Greater"
    fn = staticmethod(np.greater)


@register
class GreaterOrEqual(CompareOp):
    name = "GreaterOrEqual"
    fn = staticmethod(np.greater_equal)


@register
class And(CompareOp):
    name = "And"
    allowed = BOOL
    fn = staticmethod(np.logical_and)


@register
class Or(CompareOp):
    name = "Or"
    allowed = BOOL
    fn = staticmethod(np.logical_or)


@register
class Xor(CompareOp):
    name = "Xor"
    allowed = BOOL
    fn = staticmethod(np.logical_xor)


@register
class Not(Op):
    traits = frozenset({Elementwise})
    name = "Not"

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], BOOL, "Not input")
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.logical_not(inputs[0])]


@register
class Where(Op):
    """condition ? X : Y, all three broadcast together."""

    traits = frozenset({Elementwise})
    name = "Where"
    min_inputs = max_inputs = 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        cond, x, y = inputs
        require_dtype(cond, BOOL, "Where condition")
        dtype = same_dtype([x, y], "Where (X and Y)")
        return [TensorType(dtype, broadcast_shapes(cond.shape, x.shape, y.shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        cond, x, y = inputs
        return [np.asarray(np.where(cond, x, y), dtype=x.dtype)]


class FloatTestOp(Op):
    """One float input; a bool result of the same shape."""

    traits = frozenset({Elementwise})

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], FLOATS, f"{cls.name} input")
        return [inputs[0].with_dtype(DType.BOOL)]


@register
class IsNaN(FloatTestOp):
    name = "IsNaN"

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.isnan(inputs[0])]


@register
class IsInf(FloatTestOp):
    name = "IsInf"
    attrs = {"detect_negative": Attr("bool", True), "detect_positive": Attr("bool", True)}

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        negative = np.isneginf(x) if attrs["detect_negative"] else np.zeros(x.shape, dtype=bool)
        positive = np.isposinf(x) if attrs["detect_positive"] else np.zeros(x.shape, dtype=bool)
        return [negative | positive]
