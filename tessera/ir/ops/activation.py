"""Activation functions of one input: Relu, Sigmoid, Tanh, Gelu, HardSigmoid, HardSwish, LeakyRelu,
Elu, Selu, Celu, ThresholdedRelu, Softplus, Softsign, Mish, Shrink. PRelu and Clip, which take more
than one ONNX input, live in clip.py."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops import _erf
from tessera.ir.ops._util import FLOATS, NUMERIC, SIGNED_INTS
from tessera.ir.ops.base import Attr, Attrs, register
from tessera.ir.ops.math_unary import UnaryOp
from tessera.ir.types import TensorType


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))  # exp overflows to inf for very negative x, giving the right 0


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0, x)  # log(1 + exp(x)) without overflow


@register
class Relu(UnaryOp):
    name = "Relu"
    allowed = FLOATS + SIGNED_INTS

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return np.maximum(x, 0)


@register
class Sigmoid(UnaryOp):
    name = "Sigmoid"
    fn = staticmethod(_sigmoid)


@register
class Tanh(UnaryOp):
    name = "Tanh"
    fn = staticmethod(np.tanh)


@register
class Softplus(UnaryOp):
    name = "Softplus"
    fn = staticmethod(_softplus)


@register
class Softsign(UnaryOp):
    name = "Softsign"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return x / (1 + np.abs(x))


@register
class Mish(UnaryOp):
    name = "Mish"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return x * np.tanh(_softplus(x))


@register
class Gelu(UnaryOp):
    """approximate="none": x * (1 + erf(x / sqrt 2)) / 2; "tanh": the tanh approximation."""

    name = "Gelu"
    attrs = {"approximate": Attr("str", "none")}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if attrs["approximate"] not in ("none", "tanh"):
            raise ShapeError(f"Gelu approximate must be 'none' or 'tanh', got {attrs['approximate']!r}")
        return super().infer(inputs, attrs)

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        if attrs["approximate"] == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return 0.5 * x * (1 + np.tanh(inner))
        return 0.5 * x * (1 + _erf.erf(x / math.sqrt(2)).astype(x.dtype))


@register
class HardSigmoid(UnaryOp):
    name = "HardSigmoid"
    attrs = {"alpha": Attr("float", 0.2), "beta": Attr("float", 0.5)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return np.clip(attrs["alpha"] * x + attrs["beta"], 0, 1)


@register
class HardSwish(UnaryOp):
    name = "HardSwish"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return x * np.clip(x / 6 + 0.5, 0, 1)


@register
class LeakyRelu(UnaryOp):
    name = "LeakyRelu"
    attrs = {"alpha": Attr("float", 0.01)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return np.where(x < 0, attrs["alpha"] * x, x)


@register
class ThresholdedRelu(UnaryOp):
    name = "ThresholdedRelu"
    attrs = {"alpha": Attr("float", 1.0)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return np.where(x > attrs["alpha"], x, 0)


@register
class Elu(UnaryOp):
    name = "Elu"
    attrs = {"alpha": Attr("float", 1.0)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return np.where(x < 0, attrs["alpha"] * np.expm1(x), x)


@register
class Selu(UnaryOp):
    name = "Selu"
    attrs = {"alpha": Attr("float", 1.67326319217681884765625), "gamma": Attr("float", 1.05070102214813232421875)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        return attrs["gamma"] * np.where(x <= 0, attrs["alpha"] * np.expm1(x), x)


@register
class Celu(UnaryOp):
    name = "Celu"
    attrs = {"alpha": Attr("float", 1.0)}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if attrs["alpha"] == 0:
            raise ShapeError("Celu alpha must not be 0 (the formula divides by it)")
        return super().infer(inputs, attrs)

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        alpha = attrs["alpha"]
        return np.maximum(x, 0) + np.minimum(0, alpha * np.expm1(x / alpha))


@register
class Shrink(UnaryOp):
    """x + bias below -lambd, x - bias above lambd, 0 between."""

    name = "Shrink"
    allowed = NUMERIC
    attrs = {"bias": Attr("float", 0.0), "lambd": Attr("float", 0.5)}

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        bias, lambd = attrs["bias"], attrs["lambd"]
        return np.where(x < -lambd, x + bias, np.where(x > lambd, x - bias, 0))
