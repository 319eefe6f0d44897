"""Dead code elimination: nodes nobody reads, then constants nobody reads."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.ir.graph import Graph
from tessera.ir.rewriter import Rewriter
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.registry import register_pass


@dataclass
class DCEReport(Report):
    nodes_removed: int = 0
    constants_removed: int = 0


@register_pass
@dataclass(frozen=True)
class DeadCodeElimination(Pass):
    """Remove nodes whose outputs are neither read nor graph outputs, and unused constants.

    Graph inputs stay even when unused: they are the graph's interface."""

    name = "dce"

    def run(self, graph: Graph) -> PassResult:
        dead = Rewriter(graph).remove_dead()
        report = DCEReport(nodes_removed=dead.nodes, constants_removed=dead.constants)
        return PassResult(graph, dead.nodes + dead.constants > 0, report)
