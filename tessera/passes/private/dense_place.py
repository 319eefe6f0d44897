"""Support arithmetic for the dense depthwise packing: where a tile's pixels, kernel taps and kept
outputs sit in a polynomial, the stacking pitch that keeps a ciphertext's own cross terms off its
kept outputs, and the zero-aware greedy that places kernels in returned ciphertexts.

Positions are exponents mod N; a set of positions is a boolean array of length N. The product of
polynomials with supports A and B has support in the cyclic sumset A + B (the negacyclic sign only
flips values), so "a product never touches position q" is a question about sumsets, answered here
exactly with integer FFT counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tessera.passes.private.layout import LinearLayer


def _cyclic(a: np.ndarray, b: np.ndarray, sign: int) -> np.ndarray:
    """Boolean a + b (sign 1) or a - b (sign -1) of position sets mod N, by exact FFT counting."""
    fb = np.fft.rfft(b.astype(np.float64))
    counts = np.fft.irfft(np.fft.rfft(a.astype(np.float64)) * (fb if sign > 0 else np.conj(fb)), a.size)
    return counts > 0.5  # counts are integers <= N^2, far inside float64's exact range


def sumset(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _cyclic(a, b, 1)


def diffset(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return _cyclic(a, b, -1)


def mask(positions: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[np.mod(positions, n)] = True
    return out


@dataclass(frozen=True)
class TileGrid:
    """One tile shape of a depthwise layer: `rows` x `cols` kept outputs, their input patch laid out
    row-major with row stride `stride` (>= the patch's real width plus the kernel's reach into
    padding, so no tap wraps from one patch row into the next)."""

    layer: LinearLayer
    rows: int
    cols: int

    @property
    def patch(self) -> tuple[int, int]:
        (kh, kw), (sh, sw) = self.layer.kernel, self.layer.stride
        return (self.rows - 1) * sh + kh, (self.cols - 1) * sw + kw

    @property
    def origins(self) -> list[tuple[int, int]]:
        """Top-left kept output (y0, x0) of every tile of one channel."""
        ho, wo = self.layer.out_hw
        return [(y, x) for y in range(0, ho, self.rows) for x in range(0, wo, self.cols)]

    def real(self, y0: int, x0: int) -> tuple[range, range]:
        """Local patch rows and columns of tile (y0, x0) that hold input pixels (not padding)."""
        (sh, sw), (top, left, _, _) = self.layer.stride, self.layer.pads
        ph, pw = self.patch
        r0, c0 = y0 * sh - top, x0 * sw - left  # unpadded coordinates of local (0, 0)
        rows = range(max(0, -r0), min(ph, self.layer.height - r0))
        cols = range(max(0, -c0), min(pw, self.layer.width - c0))
        return rows, cols

    @property
    def stride(self) -> int:
        lo, hi = self.patch[1], 0
        for y0, x0 in self.origins:
            cols = self.real(y0, x0)[1]
            if len(cols):
                lo, hi = min(lo, cols.start), max(hi, cols.stop)
        return max(hi, self.patch[1] - lo, 1)

    @property
    def q0(self) -> int:
        """Exponent offset of kept output (0, 0) from the tile's input and kernel offsets."""
        kh, kw = self.layer.kernel
        return (kh - 1) * self.stride + kw - 1

    def taps(self) -> np.ndarray:
        """Exponent of kernel tap (l, l') relative to the kernel offset, shape (kh, kw)."""
        kh, kw = self.layer.kernel
        return self.q0 - np.arange(kh)[:, None] * self.stride - np.arange(kw)[None, :]

    def reads(self, y0: int = 0, x0: int = 0) -> np.ndarray:
        """Exponents of tile (y0, x0)'s kept outputs relative to input + kernel offset, (rows', cols')."""
        (sh, sw), (ho, wo) = self.layer.stride, self.layer.out_hw
        ys, xs = np.arange(min(self.rows, ho - y0)), np.arange(min(self.cols, wo - x0))
        return self.q0 + ys[:, None] * sh * self.stride + xs[None, :] * sw

    def pixels(self, y0: int, x0: int) -> np.ndarray:
        rows, cols = self.real(y0, x0)
        return (np.asarray(rows)[:, None] * self.stride + np.asarray(cols)[None, :]).ravel()

    @property
    def span(self) -> int:
        """Exponents one tile's product can reach, from 0: it must stay below N (no self wrap)."""
        return (self.patch[0] - 1) * self.stride + self.patch[1] + self.q0

    def supports(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Union over this layer's tiles of (pixel, tap, kept-output) position sets mod n."""
        pix = np.concatenate([self.pixels(y0, x0) for y0, x0 in self.origins])
        return mask(pix, n), mask(self.taps().ravel(), n), mask(self.reads().ravel(), n)


def pitch(grid: TileGrid, n: int, count: int) -> int | None:
    """Smallest offset step p such that `count` tiles at 0, p, 2p, ... in one polynomial neither
    overlap nor put any tile's pixels under another tile's kernel onto that tile's kept outputs."""
    pix, taps, reads = grid.supports(n)
    clash = diffset(reads, sumset(pix, taps)) | diffset(pix, pix)  # offsets d = a_k - a_k' that fail
    clash[0] = False
    ks = np.arange(1, count)
    for p in range(1, n // max(count, 1) + 1):
        if not (clash[(ks * p) % n].any() or clash[(-ks * p) % n].any()):
            return p
    return None


def _roll(x: np.ndarray, shift: int) -> np.ndarray:
    """np.roll along the last axis, by two slices (np.roll's generality costs most of the greedy)."""
    s = shift % x.shape[-1]
    return np.concatenate((x[..., x.shape[-1] - s :], x[..., : x.shape[-1] - s]), axis=-1) if s else x


def place(
    grid: TileGrid, n: int, offsets: np.ndarray, counts: list[int], order: list[int], share: bool, window: int = 8
) -> list[tuple[int, int]]:
    """Greedy zero-aware placement of every tile's kernel. Input ciphertext i holds counts[i] tiles
    at the first `offsets` (all ciphertexts share one stack pattern). Tile k of ciphertext i goes, in
    `order`, to the first open returned ciphertext and smallest offset b where its kept outputs
    (offsets[k] + b + reads) meet no other product's support and its product's support meets no
    other product's kept output. With `share`, products of different input ciphertexts sum into one
    returned ciphertext (the last `window` opened stay open); without it each input ciphertext opens
    its own. Returns (returned ciphertext, b) per tile, ciphertext-major."""
    pix, taps, reads = grid.supports(n)
    stack = np.zeros(n, dtype=bool)
    for a in offsets:
        stack |= np.roll(pix, int(a))
    support = sumset(stack, taps)  # any stacked ciphertext times one kernel at offset 0
    for a in offsets:
        support |= np.roll(reads, int(a))
    f = diffset(support, reads)  # a + b - b' in f: reads at a + b meet the product of a kernel at b'
    neg_f = np.roll(f[::-1], 1)  # -f
    blocked = np.zeros((0, 2, n), dtype=bool)  # per open returned ciphertext: [by supports, by reads]
    ids: list[int] = []  # their returned indices
    opened = 0
    out: list[tuple[int, int]] = []
    alone: dict[int, list[tuple[int, int]]] = {}  # without sharing: one greedy per ciphertext size
    for count in counts:
        if not share:
            if count not in alone:
                alone[count] = place(grid, n, offsets, [count], order, True, n)
            out += [(opened + j, b) for j, b in alone[count]]
            opened += 1 + max(j for j, _ in alone[count])
            continue
        where: dict[int, tuple[int, int]] = {}
        linked: set[int] = set()  # returned ciphertexts this input ciphertext already feeds
        for k in (k for k in order if k < count):
            a = int(offsets[k])
            free = ~(_roll(blocked[:, 0], -a) | blocked[:, 1])
            fits = np.flatnonzero(free.any(axis=1))
            mine = [r for r in fits if ids[r] in linked]  # one plaintext, one multiply, if it fits
            if fits.size:
                r = int(mine[0] if mine else fits[0])
            else:  # open a returned ciphertext, closing the oldest beyond the window
                keep = max(window - 1, 0)
                blocked = np.concatenate([blocked[-keep:] if keep else blocked[:0], np.zeros((1, 2, n), bool)])
                ids, opened = [*ids[-keep:], opened] if keep else [opened], opened + 1
                r, free = len(ids) - 1, np.ones((len(ids), n), dtype=bool)
            b = int(np.argmax(free[r]))
            blocked[r, 0] |= _roll(f, b)
            blocked[r, 1] |= _roll(neg_f, b + a)
            where[k] = (ids[r], b)
            linked.add(ids[r])
        out += [where[k] for k in range(count)]
    return out
