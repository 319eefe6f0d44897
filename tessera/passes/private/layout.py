"""What a packing of one linear layer into BFV polynomials is: the interface every packing
(Cheetah's, Tessera's dense one) implements and the HE target runs.

A layer's input tensor becomes `input_ciphertexts` polynomials of degree < N (the client encrypts
them); the server computes each returned ciphertext j as a sum of products input[i] * K[j, i] of
ciphertexts by plaintext polynomials mod (X^N + 1, t), over the structural `pairs` (j, i) whose
plaintext is not zero for every weight value (Cheetah skips all-zero plaintexts); the client
decodes the layer's output from the returned polynomials. Everything is integers: the layer's
fixed-point input and weights, the products exact (tessera.passes.private.poly).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np

LayerKind = Literal["conv", "depthwise", "fc"]


@dataclass(frozen=True)
class HeParams:
    """BFV with coefficient encoding: ring degree N, plaintext modulus t = 2^plain_bits, and the
    fixed-point scale 2^scale_bits of activations and weights."""

    n: int = 4096
    plain_bits: int = 37
    scale_bits: int = 12

    @property
    def t(self) -> int:
        return 1 << self.plain_bits


@dataclass(frozen=True)
class LinearLayer:
    """One convolution, depthwise convolution or fully connected layer, as geometry only. A fully
    connected layer is kind "fc" with height = width = 1 and a 1x1 kernel. Input (C, H, W) unpadded;
    weights (M, C // groups, kh, kw); `pads` = (top, left, bottom, right)."""

    node: str
    kind: LayerKind
    in_channels: int
    height: int
    width: int
    out_channels: int
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    groups: int = 1

    @property
    def padded(self) -> tuple[int, int]:
        t, left, b, r = self.pads
        return self.height + t + b, self.width + left + r

    @property
    def out_hw(self) -> tuple[int, int]:
        (hp, wp), (kh, kw), (sh, sw) = self.padded, self.kernel, self.stride
        return (hp - kh) // sh + 1, (wp - kw) // sw + 1

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)

    @property
    def macs(self) -> int:
        ho, wo = self.out_hw
        return self.out_channels * ho * wo * (self.in_channels // self.groups) * self.kernel[0] * self.kernel[1]


class Layout(ABC):
    """A packing of one layer. Subclasses are frozen dataclasses holding `layer`, `params` and their
    own tiling; the structure (counts, pairs) never depends on weight values."""

    layer: LinearLayer
    params: HeParams
    name: str  # "cheetah" | "dense"

    @property
    @abstractmethod
    def input_ciphertexts(self) -> int: ...

    @property
    @abstractmethod
    def returned_ciphertexts(self) -> int: ...

    @property
    @abstractmethod
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """(returned j, input i) for every ct x pt product the server computes."""

    @property
    def multiplies(self) -> int:
        return len(self.pairs)

    @abstractmethod
    def encode_input(self, x: np.ndarray) -> np.ndarray:
        """int64 (C, H, W) fixed-point input (unpadded; FC: (C, 1, 1)) -> int64 (input_ciphertexts, N),
        coefficients reduced to [0, t)."""

    @abstractmethod
    def encode_weights(self, w: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        """int64 weights of `layer.weight_shape` -> the plaintext int64 (N,) in [0, t) of every pair."""

    @abstractmethod
    def decode_output(self, polys: np.ndarray) -> np.ndarray:
        """int64 (returned_ciphertexts, N) in [0, t) -> int64 (M, Ho, Wo), centred to [-t/2, t/2)."""


@dataclass(frozen=True)
class HePlan:
    """What `he-pack` records on the graph (`Graph.he_plan`) and the `he` target runs: the BFV
    parameters, the packing asked for, and each packed layer's layout by node name."""

    params: HeParams
    packing: str
    layouts: dict[str, Layout]
