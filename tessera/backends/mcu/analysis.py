"""The analyses the MCU target builds from, computed once per build: the schedule it runs in (the
graph's node order) and the arena plan with its planner, alignment, external inputs and the kernels'
in-place rules. Code generation, the budgets, the project's README and the compile report all read
these values, so what the report says is what model.h allocates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.ir.graph import Graph
from tessera.passes.memory.arena import ArenaPlan, plan_arena
from tessera.passes.memory.model import InPlaceRules

from .options import McuOptions
from .table import inplace_rules

ALIGNMENT = 16  # arena offset and size granularity in bytes (TESSERA_AT's alignment)


@dataclass(frozen=True)
class McuAnalyses:
    schedule: tuple[str, ...]  # node names in execution order
    plan: ArenaPlan
    external: tuple[str, ...]  # graph inputs read from the caller's buffers, not placed in the arena
    inplace_rules: InPlaceRules | None  # the kernels' rules the plan honoured; None: no in-place


def bindings(options: McuOptions) -> dict[str, Any]:
    """What the MCU target lends the pipeline's passes: its in-place rules (None when inplace=false)."""
    return {"inplace_rules": inplace_rules() if options.inplace else None}


def analyze(graph: Graph, options: McuOptions) -> McuAnalyses:
    rules = bindings(options)["inplace_rules"]
    external = tuple(v.name for v in graph.inputs) if options.caller_inputs else ()
    plan = plan_arena(graph, method=options.planner, alignment=ALIGNMENT, inplace=rules, external=external)
    return McuAnalyses(tuple(n.name for n in graph.nodes), plan, external, rules)
