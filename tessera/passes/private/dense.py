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
included. Returned ciphertexts may be shared: products of different input ciphertexts (stacked
alike) sum into one. A strided layer may run as its polyphase stride-1 layer, one input ciphertext
per phase image, the phases' products summed. docs/private.md gives the correctness
argument, the figures and the trade-off between uploads and returned ciphertexts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cache, cached_property

import numpy as np

from tessera.errors import PassError
from tessera.passes.private.dense_place import TileGrid, pitch, place
from tessera.passes.private.layout import HeParams, Layout, LinearLayer
from tessera.passes.private.network import NETWORKS, he_layer_cost
from tessera.passes.private.poly import centred


@dataclass(frozen=True)
class DenseCost:
    """What the tiling search minimises: the layer's modelled latency summed over the networks
    (LAN + WAN: each setting counts, WAN's bytes weigh most), plus `returned_s` seconds per
    returned ciphertext (0 by default: a knob to trade latency for fewer returned ciphertexts);
    ties go to fewer returned ciphertexts."""

    returned_s: float = 0.0

    def of(self, layout: Layout) -> tuple[float, int]:
        cost = he_layer_cost(layout)
        seconds = sum(cost.latency(net) for net in NETWORKS) + self.returned_s * layout.returned_ciphertexts
        return round(seconds, 9), layout.returned_ciphertexts


