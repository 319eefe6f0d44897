"""int8 elementwise and pooling ops (domain ai.tessera), TFLite int8 semantics.

QAdd (TFLite ADD): both inputs are brought to a common scale with 20 bits of headroom, added in
int32, and the sum requantized:
    a' = MBQM((a - a_zero_point) << left_shift, a_multiplier, a_shift)     (same for b)
    y  = clamp(MBQM(a' + b', multiplier, shift) + y_zero_point, act_min, act_max)
QMul (TFLite MUL): y = clamp(MBQM((a - a_zp) * (b - b_zp), multiplier, shift) + y_zp, ...).
QAveragePool (TFLite AVERAGE_POOL_2D): input and output share scale and zero point; the int32 sum
of the window's input positions (pads excluded) is divided by their count, rounding half away from
zero: acc > 0 ? (acc + n/2) / n : (acc - n/2) / n with C's truncating division.
MBQM is MultiplyByQuantizedMultiplier (`_fixed_point`). Inputs broadcast like numpy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._fixed_point import multiply_by_quantized_multiplier as mbqm
from tessera.ir.ops._spatial import array_type
from tessera.ir.ops._util import broadcast_shapes, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.ops.pooling import POOL_ATTRS, AveragePool, _broadcast, _offsets, _padded, _pool_window
from tessera.ir.ops.quantized import OUTPUT_ATTRS, TESSERA, check_output_stage, output_stage
from tessera.ir.traits import Elementwise, Windowed
from tessera.ir.types import TensorType

_OPERANDS = {
    "a_scale": Attr("float"),
    "a_zero_point": Attr("int"),
    "b_scale": Attr("float"),
    "b_zero_point": Attr("int"),
}


def _binary_type(op: str, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
    for i, t in enumerate(inputs):
        require_dtype(t, (DType.INT8,), f"{op} input {i}")
    check_output_stage(op, attrs)
    return [TensorType(DType.INT8, broadcast_shapes(inputs[0].shape, inputs[1].shape))]


@register
class QAdd(Op):
    traits = frozenset({Elementwise})
    name = "QAdd"
    domain = TESSERA
    attrs = {
        **_OPERANDS,
        "a_multiplier": Attr("int"),
        "a_shift": Attr("int"),
        "b_multiplier": Attr("int"),
        "b_shift": Attr("int"),
        "left_shift": Attr("int", 20),
        **OUTPUT_ATTRS,
    }
    min_inputs, max_inputs = 2, 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if not 0 <= attrs["left_shift"] <= 22:
            raise ShapeError(f"QAdd: left_shift {attrs['left_shift']} must lie in [0, 22] so (x - zp) << it fits int32")
        return _binary_type(cls.name, inputs, attrs)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        shifted = [(x.astype(np.int64) - attrs[f"{p}_zero_point"]) << attrs["left_shift"] for x, p in zip(inputs, "ab")]
        a = mbqm(shifted[0], attrs["a_multiplier"], attrs["a_shift"])
        b = mbqm(shifted[1], attrs["b_multiplier"], attrs["b_shift"])
        return [output_stage(a + b, attrs)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel


@register
class QMul(Op):
    traits = frozenset({Elementwise})
    name = "QMul"
    domain = TESSERA
    attrs = {**_OPERANDS, **OUTPUT_ATTRS}
    min_inputs, max_inputs = 2, 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return _binary_type(cls.name, inputs, attrs)

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a = inputs[0].astype(np.int64) - attrs["a_zero_point"]
        b = inputs[1].astype(np.int64) - attrs["b_zero_point"]
        return [output_stage(a * b, attrs)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel


@register
class QAveragePool(Op):
    """int8 average pool; x and y share `scale` / `zero_point`; count_include_pad is always 0."""

    traits = frozenset({Windowed})
    name = "QAveragePool"
    domain = TESSERA
    attrs = {
        **POOL_ATTRS,
        "scale": Attr("float"),
        "zero_point": Attr("int"),
        "act_min": Attr("int", -128),
        "act_max": Attr("int", 127),
    }

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, (DType.INT8,), "QAveragePool input")
        if not -128 <= attrs["act_min"] <= attrs["act_max"] <= 127:
            raise ShapeError("QAveragePool: act_min / act_max must lie in [-128, 127]")
        win = _pool_window(cls.name, x, attrs)
        return [x.with_shape((*x.shape[:2], *win.out))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        win = _pool_window(cls.name, array_type(x), attrs)
        xp = _padded(x.astype(np.int64), win, 0)
        acc = np.zeros((*x.shape[:2], *win.out), dtype=np.int64)
        for _, where in _offsets(win):
            acc += xp[where]
        counts = [AveragePool._axis_counts(win, a, size, False) for a, size in enumerate(x.shape[2:])]
        n = math.prod(_broadcast(counts))
        half = n // 2
        rounded = np.where(acc > 0, acc + half, acc - half)
        quotient = np.sign(rounded) * (np.abs(rounded) // n)  # C division truncates toward zero
        return [np.clip(quotient, attrs["act_min"], attrs["act_max"]).astype(np.int8)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * math.prod(attrs["kernel_shape"])
