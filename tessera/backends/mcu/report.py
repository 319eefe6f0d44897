"""The MCU target's own figures for what it built: the arena model.h allocates, the stack, flash
(weights as written to model_weights.c plus code), the in-place slots, and what a run measured
(code size of the Cortex-M4 build, instructions per kernel when profiled on QEMU)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.passes.base import Report
from tessera.passes.memory.status import SolveStatus

from .analysis import McuAnalyses
from .budget import STACK_BYTES, estimate_code_bytes, footprint
from .codegen import CModel
from .options import McuOptions
from .stats import RunStats


@dataclass
class McuReport(Report):
    planner: str = ""
    alignment: int = 0
    status: SolveStatus = SolveStatus.HEURISTIC
    arena_bytes: int = 0  # TESSERA_MODEL_ARENA_BYTES in model.h
    peak_bytes: int = 0  # liveness peak of the built order, an in-place pair counted once: the arena's floor
    stack_bytes: int = STACK_BYTES
    ram_bytes: int = 0  # arena + stack + the harness's caller-input buffer
    harness_input_bytes: int = 0  # main.c's caller-input buffer (inputs='caller')
    ram_kb: float = 0.0  # the linker script's SRAM
    weight_bytes: int = 0  # TESSERA_MODEL_WEIGHT_BYTES: the constants in model_weights.c
    code_bytes: int = 0  # the Cortex-M4 build's text + data less the weights when built, else an estimate
    code_measured: bool = False
    flash_bytes: int = 0  # weights + code
    flash_kb: float = 0.0  # the linker script's flash
    inputs: str = "arena"
    inplace: bool = True
    inplace_slots: list[list[str]] = field(default_factory=list)  # tensors sharing one slot, first written first
    workspaces: int = 0
    steps: int = 0
    instructions: int | None = None  # the last QEMU run
    kernel_instructions: list[tuple[str, str, int]] = field(default_factory=list)  # (node, op, instructions)

    def render_text(self) -> str:
        code = f"{self.code_bytes} B" + ("" if self.code_measured else " (estimate: not built for the MCU yet)")
        lines = [
            f"arena: {self.arena_bytes} B ({self.planner}, {self.status}; liveness peak {self.peak_bytes} B)",
            f"RAM: {self.ram_bytes} B = arena + {self.stack_bytes} B stack"
            + (f" + {self.harness_input_bytes} B caller-input buffers" if self.harness_input_bytes else "")
            + f" (link.ld {self.ram_kb:g} KiB)",
            f"flash: {self.flash_bytes} B = weights {self.weight_bytes} B + code {code} "
            f"(link.ld {self.flash_kb:g} KiB)",
            f"in place: {len(self.inplace_slots)} shared slots, {self.workspaces} workspaces"
            + ("" if self.inplace else " (inplace=false)"),
        ]
        if self.instructions is not None:
            lines.append(f"instructions (last QEMU run): {self.instructions}")
        return "\n".join(lines)


def mcu_report(analyses: McuAnalyses, cmodel: CModel, options: McuOptions, stats: RunStats | None) -> McuReport:
    plan = analyses.plan
    fp = footprint(plan, cmodel)
    measured = None if stats is None else stats.flash_bytes  # text + data: the weights are in .rodata
    code = estimate_code_bytes(cmodel) if measured is None else measured - cmodel.weight_bytes
    return McuReport(
        planner=plan.method,
        alignment=plan.alignment,
        status=SolveStatus(plan.status),
        arena_bytes=plan.arena_bytes,
        peak_bytes=plan.peak_bytes,
        ram_bytes=fp.ram,
        harness_input_bytes=fp.harness_inputs,
        ram_kb=options.link_ram_kb,
        weight_bytes=cmodel.weight_bytes,
        code_bytes=code,
        code_measured=measured is not None,
        flash_bytes=cmodel.weight_bytes + code,
        flash_kb=options.link_flash_kb,
        inputs=options.inputs,
        inplace=analyses.inplace_rules is not None,
        inplace_slots=[list(chain) for chain in plan.shared_slots()],
        workspaces=len(plan.workspaces),
        steps=len(cmodel.steps),
        instructions=None if stats is None else stats.instructions,
        kernel_instructions=[] if stats is None else list(stats.steps),
    )
