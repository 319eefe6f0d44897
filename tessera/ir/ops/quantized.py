"""Quantization boundaries and the shared output stage of int8 ops.

QuantizeLinear / DequantizeLinear are the ONNX ops (opset 21 semantics, per-tensor or per-axis,
int8 / uint8 / int32): q = saturate(round_half_even(x / scale) + zero_point), x = (q - zero_point) *
scale, with scale and zero point as (constant) inputs. Requantize (ai.tessera) moves an int8 tensor
from one (scale, zero point) to another in integer arithmetic only.

The int8 compute ops (quantized_nn.py, quantized_eltwise.py) all end in the same output stage,
whose attributes are `OUTPUT_ATTRS`: a per-tensor or per-channel int32 `multiplier` and `shift`
(TFLite QuantizeMultiplier of the real rescale), the output zero point, and the clamp bounds
`act_min` / `act_max` that carry a fused ReLU / ReLU6 / Clip. The float scales are kept as
attributes too: they define what the integers mean (and the ONNX QDQ export uses them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._fixed_point import requantize
from tessera.ir.ops._util import FLOATS, normalize_axis, require_dtype
from tessera.ir.ops.base import Attr, Attrs, OnnxNodeSpec, Op, register
from tessera.ir.traits import Elementwise, Pointwise
from tessera.ir.types import TensorType

TESSERA = "ai.tessera"
QTYPES = (DType.INT8, DType.UINT8, DType.INT32)
_RANGES = {DType.INT8: (-128, 127), DType.UINT8: (0, 255), DType.INT32: (-(2**31), 2**31 - 1)}

OUTPUT_ATTRS = {
    "y_scale": Attr("float"),
    "y_zero_point": Attr("int"),
    "multiplier": Attr("ints"),
    "shift": Attr("ints"),
    "act_min": Attr("int", -128),
    "act_max": Attr("int", 127),
}


def check_output_stage(op: str, attrs: Attrs, channels: int = 1) -> None:
    """Shared checks of OUTPUT_ATTRS: one multiplier/shift per channel (or one for all), bounds."""
    mult, shift = attrs["multiplier"], attrs["shift"]
    if len(mult) != len(shift) or len(mult) not in (1, channels):
        raise ShapeError(f"{op}: multiplier ({len(mult)}) and shift ({len(shift)}) need 1 or {channels} values each")
    if any(not 0 <= m < 2**31 for m in mult) or any(not -31 <= s <= 30 for s in shift):
        raise ShapeError(f"{op}: multipliers must be Q31 in [0, 2^31) and shifts in [-31, 30]")
    if not -128 <= attrs["act_min"] <= attrs["act_max"] <= 127:
        raise ShapeError(f"{op}: act_min {attrs['act_min']} / act_max {attrs['act_max']} must lie in [-128, 127]")
    if not -128 <= attrs["y_zero_point"] <= 127 or not attrs["y_scale"] > 0:
        raise ShapeError(f"{op}: output scale {attrs['y_scale']} must be > 0 and zero point in [-128, 127]")


def output_stage(acc: np.ndarray, attrs: Attrs, channel_axis: int | None = None) -> np.ndarray:
    """Requantize an int32 accumulator with the node's multiplier/shift, zero point and clamp."""
    mult = np.asarray(attrs["multiplier"], dtype=np.int64)
    shift = np.asarray(attrs["shift"], dtype=np.int64)
    if channel_axis is not None and mult.size > 1:
        layout = [1] * acc.ndim
        layout[channel_axis] = mult.size
        mult, shift = mult.reshape(layout), shift.reshape(layout)
    return requantize(acc, mult, shift, attrs["y_zero_point"], attrs["act_min"], attrs["act_max"])


def _per_axis(scale: np.ndarray, x: np.ndarray, axis: int) -> np.ndarray:
    """A 1-D per-axis parameter shaped to broadcast along `axis` of x; scalars pass through."""
    if scale.ndim == 0 or (scale.size == 1 and x.ndim == 0):
        return scale.reshape(())
    layout = [1] * x.ndim
    layout[normalize_axis(axis, x.ndim)] = scale.size
    return scale.reshape(layout)


def _onnx_spec(op: type[Op], attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
    """Only the attributes that differ from ONNX's defaults (onnxruntime's QDQ rewrites copy
    attributes such as output_dtype into nodes where they no longer fit)."""
    kept = {k: v for k, v in attrs.items() if v != op.attrs[k].default}
    if input_types[1].rank == 0:
        kept.pop("axis", None)
    return OnnxNodeSpec(op.name, kept, list(range(len(input_types))))


def _check_params(op: str, inputs: Sequence[TensorType], attrs: Attrs, data: TensorType) -> None:
    scale = inputs[1]
    if scale.rank > 1:
        raise ShapeError(f"{op}: scale {scale} must be a scalar or 1-D (per-axis)")
    if scale.rank == 1 and scale.numel != 1:
        axis = normalize_axis(attrs["axis"], data.rank)
        if data.shape[axis] != scale.numel:
            raise ShapeError(f"{op}: {scale.numel} scales for axis {axis} of {data}")
    if len(inputs) == 3 and inputs[2].shape != scale.shape:
        raise ShapeError(f"{op}: zero point {inputs[2]} must have the scale's shape {scale.shape}")
    if attrs["block_size"]:
        raise ShapeError(f"{op}: blocked quantization (block_size={attrs['block_size']}) is not supported")


@register
class QuantizeLinear(Op):
    """ONNX QuantizeLinear: y = saturate(round_half_even(x / y_scale) + y_zero_point), computed in
    float32; the zero point's dtype (int8, uint8 or int32; uint8 when absent) is the output dtype."""

    traits = frozenset({Pointwise})
    name = "QuantizeLinear"
    attrs = {
        "axis": Attr("int", 1),
        "saturate": Attr("int", 1),
        "block_size": Attr("int", 0),
        "output_dtype": Attr("int", 0),
    }
    min_inputs, max_inputs = 2, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, FLOATS, "QuantizeLinear input")
        _check_params(cls.name, inputs, attrs, x)
        out = inputs[2].dtype if len(inputs) == 3 else DType.UINT8
        require_dtype(inputs[2] if len(inputs) == 3 else TensorType(out, ()), QTYPES, "QuantizeLinear zero point")
        return [x.with_dtype(out)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale = inputs[0], inputs[1].astype(np.float32)
        zp = inputs[2] if len(inputs) == 3 else np.zeros(scale.shape, np.uint8)
        axis = attrs["axis"]
        q = np.rint(x.astype(np.float32) / _per_axis(scale, x, axis)).astype(np.float64)
        q = q + _per_axis(zp.astype(np.int64), x, axis)
        lo, hi = _RANGES[DType.from_numpy(zp.dtype)]
        return [np.clip(q, lo, hi).astype(zp.dtype)]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        return _onnx_spec(cls, attrs, input_types)


@register
class DequantizeLinear(Op):
    """ONNX DequantizeLinear: y = (x - x_zero_point) * x_scale, in the scale's float dtype."""

    traits = frozenset({Pointwise})
    name = "DequantizeLinear"
    attrs = {"axis": Attr("int", 1), "block_size": Attr("int", 0)}
    min_inputs, max_inputs = 2, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x, scale = inputs[0], inputs[1]
        require_dtype(x, QTYPES, "DequantizeLinear input")
        require_dtype(scale, FLOATS, "DequantizeLinear scale")
        _check_params(cls.name, inputs, attrs, x)
        return [x.with_dtype(scale.dtype)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale = inputs[0], inputs[1]
        zp = inputs[2] if len(inputs) == 3 else np.zeros(scale.shape, np.int64)
        axis = attrs["axis"]
        centered = x.astype(np.int64) - _per_axis(zp.astype(np.int64), x, axis)
        return [(centered.astype(scale.dtype) * _per_axis(scale, x, axis)).astype(scale.dtype)]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        return _onnx_spec(cls, attrs, input_types)


@register
class Requantize(Op):
    """int8 -> int8 to another (scale, zero point), TFLite's Requantize:
    y = clamp(MultiplyByQuantizedMultiplier(x - x_zero_point, multiplier, shift) + y_zero_point)."""

    traits = frozenset({Elementwise})
    name = "Requantize"
    domain = TESSERA
    attrs = {"x_scale": Attr("float"), "x_zero_point": Attr("int"), **OUTPUT_ATTRS}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], (DType.INT8,), "Requantize input")
        check_output_stage(cls.name, attrs)
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [output_stage(inputs[0].astype(np.int64) - attrs["x_zero_point"], attrs)]
