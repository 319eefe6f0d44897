"""Neural-network ops: convolutions, pooling, normalizations, matrix products, softmax."""

from __future__ import annotations

import numpy as np
from tvm import relax

from tessera.backends.cpu import conv_schedule, packed_conv
from tessera.backends.cpu.lowering._ctx import Ctx, Rule, constant, prim
from tessera.ir.ops._spatial import Window
from tessera.ir.ops.base import Op
from tessera.ir.ops.conv import Conv, ConvTranspose
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.normalization import (
    BatchNormalization,
    GroupNormalization,
    InstanceNormalization,
    LayerNormalization,
)
from tessera.ir.ops.pooling import LRN, AveragePool, GlobalAveragePool, GlobalMaxPool, MaxPool, _pool_window
from tessera.ir.ops.softmax import Hardmax, LogSoftmax, Softmax

R = relax.op
_LAYOUTS = {1: ("NCW", "OIW"), 2: ("NCHW", "OIHW"), 3: ("NCDHW", "OIDHW")}


def _bias(ctx: Ctx, y: relax.Expr, args: list[relax.Expr]) -> relax.Expr:
    if len(args) < 3:
        return y
    spatial = ctx.out.rank - 2
    return R.add(y, R.reshape(args[2], (1, ctx.out.shape[1], *([1] * spatial))))


