"""The `pack-binary` pass: binary layers in float form become bit-packed ops, bit for bit.

    Conv(BinarySign(x), W) [* alpha] [+ bias]   ->   BinaryConv(PackBits(x), packed W; alpha, bias)

where W is a constant of +-1 (canonicalize folds binarize's BinarySign(latent W)), alpha a constant
per output channel (1, M, 1, ...) and bias one too. The float Conv of +-1 operands sums exact
integers, and BinaryConv computes float32(dot) * alpha + bias as the Mul and the Add did, so the
packed graph equals the float formulation exactly. MatMul(BinarySign(x), W) with x of shape (..., K)
and W (K, M) becomes Reshape (N, K, 1) -> PackBits -> BinaryConv with a 1-tap kernel -> Reshape (..., M).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.binary import BinaryConv, BinarySign, PackBits
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.linalg import MatMul
from tessera.ir.ops.shape_ops import Reshape
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Report
from tessera.passes.canonicalize._util import PatternPass, Rewrites
from tessera.passes.registry import register_pass


@dataclass
class PackBinaryReport(Report):
    packed: int = 0  # binary layers now BinaryConv
    alpha_folded: int = 0  # of them, with the per-channel multiplier folded in
    bias_folded: int = 0
    packed_weight_bytes: int = 0


@dataclass
class _PackConv(RewritePattern):
    root = Conv
    report: PackBinaryReport = field(default_factory=PackBinaryReport)

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        signs = _signs(node)
        if signs is None or len(node.inputs) > 2:
            return
        x, w = signs
        attrs = {**dict(node.attrs), "channels": node.inputs[0].shape[1], "kernel_shape": list(w.shape[2:])}
        per_channel = (1, w.shape[0], *(1,) * (w.ndim - 2))
        self.pack(rw, node, x, pack_weights(w), attrs, per_channel)

    def pack(
        self,
        rw: Rewriter,
        node: Node,
        x: Value,
        packed: np.ndarray,
        attrs: dict,
        per_channel: tuple,
        reshape: list[int] | None = None,
    ) -> None:
        """BinaryConv(PackBits(x), packed) replacing `node`, folding in the Mul by alpha and the Add of a
        bias that follow it (each the only reader, a float32 constant shaped `per_channel`); `reshape`:
        the shape the BinaryConv's output is reshaped to (a MatMul's)."""
        tail, out = node, node.outputs[0]
        alpha = _per_channel_constant(out, Mul, per_channel, rw.graph)
        if alpha is not None:
            attrs["alpha"] = [float(v) for v in alpha[1].reshape(-1)]
            tail, out = alpha[0], alpha[0].outputs[0]
            self.report.alpha_folded += 1
            bias = _per_channel_constant(out, Add, per_channel, rw.graph)
            if bias is not None:
                attrs["bias"] = [float(v) for v in bias[1].reshape(-1)]
                tail = bias[0]
                self.report.bias_folded += 1
        bits = rw.add(PackBits, [x], before=node, name=f"{node.name}_pack").output
        weights = rw.constant(f"{node.name}_wbits", packed)
        y = rw.add(BinaryConv, [bits, weights], attrs, before=node, name=f"{node.name}_bconv").output
        if reshape is not None:
            y = rw.add(Reshape, [y], {"shape": reshape}, before=node, name=f"{node.name}_rows").output
        rw.replace(tail, [y], take_names=True)
        self.report.packed += 1
        self.report.packed_weight_bytes += packed.nbytes


@dataclass
class _PackMatMul(_PackConv):
    root = MatMul  # type: ignore[assignment]

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        signs = _signs(node)
        if signs is None or node.inputs[0].type.rank < 2 or len(node.inputs[1].shape) != 2:
            return
        x, w = signs  # x: (..., K), w: (K, M)
        *rows, k = node.inputs[0].shape
        n, m = math.prod(rows), w.shape[1]
        column = rw.add(Reshape, [x], {"shape": [n, k, 1]}, before=node, name=f"{node.name}_col").output
        packed = pack_weights(np.ascontiguousarray(w.T).reshape(m, k, 1))
        per_channel = (*(1,) * len(rows), m)
        attrs = {"channels": k, "kernel_shape": [1]}
        self.pack(rw, node, column, packed, attrs, per_channel, reshape=[*rows, m])


@register_pass
@dataclass(frozen=True)
class PackBinary(PatternPass):
    """Turn binarize's float binary layers into bit-packed PackBits + BinaryConv (bit for bit)."""

    name = "pack-binary"

    def rewrites(self) -> Rewrites:
        report = PackBinaryReport()
        return Rewrites(report, (_PackConv(report=report), _PackMatMul(report=report)))


def pack_weights(w: np.ndarray) -> np.ndarray:
    """+-1 weights (M, C, K...) -> uint32 (M, ceil(C/32), K...) as PackBits lays them out."""
    return PackBits.compute([w.astype(np.float32)], {})[0]


def _signs(node: Node) -> tuple[Value, np.ndarray] | None:
    """(the input BinarySign reads, the +-1 weights) when `node` is a binary layer in float form."""
    sign = node.inputs[0].producer
    w = node.inputs[1].data
    if sign is None or sign.op is not BinarySign or w is None or node.outputs[0].dtype != DType.FLOAT32:
        return None
    if not np.all(np.abs(w) == 1.0):
        return None
    return sign.inputs[0], w


def _per_channel_constant(out: Value, op: type, shape: tuple, graph: Graph) -> tuple[Node, np.ndarray] | None:
    """The single reader of `out` when it is `op`(out, a float32 constant of `shape`, give or take
    leading 1s: it varies along the channel axis only), with the constant."""
    if len(out.users) != 1 or out in graph.outputs:
        return None
    user = out.users[0]
    if user.op is not op or user.inputs[0] is not out or user.inputs[1].data is None:
        return None
    data = user.inputs[1].data
    if data.dtype != np.float32 or _strip(data.shape) != _strip(shape) or user.outputs[0].type != out.type:
        return None
    return user, data


def _strip(shape: tuple) -> tuple:
    """The shape without its leading 1s (they broadcast the same)."""
    shape = tuple(shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return shape
