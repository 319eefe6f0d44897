"""Exact polynomial arithmetic mod (X^N + 1, t), t a power of two, and the check every packing
passes: the products a packing asks the server for, computed in integers, decode to the layer's
fixed-point output.

The negacyclic product is an FFT convolution of 2N points on 12-bit limbs of the centred operands:
each limb product sums at most N terms of magnitude < 2^22, so every float64 result is below 2^34 and
rounds to the exact integer (the FFT's error stays far below 1/2 there); limbs recombine mod t.
"""

from __future__ import annotations

import numpy as np

from tessera.errors import PassError
from tessera.passes.private.layout import Layout

_LIMB = 12


def centred(a: np.ndarray, t: int) -> np.ndarray:
    """Representatives of `a` mod t in [-t/2, t/2), int64."""
    r = np.mod(np.asarray(a, dtype=np.int64), t)
    return np.where(r >= t // 2, r - t, r)


def _limbs(a: np.ndarray, bits: int) -> list[np.ndarray]:
    """Signed base-2^12 digits of `a` (int64, |a| < 2^bits): a = sum_k d_k 2^(12k), |d_k| <= 2^11."""
    out, rest = [], a.copy()
    for _ in range(-(-bits // _LIMB)):
        d = ((rest + (1 << (_LIMB - 1))) & ((1 << _LIMB) - 1)) - (1 << (_LIMB - 1))
        out.append(d)
        rest = (rest - d) >> _LIMB
    if np.any(rest):
        raise PassError(f"polynomial coefficients exceed 2^{bits}")
    return out


def negacyclic_mul(a: np.ndarray, b: np.ndarray, t: int) -> np.ndarray:
    """a * b mod (X^N + 1, t) for int64 arrays (..., N) broadcasting over leading axes; result in [0, t)."""
    n = a.shape[-1]
    if b.shape[-1] != n or n & (n - 1):
        raise PassError(f"negacyclic_mul: both operands need one power-of-two degree, got {a.shape}, {b.shape}")
    bits = t.bit_length()
    da = [np.fft.rfft(d.astype(np.float64), 2 * n) for d in _limbs(centred(a, t), bits)]
    db = [np.fft.rfft(d.astype(np.float64), 2 * n) for d in _limbs(centred(b, t), bits)]
    total = np.zeros(np.broadcast_shapes(a.shape, b.shape), dtype=np.int64)
    for i, fa in enumerate(da):
        for j, fb in enumerate(db):
            shift = _LIMB * (i + j)
            if shift >= bits:
                continue
            full = np.rint(np.fft.irfft(fa * fb, 2 * n)).astype(np.int64)
            wrapped = full[..., :n] - full[..., n:]  # X^N = -1
            total = np.mod(total + np.mod(wrapped, t) * (1 << shift), t)
    return total


def layer_reference(layout: Layout, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The layer's integer output (M, Ho, Wo) from fixed-point x (C, H, W) and w, centred mod t."""
    layer, t = layout.layer, layout.params.t
    top, left, bottom, right = layer.pads
    xp = np.pad(np.asarray(x, dtype=np.int64), ((0, 0), (top, bottom), (left, right)))
    (ho, wo), (kh, kw), (sh, sw) = layer.out_hw, layer.kernel, layer.stride
    cg, mg = layer.in_channels // layer.groups, layer.out_channels // layer.groups
    out = np.zeros((layer.out_channels, ho, wo), dtype=np.int64)
    for m in range(layer.out_channels):
        xs = xp[(m // mg) * cg : (m // mg + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                window = xs[:, i : i + sh * (ho - 1) + 1 : sh, j : j + sw * (wo - 1) + 1 : sw]
                out[m] = np.mod(out[m] + np.tensordot(w[m, :, i, j], window, axes=1), t)
    return centred(out, t)


def _spectra(a: np.ndarray, t: int) -> list[tuple[int, np.ndarray]]:
    """(shift, spectrum of 2N points) of each base-2^12 limb of `a` (..., N) that is not zero
    everywhere: small operands (fixed-point values) need one or two limbs of the four a 37-bit t has."""
    n = a.shape[-1]
    return [
        (_LIMB * k, np.fft.rfft(d.astype(np.float64), 2 * n))
        for k, d in enumerate(_limbs(centred(a, t), t.bit_length()))
        if np.any(d)
    ]


_CHUNK = 512  # products whose spectra are held at once (each 2N + 2 complex values)


def server_products(layout: Layout, inputs: np.ndarray, plaintexts: dict[tuple[int, int], np.ndarray]) -> np.ndarray:
    """What the server returns, in the clear: returned[j] = sum over pairs (j, i) of inputs[i] * K[j, i].

    The sum is taken on spectra, before the inverse transform (one per returned polynomial and limb
    pair): a sum of K products of limbs is below K * N * 2^22 and stays exact in float64 for K < 2^16."""
    t, n = layout.params.t, layout.params.n
    out = np.zeros((layout.returned_ciphertexts, n), dtype=np.int64)
    pairs = sorted(layout.pairs)
    if not pairs:
        return out
    if max(np.unique([j for j, _ in pairs], return_counts=True)[1]) >= 1 << 16:
        raise PassError(f"layer {layout.layer.node!r}: more than 2^16 products sum into one ciphertext")
    inputs_f = _spectra(inputs, t)
    for start in range(0, len(pairs), _CHUNK):
        chunk = pairs[start : start + _CHUNK]
        js = np.array([j for j, _ in chunk])
        firsts = np.flatnonzero(np.r_[True, js[1:] != js[:-1]])
        sources = [i for _, i in chunk]
        for sb, fb in _spectra(np.stack([plaintexts[p] for p in chunk]), t):
            for sa, fa in inputs_f:
                if sa + sb >= t.bit_length():
                    continue
                summed = np.add.reduceat(fa[sources] * fb, firsts, axis=0)
                full = np.rint(np.fft.irfft(summed, 2 * n)).astype(np.int64)
                wrapped = np.mod(full[:, :n] - full[:, n:], t)  # X^N = -1
                rows = js[firsts]
                # int64 products wrap mod 2^64, a multiple of t (a power of two): exact mod t
                out[rows] = np.mod(out[rows] + wrapped * (1 << (sa + sb)), t)
    return out


def check_layout(layout: Layout, x: np.ndarray, w: np.ndarray) -> None:
    """Raise PassError unless the layout's products decode to the layer's fixed-point output exactly."""
    layer = layout.layer
    plaintexts = layout.encode_weights(w)
    if set(plaintexts) != set(layout.pairs):
        raise PassError(f"layer {layer.node!r}: {layout.name} plaintexts do not match its ct x pt pairs")
    got = layout.decode_output(server_products(layout, layout.encode_input(x), plaintexts))
    want = layer_reference(layout, x, w)
    if got.shape != want.shape or not np.array_equal(got, want):
        bad = int(np.sum(got != want)) if got.shape == want.shape else got.size
        raise PassError(
            f"layer {layer.node!r}: the {layout.name} packing decodes {bad} of {want.size} outputs wrong "
            "(polynomial products mod (X^N + 1, t) against the fixed-point reference)"
        )
