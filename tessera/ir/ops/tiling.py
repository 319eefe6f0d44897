"""InsertSlice (domain ai.tessera): write a tile into a bigger tensor, the inverse of a unit-step Slice.

    InsertSlice(dest, src; starts, axes)  -> dest with src written at `starts` along `axes`
    InsertSlice(src; starts, axes, shape) -> a tensor of `shape`, zero except src at `starts`

The patch-based pass assembles a stage's output from per-patch tiles with a chain
dest0 -> InsertSlice -> dest1 -> ...; a backend may run the chain in place (out aliasing dest).
No ONNX op maps cleanly (ScatterND needs an index tensor as big as the tile), so the exporter
writes it as a node of domain ai.tessera that onnxruntime does not run.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.ops._spatial import array_type
from tessera.ir.ops._util import normalize_axes
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.ops.quantized import TESSERA
from tessera.ir.types import TensorType


@register
class InsertSlice(Op):
    name = "InsertSlice"
    domain = TESSERA
    attrs = {"starts": Attr("ints"), "axes": Attr("ints"), "shape": Attr("ints", optional=True)}
    min_inputs, max_inputs = 1, 2

    @classmethod
    def region(cls, dest: TensorType, src: TensorType, attrs: Attrs) -> tuple[slice, ...]:
        """Where src lands in dest, one slice per axis; raise when it does not fit."""
        starts, axes = attrs["starts"], attrs["axes"]
        if len(starts) != len(axes):
            raise ShapeError(f"InsertSlice: starts {starts} and axes {axes} differ in length")
        if src.rank != dest.rank or src.dtype is not dest.dtype:
            raise ShapeError(f"InsertSlice: src {src} and dest {dest} need the same rank and dtype")
        begin = [0] * dest.rank
        for axis, start in zip(normalize_axes(axes, dest.rank), starts):
            begin[axis] = start
        out = []
        for axis, (b, s, d) in enumerate(zip(begin, src.shape, dest.shape)):
            if b < 0 or b + s > d:
                raise ShapeError(f"InsertSlice: src {src} at {tuple(begin)} runs outside dest {dest} on axis {axis}")
            out.append(slice(b, b + s))
        return tuple(out)

    @classmethod
    def dest_type(cls, inputs: Sequence[TensorType], attrs: Attrs) -> TensorType:
        if len(inputs) == 2:
            if attrs["shape"] is not None and tuple(attrs["shape"]) != inputs[0].shape:
                raise ShapeError(f"InsertSlice: shape {attrs['shape']} differs from dest {inputs[0]}")
            return inputs[0]
        if attrs["shape"] is None:
            raise ShapeError("InsertSlice with one input (src) needs the `shape` of the tensor it creates")
        return inputs[0].with_shape(tuple(attrs["shape"]))

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        dest = cls.dest_type(inputs, attrs)
        cls.region(dest, inputs[-1], attrs)
        return [dest]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        src = inputs[-1]
        if len(inputs) == 2:
            out = np.array(inputs[0], copy=True)
        else:
            out = np.zeros(tuple(attrs["shape"]), dtype=src.dtype)
        out[cls.region(array_type(out), array_type(src), attrs)] = src
        return [out]
