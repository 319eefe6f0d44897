"""Bit-packed binary ops: PackBits and BinaryConv as tensor expressions (binary_conv.py), with the
constant weights masked, packed and reduced to the border constant at compile time."""

from __future__ import annotations

import functools

import numpy as np
from tvm import relax

from tessera.backends.cpu import binary_conv
from tessera.backends.cpu.lowering._ctx import Ctx, Rule, constant
from tessera.ir.ops.base import Op
from tessera.ir.ops.binary import BinaryConv, PackBits


def _pack_bits(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    return ctx.emit_te(binary_conv.pack_bits, a[0])


def _binary_conv(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    attrs = ctx.attrs
    win = BinaryConv.geometry(ctx.in_types, attrs)
    weight = ctx.node.inputs[1].data
    if weight is None:
        raise ctx.unsupported(
            "weights computed at run time (the cpu target packs them at compile time: make them a constant)"
        )
    consts = binary_conv.prepare(np.asarray(weight), win, ctx.in_types[0].shape[2:], attrs["channels"], attrs["group"])
    alpha = attrs["alpha"]
    m = ctx.out.shape[1]
    scale: float | relax.Expr = float(np.float32(alpha[0])) if len(alpha) == 1 else _floats(alpha, m)
    bias = None if attrs["bias"] is None else _floats(attrs["bias"], m)
    border = None if consts.border is None else constant(consts.border)
    kernel = functools.partial(binary_conv.binary_conv, consts=consts, win=win, group=attrs["group"])
    return ctx.emit_te(kernel, a[0], constant(consts.weights), border, scale, bias)


def _floats(values: tuple[float, ...], m: int) -> relax.Expr:
    return constant(np.broadcast_to(np.asarray(values, dtype=np.float32), (m,)).copy())


RULES: dict[type[Op], Rule] = {
    PackBits: _pack_bits,
    BinaryConv: _binary_conv,
}
