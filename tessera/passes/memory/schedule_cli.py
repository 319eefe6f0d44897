"""What `tessera schedule` prints: the schedule's figures and the arena of every planner."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tessera.ir.graph import Graph
from tessera.ir.rewriter import Rewriter
from tessera.passes.memory.arena import PLANNERS, plan_arena
from tessera.passes.memory.model import MemoryModel
from tessera.passes.memory.schedule import schedule
from tessera.passes.memory.schedule_pass import MemorySchedule

ORDER_SHOWN = 8  # node names the text shows; --json lists them all


@dataclass(frozen=True)
class ScheduleSummary:
    """A schedule of a model as imported, with the arena each planner packs it into."""

    model: str
    nodes: int
    units: int  # nodes after fusion
    method: str
    inplace: bool
    peak_bytes: int
    lower_bound_bytes: int
    gap: float
    optimal: bool
    status: str
    time_s: float
    arena_bytes: int  # the smallest of `arenas`
    arenas: dict[str, int]  # planner -> arena bytes
    order: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["order"] = list(self.order)
        return data

    def render_text(self) -> str:
        verdict = "optimal" if self.optimal else f"gap {self.gap:.1%} to the bound"
        arenas = ", ".join(f"{name} {size:,} B" for name, size in sorted(self.arenas.items(), key=lambda a: a[1]))
        shown = ", ".join(self.order[:ORDER_SHOWN])
        more = len(self.order) - ORDER_SHOWN
        return "\n".join(
            [
                f"{self.model}: {self.nodes} nodes ({self.units} after fusion), method {self.method}, "
                f"in-place {'on' if self.inplace else 'off'}",
                f"peak         {self.peak_bytes:,} B  (lower bound {self.lower_bound_bytes:,} B: {verdict})",
                f"status       {self.status} in {self.time_s:.2f} s",
                f"arena        {self.arena_bytes:,} B  ({arenas})",
                f"order        {shown or '-'}" + (f", ... ({more} more; --json lists all)" if more > 0 else ""),
            ]
        )


def schedule_report(graph: Graph, options: MemorySchedule) -> ScheduleSummary:
    model = MemoryModel(inplace=options.inplace, include_constants=options.include_constants)
    result = schedule(graph, options.method, time_limit_s=options.time_limit_s, model=model)
    ordered = graph.copy()
    Rewriter(ordered).reorder([ordered.node(name) for name in result.order])
    arenas = {name: plan_arena(ordered, name).arena_bytes for name in PLANNERS}
    return ScheduleSummary(
        model=graph.name,
        nodes=result.nodes,
        units=result.units,
        method=result.method,
        inplace=options.inplace,
        peak_bytes=result.peak_bytes,
        lower_bound_bytes=result.lower_bound_bytes,
        gap=result.gap,
        optimal=result.optimal,
        status=result.status,
        time_s=result.time_s,
        arena_bytes=min(arenas.values()),
        arenas=arenas,
        order=tuple(result.order),
    )
