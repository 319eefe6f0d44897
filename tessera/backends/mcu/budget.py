"""Memory budgets: checked on every build (the default budgets included) before any C is written, so
a model that cannot fit is refused with the numbers that explain why (arena, liveness peak, the step
and tensors that make it) and advice that follows the model (tessera/backends/mcu/advice.py).
RAM counts everything the build links into SRAM: arena + stack + the harness's caller-input buffer;
flash counts the weights + the code estimate."""

from __future__ import annotations

from dataclasses import dataclass

from tessera.errors import TargetError
from tessera.ir.graph import Graph
from tessera.ir.liveness import memory_profile
from tessera.passes.memory.arena import ArenaPlan

from .advice import QUANTIZE_TIP, is_int8, ram_advice
from .codegen import CModel, caller_input_bytes
from .options import McuOptions

STACK_BYTES = 8192  # the stack the MCU linker script reserves next to the arena
# A rough code size before anything is compiled: the runtime and harness, plus each generated step and
# each distinct kernel op it calls (Cortex-M4, -O2, --gc-sections; fitted to the QEMU builds of a
# 4-node depthwise graph, 3,316 B, and mcunet-vww@32, 7,140 B). The build's own sizes replace it.
BASE_CODE_BYTES = 2048
CODE_BYTES_PER_STEP = 24
CODE_BYTES_PER_KERNEL = 600


@dataclass(frozen=True)
class Footprint:
    """What the build links: SRAM and flash, in bytes."""

    arena: int
    stack: int
    harness_inputs: int  # main.c's caller-input buffer (inputs="caller"); 0 otherwise
    weights: int
    code: int  # estimate until built for the MCU

    @property
    def ram(self) -> int:
        return self.arena + self.stack + self.harness_inputs

    @property
    def flash(self) -> int:
        return self.weights + self.code


def estimate_code_bytes(cmodel: CModel) -> int:
    kernels = {step.op for step in cmodel.steps}
    return BASE_CODE_BYTES + CODE_BYTES_PER_STEP * len(cmodel.steps) + CODE_BYTES_PER_KERNEL * len(kernels)


def footprint(plan: ArenaPlan, cmodel: CModel) -> Footprint:
    harness = caller_input_bytes(cmodel) if cmodel.caller_inputs else 0
    return Footprint(plan.arena_bytes, STACK_BYTES, harness, cmodel.weight_bytes, estimate_code_bytes(cmodel))


def kib(nbytes: float) -> str:
    return f"{nbytes / 1024:.1f} KiB ({int(nbytes):,} B)"


def check_budgets(graph: Graph, plan: ArenaPlan, cmodel: CModel, options: McuOptions) -> None:
    fp = footprint(plan, cmodel)
    ram_kb, flash_kb = options.link_ram_kb, options.link_flash_kb
    if fp.ram > ram_kb * 1024:
        prof = plan.slot_profile() if plan.aliases or plan.workspaces or fp.harness_inputs else memory_profile(graph)
        node = graph.nodes[prof.peak_step] if 0 <= prof.peak_step < len(graph.nodes) else None
        sizes = {t.value: t.size for t in plan.lifetimes}
        live = ", ".join(_slot(plan, name, sizes) for name in prof.peak_values[:6])
        at = f"step {prof.peak_step} ({node.op.name} {node.name!r})" if node else "the inputs"
        kind = "liveness peak (a tensor and the output written over it in place count once)"
        kind = kind if plan.aliases else "liveness peak"
        harness = f" + {kib(fp.harness_inputs)} of caller-input buffers (inputs='caller')" if fp.harness_inputs else ""
        advice = "; ".join(ram_advice(graph, prof.peak_step, prof.peak_values, options))
        raise TargetError(
            f"model {graph.name!r} does not fit in ram_kb={ram_kb:g} ({int(ram_kb * 1024):,} B): the "
            f"{plan.method} arena needs {kib(plan.arena_bytes)} + {kib(STACK_BYTES)} of stack{harness} "
            f"= {kib(fp.ram)}. The {kind} is {kib(prof.peak_bytes)} at {at}, where these are live: {live}. "
            f"To fit: {advice}."
        )
    if fp.flash > flash_kb * 1024:
        quantize = "" if is_int8(graph) else f"{QUANTIZE_TIP} (int8 weights take a quarter of the bytes), "
        raise TargetError(
            f"model {graph.name!r} does not fit in flash_kb={flash_kb:g} ({int(flash_kb * 1024):,} B): its "
            f"constants need {kib(fp.weights)} + about {kib(fp.code)} of code = {kib(fp.flash)}. To fit: "
            f"{quantize}prune, or raise flash_kb."
        )


def _slot(plan: ArenaPlan, name: str, sizes: dict[str, int]) -> str:
    """One live slot: a tensor, a workspace, or tensors sharing one slot in place."""
    chain = plan.slot_of(name)
    if len(chain) == 1:
        return f"{name!r} ({kib(sizes.get(name, 0))})"
    size = max(sizes.get(n, 0) for n in chain)
    return f"{' = '.join(map(repr, chain))} ({kib(size)}, one slot shared in place)"
