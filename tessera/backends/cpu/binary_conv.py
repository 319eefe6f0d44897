"""Tensor expressions of the bit-packed binary ops (tessera/ir/ops/binary.py) for the cpu target.

PackBits ORs 32 comparisons `x < 0` into one uint32 word per 32 channels (channels past C read a
zero-padded copy, so they are 0 bits).

BinaryConv runs over the packed input padded with zero words, so the inner loop has no condition:

    acc[n, m, o] = sum over every tap t and word k of popcount((xpad[n, k, o + t] & mask[k]) ^ wm[m, k, t])
    dot[n, m, o] = K[m, class(o)] - 2 * acc[n, m, o]

with wm = W & mask packed at compile time. A tap inside the image contributes C_g - 2 * popcount, as
the reference; a tap outside reads a zero word, so it adds popcount(wm[m, :, t]) = P[m, t] to acc,
and K cancels it: K[m, o] = sum over taps of (C_g if the tap is inside else 2 * P[m, t]). K depends
on o only near the borders: per spatial axis but the last, the leading outputs whose window starts
in the begin pad and the trailing ones whose window ends in the end pad each get their own class,
every interior output shares one; the last axis keeps every output (the epilogue's vector along the
columns then loads K contiguously). So K is a constant [M, classes..., output columns], 3 x 64 per
channel for a 3x3 conv with pads 1 on 64 columns (no pads: one scalar).
Then y = float32(dot) * alpha[m] + bias[m], with an LLVM arithmetic fence on the product: TVM builds
with FP-op fusion on, and a multiply-add fused with the bias (or with the add of a residual that Relax
fuses into the kernel) would round once instead of twice, which is not the reference.
The weights are stored as [M / T, words, K..., T] (T output channels contiguous) for the schedule's
vector over output channels (binary_schedule.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tessera.ir.ops._spatial import Window
from tessera.ir.ops.binary import WORD_BITS, channel_mask, words

BLOCK_NAME = "binary_conv"  # binary_schedule.is_binary_conv matches it
LANE_TILES = (16, 8, 4, 2, 1)  # output channels per packed weight vector: 16 uint32 = one AVX-512 register
FULL_WORD = 0xFFFFFFFF


def pack_bits(x: Any) -> Any:
    """float (N, C, D...) -> uint32 (N, ceil(C/32), D...): bit b of word j is x[:, 32*j + b] < 0 (TE)."""
    from tvm import te, topi

    n, c, *rest = (int(d) for d in x.shape)
    count = words(c)
    if c % WORD_BITS:  # channels past C: zeros, which are not < 0
        zeros = [0] * len(rest)
        x = topi.nn.pad(x, [0, 0, *zeros], [0, count * WORD_BITS - c, *zeros], pad_value=0.0, name="pack_pad")

    def word(b_: Any, j: Any, *d: Any) -> Any:
        bits = [(x[(b_, j * WORD_BITS + b, *d)] < 0).astype("uint32") << b for b in range(WORD_BITS)]
        total = bits[0]
        for bit in bits[1:]:
            total = total | bit
        return total

    return te.compute((n, count, *rest), word, name="pack_bits")


@dataclass(frozen=True)
class BinaryConstants:
    """What the lowering computes once from the constant weights: the packed weights, the border
    constant K and its classes per spatial axis."""

    weights: np.ndarray  # uint32 [M / T, words, K..., T], masked
    border: np.ndarray | None  # int32 [M, classes...], None when every tap is inside (K = C_g * taps)
    classes: tuple[tuple[int, int], ...]  # per axis (lead, trail): the outputs with their own class
    per_group: int  # C_g, channels per group


def prepare(w: np.ndarray, win: Window, in_sizes: Sequence[int], channels: int, group: int) -> BinaryConstants:
    """Mask and pack the weights (M, words, K...) and compute K for the geometry `win`."""
    m, wg, kernel = w.shape[0], w.shape[1], tuple(w.shape[2:])
    per_group = channels // group
    mask = channel_mask(per_group).reshape(1, wg, *(1,) * len(kernel))
    masked = (w.astype(np.uint32) & mask).astype(np.uint32)
    lanes = next(t for t in LANE_TILES if (m // group) % t == 0)
    order = (0, *range(2, 3 + len(kernel)), 1)
    packed = np.ascontiguousarray(masked.reshape(m // lanes, lanes, wg, *kernel).transpose(order))
    axes = list(zip(in_sizes, win.out, win.kernel, win.strides, win.dilations, win.pads_begin))
    # the last axis keeps one class per output: the epilogue's vector along the columns loads K contiguously
    classes = (*(_classes(*axis) for axis in axes[:-1]), (win.out[-1], 0))
    if not any((*win.pads_begin, *win.pads_end)):
        return BinaryConstants(packed, None, classes, per_group)
    ones = np.bitwise_count(masked).sum(axis=1, dtype=np.int64)  # P[m, t]: popcount of the masked tap
    inside = _inside(axes, classes)
    taps = tuple(range(1 + len(kernel), 1 + 2 * len(kernel)))
    border = np.where(inside[None], per_group, 2 * ones.reshape(m, *(1,) * len(kernel), *kernel)).sum(axis=taps)
    return BinaryConstants(packed, border.astype(np.int32), classes, per_group)


def _inside(axes: list[tuple[int, ...]], classes: Sequence[tuple[int, int]]) -> np.ndarray:
    """bool [classes..., K...]: whether each tap of each class's representative output is inside the image."""
    rank = len(axes)
    inside = np.ones((1,) * (2 * rank), dtype=bool)
    for axis, ((size, out, k, stride, dilation, begin), (lead, trail)) in enumerate(zip(axes, classes)):
        outputs = np.array(_representatives(out, lead, trail))
        pos = outputs[:, None] * stride + np.arange(k)[None, :] * dilation - begin
        shape = [1] * (2 * rank)
        shape[axis], shape[rank + axis] = len(outputs), k
        inside = inside & ((pos >= 0) & (pos < size)).reshape(shape)
    return inside


def _classes(size: int, out: int, k: int, stride: int, dilation: int, begin: int) -> tuple[int, int]:
    """(lead, trail): outputs 0..lead-1 and out-trail..out-1 each have their own border class, the
    outputs between them read every tap inside the image; (out, 0) when no output does."""
    first = -(-begin // stride)  # first output whose first tap is inside
    last = (size - 1 + begin - (k - 1) * dilation) // stride  # last output whose last tap is inside
    if first > min(last, out - 1):
        return out, 0
    return first, max(0, out - 1 - last)


def _representatives(out: int, lead: int, trail: int) -> list[int]:
    """One output per class: the lead outputs, one interior output, the trail outputs."""
    interior = [] if lead + trail >= out else [lead]
    return [*range(lead), *interior, *range(out - trail, out)]


def class_index(o: Any, out: int, lead: int, trail: int) -> Any:
    """The border class of output coordinate `o` (a TIR expression), as _representatives orders them."""
    from tvm import te

    if lead + trail >= out:
        return o
    lead_part = te.min(o, lead)  # lead 0: every output starts in class 0
    if trail == 0:
        return lead_part
    return lead_part + te.max(o - (out - trail) + 1, 0)


def binary_conv(
    x: Any,
    w: Any,
    border: Any,
    alpha: Any,
    bias: Any,
    consts: BinaryConstants,
    win: Window,
    group: int,
) -> Any:
    """The TE of BinaryConv (see the module docstring); `border`, `alpha` and `bias` are tensors or
    None (scalar K, alpha of one value, no bias), `alpha` a float when it has one value."""
    from tvm import te, tirx, topi

    n = int(x.shape[0])
    blocks, wg, *kernel_and_lanes = (int(d) for d in w.shape)
    kernel, lanes = kernel_and_lanes[:-1], kernel_and_lanes[-1]
    m, per_group = blocks * lanes, consts.per_group
    group_out = m // group
    padded = x
    if any((*win.pads_begin, *win.pads_end)):
        padded = topi.nn.pad(x, [0, 0, *win.pads_begin], [0, 0, *win.pads_end], name="binary_pad")
    rk = te.reduce_axis((0, wg), "rk")
    taps = [te.reduce_axis((0, k), f"r{i}") for i, k in enumerate(kernel)]
    last = int(channel_mask(per_group)[-1])

    def word_mask(k: Any) -> Any:
        if last == FULL_WORD:
            return None
        if wg == 1:
            return tirx.const(last, "uint32")
        return tirx.Select(k == wg - 1, tirx.const(last, "uint32"), tirx.const(FULL_WORD, "uint32"))

    def acc(b: Any, f: Any, *o: Any) -> Any:
        word = rk if group == 1 else f // group_out * wg + rk
        pos = [oi * s + t * d for oi, t, s, d in zip(o, taps, win.strides, win.dilations)]
        a = padded[(b, word, *pos)]
        mask = word_mask(rk)
        a = a if mask is None else a & mask
        flips = tirx.popcount(a ^ w[(f // lanes, rk, *taps, f % lanes)])
        return te.sum(flips.astype("int32"), axis=[rk, *taps])

    total = te.compute((n, m, *win.out), acc, name=BLOCK_NAME)
    full = per_group * int(np.prod(kernel))

    def out(b: Any, f: Any, *o: Any) -> Any:
        if border is None:
            k_const = tirx.const(full, "int32")
        else:
            cls = [class_index(oi, size, *c) for oi, size, c in zip(o, win.out, consts.classes)]
            k_const = border[(f, *cls)]
        dot = (k_const - 2 * total[(b, f, *o)]).astype("float32")
        scale = tirx.const(alpha, "float32") if isinstance(alpha, float) else alpha[f]
        # the fence keeps the product rounded on its own, before the bias or a fused consumer's add
        y = tirx.call_llvm_pure_intrin("float32", "llvm.arithmetic.fence", dot * scale)
        return y if bias is None else y + bias[f]

    return te.compute((n, m, *win.out), out, name="binary_conv_out")
