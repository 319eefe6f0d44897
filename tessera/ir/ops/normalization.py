"""Normalizations: BatchNormalization (inference and training mode), LayerNormalization,
InstanceNormalization and GroupNormalization. Statistics are computed in float32 (float64 for float64
inputs), as ONNX's stash_type=1 asks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._util import FLOATS, normalize_axis, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Imported, OnnxNodeView, Op, register
from tessera.ir.ops.linalg import broadcasts_to
from tessera.ir.types import TensorType

STASH_FLOAT = 1  # ONNX's element-type code for float32, the only stash_type Tessera computes in


def _work(x: np.ndarray) -> np.dtype:
    return np.dtype(np.float64) if x.dtype == np.float64 else np.dtype(np.float32)


def _per_channel(a: np.ndarray, rank: int, work: np.dtype) -> np.ndarray:
    """A (C,) vector shaped to broadcast over (N, C, D...)."""
    return a.astype(work, copy=False).reshape(-1, *(1,) * (rank - 2))


def _check_channels(op: str, x: TensorType, params: Sequence[TensorType], names: Sequence[str]) -> None:
    require_dtype(x, FLOATS, f"{op} input")
    if x.rank < 2:
        raise ShapeError(f"{op}: input {x} needs shape (N, C, ...)")
    for t, what in zip(params, names):
        require_dtype(t, FLOATS, f"{op} {what}")
        if t.shape != (x.shape[1],):
            raise ShapeError(f"{op}: {what} {t} must have shape ({x.shape[1]},), one value per channel")


def _check_stash(op: str, attrs: Attrs) -> None:
    if attrs["stash_type"] != STASH_FLOAT:
        raise ShapeError(f"{op}: stash_type {attrs['stash_type']} is not supported; Tessera computes in float (1)")


def _standardize(x: np.ndarray, axes: tuple[int, ...], epsilon: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x - mean) * inv_std over `axes`, with mean and inv_std (keepdims), in the working precision."""
    xw = x.astype(_work(x), copy=False)
    mean = xw.mean(axis=axes, keepdims=True)
    centered = xw - mean
    inv_std = 1.0 / np.sqrt(np.square(centered).mean(axis=axes, keepdims=True) + epsilon)
    return centered * inv_std, mean, inv_std


