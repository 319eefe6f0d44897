"""Binary ops (domain ai.tessera): BinarySign, and the bit-packed PackBits and BinaryConv.

Binarization maps a value v to s(v) = -1 if v < 0 else +1 (so s(0) = s(-0.0) = +1 and s(NaN) = +1;
this is not ONNX Sign, whose sign(0) is 0). BinarySign computes s in float (the form the binarize pass
trains, with a straight-through gradient in the torch backend); PackBits stores s along the channel
axis, 32 channels per uint32 word: bit b of word j is 1 iff channel 32*j + b is -1; the channels past C
in the last word are 0 bits. BinaryConv convolves two packed operands with the popcount identity
dot(a, w) = K - 2 * popcount(a XOR w) over K valid channels, zero padding (taps outside the image
contribute 0), then one float32 multiply and one float32 add per output:

    y[n, m, p] = float32(dot[n, m, p]) * alpha[m] + bias[m]           (float32 arithmetic)
    dot[n, m, p] = sum over in-image taps t, channels c of s(x)[n, c, p + t] * s(W)[m, c, t]

which is, bit for bit, the float formulation Conv(s(x), s(W)) (exact integers, zero padding) cast to
float32, times alpha, plus bias. Bits past the true channel count are ignored (masked), whatever they
hold. Groups: group 1, or group > 1 with a multiple of 32 channels per group, so each group starts at a
word boundary of PackBits' layout (depthwise and other groupings are refused with a ShapeError).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._spatial import WINDOW_ATTRS, Window, array_type, window
from tessera.ir.ops._util import FLOATS, require_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.traits import Elementwise
from tessera.ir.types import TensorType

TESSERA = "ai.tessera"
WORD_BITS = 32


def words(channels: int) -> int:
    """uint32 words that hold `channels` packed channels."""
    return -(-channels // WORD_BITS)


def channel_mask(channels: int) -> np.ndarray:
    """Per word of a packed channel axis, the bits that hold real channels (uint32, one per word)."""
    mask = np.full(words(channels), 0xFFFFFFFF, dtype=np.uint32)
    if channels % WORD_BITS:
        mask[-1] = (1 << (channels % WORD_BITS)) - 1
    return mask


@register
class BinarySign(Op):
    """s(x) = -1 where x < 0, else +1 (0, -0.0 and NaN give +1), in x's float type."""

    name = "BinarySign"
    domain = TESSERA
    traits = frozenset({Elementwise})
    min_inputs, max_inputs = 1, 1

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        require_dtype(inputs[0], FLOATS, "BinarySign input")
        return [inputs[0]]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        return [np.where(x < 0, -1.0, 1.0).astype(x.dtype)]


