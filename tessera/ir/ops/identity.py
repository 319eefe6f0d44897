"""Ops that pass data through or describe it: Identity, Dropout (inference), Shape, Size,
ConstantOfShape. Shape and Size depend only on types, so the frontend folds them to constants."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeSpec, OnnxNodeView, Op, register
from tessera.ir.traits import Pointwise, View
from tessera.ir.types import TensorType


@register
class Identity(Op):
    traits = frozenset({View, Pointwise})
    name = "Identity"

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [inputs[0]]


@register
class Dropout(Op):
    """Inference-mode Dropout: the data passes through; the optional mask is all true.
    Training mode is refused at import (Tessera compiles for inference)."""

    traits = frozenset({View})
    name = "Dropout"
    attrs = {"ratio": Attr("float", 0.5), "seed": Attr("int", optional=True)}
    static_inputs = {1: "ratio", 2: "training_mode"}
    min_inputs, max_inputs, num_outputs = 1, 1, 2

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        ratio = view.const(1)
        training = view.const(2)
        random = ratio is None or float(np.asarray(ratio).reshape(())) != 0.0
        if view.has_input(2) and (training is None or bool(training)) and random:
            raise ShapeError(
                "Dropout in training mode is not supported (Tessera compiles for inference); "
                "export the model in eval mode"
            )
        if view.attrs.get("is_test", 1) == 0:
            raise ShapeError("Dropout with is_test=0 (training) is not supported; export in eval mode")
        attrs = {"seed": view.attrs.get("seed")}
        if ratio is not None:
            attrs["ratio"] = ratio
        elif "ratio" in view.attrs:
            attrs["ratio"] = view.attrs["ratio"]
        return Imported([0], attrs)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [inputs[0], inputs[0].with_dtype(DType.BOOL)]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        return OnnxNodeSpec(cls.name, {"seed": attrs["seed"]}, [0])  # inference: no ratio, no training_mode

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [inputs[0], np.ones(inputs[0].shape, dtype=bool)]


@register
class Shape(Op):
    name = "Shape"
    attrs = {"start": Attr("int", 0), "end": Attr("int", optional=True)}
    fold_from_types = True

    @classmethod
    def _dims(cls, shape: tuple[int, ...], attrs: Attrs) -> tuple[int, ...]:
        rank = len(shape)
        start = min(max(attrs["start"] + rank if attrs["start"] < 0 else attrs["start"], 0), rank)
        end = rank if attrs["end"] is None else attrs["end"]
        end = min(max(end + rank if end < 0 else end, 0), rank)
        return shape[start:end]

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [TensorType(DType.INT64, (len(cls._dims(inputs[0].shape, attrs)),))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.array(cls._dims(inputs[0].shape, attrs), dtype=np.int64)]


@register
class Size(Op):
    name = "Size"
    fold_from_types = True

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        return [TensorType(DType.INT64, ())]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.array(inputs[0].size, dtype=np.int64)]


@register
class ConstantOfShape(Op):
    """A tensor of `shape` filled with `value` (a one-element tensor in ONNX, default float 0)."""

    name = "ConstantOfShape"
    attrs = {"shape": Attr("ints", optional=True), "value": Attr("float", 0.0), "dtype": Attr("dtype", DType.FLOAT32)}
    static_inputs = {0: "shape"}
    min_inputs = 0
    max_inputs = 0

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        attrs = super().from_onnx(view).attrs
        value = attrs.pop("value", None)
        if value is not None:
            arr = np.asarray(value)
            attrs["value"] = float(arr.reshape(-1)[0])
            attrs["dtype"] = DType.from_numpy(arr.dtype)
        return Imported([], attrs)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        if attrs["shape"] is None:
            raise ShapeError("ConstantOfShape needs its shape input")
        if any(d < 0 for d in attrs["shape"]):
            raise ShapeError(f"ConstantOfShape shape {attrs['shape']} has a negative dimension")
        return [TensorType(attrs["dtype"], tuple(attrs["shape"]))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        return [np.full(attrs["shape"], attrs["value"], dtype=attrs["dtype"].numpy())]

    @classmethod
    def to_onnx(cls, attrs: Attrs, input_types: Sequence[TensorType]) -> OnnxNodeSpec:
        value = np.array([attrs["value"]], dtype=attrs["dtype"].numpy())
        return OnnxNodeSpec(cls.name, {"value": value}, [np.asarray(attrs["shape"], dtype=np.int64)])
