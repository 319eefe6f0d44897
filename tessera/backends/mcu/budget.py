"""Memory budgets: checked before any C is written, so a model that cannot fit is refused with the
numbers that explain why (arena, liveness peak, the step and tensors that make it)."""

from __future__ import annotations

from tessera.errors import TargetError
from tessera.ir.graph import Graph
from tessera.ir.liveness import memory_profile
from tessera.passes.memory.arena import ArenaPlan

STACK_BYTES = 8192  # the stack the MCU linker script reserves next to the arena


def check_budgets(
    graph: Graph, plan: ArenaPlan, weight_bytes: int, ram_kb: float | None, flash_kb: float | None
) -> None:
    if ram_kb is not None and plan.arena_bytes + STACK_BYTES > ram_kb * 1024:
        prof = plan.slot_profile() if plan.aliases or plan.workspaces else memory_profile(graph)
        node = graph.nodes[prof.peak_step] if 0 <= prof.peak_step < len(graph.nodes) else None
        sizes = {t.value: t.size for t in plan.lifetimes}
        live = ", ".join(_slot(plan, name, sizes) for name in prof.peak_values[:6])
        at = f"step {prof.peak_step} ({node.op.name} {node.name!r})" if node else "the inputs"
        kind = "liveness peak (a tensor and the output written over it in place count once)"
        kind = kind if plan.aliases else "liveness peak"
        raise TargetError(
            f"model {graph.name!r} does not fit in ram_kb={ram_kb:g} ({int(ram_kb * 1024)} B): the "
            f"{plan.method} arena needs {plan.arena_bytes} B + {STACK_BYTES} B of stack. The {kind} "
            f"is {prof.peak_bytes} B at {at}, where these are live: {live}. To fit: reorder with the "
            "memory-schedule pass, quantize to int8 (quantize-int8), use a smaller input, or raise ram_kb."
        )
    if flash_kb is not None and weight_bytes > flash_kb * 1024:
        raise TargetError(
            f"model {graph.name!r} does not fit in flash_kb={flash_kb:g} ({int(flash_kb * 1024)} B): its "
            f"constants need {weight_bytes} B before any code. Quantize to int8 (quantize-int8), prune, or "
            "raise flash_kb."
        )


def _slot(plan: ArenaPlan, name: str, sizes: dict[str, int]) -> str:
    """One live slot: a tensor, a workspace, or tensors sharing one slot in place."""
    chain = plan.slot_of(name)
    if len(chain) == 1:
        return f"{name!r} ({sizes.get(name, 0)} B)"
    size = max(sizes.get(n, 0) for n in chain)
    return f"{' = '.join(map(repr, chain))} ({size} B, one slot shared in place)"
