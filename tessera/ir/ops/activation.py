"""Activation functions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.ir.ops._util import NUMERIC, require_dtype
from tessera.ir.ops.base import Attrs, Op, register
from tessera.ir.types import TensorType


class UnaryOp(Op):
    """One input; the output has its type."""

    allowed = NUMERIC

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], cls.allowed, f"{cls.name} input")
        return [inputs[0]]


@register
class Relu(UnaryOp):
    name = "Relu"

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [np.maximum(x, np.zeros((), x.dtype))]