@register
class PackBits(Op):
    """float x (N, C, D...) -> uint32 (N, ceil(C/32), D...): bit b of word j is x[:, 32*j + b] < 0."""

    name = "PackBits"
    domain = TESSERA
    min_inputs, max_inputs = 1, 1

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        x = inputs[0]
        require_dtype(x, FLOATS, "PackBits input")
        if x.rank < 2:
            raise ShapeError(f"PackBits: input {x} needs shape (N, C, ...): it packs axis 1")
        return [TensorType(DType.UINT32, (x.shape[0], words(x.shape[1]), *x.shape[2:]))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x = inputs[0]
        n, c, rest = x.shape[0], x.shape[1], x.shape[2:]
        bits = np.zeros((n, words(c) * WORD_BITS, *rest), dtype=np.uint32)
        bits[:, :c] = x < 0
        bits = bits.reshape(n, words(c), WORD_BITS, *rest)
        weights = (np.uint32(1) << np.arange(WORD_BITS, dtype=np.uint32)).reshape(WORD_BITS, *(1,) * len(rest))
        return [np.asarray(np.sum(bits * weights, axis=2, dtype=np.uint32))]  # distinct bits: the sum is their OR


@register
class BinaryConv(Op):
    """Binary Conv of packed x (N, ceil(C/32), D...) and packed W (M, ceil((C/group)/32), K...), both
    uint32; `channels` is C; float32 output (N, M, O...) = float32(dot) * alpha[m] + bias[m]."""

    name = "BinaryConv"
    domain = TESSERA
    attrs = {
        **WINDOW_ATTRS,
        "group": Attr("int", 1),
        "channels": Attr("int"),
        "alpha": Attr("floats", (1.0,)),
        "bias": Attr("floats", optional=True),
    }
    min_inputs, max_inputs = 2, 2

    @classmethod
    def geometry(cls, inputs: Sequence[TensorType], attrs: Attrs) -> Window:
        x, w = inputs[0], inputs[1]
        require_dtype(x, (DType.UINT32,), "BinaryConv input")
        require_dtype(w, (DType.UINT32,), "BinaryConv weights")
        if x.rank < 3 or w.rank != x.rank:
            raise ShapeError(f"BinaryConv: input {x} needs (N, words, D1, ...) and weights {w} the same rank")
        c, group, m = attrs["channels"], attrs["group"], w.shape[0]
        if c < 1 or x.shape[1] != words(c):
            raise ShapeError(f"BinaryConv: input {x} holds {x.shape[1]} words; {c} channels need {words(c)}")
        if group < 1 or c % group or m % group:
            raise ShapeError(f"BinaryConv: group {group} must divide the channels ({c}) and the outputs ({m})")
        if group > 1 and (c // group) % WORD_BITS:
            raise ShapeError(
                f"BinaryConv: group {group} leaves {c // group} channels per group; groups must start at a "
                f"word boundary ({WORD_BITS} channels per group times a whole number), or use group 1"
            )
        if w.shape[1] != words(c // group):
            raise ShapeError(
                f"BinaryConv: weights {w} hold {w.shape[1]} words per filter; {c // group} channels per group "
                f"need {words(c // group)}"
            )
        if len(attrs["alpha"]) not in (1, m):
            raise ShapeError(f"BinaryConv: alpha has {len(attrs['alpha'])} values; it needs 1 or {m}")
        if attrs["bias"] is not None and len(attrs["bias"]) != m:
            raise ShapeError(f"BinaryConv: bias has {len(attrs['bias'])} values; it needs {m}, one per output")
        kernel = w.shape[2:]
        if attrs["kernel_shape"] is not None and tuple(attrs["kernel_shape"]) != kernel:
            raise ShapeError(f"BinaryConv: kernel_shape {attrs['kernel_shape']} does not match the weights {w}")
        return window(cls.name, x.shape[2:], kernel, attrs)

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        win = cls.geometry(inputs, attrs)
        return [TensorType(DType.FLOAT32, (inputs[0].shape[0], inputs[1].shape[0], *win.out))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        x, w = inputs[0], inputs[1]
        win = cls.geometry([array_type(a) for a in inputs], attrs)
        dot = _binary_dot(x, w, win, attrs["channels"], attrs["group"])
        spatial = (1,) * len(win.out)
        alpha = np.broadcast_to(np.asarray(attrs["alpha"], dtype=np.float32), (w.shape[0],))
        y = dot.astype(np.float32) * alpha.reshape(-1, *spatial)
        if attrs["bias"] is not None:
            y = y + np.asarray(attrs["bias"], dtype=np.float32).reshape(-1, *spatial)
        return [y]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        """Binary MACs: outputs times channels per group times taps (a word op does 32 of them)."""
        return outputs[0].numel * (attrs["channels"] // attrs["group"]) * math.prod(inputs[1].shape[2:])


def _windows(a: np.ndarray, win: Window) -> np.ndarray:
    """(N, C, D...) zero-padded -> its windows (N, C, O..., K...)."""
    spatial = len(win.kernel)
    padded = np.pad(a, [(0, 0), (0, 0), *zip(win.pads_begin, win.pads_end)])
    views = sliding_window_view(padded, win.extent, axis=tuple(range(2, 2 + spatial)))
    steps = (1, 1, *win.strides, *win.dilations)
    return views[tuple(slice(None, None, s) for s in steps)]


def _binary_dot(x: np.ndarray, w: np.ndarray, win: Window, channels: int, group: int) -> np.ndarray:
    """The exact integer dot (N, M, O...) by popcount over each in-image tap, per group."""
    n, m, spatial = x.shape[0], w.shape[0], len(win.kernel)
    per_group, wg, mg = channels // group, w.shape[1], w.shape[0] // group
    inside = _windows(np.ones((1, 1, *x.shape[2:]), dtype=np.int64), win)[0, 0]  # (O..., K...): tap in image
    mask = channel_mask(per_group).reshape(wg, *(1,) * (2 * spatial))
    cols = _windows(x, win)  # (N, words, O..., K...)
    taps = tuple(range(3 + spatial, 3 + 2 * spatial))
    parts = []
    for g in range(group):
        xs = cols[:, None, g * wg : (g + 1) * wg]  # (N, 1, Wg, O..., K...)
        ws = w[g * mg : (g + 1) * mg].reshape(1, mg, wg, *(1,) * spatial, *win.kernel)
        flips = np.bitwise_count((xs ^ ws) & mask).sum(axis=2, dtype=np.int64)  # (N, Mg, O..., K...)
        parts.append(((per_group - 2 * flips) * inside).sum(axis=tuple(t - 1 for t in taps)))
    return np.concatenate(parts, axis=1).reshape(n, m, *win.out)
