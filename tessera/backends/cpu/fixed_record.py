"""The fixed schedule as a tuning record: a tuned build is never slower than the fixed one, per kernel.

MetaSchedule searches each kernel from scratch; with few trials its best candidate can be slower than
the fixed schedule (schedule.py) that the tuned build would replace (mobilenetv2, 16 trials a kernel:
2.70x onnxruntime tuned against 1.99x fixed). So the fixed schedule of each task is built and timed
by the same builder and runner as MetaSchedule's candidates and committed to the database as a tuning
record: its trace replays the fixed schedule exactly, and applying the database picks whichever of
the two measured faster, kernel by kernel.

The record is in the database before the search starts, so the evolutionary search takes it into its
initial population with the other measured records ("init_measured"); but MetaSchedule's mutators
only change sampled decisions (tile sizes, unroll factors) and the fixed trace samples nothing, so the
search cannot refine it, only compete with it. (Its log says so: "Picked top 1 candidate(s) from
database", no replay or postproc failures.)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class KernelOutcome:
    """One task after tuning: both measured times (mean of the runner's repeats) and which one applies."""

    task: str
    fixed_ms: float | None  # None: no fixed-schedule record (not measured, or it failed to build/run)
    tuned_ms: float | None  # None: no MetaSchedule candidate measured (yet)

    @property
    def winner(self) -> str:
        """'fixed', 'tuned', or 'none' (no record: the fixed schedule applies, untimed)."""
        if self.tuned_ms is None:
            return "none" if self.fixed_ms is None else "fixed"
        return "fixed" if self.fixed_ms is not None and self.fixed_ms <= self.tuned_ms else "tuned"

    def line(self) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f} ms"

        return f"{self.task}: fixed schedule {ms(self.fixed_ms)}, tuned {ms(self.tuned_ms)} -> {self.winner}"


@dataclass(frozen=True)
class TaskRecords:
    fixed_s: float | None  # the fixed schedule's record, if the database holds one
    tuned_s: float | None  # the best other record (a MetaSchedule candidate)


def fixed_trace(workload: Any) -> Any:
    """The trace of the fixed schedule of a task's workload module (its "main"), or None."""
    from tessera.backends.cpu import schedule

    sch = schedule.fixed_schedule(workload["main"])
    return None if sch is None else sch.trace


def task_records(database: Any, workload: Any, trace: Any) -> TaskRecords:
    """The best fixed-schedule and best other record of a workload (records are told apart by trace)."""
    if not database.has_workload(workload):
        return TaskRecords(None, None)
    records = database.get_top_k(database.commit_workload(workload), max(1, len(database)))
    text = None if trace is None else str(trace)
    fixed = [_mean(r.run_secs) for r in records if str(r.trace) == text]
    tuned = [_mean(r.run_secs) for r in records if str(r.trace) != text]
    return TaskRecords(min(fixed, default=None), min(tuned, default=None))


def outcome(name: str, records: TaskRecords) -> KernelOutcome:
    def ms(seconds: float | None) -> float | None:
        return None if seconds is None else seconds * 1e3

    return KernelOutcome(name, ms(records.fixed_s), ms(records.tuned_s))


def measure_and_commit(database: Any, tasks: list[tuple[str, Any, Any]], target: Any, builder: Any, runner: Any) -> int:
    """Build and time each (name, workload, trace) as MetaSchedule times its candidates, and commit
    each one that ran as a tuning record. Returns how many were committed; failures are printed."""
    from tvm.s_tir import meta_schedule as ms
    from tvm.s_tir.schedule import Schedule

    tasks = [t for t in tasks if _replays(t)]
    if not tasks:
        return 0
    mods = []
    for _, workload, trace in tasks:
        sch = Schedule(workload)
        trace.apply_to_schedule(sch, remove_postproc=False)
        mods.append(sch.mod)
    builds = builder.build([ms.builder.BuilderInput(mod, target) for mod in mods])
    args = [ms.arg_info.ArgInfo.from_prim_func(workload["main"]) for _, workload, _ in tasks]
    built = [i for i, b in enumerate(builds) if b.error_msg is None]
    futures = runner.run([ms.runner.RunnerInput(builds[i].artifact_path, "cpu", args[i]) for i in built])
    runs = dict(zip(built, (f.result() for f in futures)))
    committed = 0
    for i, (name, workload, trace) in enumerate(tasks):
        error = builds[i].error_msg if i not in runs else runs[i].error_msg
        if error is not None or not runs[i].run_secs:
            first = str(error).strip().splitlines()[-1] if error else "no timing"
            print(f"[tune] {name}: the fixed schedule failed to build or run ({first}); not recorded", file=sys.stderr)
            continue
        record = ms.database.TuningRecord(trace, database.commit_workload(workload), runs[i].run_secs, target, args[i])
        database.commit_tuning_record(record)
        committed += 1
    return committed


def _replays(task: tuple[str, Any, Any]) -> bool:
    """Whether the trace replays on the workload (all 89 kernels of the four zoo CNN/transformer
    models do, identically); a kernel whose does not keeps the fixed schedule without a record."""
    from tvm.s_tir.schedule import Schedule

    name, workload, trace = task
    try:
        trace.apply_to_schedule(Schedule(workload), remove_postproc=False)
    except Exception as err:  # any replay failure: not expressible as a record
        print(f"[tune] {name}: the fixed schedule does not replay as a trace ({err}); not recorded", file=sys.stderr)
        return False
    return True


def _mean(run_secs: Any) -> float:
    values = [float(s) for s in run_secs]
    return sum(values) / len(values)
