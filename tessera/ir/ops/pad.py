"""Pad: constant, reflect, edge or wrap padding; negative pads crop. The pads, the constant value and
the axes (ONNX inputs 1..3) are compile-time attributes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._util import normalize_axes
from tessera.ir.ops.base import Attr, Attrs, OnnxNodeSpec, Op, register
from tessera.ir.types import TensorType

MODES = ("constant", "reflect", "edge", "wrap")


@register
class Pad(Op):
    """pads = [x1_begin, x2_begin, ..., x1_end, x2_end, ...] for the axes in `axes` (default all)."""

    name = "Pad"
    attrs = {
        "mode": Attr("str", "constant"),
        "pads": Attr("ints"),
        "constant_value": Attr("float", 0.0),
        "axes": Attr("ints", optional=True),
    }
    static_inputs = {1: "pads", 2: "constant_value", 3: "axes"}

    @classmethod
    def widths(cls, shape: tuple[int, ...], attrs: Attrs) -> list[tuple[int, int]]:
        """(begin, end) per input axis."""
        if attrs["mode"] not in MODES:
            raise ShapeError(f"Pad mode {attrs['mode']!r} is not one of {', '.join(MODES)}")
        axes = normalize_axes(attrs["axes"], len(shape)) if attrs["axes"] is not None else range(len(shape))
        pads = attrs["pads"]
        if len(pads) != 2 * len(axes):
            raise ShapeError(f"Pad has {len(pads)} pads for {len(axes)} axes; it needs two per axis")
        widths = [(0, 0)] * len(shape)
        for i, axis in enumerate(axes):
            widths[axis] = (pads[i], pads[i + len(axes)])
        return widths

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        widths = cls.widths(x.shape, attrs)
        dims = tuple(d + b + e for d, (b, e) in zip(x.shape, widths))
        if any(d < 0 for d in dims):
            raise ShapeError(f"Pad crops more than there is: input {x.shape}, pads {attrs['pads']}")
        if attrs["mode"] != "constant" and any(
            d + min(b, 0) + min(e, 0) == 0 and max(b, e) > 0 for d, (b, e) in zip(x.shape, widths)
        ):
            raise ShapeError(f"Pad mode {attrs['mode']!r} cannot extend an empty axis (input {x.shape})")
        if attrs["mode"] == "reflect" and any(max(b, e) >= d for d, (b, e) in zip(x.shape, widths)):
            raise ShapeError(f"Pad reflect needs pads below the axis size: input {x.shape}, pads {attrs['pads']}")
        return [x.with_shape(dims)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        widths = cls.widths(x.shape, attrs)
        crop = tuple(slice(max(-b, 0), d - max(-e, 0)) for d, (b, e) in zip(x.shape, widths))
        grow = [(max(b, 0), max(e, 0)) for b, e in widths]
        x = x[crop]
        if attrs["mode"] == "constant":
            value = np.asarray(attrs["constant_value"]).astype(x.dtype)
            return [np.pad(x, grow, mode="constant", constant_values=value)]
        return [np.pad(x, grow, mode=attrs["mode"])]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        value = np.asarray(attrs["constant_value"]).astype(input_types[0].dtype.numpy())
        axes = None if attrs["axes"] is None else np.asarray(attrs["axes"], dtype=np.int64)
        pads = np.asarray(attrs["pads"], dtype=np.int64)
        inputs: list[int | np.ndarray | None] = [0, pads, value, axes]
        return OnnxNodeSpec(cls.name, {"mode": attrs["mode"]}, inputs if axes is not None else inputs[:3])
