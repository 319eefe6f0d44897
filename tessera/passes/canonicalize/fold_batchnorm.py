"""Inference BatchNormalization is a per-channel affine map y = s * x + t, with
s = scale / sqrt(var + epsilon) and t = B - mean * s (channels on axis 1). This pass removes it:

    BN(Conv(x, W, b))  -> Conv(x, W * s, b * s + t)          (the Conv output read by the BN only)
    BN(Gemm(A, B, C))  -> Gemm(A, B * s, C * s + t / beta)   (either transB; the same condition)
    BN(x)              -> Add(Mul(x, s), t)                   (anything else)

so nothing of BN is left for backends. A BN whose parameters are not constants is kept (counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tessera.ir.graph import Graph, Node, Value
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.elementwise import Add, Mul
from tessera.ir.ops.linalg import Gemm
from tessera.ir.ops.normalization import BatchNormalization
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Report
from tessera.passes.canonicalize._util import PatternPass, Rewrites, is_read
from tessera.passes.registry import register_pass


@dataclass
class FoldBatchNormReport(Report):
    into_conv: int = 0
    into_gemm: int = 0
    to_mul_add: int = 0
    not_foldable: int = 0  # parameters not constant, training mode, or rank < 2


@dataclass
class FoldBatchNorm(RewritePattern):
    """BN(Conv) -> Conv, BN(Gemm) -> Gemm, BN(x) -> Add(Mul(x, s), t)."""

    root = BatchNormalization
    report: FoldBatchNormReport = field(default_factory=FoldBatchNormReport)
    kept: set[str] = field(default_factory=set)

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if not _is_foldable(node, rw.graph):
            if node.name not in self.kept:
                self.kept.add(node.name)
                self.report.not_foldable += 1
            return
        s, t = _affine(node)
        producer = node.inputs[0].producer
        if producer is not None and _feeds_only(producer, node, rw.graph):
            if producer.op is Conv and _fold_into_conv(producer, node, s, t, rw):
                self.report.into_conv += 1
                return
            if producer.op is Gemm and _fold_into_gemm(producer, node, s, t, rw):
                self.report.into_gemm += 1
                return
        _to_mul_add(node, s, t, rw)
        self.report.to_mul_add += 1


@register_pass
@dataclass(frozen=True)
class FoldBatchNormalization(PatternPass):
    """Fold inference BatchNormalization into the Conv or Gemm before it, or into Mul + Add."""

    name = "fold-batchnorm"

    def rewrites(self) -> Rewrites:
        pattern = FoldBatchNorm()
        return Rewrites(pattern.report, (pattern,))


def _is_foldable(bn: Node, graph: Graph) -> bool:
    if not all(v.is_constant for v in bn.inputs[1:5]) or bn.inputs[0].type.rank < 2:
        return False
    if bn.attrs.get("training_mode"):
        return False
    return not any(is_read(out, graph) for out in bn.outputs[1:])


def _affine(bn: Node) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel scale s and shift t of an inference BN, in float64."""
    scale, bias, mean, var = (np.asarray(v.data, dtype=np.float64) for v in bn.inputs[1:5])
    return BatchNormalization.affine(scale, bias, mean, var, bn.attrs["epsilon"])


def _feeds_only(producer: Node, bn: Node, graph: Graph) -> bool:
    """The producer has one output and the BN is its only reader."""
    out = producer.outputs[0]
    return len(producer.outputs) == 1 and out.users == [bn] and out not in graph.outputs


def _fold_into_conv(conv: Node, bn: Node, s: np.ndarray, t: np.ndarray, rw: Rewriter) -> bool:
    """Conv(x, W, b): output channel m (W's axis 0) scales by s[m]: W' = W * s, b' = b * s + t."""
    weight = conv.inputs[1]
    bias = conv.inputs[2] if len(conv.inputs) > 2 else None
    if weight.data is None or weight.data.dtype.kind != "f" or (bias is not None and bias.data is None):
        return False
    dtype = weight.data.dtype
    w = weight.data * s.reshape((-1,) + (1,) * (weight.type.rank - 1))
    b = (0.0 if bias is None else bias.data) * s + t
    new_w = rw.constant(f"{weight.name}_bn", w.astype(dtype))
    new_b = rw.constant(f"{bias.name if bias is not None else conv.name + '_bias'}_bn", b.astype(dtype))
    new_conv = rw.replace_op(conv, Conv, [conv.inputs[0], new_w, new_b], conv.attrs)
    rw.replace(bn, [new_conv.output])
    return True


def _fold_into_gemm(gemm: Node, bn: Node, s: np.ndarray, t: np.ndarray, rw: Rewriter) -> bool:
    """Gemm alpha * A' B' + beta * C: output column n scales by s[n], so B' scales along n and the
    shift joins C (divided by beta, which must not be 0)."""
    b_in = gemm.inputs[1]
    c_in = gemm.inputs[2] if len(gemm.inputs) > 2 else None
    beta = gemm.attrs["beta"]
    if b_in.data is None or b_in.data.dtype.kind != "f" or (c_in is not None and c_in.data is None) or beta == 0.0:
        return False
    dtype = b_in.data.dtype
    b = b_in.data * (s[:, None] if gemm.attrs["transB"] else s[None, :])
    c = (0.0 if c_in is None else c_in.data) * s + t / beta
    new_b = rw.constant(f"{b_in.name}_bn", b.astype(dtype))
    new_c = rw.constant(f"{c_in.name if c_in is not None else gemm.name + '_bias'}_bn", c.astype(dtype))
    new_gemm = rw.replace_op(gemm, Gemm, [gemm.inputs[0], new_b, new_c], gemm.attrs)
    rw.replace(bn, [new_gemm.output])
    return True


def _to_mul_add(bn: Node, s: np.ndarray, t: np.ndarray, rw: Rewriter) -> None:
    """y = x * s + t with s, t shaped (C, 1, ..., 1) to broadcast along axis 1."""
    x: Value = bn.inputs[0]
    per_channel = (-1,) + (1,) * (x.type.rank - 2)
    dtype = x.dtype.numpy()
    scale = rw.constant(f"{bn.name}_scale", s.reshape(per_channel).astype(dtype))
    shift = rw.constant(f"{bn.name}_shift", t.reshape(per_channel).astype(dtype))
    mul = rw.add(Mul, [x, scale], before=bn, name=f"{bn.name}_mul")
    add = rw.add(Add, [mul.output, shift], before=bn, name=f"{bn.name}_add")
    rw.replace(bn, [add.output], take_names=True)
