"""Remove ops that pass their input through: Identity and (inference) Dropout.

A graph output keeps its name: when the removed node's output is a graph output, its input takes
that name. That is impossible when the input is a graph input (its name is interface too) or already
a graph output, so such a node is kept. A constant input could take the name, but renaming a weight
that other nodes read is surprising, so that node is kept as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.ir.graph import Node
from tessera.ir.ops.identity import Dropout, Identity
from tessera.ir.rewriter import RewritePattern, Rewriter
from tessera.passes.base import Report
from tessera.passes.canonicalize._util import PatternPass, Rewrites, can_bypass, is_read
from tessera.passes.registry import register_pass


@dataclass
class RemoveIdentityReport(Report):
    identities_removed: int = 0
    dropouts_removed: int = 0
    kept_for_output_names: int = 0


@dataclass
class RemovePassThrough(RewritePattern):
    """Identity(x) -> x; Dropout(x) -> x when its mask output is unused."""

    root = (Identity, Dropout)
    report: RemoveIdentityReport = field(default_factory=RemoveIdentityReport)
    kept: set[str] = field(default_factory=set)

    def match_and_rewrite(self, node: Node, rw: Rewriter) -> None:
        if node.op is Dropout and len(node.outputs) > 1 and is_read(node.outputs[1], rw.graph):
            return
        source, out = node.inputs[0], node.outputs[0]
        if not can_bypass(out, source, rw):
            if node.name not in self.kept:
                self.kept.add(node.name)
                self.report.kept_for_output_names += 1
            return
        rw.replace(node, [source])
        if node.op is Identity:
            self.report.identities_removed += 1
        else:
            self.report.dropouts_removed += 1


@register_pass
@dataclass(frozen=True)
class RemoveIdentity(PatternPass):
    """Remove ops that pass their input through (Identity, inference Dropout)."""

    name = "remove-identity"

    def rewrites(self) -> Rewrites:
        pattern = RemovePassThrough()
        return Rewrites(pattern.report, (pattern,))
