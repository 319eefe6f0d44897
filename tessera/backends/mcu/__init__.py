"""The MCU target: a self-contained C99 project (model.c/.h, const weights in flash, one static arena
planned by tessera's memory planner, portable kernels, Makefile for host and arm-none-eabi, harness).
`CompileResult.run(inputs)` builds it with gcc and runs it; `run(inputs, on="qemu")` runs it on an
emulated Cortex-M4. Its analyses (tessera/backends/mcu/analysis.py) are computed once per build and
are what the code, the budgets, the README and the compile report all read."""

from __future__ import annotations

from tessera.backends.targets import Target, register_target
from tessera.ir.graph import Graph

from .analysis import McuAnalyses, analyze, bindings
from .artifact import McuArtifact
from .budget import check_budgets
from .codegen import CModel, generate
from .options import McuOptions
from .report import McuReport
from .stats import RunStats
from .table import inplace_rules, missing_ops

__all__ = [
    "McuAnalyses",
    "McuArtifact",
    "McuOptions",
    "McuReport",
    "RunStats",
    "build",
    "default_planner",
    "inplace_rules",
    "missing_ops",
]


def default_planner() -> str:
    """The arena planner the MCU target uses unless its `planner` option says otherwise."""
    return McuOptions().planner


def build(graph: Graph, options: McuOptions) -> McuArtifact:
    """Analyse (schedule, arena plan), lower every node (or list every one that cannot be), check the
    budgets: all from the one plan."""
    analyses = analyze(graph, options)
    cmodel: CModel = generate(graph, analyses.plan, caller_inputs=options.caller_inputs)
    check_budgets(graph, analyses.plan, cmodel, options)  # always: the default budgets size link.ld too
    return McuArtifact(graph, cmodel, options, analyses)


register_target(
    Target(
        "mcu",
        "C99 project for microcontrollers (static arena, const weights, Makefile for gcc and arm-none-eabi); "
        "runs on the host or on QEMU Cortex-M4 (run(inputs, on='qemu'))",
        build,
        McuOptions,
        bindings,
    )
)