def _conv(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    win = Conv.geometry(ctx.in_types[:2], ctx.attrs)
    n = len(win.kernel)
    if n not in _LAYOUTS:
        raise ctx.unsupported(f"a convolution over {n} spatial axes")
    packed = _packed_conv(ctx, a, win)
    if packed is not None:
        return _bias(ctx, packed, a)
    fn = {1: R.nn.conv1d, 2: R.nn.conv2d, 3: R.nn.conv3d}[n]
    data, kernel = _LAYOUTS[n]
    y = fn(
        a[0],
        a[1],
        strides=win.strides,
        padding=(*win.pads_begin, *win.pads_end),
        dilation=win.dilations,
        groups=ctx.attrs["group"],
        data_layout=data,
        kernel_layout=kernel,
    )
    return _bias(ctx, y, a)


def _packed_conv(ctx: Ctx, a: list[relax.Expr], win: Window) -> relax.Expr | None:
    """A 2-D conv with a constant weight reads it packed for the conv schedule (packed_conv.py)."""
    weight = ctx.node.inputs[1].data
    if len(win.kernel) != 2 or weight is None:
        return None
    weight = np.asarray(weight)
    unpadded = not any((*win.pads_begin, *win.pads_end))
    pointwise = tuple(win.kernel) == (1, 1) and tuple(win.strides) == (1, 1) and unpadded
    _, f, h, w = ctx.out.shape
    tile = packed_conv.packable(weight, ctx.attrs["group"], conv_schedule.tile_width(f, h, w, pointwise))
    if tile is None:
        return None
    return ctx.emit_te(
        packed_conv.conv2d_packed,
        a[0],
        constant(packed_conv.pack(weight, tile)),
        win.strides,
        win.pads_begin,
        win.pads_end,
        win.dilations,
    )


def _conv_transpose(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    win = ConvTranspose.geometry(ctx.in_types[:2], ctx.attrs)
    n = len(win.kernel)
    if n not in (1, 2, 3):
        raise ctx.unsupported(f"a transposed convolution over {n} spatial axes")
    fn = {1: R.nn.conv1d_transpose, 2: R.nn.conv2d_transpose, 3: R.nn.conv3d_transpose}[n]
    data, kernel = _LAYOUTS[n]
    in_sizes = ctx.in_types[0].shape[2:]
    plain = [
        (i - 1) * s - b - e + (k - 1) * d + 1
        for i, s, b, e, k, d in zip(in_sizes, win.strides, win.pads_begin, win.pads_end, win.kernel, win.dilations)
    ]
    extra = tuple(o - p for o, p in zip(win.out, plain))
    if any(x < 0 or x >= max(s, d) for x, s, d in zip(extra, win.strides, win.dilations)):
        raise ctx.unsupported(f"output padding {extra} for strides {win.strides}")
    y = fn(
        a[0],
        a[1],
        strides=win.strides,
        padding=(*win.pads_begin, *win.pads_end),
        output_padding=extra,
        dilation=win.dilations,
        groups=ctx.attrs["group"],
        data_layout=data,
        kernel_layout="IO" + kernel[2:],
    )
    return _bias(ctx, y, a)


def _pool(kind: str) -> Rule:
    def rule(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
        x = ctx.in_types[0]
        win = _pool_window(ctx.node.op.name, x, ctx.attrs)
        n = len(win.kernel)
        if n not in _LAYOUTS:
            raise ctx.unsupported(f"pooling over {n} spatial axes")
        # explicit end pads that give exactly the output size (ceil_mode reads past the end)
        ends = [
            max(0, (o - 1) * s + e - i - b)
            for o, s, e, i, b in zip(win.out, win.strides, win.extent, x.shape[2:], win.pads_begin)
        ]
        include_pad = kind == "avg" and bool(ctx.attrs["count_include_pad"])
        if include_pad and tuple(ends) != win.pads_end:
            raise ctx.unsupported("count_include_pad=1 with ceil_mode reading past the pads")
        fn = getattr(R.nn, f"{kind}_pool{n}d")
        return fn(
            a[0],
            pool_size=win.kernel,
            strides=win.strides,
            padding=(*win.pads_begin, *ends),
            dilation=win.dilations,
            count_include_pad=include_pad,
            layout=_LAYOUTS[n][0],
        )

    return rule


def _global_pool(fn: str) -> Rule:
    return lambda ctx, a: getattr(R, fn)(a[0], axis=list(range(2, ctx.out.rank)), keepdims=True)


def _lrn(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    from tvm import te, topi

    size, alpha, beta, bias = (ctx.attrs[k] for k in ("size", "alpha", "beta", "bias"))
    before = (size - 1) // 2  # channels c - before .. c + size - 1 - before are summed

    def compute(x: te.Tensor) -> te.Tensor:
        sq = te.compute(x.shape, lambda *i: x(*i) * x(*i))
        pad_before = [0, before] + [0] * (len(x.shape) - 2)
        pad_after = [0, size - 1 - before] + [0] * (len(x.shape) - 2)
        padded = topi.nn.pad(sq, pad_before, pad_after)
        k = te.reduce_axis((0, size), "k")
        total = te.compute(x.shape, lambda n, c, *s: te.sum(padded[(n, c + k, *s)], axis=k))
        return te.compute(x.shape, lambda *i: x(*i) / te.power(bias + alpha / size * total(*i), beta), name="lrn")

    return ctx.emit_te(compute, a[0])


def _per_channel(ctx: Ctx, v: relax.Expr) -> relax.Expr:
    return R.reshape(v, (1, ctx.out.shape[1], *([1] * (ctx.out.rank - 2))))


def _batch_norm(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr | list[relax.Expr]:
    x, scale, bias, mean, var = a
    if ctx.attrs["training_mode"]:
        return _batch_norm_training(ctx, a)
    inv = R.divide(scale, R.sqrt(R.add(var, ctx.const(ctx.attrs["epsilon"]))))
    shift = R.subtract(bias, R.multiply(mean, inv))
    return R.add(R.multiply(x, _per_channel(ctx, inv)), _per_channel(ctx, shift))


def _batch_norm_training(ctx: Ctx, a: list[relax.Expr]) -> list[relax.Expr]:
    """Batch statistics normalize; the running statistics are updated with momentum."""
    x, scale, bias, mean, var = a
    axes = [0, *range(2, ctx.out.rank)]
    batch_mean = R.mean(x, axis=axes)
    batch_var = R.variance(x, axis=axes)
    inv = R.divide(scale, R.sqrt(R.add(batch_var, ctx.const(ctx.attrs["epsilon"]))))
    y = R.add(R.multiply(R.subtract(x, _per_channel(ctx, batch_mean)), _per_channel(ctx, inv)), _per_channel(ctx, bias))
    m = ctx.attrs["momentum"]
    stat_dtype = ctx.in_types[3].dtype.value

    def update(old: relax.Expr, new: relax.Expr) -> relax.Expr:
        return R.add(R.multiply(old, ctx.const(m, stat_dtype)), R.multiply(new, ctx.const(1 - m, stat_dtype)))

    return [y, update(mean, batch_mean), update(var, batch_var)]


def _layer_norm(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr | list[relax.Expr]:
    rank = ctx.out.rank
    axes = list(range(ctx.attrs["axis"] % rank, rank))
    normalized = ctx.out.shape[axes[0] :]
    scale = R.broadcast_to(a[1], normalized)
    bias = R.broadcast_to(a[2], normalized) if len(a) > 2 else R.zeros(normalized, ctx.out.dtype.value)
    y = R.nn.layer_norm(a[0], scale, bias, axes=axes, epsilon=ctx.attrs["epsilon"])
    if len(ctx.node.outputs) == 1:
        return y
    # Mean and InvStdDev (float32, size 1 on the normalized axes)
    x = R.astype(a[0], "float32")
    mean = R.mean(x, axis=axes, keepdims=True)
    inv_std = R.rsqrt(R.add(R.variance(x, axis=axes, keepdims=True), ctx.const(ctx.attrs["epsilon"], "float32")))
    return [y, mean, inv_std][: len(ctx.node.outputs)]


def _instance_norm(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    axes = list(range(2, ctx.out.rank))
    return R.nn.instance_norm(a[0], a[1], a[2], channel_axis=1, axes=axes, epsilon=ctx.attrs["epsilon"])


def _group_norm(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    axes = list(range(2, ctx.out.rank))
    groups = ctx.attrs["num_groups"]
    return R.nn.group_norm(a[0], a[1], a[2], groups, channel_axis=1, axes=axes, epsilon=ctx.attrs["epsilon"])


def _gemm(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    lhs = R.permute_dims(a[0]) if ctx.attrs["transA"] else a[0]
    rhs = R.permute_dims(a[1]) if ctx.attrs["transB"] else a[1]
    y = R.matmul(lhs, rhs)
    if ctx.attrs["alpha"] != 1.0:
        y = R.multiply(y, ctx.const(ctx.attrs["alpha"]))
    if len(a) > 2:
        c = a[2] if ctx.attrs["beta"] == 1.0 else R.multiply(a[2], ctx.const(ctx.attrs["beta"]))
        y = R.add(y, c)
    return y


def _softmax(fn: str) -> Rule:
    return lambda ctx, a: getattr(R.nn, fn)(a[0], axis=ctx.attrs["axis"])


def _hardmax(ctx: Ctx, a: list[relax.Expr]) -> relax.Expr:
    axis = ctx.attrs["axis"] % ctx.out.rank
    index = R.argmax(a[0], axis=axis)
    dtype = ctx.out.dtype.value
    return R.one_hot(index, prim(1, dtype), prim(0, dtype), ctx.out.shape[axis], axis=axis)


RULES: dict[type[Op], Rule] = {
    Conv: _conv,
    ConvTranspose: _conv_transpose,
    MaxPool: _pool("max"),
    AveragePool: _pool("avg"),
    GlobalAveragePool: _global_pool("mean"),
    GlobalMaxPool: _global_pool("max"),
    LRN: _lrn,
    BatchNormalization: _batch_norm,
    LayerNormalization: _layer_norm,
    InstanceNormalization: _instance_norm,
    GroupNormalization: _group_norm,
    Gemm: _gemm,
    MatMul: lambda ctx, a: R.matmul(a[0], a[1]),
    Softmax: _softmax("softmax"),
    LogSoftmax: _softmax("log_softmax"),
    Hardmax: _hardmax,
}
