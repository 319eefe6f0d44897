"""The `memory-plan` pass: plan one arena for the graph's current node order and report it.

It changes nothing in the graph (the order is the schedule; run `memory-schedule` first to lower the
peak): the plan is data in the report. In a compile, the target lends the pass its kernels' in-place
rules (the `inplace_rules` field is bound to them), so on the MCU target the pass plans in place as the
target's own arena plan does; the figures the target built are its own report (`McuReport`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.ir.liveness import memory_profile
from tessera.passes.base import Pass, PassResult, Report
from tessera.passes.memory.arena import PLANNERS, plan_arena
from tessera.passes.memory.model import InPlaceRules, inplace_rules_for
from tessera.passes.memory.status import SolveStatus
from tessera.passes.registry import register_pass


@dataclass
class ArenaReport(Report):
    method: str = ""
    alignment: int = 16
    tensors: int = 0
    arena_bytes: int = 0
    peak_bytes: int = 0  # liveness peak of the same order: the arena cannot be smaller
    ratio: float = 0.0  # arena / peak
    lower_bound_bytes: int = 0  # max load of the aligned sizes
    optimal: bool = False
    status: SolveStatus = SolveStatus.HEURISTIC
    time_s: float = 0.0
    peak_step: int = 0
    peak_node: str = ""
    peak_tensors: list[str] = field(default_factory=list)
    offsets: dict[str, int] = field(default_factory=dict)
    inplace: bool = False
    aliases: dict[str, str] = field(default_factory=dict)  # output -> the input it overwrites in place

    def render_text(self) -> str:
        """Every field but the offsets (one per tensor: in to_dict / report.json)."""
        data = self.to_dict()
        data.pop("offsets")
        data["aliases"] = len(self.aliases)
        data["ratio"] = round(self.ratio, 4)
        data["peak_tensors"] = ", ".join(self.peak_tensors) or "-"
        return "\n".join(f"{key}: {value}" for key, value in data.items())


@register_pass
@dataclass(frozen=True)
class MemoryPlan(Pass):
    """Assign every activation an offset in one arena for the current node order."""

    name = "memory-plan"
    method: str = field(default="best-fit", metadata={"help": f"the arena planner: {', '.join(sorted(PLANNERS))}"})
    alignment: int = field(default=16, metadata={"help": "offset and size granularity in bytes (>= 1)"})
    time_limit_s: float = field(default=5.0, metadata={"help": "seconds the cp-sat planner may take (> 0)"})
    inplace: bool | None = field(
        default=None,
        metadata={"help": "honour the target's in-place rules; none: when the target has them (as the MCU build)"},
    )
    inplace_rules: InPlaceRules | None = field(
        default=None, compare=False, repr=False, metadata={"cli": False, "bind": "inplace_rules"}
    )

    def __post_init__(self) -> None:
        if self.method not in PLANNERS:
            raise PassError(f"memory-plan: unknown method {self.method!r}; available: {', '.join(sorted(PLANNERS))}")
        if self.alignment < 1:
            raise PassError(f"memory-plan: alignment must be >= 1 byte, got {self.alignment}; e.g. alignment=16")
        if self.time_limit_s <= 0:
            raise PassError(f"memory-plan: time_limit_s must be > 0 seconds, got {self.time_limit_s}")

    def run(self, graph: Graph) -> PassResult:
        rules = inplace_rules_for(self.name, self.inplace, self.inplace_rules)
        plan = plan_arena(graph, self.method, self.alignment, time_limit_s=self.time_limit_s, inplace=rules)
        prof = plan.slot_profile() if rules is not None else memory_profile(graph)
        report = ArenaReport(
            method=self.method,
            alignment=self.alignment,
            tensors=len(plan.lifetimes),
            arena_bytes=plan.arena_bytes,
            peak_bytes=plan.peak_bytes,
            ratio=plan.ratio,
            lower_bound_bytes=plan.lower_bound_bytes,
            optimal=plan.optimal,
            status=plan.status,
            time_s=plan.time_s,
            peak_step=prof.peak_step,
            peak_node=graph.nodes[prof.peak_step].name if graph.nodes else "",
            peak_tensors=list(prof.peak_values),
            offsets=dict(plan.offsets),
            inplace=rules is not None,
            aliases=dict(plan.aliases),
        )
        return PassResult(graph, False, report)
