"""Elementwise math with numpy broadcasting. Binary and unary ops share small base classes; each op
is then one line of semantics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from tessera.ir.ops._util import NUMERIC, broadcast_shapes, require_dtype, same_dtype
from tessera.ir.ops.base import Attrs, Op, register
from tessera.ir.types import TensorType


class BinaryOp(Op):
    """Two inputs of one dtype, broadcast; the result has that dtype."""

    min_inputs = max_inputs = 2
    fn: ClassVar[Callable[[np.ndarray, np.ndarray], np.ndarray]]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        dtype = same_dtype(inputs, cls.name)
        require_dtype(inputs[0], NUMERIC, f"{cls.name} input")
        return [TensorType(dtype, broadcast_shapes(inputs[0].shape, inputs[1].shape))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a, b = inputs
        return [np.asarray(cls.fn(a, b)).astype(a.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel


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
