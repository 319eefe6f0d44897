"""MetaSchedule tuning with a database kept in a folder and reused.

The module is legalized and fused first (Relax's zero pipeline), so each fused kernel is one tuning
task. Tasks that already have a MetaSchedule record in the database are not tuned again: a second
compile of the same model with the same database only applies the records. The fixed schedule of each
tuned task is timed by the same runner and recorded too (fixed_record.py), so the database applies
whichever is faster per kernel. Progress is one line on stderr while it tunes (rewritten in place on a
terminal, a line per quarter of the trials otherwise), with the fixed schedule's time beside the best
candidate's; the summary line ends it, and the report lists per kernel which schedule applies.
MetaSchedule's own tables go to its log files in the database folder (TESSERA_TVM_LOG=1: also stdout).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tessera.backends.cpu import fixed_record, msworkers
from tessera.backends.cpu.fixed_record import KernelOutcome, TaskRecords
from tessera.backends.cpu.tvm_log import tvm_console_level


@dataclass(frozen=True)
class TuningSummary:
    database: str
    tasks: int  # fused kernels in the model
    reused: int  # tasks that already had a MetaSchedule record
    tuned: int  # tasks tuned in this compile
    trials: int  # MetaSchedule trials measured in this compile
    fixed_timed: int  # fixed schedules timed and recorded in this compile (fixed_record.py)
    seconds: float
    kernels: tuple[KernelOutcome, ...] = ()  # per task: fixed vs best tuned time, which one applies

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kernels": [{**asdict(k), "winner": k.winner} for k in self.kernels]}

    def line(self) -> str:
        wins = {w: sum(k.winner == w for k in self.kernels) for w in ("fixed", "tuned")}
        return (
            f"{self.tasks} tasks: {self.reused} from the database, {self.tuned} tuned now "
            f"({self.trials} trials, {self.fixed_timed} fixed schedules timed, {self.seconds:.0f} s); "
            f"applied: {wins['tuned']} tuned, {wins['fixed']} fixed schedule"
        )


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
    """Tune the tasks that have no MetaSchedule record yet (up to `trials` in all), time the fixed
    schedule of every task that is tuned (or has tuned records) into the database, then apply it."""
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
    traces = [fixed_record.fixed_trace(t.dispatched[0]) for t in tasks]
    before = [fixed_record.task_records(database, t.dispatched[0], tr) for t, tr in zip(tasks, traces)]
    todo = [i for i, r in enumerate(before) if r.tuned_s is None]
    # the fixed schedule competes wherever a tuned record would otherwise replace it untimed
    timing = [
        (tasks[i].task_name, tasks[i].dispatched[0], traces[i])
        for i, r in enumerate(before)
        if traces[i] is not None and r.fixed_s is None and (r.tuned_s is not None or (trials and i in todo))
    ]
    progress = _Progress([tasks[i].task_name for i in todo], trials, [before[i] for i in todo])
    fixed_timed = 0
    if timing or (trials and todo):
        msworkers.import_tensor_intrinsics()  # before TuneContext or a build imports it the slow way
        with msworkers.torchless_workers():
            builder, runner = msworkers.builder(), msworkers.runner()
            fixed_timed = fixed_record.measure_and_commit(database, timing, target, builder, runner)
            if trials and todo:
                progress.fixed_s = [
                    fixed_record.task_records(database, tasks[i].dispatched[0], traces[i]).fixed_s for i in todo
                ]
                _tune_tasks([tasks[i] for i in todo], trials, db_dir, database, progress, builder, runner)
    kernels = tuple(
        fixed_record.outcome(t.task_name, fixed_record.task_records(database, t.dispatched[0], tr))
        for t, tr in zip(tasks, traces)
    )
    progress.finish()
    with target, database, tvm.transform.PassContext(opt_level=3):
        mod = relax.transform.MetaScheduleApplyDatabase(enable_warning=False)(mod)
    seconds = time.perf_counter() - start
    reused = len(tasks) - len(todo)
    summary = TuningSummary(
        db_dir, len(tasks), reused, len(progress.measured), progress.total, fixed_timed, seconds, kernels
    )
    print(f"[tune] {summary.line()}", file=sys.stderr)
    return mod, summary


def _tune_tasks(
    tasks: list[Any], trials: int, db_dir: str, database: Any, progress: _Progress, builder: Any, runner: Any
) -> None:
    from tvm.s_tir import meta_schedule as ms

    logging.getLogger("tvm.s_tir.meta_schedule").setLevel(tvm_console_level())  # read by tune_tasks' loggers
    per_task = max(1, math.ceil(trials / len(tasks)))
    contexts, weights = ms.relax_integration.extracted_tasks_to_tune_contexts(
        tasks, work_dir=db_dir, strategy=msworkers.search_strategy(per_task), seed=0
    )
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
        builder=builder,
        runner=runner,
    )


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
    """One progress line: trials so far, the task last measured and its best time against the fixed
    schedule's. On a terminal the line is rewritten in place; in a log, one line per quarter."""

    def __init__(self, names: list[str], budget: int, before: list[TaskRecords]):
        self.names, self.budget = names, budget
        self.fixed_s: list[float | None] = [r.fixed_s for r in before]  # the fixed schedule's time, once timed
        self.measured: dict[str, int] = {}
        self.best: dict[str, float] = {}
        self.total = 0
        self._tty = sys.stderr.isatty()
        self._shown = 0  # quarters printed (not a terminal) / whether a line is open (terminal)

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
        fixed = self.fixed_s[task_id]
        versus = "" if fixed is None else f" vs fixed {fixed * 1e3:.3f} ms ({self._leader(name, fixed)} leads)"
        line = (
            f"[tune] {self.total}/{self.budget} trials; task {task_id + 1}/{len(self.names)} {name}: "
            f"best {best}{versus}"
        )
        if self._tty:
            print(f"\r{line}\x1b[K", end="", file=sys.stderr, flush=True)
            self._shown = 1
        elif self.total * 4 >= (self._shown + 1) * self.budget:
            self._shown = min(4, self.total * 4 // max(self.budget, 1))
            print(line, file=sys.stderr, flush=True)

    def finish(self) -> None:
        """End the rewritten line so what follows starts on its own."""
        if self._tty and self._shown:
            print(file=sys.stderr, flush=True)
            self._shown = 0

    def _leader(self, name: str, fixed_s: float) -> str:
        return "tuned" if self.best.get(name, math.inf) < fixed_s else "fixed"
