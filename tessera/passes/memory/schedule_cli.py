"""What `tessera schedule` prints: the schedule's figures and the arena of every planner."""

from __future__ import annotations

from typing import Any

from tessera.ir.graph import Graph
from tessera.ir.rewriter import Rewriter
from tessera.passes.memory.arena import PLANNERS, plan_arena
from tessera.passes.memory.model import MemoryModel
from tessera.passes.memory.schedule import schedule


def schedule_report(graph: Graph, method: str, time_limit_s: float, inplace: bool) -> dict[str, Any]:
    result = schedule(graph, method, time_limit_s=time_limit_s, model=MemoryModel(inplace=inplace))
    ordered = graph.copy()
    Rewriter(ordered).reorder([ordered.node(name) for name in result.order])
    arenas = {name: plan_arena(ordered, name).arena_bytes for name in PLANNERS}
    return {
        "model": graph.name,
        "nodes": result.nodes,
        "units": result.units,
        "method": result.method,
        "inplace": inplace,
        "peak_bytes": result.peak_bytes,
        "lower_bound_bytes": result.lower_bound_bytes,
        "gap": result.gap,
        "optimal": result.optimal,
        "status": result.status,
        "time_s": result.time_s,
        "arena_bytes": min(arenas.values()),
        "arenas": arenas,
        "order": list(result.order),
    }
