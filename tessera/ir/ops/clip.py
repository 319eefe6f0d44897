"""Activations with more than one ONNX input: Clip (its bounds are compile-time inputs that become
attributes) and PRelu (a slope tensor broadcast to X)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import NUMERIC, broadcast_shapes, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, OnnxNodeSpec, Op, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType


@register
class Clip(Op):
    """min(max(x, min), max); an absent bound does not limit. When min > max every element becomes max.
    Bounds are held as floats, exact for every float bound and for integers up to 2**53."""

    traits = frozenset({Elementwise})
    name = "Clip"
    attrs = {"min": Attr("float", optional=True), "max": Attr("float", optional=True)}
    static_inputs = {1: "min", 2: "max"}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], NUMERIC, "Clip input")
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        out = x
        if attrs["min"] is not None:
            out = np.maximum(out, _bound(attrs["min"], x.dtype))
        if attrs["max"] is not None:
            out = np.minimum(out, _bound(attrs["max"], x.dtype))
        return [np.array(out, dtype=x.dtype)]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        """The bounds go back as scalar initializers of the input's dtype (the default writes int64)."""
        dtype = input_types[0].dtype.numpy()
        inputs: list[int | np.ndarray | None] = [0]
        inputs += [None if attrs[k] is None else _bound(attrs[k], dtype) for k in ("min", "max")]
        while inputs[-1] is None:
            inputs.pop()
        return OnnxNodeSpec(cls.name, {}, inputs)


def _bound(value: float, dtype: np.dtype) -> np.ndarray:
    """A bound as a scalar of the input dtype; integer bounds beyond the dtype's range saturate."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        return np.array(value, dtype=dtype)
    info = np.iinfo(dtype)
    if value <= info.min:
        return np.array(info.min, dtype=dtype)
    if value >= info.max:
        return np.array(info.max, dtype=dtype)
    return np.array(int(value), dtype=dtype)


@register
class PRelu(Op):
    """x where x >= 0, slope * x elsewhere; slope broadcasts to X's shape (unidirectional)."""

    traits = frozenset({Elementwise})
    name = "PRelu"
    min_inputs = max_inputs = 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x, slope = inputs
        same_dtype(inputs, "PRelu")
        require_dtype(x, NUMERIC, "PRelu input")
        if broadcast_shapes(x.shape, slope.shape) != x.shape:
            raise ShapeError(
                f"PRelu slope of shape {slope.shape} does not broadcast to X of shape {x.shape} "
                "(the slope may not enlarge X)"
            )
        return [x]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, slope = inputs
        return [np.asarray(np.where(x < 0, x * slope, x), dtype=x.dtype)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel
