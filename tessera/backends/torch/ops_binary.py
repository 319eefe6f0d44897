"""Torch kernels of the binary ops (binary.py), exact as the reference. BinarySign trains with the clipped
straight-through estimator (gradient 1 where |x| <= 1).

BinaryConv unpacks both operands to +-1 in float64 and convolves them with zero padding: every partial
sum is an integer far below 2^53, so the dot equals the reference's popcount dot exactly, whatever the
summation order; then float32(dot) * alpha + bias in float32 as the reference. Neither op has a
gradient: the binarize pass trains the float formulation (Sign with its straight-through estimator,
then Conv) and packs afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from tessera.backends.torch.kernel import Call, TorchOp, op
from tessera.backends.torch.ops_nn import pad_window
from tessera.backends.torch.ste import binary_sign_ste
from tessera.ir.ops import binary
from tessera.ir.ops.base import Op

Ts = Sequence[torch.Tensor]
_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_BITS = binary.WORD_BITS


def _shifts(rank_after: int, device: torch.device) -> torch.Tensor:
    """0..31 as int64, shaped (32, 1, ...) to broadcast over `rank_after` trailing axes."""
    return torch.arange(_BITS, dtype=torch.int64, device=device).reshape(_BITS, *(1,) * rank_after)


def _pack_bits(x: Ts, c: Call) -> list[torch.Tensor]:
    """Bit b of word j = x[:, 32*j + b] < 0; the channels past C are 0 bits."""
    shape = c.inputs[0].shape
    n, channels, rest = shape[0], shape[1], shape[2:]
    words = binary.words(channels)
    bits = (x[0] < 0).to(torch.int64)
    bits = F.pad(bits, [0, 0] * len(rest) + [0, words * _BITS - channels])
    bits = bits.reshape(n, words, _BITS, *rest)
    packed = (bits << _shifts(len(rest), bits.device)).sum(dim=2)  # distinct bits: the sum is their OR
    return [packed.to(torch.uint32)]


def _signs(packed: torch.Tensor, shape: tuple[int, ...], channels: int) -> torch.Tensor:
    """Packed words (N, W, D...) -> s = +-1 in float64 (N, channels, D...); bits past `channels` dropped."""
    n, words, rest = shape[0], shape[1], shape[2:]
    bits = (packed.to(torch.int64).unsqueeze(2) >> _shifts(len(rest), packed.device)) & 1
    bits = bits.reshape(n, words * _BITS, *rest)[:, :channels]
    return 1.0 - 2.0 * bits.to(torch.float64)


def _binary_conv(x: Ts, c: Call) -> list[torch.Tensor]:
    """float32(Conv(s(x), s(W)) with zero padding) * alpha + bias."""
    a = c.attrs
    win = binary.BinaryConv.geometry(c.inputs, a)
    group, channels = a["group"], a["channels"]
    sx = _signs(x[0], c.inputs[0].shape, channels)
    sw = _signs(x[1], c.inputs[1].shape, channels // group)
    fn = _CONV[len(win.kernel)]
    dot = fn(pad_window(sx, win), sw, None, stride=win.strides, dilation=win.dilations, groups=group)
    layout = (-1, *(1,) * len(win.kernel))
    y = dot.to(torch.float32) * torch.tensor(a["alpha"], dtype=torch.float32, device=dot.device).reshape(layout)
    if a["bias"] is not None:
        y = y + torch.tensor(a["bias"], dtype=torch.float32, device=dot.device).reshape(layout)
    return [y]


_PACKED = (
    "its operands are bit-packed integers; train the float formulation: Sign with its straight-through "
    "estimator, then Conv"
)

KERNELS: dict[type[Op], TorchOp] = {
    binary.BinarySign: op(lambda x, c: [binary_sign_ste(x[0])]),
    binary.PackBits: op(_pack_bits, no_grad=_PACKED.replace("its operands are", "its result is")),
    binary.BinaryConv: op(_binary_conv, no_grad=_PACKED),
}
