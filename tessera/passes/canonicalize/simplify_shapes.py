"""Shape-op simplification. The canonical shape op is a Reshape with an explicit target shape:

Flatten / Squeeze / Unsqueeze(x)        -> Reshape(x, shape=output shape)
Reshape(x, [1, -1])                     -> Reshape(x, [1, 1000])   (-1 and 0 resolved)
Reshape(Reshape(x))                     -> Reshape(x)
Reshape / ... / Expand(x) to x's shape  -> x
Transpose(Transpose(x, p), q)           -> Transpose(x, p[q])  (or x when that is the identity)
Transpose(x, identity perm)             -> x
Concat(x)                               -> x
"""

from __future__ import annotations

from dataclasses import dataclass

from tessera.ir.graph import Node
from tessera.ir.ops.shape_ops import Flatten, Reshape, Squeeze, Transpose, Unsqueeze
from tessera.ir.ops.tensor import Concat, Expand
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Report
from tessera.passes.canonicalize._util import PatternPass, Rewrites, can_bypass
from tessera.passes.registry import register_pass

SHAPE_OPS = (Reshape, Flatten, Squeeze, Unsqueeze, Expand)


@dataclass
class SimplifyShapesReport(Report):
    noop_shape_ops_removed: int = 0
    reshapes_merged: int = 0
    normalized_to_reshape: int = 0
    reshape_shapes_resolved: int = 0
    transposes_merged: int = 0
    identity_transposes_removed: int = 0
    single_concats_removed: int = 0


@dataclass
class RemoveNoopShapeOp(RewritePattern):
    """Reshape / Flatten / Squeeze / Unsqueeze / Expand(x) whose output has x's type -> x."""

    root = SHAPE_OPS
    report: SimplifyShapesReport

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if node.output.type != node.inputs[0].type:
            return
        if not can_bypass(node.output, node.inputs[0], rw):
            return
        rw.replace(node, [node.inputs[0]])
        self.report.noop_shape_ops_removed += 1


@dataclass
class ToExplicitReshape(RewritePattern):
    """Flatten / Squeeze / Unsqueeze(x) -> Reshape(x); Reshape(Reshape(x)) -> Reshape(x); a Reshape's
    -1 and 0 entries resolved. The result's `shape` is its output shape."""

    root = (Reshape, Flatten, Squeeze, Unsqueeze)
    report: SimplifyShapesReport

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        source = node.inputs[0]
        merge = node.op is Reshape and source.producer is not None and source.producer.op is Reshape
        if merge:
            assert source.producer is not None
            source = source.producer.inputs[0]
        attrs = {"shape": node.output.shape, "allowzero": int(0 in node.output.shape)}
        if node.op is Reshape and not merge and all(node.attrs[k] == v for k, v in attrs.items()):
            return  # canonical already
        rw.replace_op(node, Reshape, [source], attrs)
        if merge:
            self.report.reshapes_merged += 1
        elif node.op is Reshape:
            self.report.reshape_shapes_resolved += 1
        else:
            self.report.normalized_to_reshape += 1


@dataclass
class MergeTransposes(RewritePattern):
    """Transpose(Transpose(x, p), q) -> Transpose(x, p[q]); Transpose(x, identity) -> x."""

    root = Transpose
    report: SimplifyShapesReport

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        source, perm = node.inputs[0], _perm(node)
        inner = source.producer
        merge = inner is not None and inner.op is Transpose
        if merge:
            assert inner is not None
            source, inner_perm = inner.inputs[0], _perm(inner)
            perm = tuple(inner_perm[i] for i in perm)
        if perm == tuple(range(len(perm))) and can_bypass(node.output, source, rw):
            rw.replace(node, [source])
            self.report.identity_transposes_removed += 1
        elif merge:
            rw.replace_op(node, Transpose, [source], {"perm": perm})
            self.report.transposes_merged += 1


@dataclass
class RemoveSingleConcat(RewritePattern):
    """Concat(x) -> x."""

    root = Concat
    report: SimplifyShapesReport

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if len(node.inputs) != 1 or not can_bypass(node.output, node.inputs[0], rw):
            return
        rw.replace(node, [node.inputs[0]])
        self.report.single_concats_removed += 1


@register_pass
@dataclass(frozen=True)
class SimplifyShapes(PatternPass):
    """Canonicalize shape ops: explicit Reshapes, merged Transposes, no-op shape ops removed."""

    name = "simplify-shapes"

    def rewrites(self) -> Rewrites:
        report = SimplifyShapesReport()
        patterns = (
            RemoveNoopShapeOp(report),
            ToExplicitReshape(report),
            MergeTransposes(report),
            RemoveSingleConcat(report),
        )
        return Rewrites(report, patterns)


def _perm(node: Node) -> tuple[int, ...]:
    return Transpose.perm(node.inputs[0].type.rank, node.attrs)
