"""The float formulation of one binarized layer, built in the graph where the float layer was.

For a Conv y = Conv(x, W) + b (W: M filters) every scaling builds

    d = Conv(s(x'), s(W))            s = BinarySign: -1 where v < 0, else +1; exact integers in float32
    y = d * alpha (* beta * sp * ch) + b (+ x)

- alpha = mean |W| per output filter (XNOR-Net), computed from the latent float W, which trains;
- "bireal" and "scales" add the real-valued input x (Bi-Real's shortcut) where y and x have one shape;
- "scales" (SCALES) adds three input-dependent rescalings of the full-precision input x:
  beta = mean |x| over each example (layer-wise, one scalar per image), sp = 2 sigmoid(Conv1x1_{C->1}(x))
  (spatial, one value per output pixel) and, from g = GlobalAveragePool(x) -> 1x1 (C->C) -> ReLU ->
  1x1 (C -> C + M) split in two, a shift of the input before the sign, x' = x + shift, and a channel
  scale ch = 2 sigmoid(.) per output channel. The last 1x1 convs start at zero, so sp = ch = 1 and the
  shift is 0 at the start: the layer begins as XNOR with beta (the 2 makes sigmoid(0) = 1/2 neutral).
MatMul x @ W (x: (..., K), W: constant (K, M)) and Gemm (2-D, alpha = beta = 1) build the same with
MatMul; "scales" there adds the layer-wise beta only (the spatial and channel branches are for maps).
The binary product d times alpha, plus b, is what pack-binary turns into one BinaryConv, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tessera.ir.graph import Node, Value
from tessera.ir.ops.activation import Relu, Sigmoid
from tessera.ir.ops.binary import BinarySign
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.ops.math_unary import Abs
from tessera.ir.ops.pooling import GlobalAveragePool
from tessera.ir.ops.reduce import ReduceMean
from tessera.ir.ops.shape_ops import Reshape, Transpose
from tessera.ir.ops.tensor import Split
from tessera.ir.rewriter import Rewriter

SCALINGS = ("xnor", "bireal", "scales")


@dataclass(frozen=True)
class Built:
    """What one rewrite made: the new output, whether it has the real shortcut, and the float MACs
    the rescaling branches added (per inference)."""

    output: Value
    shortcut: bool
    rescale_macs: int


class _Builder:
    """Adds nodes before `anchor`, named after the binarized layer."""

    def __init__(self, rw: Rewriter, anchor: Node) -> None:
        self.rw, self.anchor, self.base = rw, anchor, anchor.name

    def node(self, op: type, inputs: list[Value], attrs: dict | None = None, suffix: str = "") -> Value:
        return self.rw.add(op, inputs, attrs, before=self.anchor, name=f"{self.base}_{suffix}").output

    def many(self, op: type, inputs: list[Value], attrs: dict, count: int, suffix: str) -> tuple[Value, ...]:
        return self.rw.add(
            op, inputs, attrs, before=self.anchor, name=f"{self.base}_{suffix}", num_outputs=count
        ).outputs

    def const(self, suffix: str, data: np.ndarray) -> Value:
        return self.rw.constant(f"{self.base}_{suffix}", data)


def binarize_conv(rw: Rewriter, conv: Node, scaling: str, rng: np.random.Generator) -> Built:
    x, w = conv.inputs[0], conv.inputs[1]
    out = conv.outputs[0]
    m, spatial = w.shape[0], x.type.rank - 2
    dtype = x.dtype.numpy()
    b = _Builder(rw, conv)
    per_channel = (1, m, *(1,) * spatial)
    macs = 0
    shift = scale = None
    if scaling == "scales":
        shift, scale, macs = _channel_branch(b, x, m, dtype, rng)
        x_in = b.node(Add, [x, shift], suffix="shifted")
    else:
        x_in = x
    signs = [b.node(BinarySign, [x_in], suffix="sign"), b.node(BinarySign, [w], suffix="wsign")]
    d = b.node(Conv, signs, dict(conv.attrs), "bdot")
    alpha = b.node(ReduceMean, [b.node(Abs, [w], suffix="wabs")], {"axes": list(range(1, w.type.rank))}, "alpha")
    y = b.node(Mul, [d, b.node(Reshape, [alpha], {"shape": list(per_channel)}, "alpha_c")], suffix="scaled")
    if scaling == "scales":
        y = b.node(Mul, [y, _layer_scale(b, x)], suffix="beta_mul")
        spatial_scale = _spatial_branch(b, x, conv, out, dtype)
        if spatial_scale is not None:
            y = b.node(Mul, [y, spatial_scale[0]], suffix="sp_mul")
            macs += spatial_scale[1]
        assert scale is not None
        y = b.node(Mul, [y, scale], suffix="ch_mul")
    if len(conv.inputs) > 2:
        bias = conv.inputs[2]
        y = b.node(Add, [y, b.node(Reshape, [bias], {"shape": list(per_channel)}, "bias_c")], suffix="biased")
    shortcut = scaling != "xnor" and x.type == out.type
    if shortcut:
        y = b.node(Add, [y, x], suffix="shortcut")
    return Built(y, shortcut, macs)


def binarize_matmul(rw: Rewriter, node: Node, scaling: str) -> Built:
    """MatMul(x, W) or Gemm(x, W[, C]) with W a constant: (K, M) after Gemm's transB."""
    x, w = node.inputs[0], node.inputs[1]
    out = node.outputs[0]
    b = _Builder(rw, node)
    if node.op is Gemm and node.attrs["transB"]:
        w = b.node(Transpose, [w], {"perm": [1, 0]}, "wt")
    signs = [b.node(BinarySign, [x], suffix="sign"), b.node(BinarySign, [w], suffix="wsign")]
    d = b.node(MatMul, signs, None, "bdot")
    alpha = b.node(ReduceMean, [b.node(Abs, [w], suffix="wabs")], {"axes": [0], "keepdims": 1}, "alpha")
    y = b.node(Mul, [d, alpha], suffix="scaled")
    if scaling == "scales":
        y = b.node(Mul, [y, _layer_scale(b, x)], suffix="beta_mul")
    if node.op is Gemm and len(node.inputs) > 2:
        y = b.node(Add, [y, node.inputs[2]], suffix="biased")
    shortcut = scaling != "xnor" and x.type == out.type
    if shortcut:
        y = b.node(Add, [y, x], suffix="shortcut")
    return Built(y, shortcut, 0)


