"""Pooling over the spatial axes of (N, C, D1, ...) tensors: MaxPool (with Indices), AveragePool,
GlobalMaxPool, GlobalAveragePool, and LRN (a window across channels).

Windowed kernels loop over the kernel offsets, one strided slice of the padded input each, so the
work is vectorized over every output element. Windows never read padding: MaxPool pads with -inf,
AveragePool pads with 0 and divides by the count of positions it may include.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._spatial import WINDOW_ATTRS, Window, array_type, window
from tessera.ir.ops._util import FLOATS, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import Windowed
from tessera.ir.types import TensorType

POOL_ATTRS = {**WINDOW_ATTRS, "kernel_shape": Attr("ints"), "ceil_mode": Attr("int", 0)}


def _pool_window(op: str, x: TensorType, attrs: Attrs) -> Window:
    if x.rank < 3:
        raise ShapeError(f"{op}: input {x} needs shape (N, C, D1, ...) with at least one spatial axis")
    if len(attrs["kernel_shape"]) != x.rank - 2 or min(attrs["kernel_shape"]) < 1:
        raise ShapeError(f"{op}: kernel_shape {attrs['kernel_shape']} needs {x.rank - 2} positive values")
    return window(op, x.shape[2:], attrs["kernel_shape"], attrs, ceil_mode=bool(attrs["ceil_mode"]))


def _padded(x: np.ndarray, win: Window, fill: float) -> np.ndarray:
    """x padded by the window's begin pads and at the end as far as the last window reaches."""
    axes = zip(win.out, win.strides, win.extent, x.shape[2:], win.pads_begin)
    ends = [max(0, (o - 1) * s + e - i - b) for o, s, e, i, b in axes]
    return np.pad(x, [(0, 0), (0, 0), *zip(win.pads_begin, ends)], constant_values=fill)


def _offsets(win: Window) -> Iterator[tuple[tuple[int, ...], tuple[slice, ...]]]:
    """Each kernel offset with the slice of the padded input that it reads for every output position."""
    for offset in itertools.product(*(range(k) for k in win.kernel)):
        spatial = tuple(
            slice(j * d, j * d + (o - 1) * s + 1, s) for j, d, o, s in zip(offset, win.dilations, win.out, win.strides)
        )
        yield offset, (slice(None), slice(None), *spatial)


def _axis_positions(win: Window, axis: int, offset: int) -> np.ndarray:
    """Input coordinate read on `axis` at kernel `offset`, for each output position (may be padding)."""
    return np.arange(win.out[axis]) * win.strides[axis] + offset * win.dilations[axis] - win.pads_begin[axis]


