"""Latency of the cpu target against onnxruntime and eager PyTorch, in the same run.

    PYTHONPATH=. python benchmarks/cpu.py --models light:squeezenet,light:resnet50 --threads 1,2
    PYTHONPATH=. python benchmarks/cpu.py --tune 256 --tuning-db tuning/   # adds the tuned column
    PYTHONPATH=. python benchmarks/cpu.py --tuning-db tuning/   # tuned column from the records already there

Default models: mobilenetv2, resnet18, bert-tiny, vit-tiny from `tessera.zoo` (skipped with a note
when the zoo is not installed); `light:NAME` takes a model bundled with the onnx wheel (random
weights, no PyTorch column). Each figure is the median of --repeat runs after --warmup runs; ratios
are latency over onnxruntime's (below 1 means faster than onnxruntime). Columns: "TVM loops" is the
cpu target with TVM's default loop nests (schedule=tvm), "fixed sched" the default cpu target (a
fixed parallel + vectorized schedule, no search), "tuned" the tuning database applied (per kernel
the faster of MetaSchedule's best candidate and the fixed schedule, both timed by the same runner).

Timing is fair: each figure (framework x thread count) is taken in its own fresh Python process
(`--child`), which loads the saved model (ONNX file, cpu-target library, or the zoo's PyTorch module)
and the saved inputs, warms up, and times. Timed in one process, one after another, a framework ran
while the previous one's idle worker threads still spun on the cores: onnxruntime's intra-op pool
(session.intra_op.allow_spinning, on by default) and TVM's own pool burn CPU for up to a second
after their last run (benchmarks/cpu_order.py measures it). Every framework keeps its default speed
settings (onnxruntime's spinning included: it helps onnxruntime between its own runs). Processes run
one after another, so machine load drifts between figures; --rounds (default 3) repeats the whole
set interleaved (onnxruntime, torch, each cpu-target build, then again), and each ratio is the
median over the rounds of the ratio within a round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tessera
from tessera.cli import random_inputs
from tessera.ir.graph import Graph

ZOO_DEFAULT = "mobilenetv2,resnet18,bert-tiny,vit-tiny"


COLUMNS = ("torch", "tvm loops", "fixed", "tuned")


@dataclass
class Row:
    """Median ms per framework over the rounds, and per column the median of the per-round ratios to
    onnxruntime (each ratio pairs two figures taken minutes apart at most, so drift in machine load
    between rounds cancels)."""

    model: str
    threads: int
    ort_ms: float
    ms: dict[str, float | None]
    ratio: dict[str, float | None]


def median_ms(fn: Callable[[], Any], warmup: int, repeat: int) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def load_model(name: str) -> tuple[Graph, Any] | None:
    """(graph, torch module and example inputs or None); None when the zoo is missing."""
    if name.startswith("light:"):
        from tessera.models_zoo.light import randomized_light_model

        return tessera.compile(randomized_light_model(name.removeprefix("light:"), seed=0)).graph, None
    try:
        from tessera import zoo  # type: ignore[attr-defined]
    except ImportError:
        print(f"note: tessera.zoo is not installed; skipping {name}", file=sys.stderr)
        return None
    model = zoo.get(name)
    graph = tessera.compile(tessera.load(model.module, example_inputs=model.example_inputs)).graph
    return graph, model


def ort_runner(path: str, arrays: list[np.ndarray], threads: int) -> Callable[[], Any]:
    """onnxruntime at its default settings (spinning intra-op threads included), `threads` intra-op."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    inputs = {i.name: a for i, a in zip(session.get_inputs(), arrays)}
    return lambda: session.run(None, inputs)


def tessera_runner(folder: str, arrays: list[np.ndarray], threads: int) -> Callable[[], Any]:
    """A cpu-target library saved by `compile(..., out_dir=folder)`, loaded without recompiling."""
    from tessera.backends import cpu

    module = cpu.load(folder)
    inputs = {spec.name: a for spec, a in zip(module.signature.inputs, arrays)}
    return lambda: module.run(inputs, threads=threads)


def torch_runner(model: Any, threads: int) -> Callable[[], Any]:
    import torch

    torch.set_num_threads(threads)
    module = model.module.eval()
    args = tuple(model.example_inputs)

    def run() -> Any:
        with torch.inference_mode():
            return module(*args)

    return run


def measure(name: str, args: argparse.Namespace) -> list[Row]:
    loaded = load_model(name)
    if loaded is None:
        return []
    graph, model = loaded
    inputs = random_inputs(graph, 0)
    with tempfile.TemporaryDirectory(prefix="tessera-cpu-bench-") as tmp:
        work = Path(tmp)
        np.savez(work / "inputs.npz", *(inputs[v.name] for v in graph.inputs))
        (work / "model.onnx").write_bytes(tessera.export_onnx(graph).SerializeToString())
        builds = _build(name, graph, inputs, work, args)
        sources = {"torch": ("torch", name if model else None)}
        sources.update({k: ("tessera", builds.get(k)) for k in COLUMNS[1:]})
        rows = []
        for threads in args.threads:
            ort: list[float] = []
            cells: dict[str, list[float]] = {k: [] for k in COLUMNS}
            for _ in range(args.rounds):  # interleaved: every framework once per round
                ort.append(_time_in_subprocess("onnxruntime", str(work / "model.onnx"), work, threads, args))
                for column, (kind, source) in sources.items():
                    if source is not None:
                        cells[column].append(_time_in_subprocess(kind, source, work, threads, args))
            ms = {k: statistics.median(v) if v else None for k, v in cells.items()}
            ratio = {k: statistics.median(x / o for x, o in zip(v, ort)) if v else None for k, v in cells.items()}
            rows.append(Row(name, threads, statistics.median(ort), ms, ratio))
            print(_line(rows[-1]), flush=True)
    return rows