def _layer_scale(b: _Builder, x: Value) -> Value:
    """beta = mean |x| over all axes but the first: one scalar per example."""
    return b.node(ReduceMean, [b.node(Abs, [x], suffix="xabs")], {"axes": list(range(1, x.type.rank))}, "beta")


def _spatial_branch(b: _Builder, x: Value, conv: Node, out: Value, dtype: np.dtype) -> tuple[Value, int] | None:
    """2 sigmoid(Conv1x1_{C->1}(x)) at the binary conv's strides, when that lands on its output grid."""
    spatial = x.type.rank - 2
    strides = list(conv.attrs["strides"] or [1] * spatial)
    if any((i - 1) // s + 1 != o for i, s, o in zip(x.shape[2:], strides, out.shape[2:])):
        return None
    weight = b.const("sp_w", np.zeros((1, x.shape[1], *(1,) * spatial), dtype))
    bias = b.const("sp_b", np.zeros((1,), dtype))
    logits = b.node(Conv, [x, weight, bias], {"strides": strides}, "sp_conv")
    two = b.const("sp_two", np.array(2.0, dtype))
    scale = b.node(Mul, [b.node(Sigmoid, [logits], suffix="sp_sigmoid"), two], suffix="sp_scale")
    return scale, int(np.prod(out.shape[2:])) * x.shape[1] * x.shape[0]


def _channel_branch(
    b: _Builder, x: Value, m: int, dtype: np.dtype, rng: np.random.Generator
) -> tuple[Value, Value, int]:
    """GlobalAveragePool -> 1x1 (C->C) -> ReLU -> 1x1 (C->C+M) -> split: (shift (N,C,1..), scale (N,M,1..))."""
    n, c, spatial = x.shape[0], x.shape[1], x.type.rank - 2
    ones = (1,) * spatial
    hidden_w = (rng.standard_normal((c, c, *ones)) * np.sqrt(2.0 / c)).astype(dtype)
    g = b.node(GlobalAveragePool, [x], suffix="ch_pool")
    h = b.node(Conv, [g, b.const("ch_w1", hidden_w), b.const("ch_b1", np.zeros(c, dtype))], {}, "ch_conv1")
    h = b.node(Relu, [h], suffix="ch_relu")
    w2, b2 = b.const("ch_w2", np.zeros((c + m, c, *ones), dtype)), b.const("ch_b2", np.zeros(c + m, dtype))
    o = b.node(Conv, [h, w2, b2], {}, "ch_conv2")
    shift, raw = b.many(Split, [o], {"axis": 1, "split": [c, m]}, 2, "ch_split")
    two = b.const("ch_two", np.array(2.0, dtype))
    scale = b.node(Mul, [b.node(Sigmoid, [raw], suffix="ch_sigmoid"), two], suffix="ch_scale")
    return shift, scale, n * (c * c + (c + m) * c)
