"""Moves between channels and space: DepthToSpace and SpaceToDepth (NCHW), in DCR (depth-column-row)
or CRD (column-row-depth) block order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError, UnsupportedOpError
from tessera.ir.ops._util import require_rank
from tessera.ir.ops.base import Attr, Attrs, OnnxNodeSpec, Op, register
from tessera.ir.types import TensorType


def _check(attrs: Attrs, op: str) -> int:
    if attrs["mode"] not in ("DCR", "CRD"):
        raise ShapeError(f"{op} mode {attrs['mode']!r} is not DCR or CRD")
    if attrs["blocksize"] < 1:
        raise ShapeError(f"{op} blocksize {attrs['blocksize']} must be >= 1")
    return int(attrs["blocksize"])


@register
class DepthToSpace(Op):
    name = "DepthToSpace"
    attrs = {"blocksize": Attr("int"), "mode": Attr("str", "DCR")}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        b = _check(attrs, cls.name)
        require_rank(x, [4], "DepthToSpace input")
        n, c, h, w = x.shape
        if c % (b * b):
            raise ShapeError(f"DepthToSpace channels {c} are not a multiple of blocksize^2 = {b * b}")
        return [x.with_shape((n, c // (b * b), h * b, w * b))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, b = inputs[0], attrs["blocksize"]
        n, c, h, w = x.shape
        if attrs["mode"] == "DCR":
            blocks = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        else:
            blocks = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        return [blocks.reshape(n, c // (b * b), h * b, w * b)]


@register
class SpaceToDepth(Op):
    """The inverse of DepthToSpace. ONNX has the `mode` attribute from opset 28 (DCR before)."""

    name = "SpaceToDepth"
    attrs = {"blocksize": Attr("int"), "mode": Attr("str", "DCR")}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        b = _check(attrs, cls.name)
        require_rank(x, [4], "SpaceToDepth input")
        n, c, h, w = x.shape
        if h % b or w % b:
            raise ShapeError(f"SpaceToDepth spatial size {h}x{w} is not a multiple of blocksize {b}")
        return [x.with_shape((n, c * b * b, h // b, w // b))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, b = inputs[0], attrs["blocksize"]
        n, c, h, w = x.shape
        cells = x.reshape(n, c, h // b, b, w // b, b)
        order = (0, 3, 5, 1, 2, 4) if attrs["mode"] == "DCR" else (0, 1, 3, 5, 2, 4)
        return [cells.transpose(order).reshape(n, c * b * b, h // b, w // b)]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        if attrs["mode"] != "DCR":
            raise UnsupportedOpError("SpaceToDepth with mode CRD needs ONNX opset 28; Tessera exports opset 21")
        return OnnxNodeSpec(cls.name, {"blocksize": attrs["blocksize"]}, [0])
