"""Unary math: Sqrt, Exp, Log, Neg, Abs, Reciprocal, Floor, Ceil, Round, Sign, Erf and the
trigonometric and hyperbolic functions. Each op is a UnaryOp holding its numpy function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.ops import _erf
from tessera.ir.ops._util import FLOATS, NUMERIC, SIGNED_INTS, require_dtype
from tessera.ir.ops.base import Attrs, Op, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType


class UnaryOp(Op):
    """One input; the output has its type. `apply` is the math (by default `fn(x)`); float16 inputs
    are computed in float32 and rounded once at the end, unless `widen_float16` is off. One MAC per
    element."""

    traits = frozenset({Elementwise})
    allowed: ClassVar[tuple[DType, ...]] = FLOATS
    widen_float16: ClassVar[bool] = True
    fn: ClassVar[Callable[..., np.ndarray]]  # fn(x); loosely typed: mypy binds callable class vars

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], cls.allowed, f"{cls.name} input")
        return [inputs[0]]

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return cls.fn(x)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        wide = x.astype(np.float32) if x.dtype == np.float16 and cls.widen_float16 else x
        with np.errstate(all="ignore"):  # IEEE results (inf, nan) are intended
            result = cls.apply(wide, attrs)
        return [np.asarray(result).astype(x.dtype, copy=False)]


@register
class Sqrt(UnaryOp):
    name = "Sqrt"
    fn = staticmethod(np.sqrt)


@register
class Exp(UnaryOp):
    name = "Exp"
    fn = staticmethod(np.exp)


@register
class Log(UnaryOp):
    name = "Log"
    fn = staticmethod(np.log)


@register
class Reciprocal(UnaryOp):
    name = "Reciprocal"
    fn = staticmethod(np.reciprocal)


@register
class Erf(UnaryOp):
    name = "Erf"
    fn = staticmethod(_erf.erf)


@register
class Floor(UnaryOp):
    name = "Floor"
    fn = staticmethod(np.floor)


@register
class Ceil(UnaryOp):
    name = "Ceil"
    fn = staticmethod(np.ceil)


@register
class Round(UnaryOp):
    """Halves round to the nearest even integer (numpy's rule, and ONNX's)."""

    name = "Round"
    fn = staticmethod(np.rint)


@register
class Neg(UnaryOp):
    name = "Neg"
    allowed = FLOATS + SIGNED_INTS
    fn = staticmethod(np.negative)


@register
class Abs(UnaryOp):
    name = "Abs"
    allowed = NUMERIC
    fn = staticmethod(np.abs)


@register
class Sign(UnaryOp):
    name = "Sign"
    allowed = NUMERIC
    fn = staticmethod(np.sign)


@register
class Sin(UnaryOp):
    name = "Sin"
    fn = staticmethod(np.sin)


@register
class Cos(UnaryOp):
    name = "Cos"
    fn = staticmethod(np.cos)


@register
class Tan(UnaryOp):
    name = "Tan"
    fn = staticmethod(np.tan)


@register
class Asin(UnaryOp):
    name = "Asin"
    fn = staticmethod(np.arcsin)


@register
class Acos(UnaryOp):
    name = "Acos"
    fn = staticmethod(np.arccos)


@register
class Atan(UnaryOp):
    name = "Atan"
    fn = staticmethod(np.arctan)


@register
class Sinh(UnaryOp):
    name = "Sinh"
    fn = staticmethod(np.sinh)


@register
class Cosh(UnaryOp):
    name = "Cosh"
    fn = staticmethod(np.cosh)


@register
class Asinh(UnaryOp):
    name = "Asinh"
    fn = staticmethod(np.arcsinh)


@register
class Acosh(UnaryOp):
    name = "Acosh"
    fn = staticmethod(np.arccosh)


@register
class Atanh(UnaryOp):
    name = "Atanh"
    fn = staticmethod(np.arctanh)
