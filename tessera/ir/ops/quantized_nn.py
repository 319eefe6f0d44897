"""int8 convolution and matrix products (domain ai.tessera), TFLite int8 semantics:

    acc[c] = bias[c] + sum((x - x_zero_point) * w[c])        int32, weights symmetric (zero point 0)
    y[c]   = clamp(MultiplyByQuantizedMultiplier(acc[c], multiplier[c], shift[c]) + y_zero_point,
                   act_min, act_max)

QConv covers Conv, depthwise (group = channels) and grouped convolution; padding reads x_zero_point
(real zero). QFullyConnected multiplies the last axis of x by weights laid out (out, in) as TFLite's
FULLY_CONNECTED. QMatMul multiplies two int8 activations (per-tensor). The reference kernels
accumulate in float64, which is exact for these integer sums (|acc| < 2^53), then requantize in
integers (`_fixed_point`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._spatial import WINDOW_ATTRS
from tessera.ir.ops._util import require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.linalg import MatMul
from tessera.ir.ops.quantized import OUTPUT_ATTRS, TESSERA, check_output_stage, output_stage
from tessera.ir.traits import Windowed
from tessera.ir.types import TensorType

_F64 = DType.FLOAT64


def _check_int8(op: str, inputs: Sequence[TensorType], bias_at: int | None, channels: int) -> None:
    for i, t in enumerate(inputs):
        if i == bias_at:
            require_dtype(t, (DType.INT32,), f"{op} bias")
            if t.shape != (channels,):
                raise ShapeError(f"{op}: bias {t} must have shape ({channels},)")
        else:
            require_dtype(t, (DType.INT8,), f"{op} input {i}")


def _accumulate(product: np.ndarray, bias: np.ndarray | None, channel_axis: int) -> np.ndarray:
    acc = np.rint(product).astype(np.int64)
    if bias is not None:
        layout = [1] * acc.ndim
        layout[channel_axis] = bias.size
        acc = acc + bias.astype(np.int64).reshape(layout)
    return acc


@register
class QConv(Op):
    """int8 Conv (N, C, D...) * (M, C/group, K...) + int32 bias (M,), per-channel requantization."""

    traits = frozenset({Windowed})
    name = "QConv"
    domain = TESSERA
    attrs = {
        **WINDOW_ATTRS,
        "group": Attr("int", 1),
        "x_scale": Attr("float"),
        "x_zero_point": Attr("int"),
        "w_scale": Attr("floats"),
        **OUTPUT_ATTRS,
    }
    min_inputs, max_inputs = 2, 3

    @classmethod
    def conv_attrs(cls, attrs: Attrs) -> Attrs:
        return Conv.make_attrs({k: attrs[k] for k in Conv.attrs})

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        channels = inputs[1].shape[0] if inputs[1].rank else 0
        _check_int8(cls.name, inputs, 2, channels)
        check_output_stage(cls.name, attrs, channels)
        if len(attrs["w_scale"]) not in (1, channels):
            raise ShapeError(f"QConv: w_scale needs 1 or {channels} values")
        (y,) = Conv.infer([t.with_dtype(_F64) for t in inputs], cls.conv_attrs(attrs))
        return [y.with_dtype(DType.INT8)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0].astype(np.float64) - attrs["x_zero_point"]  # zero padding here = x_zero_point in x
        (product,) = Conv.compute([x, inputs[1].astype(np.float64)], cls.conv_attrs(attrs))
        acc = _accumulate(product, inputs[2] if len(inputs) == 3 else None, 1)
        return [output_stage(acc, attrs, channel_axis=1)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        w = inputs[1]
        return outputs[0].numel * w.shape[1] * math.prod(w.shape[2:])


@register
class QFullyConnected(Op):
    """int8 y[..., n] = sum_k (x[..., k] - x_zero_point) * w[n, k] + bias[n], per-channel over n."""

    name = "QFullyConnected"
    domain = TESSERA
    attrs = {"x_scale": Attr("float"), "x_zero_point": Attr("int"), "w_scale": Attr("floats"), **OUTPUT_ATTRS}
    min_inputs, max_inputs = 2, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x, w = inputs[0], inputs[1]
        if w.rank != 2 or x.rank < 1 or x.shape[-1] != w.shape[1]:
            raise ShapeError(f"QFullyConnected: x {x} must end in the weights' input size; weights {w} are (out, in)")
        _check_int8(cls.name, inputs, 2, w.shape[0])
        check_output_stage(cls.name, attrs, w.shape[0])
        if len(attrs["w_scale"]) not in (1, w.shape[0]):
            raise ShapeError(f"QFullyConnected: w_scale needs 1 or {w.shape[0]} values")
        return [TensorType(DType.INT8, (*x.shape[:-1], w.shape[0]))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0].astype(np.float64) - attrs["x_zero_point"]
        product = np.matmul(x, inputs[1].astype(np.float64).T)
        acc = _accumulate(product, inputs[2] if len(inputs) == 3 else None, -1)
        return [output_stage(acc, attrs, channel_axis=acc.ndim - 1)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * inputs[1].shape[1]


@register
class QMatMul(Op):
    """int8 numpy-matmul of two activations: acc = (a - a_zero_point) @ (b - b_zero_point), then the
    per-tensor output stage."""

    name = "QMatMul"
    domain = TESSERA
    attrs = {
        "a_scale": Attr("float"),
        "a_zero_point": Attr("int"),
        "b_scale": Attr("float"),
        "b_zero_point": Attr("int"),
        **OUTPUT_ATTRS,
    }
    min_inputs, max_inputs = 2, 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        _check_int8(cls.name, inputs, None, 0)
        check_output_stage(cls.name, attrs)
        (y,) = MatMul.infer([t.with_dtype(_F64) for t in inputs], {})
        return [y.with_dtype(DType.INT8)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a = inputs[0].astype(np.float64) - attrs["a_zero_point"]
        b = inputs[1].astype(np.float64) - attrs["b_zero_point"]
        acc = np.rint(np.matmul(a, b)).astype(np.int64)
        return [output_stage(acc, attrs)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * inputs[0].shape[-1]