def phase_layer(layer: LinearLayer) -> LinearLayer:
    """A strided depthwise layer as a stride-1 one over its polyphase images: phase (p, q) of the
    padded input is xpad[:, p::sh, q::sw], its kernel w[:, :, p::sh, q::sw], and the layer's output is
    the sum over phases of their stride-1 valid correlations (out[i, j] takes xpad[sh i + l, sw j + l']
    and l = sh u + p puts it at phase row i + u). Each phase image is cut or zero-filled to the
    Ho + kh' - 1 rows and Wo + kw' - 1 columns the outputs read."""
    (kh, kw), (sh, sw), (ho, wo) = layer.kernel, layer.stride, layer.out_hw
    kv = (-(-kh // sh), -(-kw // sw))
    c, m = layer.in_channels, layer.out_channels
    return LinearLayer(layer.node, "depthwise", c, ho + kv[0] - 1, wo + kv[1] - 1, m, kv, (1, 1), (0, 0, 0, 0), c)


@dataclass(frozen=True)
class DenseLayout(Layout):
    """`placement[t]` = (input group, input offset, returned ciphertext, kernel offset) of tile t.
    With `phases` > 1 the layer runs as its polyphase stride-1 layer: input group g is the phases
    ciphertexts phase * groups + g, one per phase image, all stacked alike, and the products of a
    group's phases with their phase kernels (placed alike) sum into the same returned ciphertext."""

    layer: LinearLayer
    params: HeParams
    tile: tuple[int, int]
    per_ct: int
    phases: int
    shared: bool
    placement: tuple[tuple[int, int, int, int], ...]
    name: str = "dense"

    @cached_property
    def virtual(self) -> LinearLayer:
        return self.layer if self.phases == 1 else phase_layer(self.layer)

    @cached_property
    def grid(self) -> TileGrid:
        return TileGrid(self.virtual, *self.tile)

    @cached_property
    def tiles(self) -> list[tuple[int, int, int]]:
        """(output channel, y0, x0) of every tile, in stacking order."""
        return [(m, y0, x0) for m in range(self.layer.out_channels) for y0, x0 in self.grid.origins]

    @cached_property
    def groups(self) -> int:
        return 1 + max(g for g, _, _, _ in self.placement)

    @property
    def input_ciphertexts(self) -> int:
        return self.groups * self.phases

    @cached_property
    def returned_ciphertexts(self) -> int:
        return 1 + max(j for _, _, j, _ in self.placement)

    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        links, groups = {(j, g) for g, _, j, _ in self.placement}, self.groups
        return tuple(sorted((j, phase * groups + g) for j, g in links for phase in range(self.phases)))

    def _source(self, m: int) -> int:
        return m // (self.layer.out_channels // self.layer.in_channels)

    def _phase_inputs(self, x: np.ndarray) -> list[np.ndarray]:
        """The virtual layer's unpadded input per phase: x itself, or the polyphase images."""
        if self.phases == 1:
            return [np.asarray(x, dtype=np.int64)]
        layer, virtual = self.layer, self.virtual
        (top, left, bottom, right), (sh, sw) = layer.pads, layer.stride
        xp = np.pad(np.asarray(x, dtype=np.int64), ((0, 0), (top, bottom), (left, right)))
        out = []
        for p in range(sh):
            for q in range(sw):
                part = xp[:, p::sh, q::sw][:, : virtual.height, : virtual.width]
                image = np.zeros((layer.in_channels, virtual.height, virtual.width), dtype=np.int64)
                image[:, : part.shape[1], : part.shape[2]] = part
                out.append(image)
        return out

    def _phase_weights(self, w: np.ndarray) -> list[np.ndarray]:
        if self.phases == 1:
            return [np.asarray(w, dtype=np.int64)]
        (sh, sw), kv = self.layer.stride, self.virtual.kernel
        out = []
        for p in range(sh):
            for q in range(sw):
                part = np.asarray(w, dtype=np.int64)[:, :, p::sh, q::sw]
                kernel = np.zeros((*part.shape[:2], *kv), dtype=np.int64)
                kernel[:, :, : part.shape[2], : part.shape[3]] = part
                out.append(kernel)
        return out

    def encode_input(self, x: np.ndarray) -> np.ndarray:
        n, grid, groups = self.params.n, self.grid, self.groups
        (sh, sw), (top, left, _, _) = self.virtual.stride, self.virtual.pads
        polys = np.zeros((self.input_ciphertexts, n), dtype=np.int64)
        for phase, image in enumerate(self._phase_inputs(x)):
            for (m, y0, x0), (g, a, _, _) in zip(self.tiles, self.placement, strict=True):
                rows, cols = grid.real(y0, x0)
                r0, c0 = y0 * sh - top, x0 * sw - left
                block = image[self._source(m), r0 + rows.start : r0 + rows.stop, c0 + cols.start : c0 + cols.stop]
                polys[phase * groups + g, a + grid.pixels(y0, x0)] = block.ravel()
        return np.mod(polys, self.params.t)

    def encode_weights(self, w: np.ndarray) -> dict[tuple[int, int], np.ndarray]:
        n, t, groups = self.params.n, self.params.t, self.groups
        taps = self.grid.taps().ravel()
        plain = {p: np.zeros(n, dtype=np.int64) for p in self.pairs}
        for phase, kernel in enumerate(self._phase_weights(w)):
            for (m, _, _), (g, _, j, b) in zip(self.tiles, self.placement, strict=True):
                e = b + taps  # X^e with e >= N is -X^(e - N), e >= 0 since taps >= 0
                sign = np.where((e // n) % 2, -1, 1)
                np.add.at(plain[(j, phase * groups + g)], e % n, sign * kernel[m, 0].ravel())
        return {p: np.mod(v, t) for p, v in plain.items()}

    def decode_output(self, polys: np.ndarray) -> np.ndarray:
        n = self.params.n
        ho, wo = self.layer.out_hw
        out = np.zeros((self.layer.out_channels, ho, wo), dtype=np.int64)
        for (m, y0, x0), (_, a, j, b) in zip(self.tiles, self.placement, strict=True):
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


def layout_for(
    layer: LinearLayer, params: HeParams, tile: tuple[int, int], per_ct: int, phases: int = 1, shared: bool = False
) -> DenseLayout | None:
    """The dense layout with this tile shape, this many tiles per input ciphertext, run directly
    (phases 1) or over its polyphase images, with returned ciphertexts shared between input
    ciphertexts or not; None when the tiles do not fit."""
    virtual = layer if phases == 1 else phase_layer(layer)
    grid = TileGrid(virtual, *tile)
    step = pitch(grid, params.n, per_ct)
    if step is None:
        return None
    tiles = layer.out_channels * len(grid.origins)
    counts = [min(per_ct, tiles - start) for start in range(0, tiles, per_ct)]
    offsets = np.arange(per_ct) * step
    order = list(dict.fromkeys(k for pair in zip(range(per_ct), reversed(range(per_ct))) for k in pair))
    window = 8 if shared else params.n
    found = place(grid, params.n, offsets, counts, order, shared, window)
    placement = tuple((t // per_ct, (t % per_ct) * step, j, b) for t, (j, b) in enumerate(found))
    return DenseLayout(layer, params, tile, per_ct, phases, shared, placement)


def _phase_choices(layer: LinearLayer) -> list[int]:
    sh, sw = layer.stride
    return [1] if sh * sw == 1 else [1, sh * sw]


def _best_stack(
    layer: LinearLayer, params: HeParams, cost: DenseCost, tile: tuple[int, int], phases: int, shared: bool
) -> tuple[tuple[float, int], DenseLayout] | None:
    """The cheapest tiles-per-ciphertext choice for one tile shape, phase count and sharing: cost
    falls then rises with the count (fewer uploads, then denser products), so the scan stops three
    candidates past the best."""
    virtual = layer if phases == 1 else phase_layer(layer)
    grid = TileGrid(virtual, *tile)
    tiles = layer.out_channels * len(grid.origins)
    best: tuple[tuple[float, int], DenseLayout] | None = None
    worse = 0
    for per_ct in _candidates(min(tiles, params.n // max(grid.stride, 1))):
        layout = layout_for(layer, params, tile, per_ct, phases, shared)
        if layout is None:
            break  # more tiles fit no better
        key = cost.of(layout)
        if best is None or key < best[0]:
            best, worse = (key, layout), 0
        elif (worse := worse + 1) >= 3:
            break
    return best


@cache
def _plan(layer: LinearLayer, params: HeParams, cost: DenseCost) -> DenseLayout:
    found = [
        _best_stack(layer, params, cost, tile, phases, shared)
        for phases in _phase_choices(layer)
        for tile in tilings(layer if phases == 1 else phase_layer(layer), params.n)[:3]
        for shared in (False, True)
    ]
    best = min((f for f in found if f is not None), key=lambda f: f[0], default=None)
    if best is None:
        raise PassError(f"layer {layer.node!r}: no dense layout fits a polynomial of degree {params.n}")
    return best[1]


def plan_dense(layer: LinearLayer, params: HeParams, cost: DenseCost | None = None) -> DenseLayout:
    """The cheapest dense layout of a depthwise layer under `cost` over tile shapes, tiles per input
    ciphertext, direct or polyphase, and returned ciphertexts shared or not (the tiling search).
    Layers of one geometry share one search."""
    _check_depthwise(layer)
    found = _plan(replace(layer, node=""), params, cost or DenseCost())
    return replace(found, layer=layer)
