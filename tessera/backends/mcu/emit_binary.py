"""C emitters for the bit-packed binary ops (ai.tessera PackBits and BinaryConv; kernels in
kernels/tessera_kernels_binary.c). BinaryConv's constant packed weights (M, words, K...) are laid out
again for the kernel's flat word loop: per output channel, every tap's whole words (tap-major), then
every tap's partial last word (masked), with a table of the matching input offsets for a window that
lies inside the image."""

from __future__ import annotations

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Node
from tessera.ir.ops.binary import WORD_BITS, BinaryConv, channel_mask, words

from .context import EmitContext, Unsupported, numel, plane_geometry


def emit_pack_bits(node: Node, ctx: EmitContext) -> str:
    x, y = node.inputs[0], node.output
    n, c, inner = x.shape[0], x.shape[1], numel(x.shape[2:])
    return f"tk_pack_bits_f32({ctx.ptr(x)}, {ctx.ptr(y, DType.UINT32)}, {n}, {c}, {inner});"


def kernel_layout(w: np.ndarray, cpg: int) -> tuple[np.ndarray, int, int]:
    """Packed weights (M, words, K...) -> (M, taps * words) in the kernel's order, full, part."""
    m, wg = w.shape[0], w.shape[1]
    part = 1 if cpg % WORD_BITS else 0
    full = wg - part
    by_tap = w.reshape(m, wg, -1).transpose(0, 2, 1)  # (M, taps, words)
    flat = np.concatenate([by_tap[:, :, :full].reshape(m, -1), by_tap[:, :, full:].reshape(m, -1)], axis=1)
    return np.ascontiguousarray(flat, dtype=np.uint32), full, part


def interior_offsets(g: dict[str, int], full: int, part: int) -> list[int]:
    """Each word's offset from an interior window's first input pixel, in the kernel's weight order."""
    plane = g["h"] * g["w"]
    taps = [ky * g["dh"] * g["w"] + kx * g["dw"] for ky in range(g["kh"]) for kx in range(g["kw"])]
    whole = [j * plane + t for t in taps for j in range(full)]
    return whole + [full * plane + t for t in taps for _ in range(part)]


def emit_binary_conv(node: Node, ctx: EmitContext) -> str:
    x, w, y = node.inputs[0], node.inputs[1], node.output
    if not w.is_constant:
        raise Unsupported("BinaryConv weights must be constants (packed uint32, e.g. PackBits folded)")
    attrs = node.attrs
    g = plane_geometry(x, BinaryConv.geometry([v.type for v in node.inputs], attrs))
    m, group, cpg = w.shape[0], attrs["group"], attrs["channels"] // attrs["group"]
    data, full, part = kernel_layout(np.asarray(w.data), cpg)
    packed = ctx.table("w", f"{w.name}.kernel_order", data, DType.UINT32)
    offs = ctx.ints(f"{node.name}.offsets", interior_offsets(g, full, part))
    alpha = np.broadcast_to(np.asarray(attrs["alpha"], dtype=np.float32), (m,))
    alpha_c = ctx.weight(f"{node.name}.alpha", alpha)
    bias = "NULL" if attrs["bias"] is None else ctx.weight(f"{node.name}.bias", np.asarray(attrs["bias"]))
    mask = int(channel_mask(cpg)[-1]) if part else 0xFFFFFFFF
    fields = [x.shape[0], words(attrs["channels"]), g["h"], g["w"], m, g["oh"], g["ow"]]
    fields += [g[k] for k in ("kh", "kw", "sh", "sw", "dh", "dw", "ph", "pw")]
    geom = "{" + ", ".join(map(str, [*fields, group, cpg, full, part])) + f", 0x{mask:08X}u}}"
    call = f"tk_binary_conv2d(&g, {ctx.ptr(x, DType.UINT32)}, {packed}, {offs}, {alpha_c}, {bias}, {ctx.ptr(y)});"
    return f"{{\n    static const tk_bconv_geom g = {geom};\n    {call}\n}}"
