"""The cpu target's entry points: build a graph into a CpuArtifact, load a saved one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tessera.backends.cpu.options import CpuOptions
from tessera.backends.targets import Target, register_target
from tessera.errors import TargetError
from tessera.ir.graph import Graph
from tessera.passes.base import Report


def _require_tvm() -> None:
    # TVM sizes its worker pool once, at first use, to half the logical cores (it assumes
    # hyperthreads): on a 2-core machine that is 1 worker, and config_threadpool cannot grow it later.
    # One worker per core; `threads` then picks how many run.
    os.environ.setdefault("TVM_NUM_THREADS", str(os.cpu_count() or 1))
    try:
        import tvm  # noqa: F401
    except ImportError:
        raise TargetError("the cpu target needs Apache TVM: pip install tessera[tvm]") from None


@dataclass
class CpuReport(Report):
    """What the cpu target built: for which LLVM target, with which schedules and how many threads."""

    llvm_target: str = ""
    threads: int | None = None
    schedule: str = "fixed"
    tuning: dict[str, Any] | None = None  # the tuning summary when tune or tuning_db was given
    tuning_line: str = ""

    def render_text(self) -> str:
        lines = [f"llvm target: {self.llvm_target}", f"threads: {self.threads or 'one per core'}"]
        lines.append(f"schedules: {self.schedule}" + (f"; tuning: {self.tuning_line}" if self.tuning_line else ""))
        kernels = [] if self.tuning is None else self.tuning.get("kernels", [])
        lines += [
            f"  {k['task']}: fixed {_ms(k['fixed_ms'])}, tuned {_ms(k['tuned_ms'])} -> {k['winner']}" for k in kernels
        ]
        return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} ms"


@dataclass(frozen=True)
class CpuArtifact:
    module: Any  # runtime.CpuModule
    tuning: Any = None  # tuning.TuningSummary | None
    options: CpuOptions = field(default_factory=CpuOptions)

    def write(self, folder: Path) -> dict[str, Path]:
        return self.module.save(folder)

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> dict[str, np.ndarray]:
        unknown = sorted(set(options) - {"threads"})
        if unknown:
            raise TargetError(f"the cpu target's run takes only threads=N, got {', '.join(unknown)}")
        return self.module.run(inputs, threads=options.get("threads"))

    def report(self) -> CpuReport:
        summary = None if self.tuning is None else self.tuning.to_dict()
        line = "" if self.tuning is None else self.tuning.line()
        sig = self.module.signature
        return CpuReport(sig.target, sig.threads, self.options.schedule, summary, line)


def build(graph: Graph, options: CpuOptions) -> CpuArtifact:
    _require_tvm()
    from tessera.backends.cpu import schedule
    from tessera.backends.cpu.build import compile_module, host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.runtime import CpuModule, Signature
    from tessera.backends.cpu.tuning import prepare, tune

    fixed = options.schedule == "fixed"
    target = host_target(options.threads)
    mod = lower(graph)
    summary = None
    if options.tune or options.tuning_db:
        mod, summary = tune(mod, target, options.tune, options.tuning_db)
    elif fixed:
        mod = prepare(mod, target)
    if fixed:
        mod, _, _ = schedule.apply(mod)
    executable = compile_module(mod, target)
    return CpuArtifact(CpuModule(executable, Signature.of(graph, str(target), options.threads)), summary, options)


def load(folder: str | Path):  # -> runtime.CpuModule
    """Load a module saved by `compile(..., target="cpu", out_dir=folder)`; no recompile."""
    _require_tvm()
    from tessera.backends.cpu.runtime import load as _load

    return _load(folder)


CPU_TARGET = register_target(
    Target(
        "cpu",
        "this machine's CPU through TVM Relax + LLVM (optionally MetaSchedule-tuned); writes model.so + model.json",
        build,
        CpuOptions,
    )
)
