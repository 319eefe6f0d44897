"""Tessera's dense packing of depthwise convolution (Falcon-style): many channels per polynomial,
zero-aware kernel placement, stride-aware output selection and a communication-aware tiling search.

Each output channel is cut into tiles of `tile` kept outputs (rows x cols); a tile's input patch
(its kept outputs' receptive field, halo included) is laid out row-major with a row stride that
shares padding columns. An input ciphertext stacks `per_ct` tiles at multiples of `pitch`, the
smallest step at which no tile's kernel sees another tile's pixels on its kept outputs. The server
multiplies input ciphertext i by one plaintext per returned ciphertext it feeds; that plaintext
holds the reversed kernels of the tiles routed there, at offsets the greedy in dense_place chose
so that every kept output is touched by its own tile's product only: cross terms (pixels of tile k
under the kernel of tile k') fall on exponents nobody reads, padding and stride-skipped outputs
included. All input ciphertexts share one pattern `placement` ((returned slot, kernel offset) per
stacked tile); the last, partial one uses its first tiles' share of it. docs/he-dense-section.md
gives the correctness argument and the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tessera.errors import PassError
from tessera.passes.private.dense_place import TileGrid, pitch, place
from tessera.passes.private.layout import HeParams, Layout, LinearLayer
from tessera.passes.private.poly import centred

INPUT_BYTES = 131185  # a fresh ciphertext (SEAL, N = 4096, [60, 33, 16] bits)
RETURNED_BYTES = 65649  # after mod_switch_to_next


@dataclass(frozen=True)
class DenseCost:
    """What the tiling search minimises: bytes on the wire, then multiplies (compute)."""

    input_bytes: int = INPUT_BYTES
    returned_bytes: int = RETURNED_BYTES

    def of(self, layout: Layout) -> tuple[int, int]:
        wire = layout.input_ciphertexts * self.input_bytes + layout.returned_ciphertexts * self.returned_bytes
        return wire, layout.multiplies


@dataclass(frozen=True)
class DenseLayout(Layout):
    layer: LinearLayer
    params: HeParams
    tile: tuple[int, int]
    per_ct: int
    pitch: int
    placement: tuple[tuple[int, int], ...]
    name: str = "dense"

    @cached_property
    def grid(self) -> TileGrid:
        return TileGrid(self.layer, *self.tile)

    @cached_property
    def tiles(self) -> list[tuple[int, int, int]]:
        """(output channel, y0, x0) of every tile, in stacking order."""
        return [(m, y0, x0) for m in range(self.layer.out_channels) for y0, x0 in self.grid.origins]

    @cached_property
    def _slots(self) -> list[list[int]]:
        """Per input ciphertext, the returned index of each placement slot it uses (-1: unused)."""
        out, nxt = [], 0
        for i in range(self.input_ciphertexts):
            used = sorted({self.placement[k][0] for k in range(min(self.per_ct, len(self.tiles) - i * self.per_ct))})
            index = dict.fromkeys(range(max(o for o, _ in self.placement) + 1), -1)
            for o in used:
                index[o], nxt = nxt, nxt + 1
            out.append([index[o] for o in sorted(index)])
        return out

    def _where(self, t: int) -> tuple[int, int, int, int]:
        """Tile t's (input ct, input offset, returned ct, kernel offset)."""
        i, k = divmod(t, self.per_ct)
        o, b = self.placement[k]
        return i, k * self.pitch, self._slots[i][o], b

    @property
    def input_ciphertexts(self) -> int:
        return math.ceil(len(self.tiles) / self.per_ct)

    @property
    def returned_ciphertexts(self) -> int:
        return sum(1 for slots in self._slots for j in slots if j >= 0)

    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        return tuple(sorted({(self._where(t)[2], self._where(t)[0]) for t in range(len(self.tiles))}))

    def _source(self, m: int) -> int:
        return m // (self.layer.out_channels // self.layer.in_channels)

    def encode_input(self, x: np.ndarray) -> np.ndarray:
        n, layer, grid = self.params.n, self.layer, self.grid
        (sh, sw), (top, left, _, _) = layer.stride, layer.pads
        polys = np.zeros((self.input_ciphertexts, n), dtype=np.int64)
        for t, (m, y0, x0) in enumerate(self.tiles):
            i, a, _, _ = self._where(t)
            rows, cols = grid.real(y0, x0)
            r0, c0 = y0 * sh - top, x0 * sw - left
            block = np.asarray(x, dtype=np.int64)[
                self._source(m), r0 + rows.start : r0 + rows.stop, c0 + cols.start : c0 + cols.stop
            ]
            polys[i, a + grid.pixels(y0, x0)] = block.ravel()
        return np.mod(polys, self.params.t)

    def encode_weights(self, w: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        n, t = self.params.n, self.params.t
        taps = self.grid.taps().ravel()
        plain = {p: np.zeros(n, dtype=np.int64) for p in self.pairs}
        for tile, (m, _, _) in enumerate(self.tiles):
            i, _, j, b = self._where(tile)
            e = b + taps  # X^e with e >= N is -X^(e - N), e >= 0 since taps >= 0
            np.add.at(plain[(j, i)], e % n, np.where((e // n) % 2, -1, 1) * np.asarray(w, dtype=np.int64)[m, 0].ravel())
        return {p: np.mod(v, t) for p, v in plain.items()}

    def decode_output(self, polys: np.ndarray) -> np.ndarray:
        n = self.params.n
        ho, wo = self.layer.out_hw
        out = np.zeros((self.layer.out_channels, ho, wo), dtype=np.int64)
        for tile, (m, y0, x0) in enumerate(self.tiles):
            _, a, j, b = self._where(tile)
            e = a + b + self.grid.reads(y0, x0)
            rows, cols = e.shape
            out[m, y0 : y0 + rows, x0 : x0 + cols] = np.where((e // n) % 2, -1, 1) * polys[j, e % n]
        return centred(out, self.params.t)


def _check_depthwise(layer: LinearLayer) -> None:
    c, m = layer.in_channels, layer.out_channels
    if layer.kind != "depthwise" or layer.groups != c or m % c:
        raise PassError(
            f"layer {layer.node!r}: the dense packing handles depthwise convolutions only (groups = in channels, "
            f"out channels a multiple of them), got {layer.kind} with groups={layer.groups}, {c} -> {m} channels; "
            "use the cheetah packing for it"
        )


def _candidates(limit: int) -> list[int]:
    """1..limit, densely at first then geometrically: the search's tiles-per-ciphertext choices."""
    out, k = [], 1
    while k <= limit:
        out.append(k)
        k = k + 1 if k < 8 else int(k * 1.25) + 1
    return sorted({*out, limit})


def tilings(layer: LinearLayer, n: int) -> list[tuple[int, int]]:
    """Tile shapes (rows, cols) the search tries: full width when a row band fits, bands of every
    height that splits the output evenly."""
    ho, wo = layer.out_hw
    shapes = []
    for cols in sorted({math.ceil(wo / k) for k in range(1, wo + 1)}, reverse=True):
        for rows in sorted({math.ceil(ho / k) for k in range(1, ho + 1)}, reverse=True):
            if TileGrid(layer, rows, cols).span < n:
                shapes.append((rows, cols))
        if shapes:
            return shapes
    raise PassError(f"layer {layer.node!r}: no tile of its kernel {layer.kernel} fits a polynomial of degree {n}")


def layout_for(layer: LinearLayer, params: HeParams, tile: tuple[int, int], per_ct: int) -> DenseLayout | None:
    """The dense layout with this tile shape and this many tiles per input ciphertext, if they fit."""
    grid = TileGrid(layer, *tile)
    step = pitch(grid, params.n, per_ct)
    if step is None:
        return None
    offsets = np.arange(per_ct) * step
    order = [k for pair in zip(range(per_ct), reversed(range(per_ct))) for k in pair][:per_ct]
    order = list(dict.fromkeys(order))
    placement = place(grid, params.n, offsets, order)
    return DenseLayout(layer, params, tile, per_ct, step, tuple(placement))


def plan_dense(layer: LinearLayer, params: HeParams, cost: DenseCost | None = None) -> DenseLayout:
    """The cheapest dense layout of a depthwise layer under `cost` over tile shapes and tiles per
    input ciphertext (communication-aware tiling)."""
    _check_depthwise(layer)
    cost = cost or DenseCost()
    best: tuple[tuple[int, int], DenseLayout] | None = None
    for tile in tilings(layer, params.n):
        grid = TileGrid(layer, *tile)
        tiles = layer.out_channels * len(grid.origins)
        for per_ct in _candidates(min(tiles, params.n // max(grid.stride, 1))):
            layout = layout_for(layer, params, tile, per_ct)
            if layout is None:
                continue
            key = cost.of(layout)
            if best is None or key < best[0]:
                best = (key, layout)
    if best is None:
        raise PassError(f"layer {layer.node!r}: no dense layout fits a polynomial of degree {params.n}")
    return best[1]
