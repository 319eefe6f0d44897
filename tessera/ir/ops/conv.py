"""Convolutions: Conv and ConvTranspose over 1, 2 or 3 spatial axes, with groups.

Both kernels are one batched matrix product per group: Conv gathers the input windows into columns
(im2col through a strided view), ConvTranspose multiplies first and scatters the columns back
(col2im, one strided add per kernel offset). float16 is computed in float32.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tessera.errors import ShapeError
from tessera.ir.ops._spatial import WINDOW_ATTRS, Window, array_type, per_axis, same_pads, window
from tessera.ir.ops._util import FLOATS, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import Windowed
from tessera.ir.types import TensorType


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """float16 is accumulated in float32; float32 and float64 stay as they are."""
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def _check_operands(op: str, inputs: Sequence[TensorType]) -> None:
    x, w = inputs[0], inputs[1]
    same_dtype(inputs, op)
    require_dtype(x, FLOATS, f"{op} input")
    if x.rank < 3:
        raise ShapeError(f"{op}: input {x} needs shape (N, C, D1, ...) with at least one spatial axis")
    if w.rank != x.rank:
        raise ShapeError(f"{op}: weights {w} must have the input's rank {x.rank}")


def _kernel(op: str, w: TensorType, attrs: Attrs) -> tuple[int, ...]:
    kernel = w.shape[2:]
    if attrs["kernel_shape"] is not None and tuple(attrs["kernel_shape"]) != kernel:
        raise ShapeError(f"{op}: kernel_shape {attrs['kernel_shape']} does not match the weights {w}")
    return kernel


def _check_bias(op: str, inputs: Sequence[TensorType], channels: int) -> None:
    if len(inputs) == 3 and inputs[2].shape != (channels,):
        raise ShapeError(f"{op}: bias {inputs[2]} must have shape ({channels},), one value per output channel")


@register
class Conv(Op):
    """Y = X * W (+ B): X (N, C, D...), W (M, C/group, K...), B (M,)."""

    traits = frozenset({Windowed})
    name = "Conv"
    attrs = {**WINDOW_ATTRS, "group": Attr("int", 1)}
    min_inputs, max_inputs = 2, 3

    @classmethod
    def geometry(cls, inputs: Sequence[TensorType], attrs: Attrs) -> Window:
        _check_operands(cls.name, inputs)
        x, w = inputs[0], inputs[1]
        group = attrs["group"]
        if group < 1 or x.shape[1] % group or w.shape[0] % group:
            raise ShapeError(
                f"Conv: group {group} must divide the input channels ({x.shape[1]}) and the output channels "
                f"({w.shape[0]})"
            )
        if w.shape[1] * group != x.shape[1]:
            raise ShapeError(
                f"Conv: input {x} has {x.shape[1]} channels, the weights {w} expect {w.shape[1]} x group {group} "
                f"= {w.shape[1] * group}"
            )
        _check_bias(cls.name, inputs, w.shape[0])
        return window(cls.name, x.shape[2:], _kernel(cls.name, w, attrs), attrs)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        win = cls.geometry(inputs, attrs)
        return [inputs[0].with_shape((inputs[0].shape[0], inputs[1].shape[0], *win.out))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, w = inputs[0], inputs[1]
        win = cls.geometry([array_type(a) for a in inputs], attrs)
        work = _work_dtype(x.dtype)
        n, c = x.shape[:2]
        m, group, spatial = w.shape[0], attrs["group"], len(win.kernel)
        axes = tuple(range(2, 2 + spatial))
        xp = np.pad(x.astype(work, copy=False), [(0, 0), (0, 0), *zip(win.pads_begin, win.pads_end)])
        views = sliding_window_view(xp, win.extent, axis=axes)  # (N, C, P..., E...)
        steps = (1, 1, *win.strides, *win.dilations)
        views = views[tuple(slice(None, None, s) for s in steps)]  # (N, C, O..., K...)
        views = views.reshape(n, group, c // group, *win.out, *win.kernel)
        order = (0, 1, 2, *range(3 + spatial, 3 + 2 * spatial), *range(3, 3 + spatial))
        cols = views.transpose(order).reshape(n, group, -1, math.prod(win.out))  # (N, G, C/G*K, O)
        weights = w.astype(work, copy=False).reshape(group, m // group, -1)
        y = np.matmul(weights, cols).reshape(n, m, *win.out)
        if len(inputs) == 3:
            y += inputs[2].astype(work, copy=False).reshape(m, *(1,) * spatial)
        return [y.astype(x.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        w = inputs[1]
        return outputs[0].numel * w.shape[1] * math.prod(w.shape[2:])


@register
class ConvTranspose(Op):
    """The gradient of Conv with respect to its input: X (N, C, D...), W (C, M/group, K...), B (M,)."""

    name = "ConvTranspose"
    attrs = {
        **WINDOW_ATTRS,
        "group": Attr("int", 1),
        "output_padding": Attr("ints", optional=True),
        "output_shape": Attr("ints", optional=True),
    }
    min_inputs, max_inputs = 2, 3

    @classmethod
    def geometry(cls, inputs: Sequence[TensorType], attrs: Attrs) -> Window:
        """The window of the equivalent Conv read backwards; `out` is ConvTranspose's output size."""
        _check_operands(cls.name, inputs)
        x, w = inputs[0], inputs[1]
        group = attrs["group"]
        if group < 1 or x.shape[1] % group:
            raise ShapeError(f"ConvTranspose: group {group} must divide the input channels ({x.shape[1]})")
        if w.shape[0] != x.shape[1]:
            raise ShapeError(f"ConvTranspose: input {x} has {x.shape[1]} channels, the weights {w} expect {w.shape[0]}")
        _check_bias(cls.name, inputs, w.shape[1] * group)
        kernel = _kernel(cls.name, w, attrs)
        n = len(kernel)
        strides = per_axis(attrs, "strides", n, 1, cls.name)
        dilations = per_axis(attrs, "dilations", n, 1, cls.name)
        extra = attrs["output_padding"] or (0,) * n
        if len(extra) != n:
            raise ShapeError(f"ConvTranspose: output_padding {extra} needs {n} values")
        sizes = x.shape[2:]
        full = [s * (i - 1) + p + (k - 1) * d + 1 for s, i, p, k, d in zip(strides, sizes, extra, kernel, dilations)]
        begin, end = cls._pads(attrs, sizes, strides, full)
        out = tuple(f - b - e for f, b, e in zip(full, begin, end))
        if any(o < 1 for o in out):
            raise ShapeError(f"ConvTranspose: pads {begin} + {end} leave nothing of the full output {tuple(full)}")
        return Window(kernel, strides, dilations, begin, end, out)

    @classmethod
    def _pads(
        cls, attrs: Attrs, sizes: Sequence[int], strides: Sequence[int], full: Sequence[int]
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        n, auto = len(sizes), attrs["auto_pad"]
        wanted = attrs["output_shape"]
        if wanted is not None:
            wanted = tuple(wanted[-n:])  # some exporters include N and C
            if len(wanted) != n:
                raise ShapeError(f"ConvTranspose: output_shape {attrs['output_shape']} needs {n} values")
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            wanted = tuple(i * s for i, s in zip(sizes, strides))
        if wanted is not None:
            return same_pads([f - o for f, o in zip(full, wanted)], auto == "SAME_UPPER")
        if auto == "VALID":
            return (0,) * n, (0,) * n
        if auto != "NOTSET":
            raise ShapeError(f"ConvTranspose: auto_pad {auto!r} is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        pads = attrs["pads"] or (0,) * (2 * n)
        if len(pads) != 2 * n or any(p < 0 for p in pads):
            raise ShapeError(f"ConvTranspose: pads {pads} needs {2 * n} non-negative values (begins, then ends)")
        return tuple(pads[:n]), tuple(pads[n:])

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        win = cls.geometry(inputs, attrs)
        return [inputs[0].with_shape((inputs[0].shape[0], inputs[1].shape[1] * attrs["group"], *win.out))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, w = inputs[0], inputs[1]
        win = cls.geometry([array_type(a) for a in inputs], attrs)
        work = _work_dtype(x.dtype)
        n, c, sizes = x.shape[0], x.shape[1], x.shape[2:]
        group, spatial = attrs["group"], len(win.kernel)
        m = w.shape[1] * group
        weights = w.astype(work, copy=False).reshape(group, c // group, -1).transpose(0, 2, 1)  # (G, M/G*K, C/G)
        cols = np.matmul(weights, x.astype(work, copy=False).reshape(n, group, c // group, -1))
        cols = cols.reshape(n, m, *win.kernel, *sizes)
        # The full result spans [0, begin + out + end); an output_shape beyond it makes a pad negative.
        low = [min(0, b) for b in win.pads_begin]
        high = [max(b + o + e, b + o) for b, o, e in zip(win.pads_begin, win.out, win.pads_end)]
        y = np.zeros((n, m, *(h - lo for h, lo in zip(high, low))), dtype=work)
        for offset in itertools.product(*(range(k) for k in win.kernel)):
            axes = zip(offset, win.dilations, sizes, win.strides, low)
            target = tuple(slice(j * d - lo, j * d - lo + (i - 1) * s + 1, s) for j, d, i, s, lo in axes)
            y[(slice(None), slice(None), *target)] += cols[(slice(None), slice(None), *offset)]
        kept = (slice(b - lo, b - lo + o) for b, lo, o in zip(win.pads_begin, low, win.out))
        y = y[(slice(None), slice(None), *kept)]
        if len(inputs) == 3:
            y = y + inputs[2].astype(work, copy=False).reshape(m, *(1,) * spatial)
        return [np.ascontiguousarray(y, dtype=x.dtype)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        x, w = inputs[0], inputs[1]
        return x.numel * w.shape[1] * math.prod(w.shape[2:])
