"""MetaSchedule's builder and runner, configured so that tuning costs seconds per batch, not minutes.

Measured on the 2-core machine (one tiny conv, 2 trials: 221 s before these fixes):
- `import tvm.s_tir.tensor_intrin` (done by every TuneContext and by every builder worker's first
  build) parses ~250 TVMScript functions; each parse calls `inspect.stack()`, whose
  `inspect.getmodule` walks all of `sys.modules` for every frame it cannot place (importlib's frozen
  frames): 34,000 walks, 95-117 s. With `getmodule` memoized for the length of that import: 8 s.
- Each popen worker imports tvm, and tvm_ffi imports torch whether or not it is used (6 s more per
  worker start); the workers build and time TIR kernels and never need torch, so they start with a
  `torch` that fails to import (tvm_ffi catches the ImportError).
- The runner's default evaluation (min_repeat_ms=100 per candidate) is replaced by a short one.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WORKER_TIMEOUT_S = 120.0  # a worker's first job imports TVM (seconds on a busy machine)
NO_TORCH = "raise ImportError('tessera: MetaSchedule workers run without torch')\n"


@contextlib.contextmanager
def memoized_getmodule() -> Iterator[None]:
    """`inspect.getmodule` answers a frame's or code object's module from a cache while inside."""
    original = inspect.getmodule
    cache: dict[tuple[str | None, str], Any] = {}

    def getmodule(obj: Any, _filename: str | None = None) -> Any:
        code = getattr(obj, "f_code", None) or (obj if inspect.iscode(obj) else None)
        if code is None:
            return original(obj, _filename)
        key = (_filename, code.co_filename)
        if key not in cache:
            cache[key] = original(obj, _filename)
        return cache[key]

    inspect.getmodule = getmodule  # type: ignore[assignment]
    try:
        yield
    finally:
        inspect.getmodule = original  # type: ignore[assignment]


def import_tensor_intrinsics() -> None:
    """Import TVM's tensor intrinsics (which MetaSchedule imports anyway) in seconds, not minutes."""
    with memoized_getmodule():
        import tvm.s_tir.tensor_intrin  # noqa: F401


@contextlib.contextmanager
def torchless_workers() -> Iterator[None]:
    """Subprocesses started inside (MetaSchedule's workers) find a `torch` that fails to import."""
    with tempfile.TemporaryDirectory(prefix="tessera-ms-") as stub:
        (Path(stub) / "torch").mkdir()
        (Path(stub) / "torch" / "__init__.py").write_text(NO_TORCH)
        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (stub, before) if p)
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = before


def builder() -> Any:
    """Builds candidates in this process, one after another.

    TVM's LocalBuilder starts a fresh worker process for every batch (a workaround for a leak in
    its workers), and each one imports TVM and the tensor intrinsics again: 13-15 s a batch here,
    against about 0.4 s to build and export one candidate."""
    from tvm.ir.utils import derived_object
    from tvm.s_tir import meta_schedule as ms
    from tvm.s_tir.meta_schedule.builder.local_builder import default_build, default_export

    @derived_object
    class InProcessBuilder(ms.builder.PyBuilder):
        def build(self, build_inputs: list[Any]) -> list[Any]:
            results = []
            for item in build_inputs:
                try:
                    path = default_export(default_build(item.mod, item.target, None))
                    results.append(ms.builder.BuilderResult(path, None))
                except Exception as err:  # an invalid candidate: MetaSchedule skips it
                    results.append(ms.builder.BuilderResult(None, f"tessera builder: {err}"))
            return results

    return InProcessBuilder()


def runner() -> Any:
    from tvm.s_tir import meta_schedule as ms

    # each candidate: 3 timings of at least 10 ms each (TVM's default is 100 ms a timing)
    config = ms.runner.EvaluatorConfig(number=1, repeat=3, min_repeat_ms=10, enable_cpu_cache_flush=False)
    return ms.runner.LocalRunner(timeout_sec=WORKER_TIMEOUT_S, evaluator_config=config)


def search_strategy(trials_per_task: int) -> Any:
    """Evolutionary search sized to the trials a task gets (TVM's defaults suit thousands)."""
    from tvm.s_tir import meta_schedule as ms

    population = min(512, max(64, 4 * trials_per_task))
    return ms.search_strategy.EvolutionarySearch(
        population_size=population,
        init_min_unmeasured=min(50, population // 4),
        genetic_num_iters=2 if trials_per_task < 64 else 4,
    )
