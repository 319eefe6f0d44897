"""Cheetah's packing of a fully connected layer y = W x (W of M rows by C columns).

The input vector is cut into blocks of `ni` entries, one polynomial each: x_b(X) = sum_j x[b ni + j]
X^j. The weights are cut into blocks of `no` rows by `ni` columns with no * ni <= N, one plaintext
each: W_{a,b}(X) = sum_{r, j} W[a no + r, b ni + j] X^(r ni - j), a negative degree d meaning
-X^(N + d) (X^N = -1). The coefficient r ni of sum_b x_b W_{a,b} is then sum_j W[a no + r, j] x[j]:
a term x[j'] W[r', j] lands on r' ni + j' - j, which equals r ni only when j' = j and r' = r
(|j' - j| < ni), and the terms of negative degree wrap to (N - ni, N), above every coefficient read
((no - 1) ni <= N - ni).

Counts: ceil(C / ni) ciphertexts up, ceil(M / no) back, one multiply per weight block. The block
sizes are OpenCheetah's: the (no, ni) with no * ni <= N minimising ciphertexts up plus back, the
first in order of increasing no.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tessera.errors import PassError
from tessera.passes.private.layout import HeParams, Layout, LinearLayer
from tessera.passes.private.poly import centred


@dataclass(frozen=True)
class FcTiling:
    """Blocks of `ni` input features and `no` output features, `n_in` and `n_out` of them."""

    ni: int
    no: int
    n_in: int
    n_out: int


def fc_tiling(layer: LinearLayer, n: int) -> FcTiling:
    """OpenCheetah's split: for each `no`, the widest `ni` that fits (no * ni <= N); the `no` whose
    ceil(C / ni) + ceil(M / no) is least, the smallest on a tie."""
    if layer.kind != "fc":
        raise PassError(f"layer {layer.node!r}: fc_tiling packs fully connected layers, not {layer.kind!r}")
    c, m = layer.in_channels, layer.out_channels
    no = np.arange(1, min(n, m) + 1)
    ni = np.minimum(c, n // no)
    cost = -(-c // ni) + -(-m // no)
    best = int(np.argmin(cost))
    return FcTiling(int(ni[best]), int(no[best]), int(-(-c // ni[best])), int(-(-m // no[best])))


@dataclass(frozen=True)
class CheetahFcLayout(Layout):
    """Cheetah's packing of one fully connected layer (see the module docstring)."""

    layer: LinearLayer
    params: HeParams
    tiling: FcTiling
    name: str = "cheetah"

    @property
    def input_ciphertexts(self) -> int:
        return self.tiling.n_in

    @property
    def returned_ciphertexts(self) -> int:
        return self.tiling.n_out

    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple((a, b) for a in range(self.tiling.n_out) for b in range(self.tiling.n_in))

    def encode_input(self, x: np.ndarray) -> np.ndarray:
        t, n = self.tiling, self.params.n
        padded = np.zeros(t.n_in * t.ni, dtype=np.int64)
        padded[: self.layer.in_channels] = np.asarray(x, dtype=np.int64).reshape(-1)
        out = np.zeros((t.n_in, n), dtype=np.int64)
        out[:, : t.ni] = padded.reshape(t.n_in, t.ni)
        return np.mod(out, self.params.t)

    def encode_weights(self, w: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        layer, t, n = self.layer, self.tiling, self.params.n
        padded = np.zeros((t.n_out * t.no, t.n_in * t.ni), dtype=np.int64)
        padded[: layer.out_channels, : layer.in_channels] = np.asarray(w, dtype=np.int64).reshape(
            layer.out_channels, layer.in_channels
        )
        blocks = padded.reshape(t.n_out, t.no, t.n_in, t.ni).transpose(0, 2, 1, 3)  # (a, b, r, j)
        degree = np.arange(t.no)[:, None] * t.ni - np.arange(t.ni)[None, :]
        sign = np.where(degree < 0, -1, 1)
        polys = np.zeros((t.n_out, t.n_in, n), dtype=np.int64)
        polys[:, :, np.mod(degree, n)] = sign * blocks
        polys = np.mod(polys, self.params.t)
        return {(a, b): polys[a, b] for a, b in self.pairs}

    def decode_output(self, polys: np.ndarray) -> np.ndarray:
        t = self.tiling
        values = polys[:, np.arange(t.no) * t.ni].reshape(-1)[: self.layer.out_channels]
        return centred(values, self.params.t).reshape(-1, 1, 1)
