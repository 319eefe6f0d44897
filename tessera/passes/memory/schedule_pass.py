"""The `memory-schedule` pass: reorder the graph to a low-peak schedule and report it."""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.ir.rewriter import Rewriter
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.memory.model import MemoryModel, model_profile
from tessera.passes.memory.schedule import SCHEDULERS, schedule
from tessera.passes.memory.status import SolveStatus
from tessera.passes.registry import register_pass


@dataclass
class ScheduleReport(Report):
    method: str = ""
    nodes: int = 0
    units: int = 0  # nodes after fusion
    peak_before_bytes: int = 0  # the order the pass was given
    peak_bytes: int = 0
    lower_bound_bytes: int = 0
    gap: float = 0.0
    optimal: bool = False
    status: SolveStatus = SolveStatus.HEURISTIC
    time_s: float = 0.0
    inplace: bool = False
    peak_tensors: list[str] = field(default_factory=list)


@register_pass
@dataclass(frozen=True)
class MemorySchedule(Pass):
    """Reorder nodes to minimise the liveness peak (never above the order it is given)."""

    name = "memory-schedule"
    method: str = field(default="ilp", metadata={"help": f"the scheduler: {', '.join(SCHEDULERS)}"})
    time_limit_s: float = field(default=10.0, metadata={"help": "seconds the search may take (> 0)"})
    inplace: bool = field(
        default=False,
        metadata={"help": "count HMCOS's in-place rule (sound only if kernels write elementwise outputs in place)"},
    )
    include_constants: bool = field(default=False, metadata={"help": "count the weights in the peak too"})

    def __post_init__(self) -> None:
        if self.method not in SCHEDULERS:
            raise PassError(
                f"memory-schedule: unknown scheduling method {self.method!r}; use one of {', '.join(SCHEDULERS)}"
            )
        if self.time_limit_s <= 0:
            raise PassError(f"memory-schedule: time_limit_s must be > 0 seconds, got {self.time_limit_s}")

    def run(self, graph: Graph) -> PassResult:
        model = MemoryModel(inplace=self.inplace, include_constants=self.include_constants)
        before = model_profile(graph, model=model).peak_bytes
        result = schedule(graph, self.method, time_limit_s=self.time_limit_s, model=model)
        by_name = {n.name: n for n in graph.nodes}
        new_order = [by_name[name] for name in result.order]
        keep = result.peak_bytes > before  # a heuristic can lose to the given order: keep the better one
        if not keep:
            Rewriter(graph).reorder(new_order)
        after = model_profile(graph, model=model)
        graph.memory_schedule = tuple(n.name for n in graph.nodes)
        report = ScheduleReport(
            method=self.method,
            nodes=result.nodes,
            units=result.units,
            peak_before_bytes=before,
            peak_bytes=after.peak_bytes,
            lower_bound_bytes=result.lower_bound_bytes,
            gap=(after.peak_bytes - result.lower_bound_bytes) / after.peak_bytes if after.peak_bytes else 0.0,
            optimal=after.peak_bytes == result.lower_bound_bytes,
            status=SolveStatus(result.status) if not keep else SolveStatus.KEPT_GIVEN_ORDER,
            time_s=result.time_s,
            inplace=self.inplace,
            peak_tensors=list(after.peak_values),
        )
        return PassResult(graph, not keep and [n.name for n in graph.nodes] != list(by_name), report)
