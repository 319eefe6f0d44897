"""The MCU target: a self-contained C99 project (model.c/.h, const weights in flash, one static arena
planned by tessera's memory planner, portable kernels, Makefile for host and arm-none-eabi, harness).
`CompileResult.run(inputs)` builds it with gcc and runs it; `run(inputs, on="qemu")` runs it on an
emulated Cortex-M4."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tessera.backends.targets import Target, register_target
from tessera.errors import TargetError
from tessera.ir.graph import Graph

from .artifact import McuArtifact, RunStats
from .budget import check_budgets
from .codegen import CModel, generate
from .table import inplace_rules, missing_ops

__all__ = ["McuArtifact", "RunStats", "build", "default_planner", "inplace_rules", "missing_ops"]


def default_planner() -> str:
    from tessera.passes.memory.arena import PLANNERS

    return "best-fit" if "best-fit" in PLANNERS else "greedy-by-size"


def _number(options: Mapping[str, Any], key: str) -> float | None:
    value = options.get(key)
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TargetError(f"target option {key} must be a number of KiB, got {value!r}") from None
    if number <= 0:
        raise TargetError(f"target option {key} must be positive, got {value!r}")
    return number


def _caller_inputs(options: Mapping[str, Any]) -> bool:
    value = str(options.get("inputs") or "arena")
    if value not in ("arena", "caller"):
        raise TargetError(f"target option inputs must be 'arena' or 'caller', got {value!r}")
    return value == "caller"


def _flag(options: Mapping[str, Any], key: str, default: bool) -> bool:
    value = options.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise TargetError(f"target option {key} must be true or false, got {value!r}")


def build(graph: Graph, options: Mapping[str, Any]) -> McuArtifact:
    """Plan the arena, lower every node (or list every one that cannot be), check the budgets."""
    from tessera.passes.memory.arena import plan_arena

    ram_kb, flash_kb = _number(options, "ram_kb"), _number(options, "flash_kb")
    inplace = _flag(options, "inplace", True)
    caller = _caller_inputs(options)
    external = [v.name for v in graph.inputs] if caller else []
    method = str(options.get("planner") or default_planner())
    plan = plan_arena(graph, method=method, inplace=inplace_rules() if inplace else None, external=external)
    cmodel: CModel = generate(graph, plan, caller_inputs=caller)
    check_budgets(graph, plan, cmodel.weight_bytes, ram_kb, flash_kb)
    clean = {"ram_kb": ram_kb, "flash_kb": flash_kb, "planner": plan.method, "inplace": inplace,
             "inputs": "caller" if caller else "arena"}  # fmt: skip
    return McuArtifact(graph, cmodel, clean)


register_target(
    Target(
        "mcu",
        "C99 project for microcontrollers (static arena, const weights, Makefile for gcc and arm-none-eabi); "
        "runs on the host or on QEMU Cortex-M4 (run(inputs, on='qemu'))",
        build,
        options={
            "ram_kb": "SRAM budget in KiB: refuse a model whose arena + stack does not fit; sizes link.ld "
            "(default 256)",
            "flash_kb": "flash budget in KiB for the weights; sizes link.ld (default 4096)",
            "inputs": "'arena' (default): inputs live in the arena; 'caller': the model reads each input in place "
            "from a buffer the caller owns (tessera_model_set_input), so the arena holds none (MCUNetV2's "
            "patch-based stage reads only patches of the image)",
            "planner": "arena planner (tessera.passes.memory.arena.PLANNERS); default best-fit when present, "
            "else greedy-by-size",
            "inplace": "let kernels write their output over an input they read last (depthwise conv, "
            "elementwise ops, reshapes: tessera/backends/mcu/inplace.py); default true, false plans every "
            "tensor its own slot",
        },
    )
)
