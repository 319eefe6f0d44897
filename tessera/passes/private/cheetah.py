"""Cheetah's packing (Huang et al., USENIX Security 2022) of convolutions and depthwise convolutions,
exactly as the baseline every dense packing is compared with; fully connected layers are in
cheetah_fc.py.

The input, zero-padded by the layout to (C, Hp, Wp), is cut into sub-blocks of Cw channels by
Hw x Ww positions with Cw * Hw * Ww <= N, overlapping by kh - 1 rows and kw - 1 columns, so that
n_C = ceil(C / Cw), n_H = ceil((Hp - kh + 1) / (Hw - kh + 1)), n_W likewise. A sub-block T is one
polynomial, T(X) = sum T[c, i, j] X^(c Hw Ww + i Ww + j); output channel m's kernel over channel
block b is K(X) = sum K[m, c, l, l'] X^(O - c Hw Ww - l Ww - l') with O = Hw Ww (Cw - 1) +
Ww (kh - 1) + kw - 1, and the stride-1 output at (i, j) of the tile is the coefficient O + i Ww + j of
the sum over b of T_b K_{m,b}. Why it is exact: a product term of input (c, i', j') and kernel
(c', l, l') lands on O + (c - c') Hw Ww + (i' - l) Ww + (j' - l'); with |j' - l' - j| < Ww and
|i' - l - i| < Hw it reaches O + i Ww + j only when c = c', i' = i + l, j' = j + l' (the convolution),
and terms past X^N wrap (negated) below O, where nothing is read.

Counts (Cheetah's): the client uploads n_C n_H n_W ciphertexts; output channel m gets one returned
ciphertext per tile (M n_H n_W); the server multiplies only where the kernel touches the block:
every channel block for a convolution (M n_C n_H n_W), only the block holding channel m for a
depthwise one (M n_H n_W). Stride s computes the stride-1 output and the client keeps every s-th.

Two sub-block rules, the layout keeping whichever needs fewer ciphertexts (up + back; a tie keeps
OpenCheetah's): OpenCheetah's (Hw, Ww = Hp, Wp when Hp Wp <= N with Cw = min(N // (Hp Wp), C,
N // (kh kw)), else Cw = 1, Hw ~ sqrt(N Hp / Wp), Ww = N // Hw) and the brute-force search over
(Hw, Ww) minimising n_C n_H n_W of the Falcon authors' re-implementation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from tessera.errors import PassError
from tessera.passes.private.cheetah_fc import CheetahFcLayout, fc_tiling
from tessera.passes.private.layout import HeParams, Layout, LinearLayer
from tessera.passes.private.poly import centred

TilingRule = Literal["opencheetah", "search"]


@dataclass(frozen=True)
class ConvTiling:
    """Sub-blocks of `cw` channels by `hw` x `ww` padded positions, and how many of each."""

    cw: int
    hw: int
    ww: int
    n_c: int
    n_h: int
    n_w: int
    rule: TilingRule

    @property
    def tiles(self) -> int:
        return self.n_h * self.n_w


def conv_tiling(layer: LinearLayer, cw: int, hw: int, ww: int, rule: TilingRule) -> ConvTiling:
    """The tiling of `layer` by sub-blocks (cw, hw, ww), with the counts Cheetah's formulas give."""
    (hp, wp), (kh, kw) = layer.padded, layer.kernel
    n_h = -(-(hp - kh + 1) // (hw - kh + 1))
    n_w = -(-(wp - kw + 1) // (ww - kw + 1))
    return ConvTiling(cw, hw, ww, -(-layer.in_channels // cw), n_h, n_w, rule)


def opencheetah_tiling(layer: LinearLayer, n: int) -> ConvTiling:
    (hp, wp), (kh, kw), c = layer.padded, layer.kernel, layer.in_channels
    if hp * wp <= n:
        return conv_tiling(layer, min(n // (hp * wp), c, n // (kh * kw)), hp, wp, "opencheetah")
    hw = min(hp, max(kh, math.isqrt(n * hp // wp)))
    ww = min(wp, n // hw)
    return conv_tiling(layer, 1, hw, ww, "opencheetah")


def searched_tiling(layer: LinearLayer, n: int) -> ConvTiling:
    """The (Hw, Ww) with Cw = min(C, N // (Hw Ww)) minimising n_C n_H n_W (ties: fewer tiles)."""
    (hp, wp), (kh, kw), c = layer.padded, layer.kernel, layer.in_channels
    hw, ww = np.meshgrid(np.arange(kh, hp + 1), np.arange(kw, wp + 1), indexing="ij")
    fits = hw * ww <= n
    hw, ww = hw[fits], ww[fits]
    cw = np.minimum(c, n // (hw * ww))
    tiles = -(-(hp - kh + 1) // (hw - kh + 1)) * -(-(wp - kw + 1) // (ww - kw + 1))
    best = np.lexsort((tiles, -(-c // cw) * tiles))[0]
    return conv_tiling(layer, int(cw[best]), int(hw[best]), int(ww[best]), "search")


def _ciphertexts(layer: LinearLayer, tiling: ConvTiling) -> int:
    return tiling.n_c * tiling.tiles + layer.out_channels * tiling.tiles


def best_tiling(layer: LinearLayer, n: int) -> ConvTiling:
    """OpenCheetah's tiling unless the search's needs fewer ciphertexts up and back."""
    if min(layer.kernel) < 1 or layer.kernel[0] * layer.kernel[1] > n:
        raise PassError(f"layer {layer.node!r}: a {layer.kernel} kernel does not fit a polynomial of degree {n}")
    default, searched = opencheetah_tiling(layer, n), searched_tiling(layer, n)
    return searched if _ciphertexts(layer, searched) < _ciphertexts(layer, default) else default


@dataclass(frozen=True)
class CheetahConvLayout(Layout):
    """Cheetah's packing of one convolution or depthwise convolution (see the module docstring)."""

    layer: LinearLayer
    params: HeParams
    tiling: ConvTiling
    name: str = "cheetah"

    @property
    def input_ciphertexts(self) -> int:
        return self.tiling.n_c * self.tiling.tiles

    @property
    def returned_ciphertexts(self) -> int:
        return self.layer.out_channels * self.tiling.tiles

    def _input_index(self, block: int, tile: int) -> int:
        return block * self.tiling.tiles + tile

    def _blocks_of(self, m: int) -> range:
        """The channel blocks output channel m's kernel touches."""
        if self.layer.kind == "depthwise":
            return range(m // self.tiling.cw, m // self.tiling.cw + 1)
        return range(self.tiling.n_c)

    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        tiles = self.tiling.tiles
        return tuple(
            (m * tiles + tile, self._input_index(b, tile))
            for m in range(self.layer.out_channels)
            for b in self._blocks_of(m)
            for tile in range(tiles)
        )

    @property
    def _offset(self) -> int:
        (kh, kw), t = self.layer.kernel, self.tiling
        return t.hw * t.ww * (t.cw - 1) + t.ww * (kh - 1) + kw - 1

    def _steps(self) -> tuple[int, int]:
        (kh, kw), t = self.layer.kernel, self.tiling
        return t.hw - kh + 1, t.ww - kw + 1

    def encode_input(self, x: np.ndarray) -> np.ndarray:
        layer, t, n = self.layer, self.tiling, self.params.n
        top, left = layer.pads[:2]
        (step_h, step_w) = self._steps()
        rows, cols = (t.n_h - 1) * step_h + t.hw, (t.n_w - 1) * step_w + t.ww
        xe = np.zeros((t.n_c * t.cw, rows, cols), dtype=np.int64)
        xe[: layer.in_channels, top : top + layer.height, left : left + layer.width] = x
        out = np.zeros((t.n_c, t.n_h, t.n_w, n), dtype=np.int64)
        for th in range(t.n_h):
            for tw in range(t.n_w):
                block = xe[:, th * step_h : th * step_h + t.hw, tw * step_w : tw * step_w + t.ww]
                out[:, th, tw, : t.cw * t.hw * t.ww] = block.reshape(t.n_c, -1)
        return np.mod(out.reshape(-1, n), self.params.t)

    def _degrees(self) -> np.ndarray:
        """(cw, kh, kw): the degree of kernel tap (c, l, l') in a block's kernel polynomial."""
        (kh, kw), t = self.layer.kernel, self.tiling
        c, i, j = np.meshgrid(np.arange(t.cw), np.arange(kh), np.arange(kw), indexing="ij")
        return self._offset - c * t.hw * t.ww - i * t.ww - j

    def encode_weights(self, w: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        layer, t, n = self.layer, self.tiling, self.params.n
        degrees, tiles = self._degrees(), t.tiles
        w = np.mod(np.asarray(w, dtype=np.int64), self.params.t)
        polys = np.zeros((layer.out_channels, t.n_c, n), dtype=np.int64)
        if layer.kind == "depthwise":
            m = np.arange(layer.out_channels)
            polys[m[:, None, None], (m // t.cw)[:, None, None], degrees[m % t.cw]] = w[:, 0]
        else:
            wb = np.zeros((layer.out_channels, t.n_c * t.cw, *layer.kernel), dtype=np.int64)
            wb[:, : layer.in_channels] = w
            polys[:, :, degrees] = wb.reshape(layer.out_channels, t.n_c, *degrees.shape)
        return {(j, i): polys[j // tiles, i // tiles] for j, i in self.pairs}

    def decode_output(self, polys: np.ndarray) -> np.ndarray:
        layer, t = self.layer, self.tiling
        (step_h, step_w), (hp, wp), (kh, kw) = self._steps(), layer.padded, layer.kernel
        (ho, wo), (sh, sw) = layer.out_hw, layer.stride
        where = self._offset + np.arange(step_h)[:, None] * t.ww + np.arange(step_w)[None, :]
        tiles = polys.reshape(layer.out_channels, t.n_h, t.n_w, -1)[..., where]  # (M, n_h, n_w, sh, sw)
        full = tiles.transpose(0, 1, 3, 2, 4).reshape(layer.out_channels, t.n_h * step_h, t.n_w * step_w)
        full = full[:, : hp - kh + 1, : wp - kw + 1]
        return centred(full[:, ::sh, ::sw][:, :ho, :wo], self.params.t)


CheetahLayout = CheetahConvLayout | CheetahFcLayout


def plan_cheetah(layer: LinearLayer, params: HeParams) -> CheetahLayout:
    """Cheetah's packing of a convolution, depthwise convolution or fully connected layer."""
    if layer.kind == "fc":
        return CheetahFcLayout(layer, params, fc_tiling(layer, params.n))
    return CheetahConvLayout(layer, params, best_tiling(layer, params.n))