def _broadcast(vectors: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One vector per spatial axis, reshaped to broadcast over (N, C, O1, ..., Od)."""
    n = len(vectors)
    return [v.reshape((1, 1, *(-1 if a == i else 1 for a in range(n)))) for i, v in enumerate(vectors)]


@register
class MaxPool(Op):
    """Max over each window, padding excluded. Indices (optional output) are flat positions in X,
    row-major (storage_order=0) or column-major over the spatial axes (storage_order=1)."""

    traits = frozenset({Windowed})
    name = "MaxPool"
    attrs = {**POOL_ATTRS, "storage_order": Attr("int", 0)}
    num_outputs = 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, (*FLOATS, DType.INT8, DType.UINT8), "MaxPool input")
        win = _pool_window(cls.name, x, attrs)
        shape = (*x.shape[:2], *win.out)
        return [x.with_shape(shape), TensorType(DType.INT64, shape)]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        win = _pool_window(cls.name, array_type(x), attrs)
        work = np.float64 if x.dtype == np.float64 else np.float32  # exact for int8/uint8/float16
        xp = _padded(x.astype(work, copy=False), win, -np.inf)
        sizes = x.shape[2:]
        strides = _flat_strides(sizes, column_major=bool(attrs["storage_order"]))
        (first, where), *rest = _offsets(win)
        best = xp[where]
        index = np.broadcast_to(_flat_index(win, first, strides), best.shape)
        for offset, where in rest:
            vals = xp[where]
            better = vals > best  # ties keep the first position, as ONNX does
            best = np.where(better, vals, best)
            index = np.where(better, _flat_index(win, offset, strides), index)
        channel_base = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[:2]) * math.prod(sizes)
        index = index + channel_base.reshape(*x.shape[:2], *(1,) * len(sizes))
        return [best.astype(x.dtype), index.astype(np.int64, copy=False)]


def _flat_index(win: Window, offset: tuple[int, ...], strides: Sequence[int]) -> np.ndarray:
    """Flat spatial position in X read at kernel `offset`, broadcast over (N, C, O1, ..., Od)."""
    coords = [_axis_positions(win, a, j) * strides[a] for a, j in enumerate(offset)]
    return sum(_broadcast(coords), start=np.zeros((), dtype=np.int64))


def _flat_strides(sizes: Sequence[int], column_major: bool) -> list[int]:
    order = range(len(sizes)) if column_major else reversed(range(len(sizes)))
    strides, step = [0] * len(sizes), 1
    for axis in order:
        strides[axis] = step
        step *= sizes[axis]
    return strides


@register
class AveragePool(Op):
    """Mean over each window. count_include_pad=0 divides by the input positions in the window;
    1 also counts the pads (never the extra positions ceil_mode reads past them)."""

    traits = frozenset({Windowed})
    name = "AveragePool"
    attrs = {**POOL_ATTRS, "count_include_pad": Attr("int", 0)}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, FLOATS, "AveragePool input")
        win = _pool_window(cls.name, x, attrs)
        return [x.with_shape((*x.shape[:2], *win.out))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        win = _pool_window(cls.name, array_type(x), attrs)
        work = np.float64 if x.dtype == np.float64 else np.float32
        xp = _padded(x.astype(work, copy=False), win, 0.0)
        total = np.zeros((*x.shape[:2], *win.out), dtype=work)
        for _, where in _offsets(win):
            total += xp[where]
        include_pad = bool(attrs["count_include_pad"])
        counts = [cls._axis_counts(win, a, size, include_pad) for a, size in enumerate(x.shape[2:])]
        divisor = math.prod(_broadcast(counts))
        return [(total / divisor).astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * math.prod(attrs["kernel_shape"])

    @staticmethod
    def _axis_counts(win: Window, axis: int, size: int, include_pad: bool) -> np.ndarray:
        """How many window positions on `axis` are counted, for each output position."""
        low, high = (-win.pads_begin[axis], size + win.pads_end[axis]) if include_pad else (0, size)
        count = np.zeros(win.out[axis], dtype=np.int64)
        for j in range(win.kernel[axis]):
            pos = _axis_positions(win, axis, j)
            count += (pos >= low) & (pos < high)
        return count


class GlobalPool(Op):
    """Reduce every spatial axis to size 1."""

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, FLOATS, f"{cls.name} input")
        if x.rank < 3:
            raise ShapeError(f"{cls.name}: input {x} needs shape (N, C, D1, ...) with at least one spatial axis")
        return [x.with_shape((*x.shape[:2], *(1,) * (x.rank - 2)))]


@register
class GlobalAveragePool(GlobalPool):
    name = "GlobalAveragePool"

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        axes = tuple(range(2, x.ndim))
        work = np.float64 if x.dtype == np.float64 else np.float32
        return [x.mean(axis=axes, keepdims=True, dtype=work).astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel


@register
class GlobalMaxPool(GlobalPool):
    name = "GlobalMaxPool"

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [x.max(axis=tuple(range(2, x.ndim)), keepdims=True)]


@register
class LRN(Op):
    """Local response normalization across channels:
    Y = X / (bias + alpha / size * sum of X^2 over the `size` neighbouring channels) ^ beta."""

    name = "LRN"
    attrs = {"size": Attr("int"), "alpha": Attr("float", 1e-4), "beta": Attr("float", 0.75), "bias": Attr("float", 1.0)}

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, FLOATS, "LRN input")
        if x.rank < 3:
            raise ShapeError(f"LRN: input {x} needs shape (N, C, D1, ...)")
        if attrs["size"] < 1:
            raise ShapeError(f"LRN: size {attrs['size']} must be positive")
        return [x]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        size, channels = attrs["size"], x.shape[1]
        work = np.float64 if x.dtype == np.float64 else np.float32
        squares = np.square(x.astype(work, copy=False))
        before = (size - 1) // 2  # channels c - before .. c + (size - 1 - before) are summed
        pads = [(0, 0), (before, size - 1 - before)] + [(0, 0)] * (x.ndim - 2)
        padded = np.pad(squares, pads)
        total = sum(padded[:, j : j + channels] for j in range(size))
        y = x / (attrs["bias"] + attrs["alpha"] / size * total) ** attrs["beta"]
        return [y.astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return inputs[0].numel * attrs["size"]
