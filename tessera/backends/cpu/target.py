"""The cpu target's entry points: build a graph into a CpuArtifact, load a saved one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tessera.backends.targets import Target, register_target
from tessera.errors import TargetError
from tessera.ir.graph import Graph

OPTIONS = {
    "tune": "MetaSchedule trials in total (default 0: untuned default schedules)",
    "tuning_db": "folder of the tuning database; reused by later compiles (default: none kept)",
    "threads": "worker threads at run time (default: one per core)",
    "schedule": "kernels MetaSchedule did not tune: 'fixed' (parallel + vectorized, default) or 'tvm' (TVM's loops)",
}


def _require_tvm() -> None:
    # TVM sizes its worker pool once, at first use, to half the logical cores (it assumes
    # hyperthreads): on a 2-core machine that is 1 worker, and config_threadpool cannot grow it later.
    # One worker per core; `threads` then picks how many run.
    os.environ.setdefault("TVM_NUM_THREADS", str(os.cpu_count() or 1))
    try:
        import tvm  # noqa: F401
    except ImportError:
        raise TargetError("the cpu target needs Apache TVM: pip install tessera[tvm]") from None


@dataclass(frozen=True)
class CpuArtifact:
    module: Any  # runtime.CpuModule
    tuning: Any = None  # tuning.TuningSummary | None

    def write(self, folder: Path) -> dict[str, Path]:
        return self.module.save(folder)

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> dict[str, np.ndarray]:
        unknown = sorted(set(options) - {"threads"})
        if unknown:
            raise TargetError(f"the cpu target's run takes only threads=N, got {', '.join(unknown)}")
        return self.module.run(inputs, threads=options.get("threads"))


def build(graph: Graph, options: Mapping[str, Any]) -> CpuArtifact:
    _require_tvm()
    from tessera.backends.cpu import schedule
    from tessera.backends.cpu.build import compile_module, host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.runtime import CpuModule, Signature
    from tessera.backends.cpu.tuning import prepare, tune

    trials, db, threads = _options(options)
    fixed = _schedule_option(options)
    target = host_target(threads)
    mod = lower(graph)
    summary = None
    if trials or db:
        mod, summary = tune(mod, target, trials, db)
    elif fixed:
        mod = prepare(mod, target)
    if fixed:
        mod, _, _ = schedule.apply(mod)
    executable = compile_module(mod, target)
    return CpuArtifact(CpuModule(executable, Signature.of(graph, str(target), threads)), summary)


def _options(options: Mapping[str, Any]) -> tuple[int, str | None, int | None]:
    trials, db, threads = options.get("tune", 0), options.get("tuning_db"), options.get("threads")
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 0:
        raise TargetError(f"cpu target option tune must be a non-negative trial count, got {trials!r}")
    if threads is not None and (not isinstance(threads, int) or isinstance(threads, bool) or threads < 1):
        raise TargetError(f"cpu target option threads must be a positive integer, got {threads!r}")
    if trials and not db:
        raise TargetError("cpu target option tune needs tuning_db=FOLDER to keep the tuning records")
    return trials, None if db is None else str(db), threads


def _schedule_option(options: Mapping[str, Any]) -> bool:
    value = options.get("schedule", "fixed")
    if value not in ("fixed", "tvm"):
        raise TargetError(f"cpu target option schedule must be 'fixed' or 'tvm', got {value!r}")
    return value == "fixed"


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
        OPTIONS,
    )
)
