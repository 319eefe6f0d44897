"""Sliding-window geometry shared by Conv, ConvTranspose and the pooling ops.

ONNX describes a window by kernel_shape, strides, dilations and either explicit pads or an auto_pad
mode; `window()` resolves those attributes into one `Window` per input shape, with the output size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.base import Attr, Attrs
from tessera.ir.types import TensorType

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")

# The attributes every windowed op has (pooling ops require kernel_shape; they override it).
WINDOW_ATTRS = {
    "auto_pad": Attr("str", "NOTSET"),
    "kernel_shape": Attr("ints", optional=True),
    "strides": Attr("ints", optional=True),
    "dilations": Attr("ints", optional=True),
    "pads": Attr("ints", optional=True),
}


@dataclass(frozen=True)
class Window:
    """A resolved window over the spatial axes: pads split into begin and end, and the output size."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]
    out: tuple[int, ...]

    @property
    def extent(self) -> tuple[int, ...]:
        """The span of one dilated window on each axis."""
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilations))


def per_axis(attrs: Attrs, key: str, n: int, default: int, op: str) -> tuple[int, ...]:
    """An ints attribute with one value per spatial axis (default when absent); values must be >= 1."""
    value = attrs[key]
    if value is None:
        return (default,) * n
    if len(value) != n:
        raise ShapeError(f"{op}: {key} {value} needs {n} values, one per spatial axis")
    if any(v < 1 for v in value):
        raise ShapeError(f"{op}: {key} {value} must be positive")
    return tuple(value)


def same_pads(total: Sequence[int], upper: bool) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Split total padding per axis; SAME_UPPER puts the odd element at the end, SAME_LOWER at the start."""
    small = tuple(t // 2 for t in total)
    big = tuple(t - t // 2 for t in total)
    return (small, big) if upper else (big, small)


def window(op: str, in_shape: Sequence[int], kernel: Sequence[int], attrs: Attrs, ceil_mode: bool = False) -> Window:
    """Resolve the window attributes for spatial input shape `in_shape` and kernel `kernel`."""
    n = len(in_shape)
    strides = per_axis(attrs, "strides", n, 1, op)
    dilations = per_axis(attrs, "dilations", n, 1, op)
    extent = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    auto = attrs["auto_pad"]
    if auto not in AUTO_PADS:
        raise ShapeError(f"{op}: auto_pad {auto!r} is not one of {', '.join(AUTO_PADS)}")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-i // s) for i, s in zip(in_shape, strides)]
        total = [max(0, (o - 1) * s + e - i) for o, s, e, i in zip(out, strides, extent, in_shape)]
        begin, end = same_pads(total, auto == "SAME_UPPER")
    elif auto == "VALID":
        out = [(i - e) // s + 1 for i, e, s in zip(in_shape, extent, strides)]
        begin = end = (0,) * n
    else:
        pads = attrs["pads"] or (0,) * (2 * n)
        if len(pads) != 2 * n or any(p < 0 for p in pads):
            raise ShapeError(f"{op}: pads {pads} needs {2 * n} non-negative values (all begins, then all ends)")
        begin, end = tuple(pads[:n]), tuple(pads[n:])
        axes = zip(in_shape, begin, end, extent, strides)
        out = [_explicit_out(i, b, e_, ext, s, ceil_mode) for i, b, e_, ext, s in axes]
    if any(o < 1 for o in out):
        raise ShapeError(
            f"{op}: a window of extent {tuple(extent)} does not fit the input {tuple(in_shape)} "
            f"padded by {begin} + {end}; reduce the kernel or dilations, or pad more"
        )
    return Window(tuple(kernel), strides, dilations, tuple(begin), tuple(end), tuple(out))


def _explicit_out(size: int, begin: int, end: int, extent: int, stride: int, ceil_mode: bool) -> int:
    span = size + begin + end - extent
    if span < 0:
        return 0
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + begin:  # the last window would start in the end padding: drop it
        out -= 1
    return out


def array_type(a: np.ndarray) -> TensorType:
    """The TensorType of an array, so kernels can reuse their op's shape checks."""
    return TensorType(DType.from_numpy(a.dtype), tuple(int(d) for d in a.shape))