def _build(name: str, graph: Graph, inputs: dict[str, np.ndarray], work: Path, args: argparse.Namespace) -> dict:
    """Compile each cpu-target variant into a folder under `work` (checked against the reference)."""
    variants: dict[str, dict[str, Any]] = {"fixed": {}}
    if not args.skip_tvm_loops:
        variants["tvm loops"] = {"schedule": "tvm"}
    db = Path(args.tuning_db) / name.replace(":", "_")
    if args.tune or _records(db):  # --tune 0 with records already there: apply them, tune nothing
        variants["tuned"] = {"tune": args.tune, "tuning_db": str(db)}
    folders = {}
    for label, options in variants.items():
        start = time.perf_counter()
        out = work / label.replace(" ", "_")
        result = tessera.compile(graph, target="cpu", passes=[], target_options=options, out_dir=str(out))
        note = f", {result.artifact.tuning.line()}" if result.artifact.tuning else ""
        print(f"{name}: {label} build {time.perf_counter() - start:.1f} s{note}", file=sys.stderr)
        _check(graph, result, inputs)
        folders[label] = str(out)
    if "tuned" in variants:
        print(f"{name}: the database holds {_records(db)} measured candidates", file=sys.stderr)
    return folders


def _time_in_subprocess(kind: str, source: str, work: Path, threads: int, args: argparse.Namespace) -> float:
    command = [sys.executable, __file__, "--child", kind, source, str(work / "inputs.npz"), str(threads)]
    command += ["--warmup", str(args.warmup), "--repeat", str(args.repeat)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"timing {kind} ({source}) failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["ms"])


def child(kind: str, source: str, inputs_path: str, threads: int, warmup: int, repeat: int) -> None:
    """Time one framework on one model in this (fresh) process; prints {"ms": median} as JSON."""
    arrays = list(np.load(inputs_path).values())
    if kind == "onnxruntime":
        run = ort_runner(source, arrays, threads)
    elif kind == "tessera":
        run = tessera_runner(source, arrays, threads)
    else:
        from tessera import zoo  # type: ignore[attr-defined]

        run = torch_runner(zoo.get(source), threads)
    print(json.dumps({"ms": median_ms(run, warmup, repeat)}))


def _records(db: Path) -> int:
    """Candidates measured into a MetaSchedule database so far (one JSON line each)."""
    path = db / "database_tuning_record.json"
    return sum(1 for _ in path.open()) if path.is_file() else 0


def _check(graph: Graph, result: tessera.CompileResult, inputs: dict[str, np.ndarray]) -> None:
    """A benchmark of wrong answers is worthless: compare with the reference executor first."""
    want = tessera.run(graph, inputs)
    got = result.run(inputs)
    for k, v in want.items():
        if v.dtype.kind == "f":
            np.testing.assert_allclose(got[k], v, rtol=1e-3, atol=1e-4 * max(1.0, float(np.abs(v).max())))


def _fmt(ms: float | None, ratio: float | None) -> str:
    return "-" if ms is None or ratio is None else f"{ms:9.2f} ({ratio:5.2f}x)"


HEADER = (
    f"{'model':<18} {'thr':>3} {'onnxruntime ms':>14} {'torch ms (x)':>18} {'TVM loops ms (x)':>18} "
    f"{'fixed sched ms (x)':>18} {'tuned ms (x)':>18}"
)


def _line(r: Row) -> str:
    cells = " ".join(f"{_fmt(r.ms[k], r.ratio[k]):>18}" for k in COLUMNS)
    return f"{r.model:<18} {r.threads:>3} {r.ort_ms:14.2f} {cells}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=ZOO_DEFAULT, help=f"comma-separated (default {ZOO_DEFAULT})")
    parser.add_argument("--threads", default="1,2", help="thread counts to measure (default 1,2)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per figure (median over them)")
    parser.add_argument(
        "--tune", type=int, default=0, help="MetaSchedule trials per model (0: only apply a database already there)"
    )
    parser.add_argument("--skip-tvm-loops", action="store_true", help="leave out the slow TVM-loops column")
    parser.add_argument("--tuning-db", default="tuning-db", help="folder of the tuning databases (one per model)")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "SOURCE", "INPUTS", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, source, inputs_path, threads = args.child
        child(kind, source, inputs_path, int(threads), args.warmup, args.repeat)
        return
    args.threads = [int(t) for t in args.threads.split(",")]
    print(HEADER)
    for name in args.models.split(","):
        measure(name, args)
    print(
        f"ms = median over {args.rounds} interleaved rounds (each the median of {args.repeat} runs); "
        "x = median over the rounds of latency / onnxruntime's in the same round (lower is better)"
    )


if __name__ == "__main__":
    main()
