"""Softmax, LogSoftmax and Hardmax along one axis (opset 13 semantics: the other axes are independent)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.ir.ops._util import normalize_axis
from tessera.ir.ops.base import Attr, Attrs, register
from tessera.ir.ops.math_unary import UnaryOp
from tessera.ir.types import TensorType


class AxisOp(UnaryOp):
    """A float op along `axis` (default the last). float16 is computed in float16, step by step as
    ONNX's reference does: its float16 attention cases expect those roundings."""

    traits = frozenset()  # not elementwise: the whole axis is read
    attrs = {"axis": Attr("int", -1)}
    widen_float16 = False

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        normalize_axis(attrs["axis"], inputs[0].rank)
        return super().infer(inputs, attrs)


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x minus its maximum along axis, so exp cannot overflow (an empty x stays empty)."""
    if x.size == 0:
        return x
    return x - np.max(x, axis=axis, keepdims=True)


@register
class Softmax(AxisOp):
    name = "Softmax"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        e = np.exp(_shifted(x, attrs["axis"]))
        return e / np.sum(e, axis=attrs["axis"], keepdims=True)


@register
class LogSoftmax(AxisOp):
    name = "LogSoftmax"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        shifted = _shifted(x, attrs["axis"])
        return shifted - np.log(np.sum(np.exp(shifted), axis=attrs["axis"], keepdims=True))


@register
class Hardmax(AxisOp):
    """1 at the first maximum along axis, 0 elsewhere."""

    name = "Hardmax"

    @classmethod
    def apply(cls, x: np.ndarray, attrs: Attrs) -> np.ndarray:
        out = np.zeros_like(x)
        if x.size == 0:
            return out
        axis = attrs["axis"]
        first = np.expand_dims(np.argmax(x, axis=axis), axis)
        np.put_along_axis(out, first, 1, axis=axis)
        return out

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return 0