@register
class BatchNormalization(Op):
    """Y = (X - mean) / sqrt(var + epsilon) * scale + B per channel. Inference uses input_mean and
    input_var; training_mode=1 uses the batch statistics and also returns the updated running ones."""

    name = "BatchNormalization"
    attrs = {"epsilon": Attr("float", 1e-5), "momentum": Attr("float", 0.9), "training_mode": Attr("int", 0)}
    min_inputs, max_inputs, num_outputs = 5, 5, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x, *params = inputs
        _check_channels(cls.name, x, params, ("scale", "B", "input_mean", "input_var"))
        if not attrs["training_mode"]:
            return [x]
        return [x, params[2], params[3]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale, bias, mean, var = inputs
        work = _work(x)
        eps = attrs["epsilon"]
        if attrs["training_mode"]:
            xw = x.astype(work, copy=False)
            axes = (0, *range(2, x.ndim))
            batch_mean, batch_var = xw.mean(axis=axes), xw.var(axis=axes)
            factor = _per_channel(scale, x.ndim, work) / np.sqrt(_per_channel(batch_var, x.ndim, work) + eps)
            y = (xw - _per_channel(batch_mean, x.ndim, work)) * factor + _per_channel(bias, x.ndim, work)
            momentum = attrs["momentum"]
            running_mean = mean * momentum + batch_mean * (1 - momentum)
            running_var = var * momentum + batch_var * (1 - momentum)
            return [y.astype(x.dtype), running_mean.astype(mean.dtype), running_var.astype(var.dtype)]
        factor, shift = cls.affine(scale.astype(work), bias.astype(work), mean.astype(work), var.astype(work), eps)
        y = x * _per_channel(factor, x.ndim, work) + _per_channel(shift, x.ndim, work)
        return [y.astype(x.dtype, copy=False)]

    @classmethod
    def affine(
        cls, scale: np.ndarray, bias: np.ndarray, mean: np.ndarray, var: np.ndarray, epsilon: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Inference BN as a per-channel affine y = x * factor + shift, in the arrays' precision:
        factor = scale / sqrt(var + epsilon), shift = bias - mean * factor."""
        factor = scale / np.sqrt(var + epsilon)
        return factor, bias - mean * factor

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel


@register
class LayerNormalization(Op):
    """Standardize over axes [axis, rank), then Y = normalized * Scale + B (Scale, B broadcast to X).
    Mean and InvStdDev keep X's shape up to axis and have size 1 after it (float32)."""

    name = "LayerNormalization"
    attrs = {"axis": Attr("int", -1), "epsilon": Attr("float", 1e-5), "stash_type": Attr("int", STASH_FLOAT)}
    min_inputs, max_inputs, num_outputs = 2, 3, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        same_dtype(inputs, cls.name)
        require_dtype(x, FLOATS, "LayerNormalization input")
        _check_stash(cls.name, attrs)
        axis = normalize_axis(attrs["axis"], x.rank)
        for t in inputs[1:]:
            if not broadcasts_to(t.shape, x.shape):
                raise ShapeError(f"LayerNormalization: scale/bias {t} does not broadcast to the input {x}")
        stats = TensorType(DType.FLOAT32, (*x.shape[:axis], *(1,) * (x.rank - axis)))
        return [x, stats, stats]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale = inputs[0], inputs[1]
        axis = normalize_axis(attrs["axis"], x.ndim)
        normalized, mean, inv_std = _standardize(x, tuple(range(axis, x.ndim)), attrs["epsilon"])
        y = normalized.astype(x.dtype) * scale
        if len(inputs) == 3:
            y = y + inputs[2]
        return [y.astype(x.dtype, copy=False), mean.astype(np.float32), inv_std.astype(np.float32)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel


@register
class InstanceNormalization(Op):
    """Standardize each (n, c) over the spatial axes, then scale and shift per channel."""

    name = "InstanceNormalization"
    attrs = {"epsilon": Attr("float", 1e-5)}
    min_inputs, max_inputs = 3, 3

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        same_dtype(inputs, cls.name)
        _check_channels(cls.name, x, inputs[1:], ("scale", "B"))
        if x.rank < 3:
            raise ShapeError(f"InstanceNormalization: input {x} needs shape (N, C, D1, ...)")
        return [x]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale, bias = inputs
        normalized, _, _ = _standardize(x, tuple(range(2, x.ndim)), attrs["epsilon"])
        work = normalized.dtype
        y = normalized * _per_channel(scale, x.ndim, work) + _per_channel(bias, x.ndim, work)
        return [y.astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel


@register
class GroupNormalization(Op):
    """Standardize each sample over groups of num_groups channels (and all spatial positions), then
    scale and shift per channel (ONNX opset 21; opset 18's per-group scale is refused)."""

    name = "GroupNormalization"
    attrs = {"num_groups": Attr("int"), "epsilon": Attr("float", 1e-5), "stash_type": Attr("int", STASH_FLOAT)}
    min_inputs, max_inputs = 3, 3

    @classmethod
    def from_onnx(cls, view: OnnxNodeView) -> Imported:
        if view.opset < 21:
            raise ShapeError(
                f"GroupNormalization before opset 21 (this model: {view.opset}) scales per group, "
                "which Tessera does not support; convert the model to opset 21 (scale and bias per channel)"
            )
        return super().from_onnx(view)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        same_dtype(inputs, cls.name)
        _check_channels(cls.name, x, inputs[1:], ("scale", "bias"))
        _check_stash(cls.name, attrs)
        groups = attrs["num_groups"]
        if groups < 1 or x.shape[1] % groups:
            raise ShapeError(f"GroupNormalization: num_groups {groups} must divide the channels ({x.shape[1]})")
        return [x]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, scale, bias = inputs
        grouped = x.reshape(x.shape[0], attrs["num_groups"], -1)
        normalized, _, _ = _standardize(grouped, (2,), attrs["epsilon"])
        normalized = normalized.astype(x.dtype).reshape(x.shape)
        y = normalized * scale.reshape(-1, *(1,) * (x.ndim - 2)) + bias.reshape(-1, *(1,) * (x.ndim - 2))
        return [y.astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel
