"""MetaSchedule tuning: the database is written, holds the fixed schedule's record beside the tuned
candidates (the faster one applies), and a second compile reuses it without tuning or timing.

MetaSchedule's builder runs in process and its runner starts without torch (tessera/backends/cpu/msworkers.py):
about 35 s on the shared 2-core machine (it was 400 s before those fixes)."""

import numpy as np
import pytest
from conftest import TVM, require

import tessera
from tessera.backends.reference import execute
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup


def _conv_relu(channels: int = 4) -> Graph:
    g = Graph("tiny_conv")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, channels, 8, 8)))
    w = g.add_constant("w", np.random.default_rng(0).standard_normal((channels, channels, 3, 3)).astype(np.float32))
    y = g.add_node(lookup("Conv"), [x, w], {"pads": (1, 1, 1, 1)}).output
    g.outputs.append(g.add_node(lookup("Relu"), [y]).output)
    return g


def _task(graph: Graph):
    """The one tuning task of `graph`: (prepared Relax module, workload, target)."""
    from tvm.s_tir import meta_schedule as ms

    from tessera.backends.cpu.build import host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.tuning import prepare

    target = host_target(None)
    mod = prepare(lower(graph), target)
    (task,) = ms.relax_integration.extract_tasks(mod, target)
    return mod, task.dispatched[0], target


def _kernel(mod):
    import tvm

    (func,) = [f for _, f in mod.functions_items() if isinstance(f, tvm.tirx.PrimFunc)]
    return func


def test_the_fixed_record_applies_as_the_fixed_schedule(tmp_path) -> None:
    """A database whose only record is the fixed schedule's trace builds exactly the fixed schedule."""
    tvm = require("tvm", TVM)
    from tvm import relax
    from tvm.s_tir import meta_schedule as ms

    from tessera.backends.cpu import fixed_record, schedule

    mod, workload, target = _task(_conv_relu(8))  # 8 channels: the register-blocked conv rule
    trace = fixed_record.fixed_trace(workload)
    database = ms.database.JSONDatabase(work_dir=str(tmp_path))
    database.commit_tuning_record(ms.database.TuningRecord(trace, database.commit_workload(workload), [1e-3], target))
    reloaded = ms.database.JSONDatabase(work_dir=str(tmp_path))
    assert fixed_record.task_records(reloaded, workload, trace) == fixed_record.TaskRecords(1e-3, None)
    with target, reloaded, tvm.transform.PassContext(opt_level=3):
        applied = relax.transform.MetaScheduleApplyDatabase(enable_warning=False)(mod)
    direct, count, _ = schedule.apply(tvm.IRModule(dict(mod.functions_items())))
    assert count == 1
    text = _kernel(direct).script()
    assert "conv2d_nchw_packed" in text and "_local" in text  # weights packed at compile time, register tile
    tvm.ir.assert_structural_equal(_kernel(applied), _kernel(direct))


@pytest.mark.slow
def test_tuning_writes_and_reuses_the_database(tmp_path, capfd, monkeypatch) -> None:
    tvm = require("tvm", TVM)
    monkeypatch.delenv("TESSERA_TVM_LOG", raising=False)
    from tvm.s_tir import meta_schedule as ms

    from tessera.backends.cpu import fixed_record

    options = {"tune": 2, "tuning_db": str(tmp_path / "db")}
    first = tessera.compile(_conv_relu(), target="cpu", passes=[], target_options=options)
    summary = first.artifact.tuning
    assert summary.tuned == 1 and summary.trials == 2 and summary.fixed_timed == 1
    (kernel,) = summary.kernels
    # progress is one line (stderr is not a terminal here: a line per quarter at most) and the summary;
    # MetaSchedule's tables stay in its log files
    out, err = capfd.readouterr()
    assert "task_scheduler" not in out and "Total trials" not in out
    tune_lines = [line for line in err.splitlines() if line.startswith("[tune]")]
    assert 2 <= len(tune_lines) <= 5 and "1 tuned now" in tune_lines[-1]
    assert any(p.name.endswith("task_scheduler.log") for p in (tmp_path / "db" / "logs").iterdir())
    assert kernel.fixed_ms is not None and kernel.tuned_ms is not None
    # the database holds the fixed schedule's record, and the record that applies is never slower
    _, workload, target = _task(_conv_relu())
    database = ms.database.JSONDatabase(work_dir=str(tmp_path / "db"))
    records = fixed_record.task_records(database, workload, fixed_record.fixed_trace(workload))
    assert records.fixed_s == pytest.approx(kernel.fixed_ms / 1e3)
    best = database.query_tuning_record(workload, target, "main")
    best_s = sum(float(s) for s in best.run_secs) / len(best.run_secs)
    assert best_s <= records.fixed_s
    assert best_s == pytest.approx(min(kernel.fixed_ms, kernel.tuned_ms) / 1e3)
    is_fixed = str(best.trace) == str(fixed_record.fixed_trace(workload))
    assert is_fixed == (kernel.winner == "fixed")

    second = tessera.compile(_conv_relu(), target="cpu", passes=[], target_options=options)
    assert second.artifact.tuning.reused == second.artifact.tuning.tasks == 1
    assert second.artifact.tuning.trials == second.artifact.tuning.fixed_timed == 0
    assert second.artifact.tuning.kernels == summary.kernels
    x = {"x": np.random.default_rng(1).standard_normal((1, 4, 8, 8)).astype(np.float32)}
    np.testing.assert_allclose(second.run(x)["relu"], execute(second.graph, x)["relu"], rtol=1e-4, atol=1e-5)
    assert tvm is not None
