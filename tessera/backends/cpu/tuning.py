"""MetaSchedule tuning with a database kept in a folder and reused.

The module is legalized and fused first (Relax's zero pipeline), so each fused kernel is one tuning
task. Tasks that already have a record in the database are not tuned again: a second compile of the
same model with the same database only applies the records. Progress goes to stderr while it tunes.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tessera.backends.cpu import msworkers


@dataclass(frozen=True)
class TuningSummary:
    database: str
    tasks: int  # fused kernels in the model
    reused: int  # tasks that already had a record
    tuned: int  # tasks tuned in this compile
    trials: int  # trials measured in this compile
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def prepare(mod: Any, target: Any) -> Any:
    """Legalize and fuse: what MetaSchedule extracts tasks from."""
    import tvm
    from tvm import relax

    passes = [
        relax.transform.DecomposeOpsForInference(),
        relax.transform.CanonicalizeBindings(),
        relax.get_pipeline("zero"),
    ]
    with target:
        return tvm.transform.Sequential(passes)(mod)


def tune(mod: Any, target: Any, trials: int, db_dir: str | None) -> tuple[Any, TuningSummary | None]:
    """Tune the tasks that have no record yet (up to `trials` in all), then apply the database."""
    import tvm
    from tvm import relax
    from tvm.s_tir import meta_schedule as ms

    if db_dir is None:
        return mod, None
    start = time.perf_counter()
    Path(db_dir).mkdir(parents=True, exist_ok=True)
    mod = prepare(mod, target)
    database = ms.database.JSONDatabase(work_dir=db_dir)
    tasks = ms.relax_integration.extract_tasks(mod, target)
    todo = [t for t in tasks if database.query_tuning_record(t.dispatched[0], target, t.task_name) is None]
    progress = _Progress([t.task_name for t in todo], trials)
    if trials and todo:
        per_task = max(1, math.ceil(trials / len(todo)))
        msworkers.import_tensor_intrinsics()  # before TuneContext imports it the slow way
        contexts, weights = ms.relax_integration.extracted_tasks_to_tune_contexts(
            todo, work_dir=db_dir, strategy=msworkers.search_strategy(per_task), seed=0
        )
        with msworkers.torchless_workers():
            ms.tune_tasks(
                tasks=contexts,
                task_weights=weights,
                work_dir=db_dir,
                max_trials_global=trials,
                max_trials_per_task=min(trials, 2 * per_task),
                num_trials_per_iter=_per_iter(per_task),
                database=database,
                measure_callbacks=[*ms.MeasureCallback.create("default"), progress.callback()],
                task_scheduler="gradient",  # trials go where they cut the most latency
                cost_model=_cost_model(),
                builder=msworkers.builder(),
                runner=msworkers.runner(),
            )
    with target, database, tvm.transform.PassContext(opt_level=3):
        mod = relax.transform.MetaScheduleApplyDatabase(enable_warning=False)(mod)
    tuned = len({name for name in progress.measured})
    summary = TuningSummary(
        db_dir, len(tasks), len(tasks) - len(todo), tuned, progress.total, time.perf_counter() - start
    )
    print(
        f"[tune] {summary.tasks} tasks: {summary.reused} from the database, {summary.tuned} tuned now "
        f"({summary.trials} trials, {summary.seconds:.0f} s)",
        file=sys.stderr,
    )
    return mod, summary


def _per_iter(per_task: int) -> int:
    """Candidates measured per round: several rounds per task, so the cost model learns between them."""
    return per_task if per_task <= 16 else min(64, max(16, per_task // 4))


def _cost_model() -> str:
    """XGBoost's cost model when xgboost is installed; otherwise candidates are picked at random."""
    try:
        import xgboost  # noqa: F401
    except ImportError:
        note = "[tune] xgboost is not installed: candidates are chosen at random (pip install 'tessera[tvm]')"
        print(note, file=sys.stderr)
        return "random"
    return "xgb"


class _Progress:
    """Prints one line per measured batch: task, trials so far, best time."""

    def __init__(self, names: list[str], budget: int):
        self.names, self.budget = names, budget
        self.measured: dict[str, int] = {}
        self.best: dict[str, float] = {}
        self.total = 0

    def callback(self) -> Any:
        from tvm.ir.utils import derived_object
        from tvm.s_tir import meta_schedule as ms

        progress = self

        @derived_object
        class Report(ms.measure_callback.PyMeasureCallback):
            def apply(self, scheduler: Any, task_id: int, candidates: Any, builds: Any, runs: Any) -> None:
                progress.record(task_id, runs)

        return Report()

    def record(self, task_id: int, runs: Any) -> None:
        name = self.names[task_id]
        times = [sum(float(c) for c in r.run_secs) / len(r.run_secs) for r in runs if r.run_secs]
        self.measured[name] = self.measured.get(name, 0) + len(runs)
        self.total += len(runs)
        if times:
            self.best[name] = min(self.best.get(name, math.inf), min(times))
        best = f"{self.best[name] * 1e3:.3f} ms" if name in self.best else "no valid candidate yet"
        print(
            f"[tune] task {task_id + 1}/{len(self.names)} {name}: {self.measured[name]} trials, best {best} "
            f"({self.total}/{self.budget} trials in all)",
            file=sys.stderr,
            flush=True,
        )
