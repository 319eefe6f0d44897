"""Resize (and the deprecated Upsample): nearest, linear and cubic interpolation.

Interpolation is separable, so the kernel resizes one axis at a time: it maps every output index to
a source coordinate (coordinate_transformation_mode), picks the neighbouring input indices with
their weights (mode), gathers them with np.take and sums. Edge samples are clamped (edge padding).
With antialias, linear and cubic kernels are stretched by 1/scale when downsampling. The numerics
follow onnx.reference's Resize, which the conformance data comes from.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import NUMERIC, normalize_axes, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeSpec, OnnxNodeView, Op, register
from tessera.ir.types import TensorType

MODES = ("nearest", "linear", "cubic")
COORDINATE_MODES = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_crop_and_resize",
)
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
ASPECT_POLICIES = ("stretch", "not_larger", "not_smaller")


@dataclass(frozen=True)
class Plan:
    """Per input axis: the output length, the scale and the region of interest (start, end)."""

    shape: tuple[int, ...]
    scales: tuple[float, ...]
    rois: tuple[tuple[float, float], ...]


def make_plan(shape: tuple[int, ...], attrs: Attrs) -> Plan:
    rank = len(shape)
    axes = normalize_axes(attrs["axes"], rank) if attrs["axes"] is not None else tuple(range(rank))
    scales, sizes = attrs["scales"], attrs["sizes"]
    if (scales is None) == (sizes is None):
        raise ShapeError("Resize needs exactly one of scales and sizes")
    given = scales if scales is not None else sizes
    if len(given) != len(axes):
        raise ShapeError(f"Resize has {len(given)} scales/sizes for {len(axes)} axes {axes}")
    out, factor = list(shape), [1.0] * rank
    if scales is not None:
        for axis, scale in zip(axes, scales):
            if scale <= 0:
                raise ShapeError(f"Resize scales {scales} must be positive")
            out[axis], factor[axis] = math.floor(shape[axis] * scale), scale
    else:
        for axis, size in zip(axes, sizes):
            if size < 0 or shape[axis] == 0:
                raise ShapeError(f"Resize cannot give input {shape} sizes {sizes}")
            out[axis], factor[axis] = size, size / shape[axis]
        policy = attrs["keep_aspect_ratio_policy"]
        if policy != "stretch":
            common = (min if policy == "not_larger" else max)(factor[a] for a in axes)
            for axis in axes:
                out[axis], factor[axis] = int(common * shape[axis] + 0.5), common
    rois = [(0.0, 1.0)] * rank
    if attrs["roi"] is not None and attrs["coordinate_transformation_mode"] == "tf_crop_and_resize":
        roi = attrs["roi"]
        if len(roi) != 2 * len(axes):
            raise ShapeError(f"Resize roi {roi} needs {2 * len(axes)} values (starts, then ends)")
        for i, axis in enumerate(axes):
            rois[axis] = (roi[i], roi[i + len(axes)])
    return Plan(tuple(out), tuple(factor), tuple(rois))


def _source_coords(mode: str, out_len: int, in_len: int, scale: float, roi: tuple[float, float]) -> np.ndarray:
    """The input coordinate each output index samples."""
    y = np.arange(out_len, dtype=np.float64)
    out_real = scale * in_len  # the unrounded output length, as onnx.reference uses it
    if mode == "half_pixel":
        return (y + 0.5) / scale - 0.5
    if mode == "half_pixel_symmetric":
        offset = in_len / 2 * (1 - out_len / out_real)
        return offset + (y + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (y + 0.5) / scale - 0.5 if out_real != 1 else np.full(out_len, -0.5)
    if mode == "align_corners":
        return y * (in_len - 1) / (out_real - 1) if out_real != 1 else np.zeros(out_len)
    if mode == "asymmetric":
        return y / scale
    start, end = roi  # tf_crop_and_resize
    if out_real == 1:
        return np.full(out_len, (end - start) * (in_len - 1) / 2 + start * (in_len - 1))
    return y * (end - start) * (in_len - 1) / (out_real - 1) + start * (in_len - 1)


def _nearest(x: np.ndarray, rounding: str) -> np.ndarray:
    base = np.floor(x)
    if rounding == "round_prefer_floor":
        return (base + (x - base > 0.5)).astype(np.int64)
    if rounding == "round_prefer_ceil":
        return (base + (x - base >= 0.5)).astype(np.int64)
    return (base if rounding == "floor" else np.ceil(x)).astype(np.int64)


def _cubic(d: np.ndarray, a: float) -> np.ndarray:
    d = np.abs(d)
    near = ((a + 2) * d - (a + 3)) * d * d + 1
    far = ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return np.where(d <= 1, near, np.where(d < 2, far, 0.0))


def _taps(x: np.ndarray, in_len: int, scale: float, attrs: Attrs) -> tuple[np.ndarray, np.ndarray]:
    """Input indices (out_len, taps) and their weights for linear or cubic interpolation at x."""
    radius = 1 if attrs["mode"] == "linear" else 2
    stretch = min(scale, 1.0) if attrs["antialias"] else 1.0
    start = math.floor(-radius / stretch) + 1
    index = np.floor(x).astype(np.int64)[:, None] + np.arange(start, 2 - start)
    distance = (index - x[:, None]) * stretch
    if attrs["mode"] == "linear":
        weight = np.clip(1 - np.abs(distance), 0, 1)
    else:
        weight = _cubic(distance, attrs["cubic_coeff_a"])
    if attrs["exclude_outside"]:
        weight = np.where((index < 0) | (index >= in_len), 0.0, weight)
    total = weight.sum(axis=1, keepdims=True)
    return np.clip(index, 0, in_len - 1), weight / np.where(total == 0, 1.0, total)


def _resize_axis(data: np.ndarray, axis: int, out_len: int, scale: float, roi: tuple, attrs: Attrs) -> np.ndarray:
    in_len = data.shape[axis]
    coordinate_mode = attrs["coordinate_transformation_mode"]
    x = _source_coords(coordinate_mode, out_len, in_len, scale, roi)
    broadcast = (1,) * axis + (out_len,) + (1,) * (data.ndim - axis - 1)
    if attrs["mode"] == "nearest":
        result = np.take(data, np.clip(_nearest(x, attrs["nearest_mode"]), 0, in_len - 1), axis=axis)
    else:
        index, weight = _taps(x, in_len, scale, attrs)
        gathered = np.take(data, index, axis=axis)  # the taps sit on axis + 1
        weight = weight.reshape((1,) * axis + weight.shape + (1,) * (data.ndim - axis - 1))
        result = np.sum(gathered * weight, axis=axis + 1)
    if coordinate_mode == "tf_crop_and_resize":
        outside = (x < 0) | (x > in_len - 1)
        result = np.where(outside.reshape(broadcast), attrs["extrapolation_value"], result)
    return result


def _cast(result: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Back to the input dtype, rounding and saturating integers."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(result), info.min, info.max).astype(dtype)
    return result.astype(dtype)


@register
class Resize(Op):
    name = "Resize"
    attrs = {
        "mode": Attr("str", "nearest"),
        "coordinate_transformation_mode": Attr("str", "half_pixel"),
        "nearest_mode": Attr("str", "round_prefer_floor"),
        "cubic_coeff_a": Attr("float", -0.75),
        "exclude_outside": Attr("int", 0),
        "extrapolation_value": Attr("float", 0.0),
        "antialias": Attr("int", 0),
        "axes": Attr("ints", optional=True),
        "keep_aspect_ratio_policy": Attr("str", "stretch"),
        "roi": Attr("floats", optional=True),
        "scales": Attr("floats", optional=True),
        "sizes": Attr("ints", optional=True),
    }
    static_inputs = {1: "roi", 2: "scales", 3: "sizes"}

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        imported = super().from_onnx(view)
        for key in ("roi", "scales", "sizes"):  # an empty tensor stands for an absent input
            if key in imported.attrs and np.asarray(imported.attrs[key]).size == 0:
                del imported.attrs[key]
        return imported

    @classmethod
    def _check(cls, attrs: Attrs) -> None:
        for key, allowed in [
            ("mode", MODES),
            ("coordinate_transformation_mode", COORDINATE_MODES),
            ("nearest_mode", NEAREST_MODES),
            ("keep_aspect_ratio_policy", ASPECT_POLICIES),
        ]:
            if attrs[key] not in allowed:
                raise ShapeError(f"Resize {key} {attrs[key]!r} is not one of {', '.join(allowed)}")
        if attrs["antialias"] and attrs["mode"] == "nearest":
            raise ShapeError("Resize antialias applies to linear and cubic modes only, not nearest")

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], NUMERIC, "Resize input")
        cls._check(attrs)
        return [inputs[0].with_shape(make_plan(inputs[0].shape, attrs).shape)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        plan = make_plan(x.shape, attrs)
        result = x if attrs["mode"] == "nearest" else x.astype(np.float64)
        for axis, (in_len, out_len) in enumerate(zip(x.shape, plan.shape)):
            trivial_roi = attrs["coordinate_transformation_mode"] != "tf_crop_and_resize" or plan.rois[axis] == (0, 1)
            if in_len == out_len and math.isclose(plan.scales[axis], 1.0) and trivial_roi:
                continue
            result = _resize_axis(result, axis, out_len, plan.scales[axis], plan.rois[axis], attrs)
        return [_cast(np.asarray(result), x.dtype)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        if attrs["mode"] == "nearest":
            return 0
        plan = make_plan(inputs[0].shape, attrs)
        shape, total = list(inputs[0].shape), 0
        for axis, out_len in enumerate(plan.shape):
            if out_len != shape[axis]:
                radius = 1 if attrs["mode"] == "linear" else 2
                stretch = min(plan.scales[axis], 1.0) if attrs["antialias"] else 1.0
                shape[axis] = out_len
                total += math.prod(shape) * 2 * math.ceil(radius / stretch)
        return total

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        onnx_attrs = {k: v for k, v in attrs.items() if v is not None and k not in cls.static_inputs.values()}
        inputs: list[int | np.ndarray | None] = [
            0,
            None if attrs["roi"] is None else np.asarray(attrs["roi"], dtype=np.float32),
            None if attrs["scales"] is None else np.asarray(attrs["scales"], dtype=np.float32),
            None if attrs["sizes"] is None else np.asarray(attrs["sizes"], dtype=np.int64),
        ]
        while inputs[-1] is None:
            inputs.pop()
        return OnnxNodeSpec(cls.name, onnx_attrs, inputs)


@register
class Upsample(Op):
    """Deprecated since opset 10 (models older than 13 reach Tessera converted to Resize): a
    Resize by `scales` with asymmetric coordinates and floor rounding for nearest."""

    name = "Upsample"
    attrs = {"mode": Attr("str", "nearest"), "scales": Attr("floats")}
    static_inputs = {1: "scales"}

    @classmethod
    def as_resize(cls, attrs: Attrs) -> Attrs:
        return Resize.make_attrs(
            {
                "mode": attrs["mode"],
                "scales": attrs["scales"],
                "coordinate_transformation_mode": "asymmetric",
                "nearest_mode": "floor",
            }
        )

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return Resize.infer(inputs, cls.as_resize(attrs))

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return Resize.compute(inputs, cls.as_resize(attrs))

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        return Resize.to_onnx(cls.as_resize(attrs), input_types)
