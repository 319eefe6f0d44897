"""Dead code elimination: nodes nobody reads, then constants nobody reads."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.ir.graph import Graph, Node
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
        removed = 0
        # Readers come after their producers, so one backward sweep also removes the producers that
        # become dead when their last reader goes.
        for node in reversed(list(graph.nodes)):
            if _is_dead(node, graph):
                graph.erase(node)
                removed += 1
        constants = graph.remove_unused_constants()
        report = DCEReport(nodes_removed=removed, constants_removed=constants)
        return PassResult(graph, removed + constants > 0, report)


def _is_dead(node: Node, graph: Graph) -> bool:
    return not any(out.users or out in graph.outputs for out in node.outputs)
