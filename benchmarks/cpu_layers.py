"""Where the cpu target loses to onnxruntime, layer by layer: each conv kernel's time next to
onnxruntime's for the same conv, in one process, 1 thread.

    PYTHONPATH=. python benchmarks/cpu_layers.py --models mobilenetv2,resnet18 --repeat 20
    PYTHONPATH=. python benchmarks/cpu_layers.py --models resnet18 --tuning-db tunedb5/resnet18
    PYTHONPATH=. python benchmarks/cpu_layers.py --models light:squeezenet   # random weights

onnxruntime's times come from its profiler (`SessionOptions.enable_profiling`, one record per node
and run); the cpu target's from the VirtualMachine's instrument hook, call by call. Both run each
conv, with its fused bias / residual / activation, as one kernel in the graph's order, so the i-th
conv kernel of one is paired with the i-th Conv node of the other (a model where the counts differ
is listed without pairing). Figures are per-layer medians over --repeat runs; the hook adds a little
time per call, so compare kernels, not the run totals, with cpu.py's latencies.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import tessera
from tessera.backends.cpu.runtime import set_threads
from tessera.cli import random_inputs

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from cpu import load_model  # the same models, loaded as cpu.py loads them


def ort_layers(graph: Any, inputs: dict[str, np.ndarray], repeat: int, work: Path) -> list[tuple[str, str, float]]:
    """(op, output shape, median ms) per onnxruntime node, in execution order."""
    import onnxruntime as ort

    path = work / "model.onnx"
    path.write_bytes(tessera.export_onnx(graph).SerializeToString())
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    options.enable_profiling = True
    options.profile_file_prefix = str(work / "ort-profile")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feeds = {i.name: inputs[i.name] for i in session.get_inputs()}
    for _ in range(repeat + 3):
        session.run(None, feeds)
    events = json.loads(Path(session.end_profiling()).read_text())
    times: dict[str, list[float]] = collections.defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            name = event["name"].removesuffix("_kernel_time")
            times[name].append(event["dur"] / 1e3)
            shape = event["args"].get("output_type_shape", [{}])
            meta.setdefault(name, (event["args"]["op_name"], str(next(iter(shape[0].values()), "")) if shape else ""))
    return [(meta[n][0], meta[n][1], float(np.median(t[3:] or t))) for n, t in times.items()]


def tessera_layers(
    graph: Any, inputs: dict[str, np.ndarray], repeat: int, tuning_db: str | None
) -> list[tuple[str, float]]:
    """(kernel, median ms) per kernel call of the cpu target, in execution order (VM builtins left out)."""
    options: dict[str, Any] = {"threads": 1}
    if tuning_db:
        options["tuning_db"] = tuning_db
    module = tessera.compile(graph, target="cpu", target_options=options).artifact.module
    calls: list[list[tuple[str, float]]] = []
    start: dict[str, float] = {}

    def hook(func: Any, symbol: str, before: bool, ret: Any, *args: Any) -> int:
        if before:
            start[symbol] = time.perf_counter()
        elif not symbol.startswith("vm.builtin"):
            calls[-1].append((symbol, (time.perf_counter() - start[symbol]) * 1e3))
        return 0

    for _ in range(3):
        module.run(inputs)
    module._vm.set_instrument(hook)
    for _ in range(repeat):
        calls.append([])
        module.run(inputs)
    return [(run[0][0], float(np.median([r[i][1] for r in calls]))) for i, run in enumerate(zip(*calls))]


def measure(name: str, repeat: int, tuning_db: str | None) -> None:
    loaded = load_model(name)
    if loaded is None:
        return
    graph = loaded[0]
    inputs = random_inputs(graph, 0)
    with tempfile.TemporaryDirectory(prefix="tessera-cpu-layers-") as tmp:
        ort = ort_layers(graph, inputs, repeat, Path(tmp))
    ours = tessera_layers(graph, inputs, repeat, tuning_db)
    ort_convs = [(shape, ms) for op, shape, ms in ort if op in ("Conv", "FusedConv")]
    our_convs = [(kernel, ms) for kernel, ms in ours if "conv" in kernel]
    print(f"\n{name}, 1 thread, median of {repeat} runs per layer (ms)")
    print(f"all kernels: onnxruntime {sum(ms for *_, ms in ort):.2f}, tessera {sum(ms for _, ms in ours):.2f}")
    conv_ms = sum(ms for _, ms in ort_convs), sum(ms for _, ms in our_convs)
    print(f"conv kernels: onnxruntime {conv_ms[0]:.2f}, tessera {conv_ms[1]:.2f}")
    if len(ort_convs) != len(our_convs):
        print(f"(conv counts differ: onnxruntime {len(ort_convs)}, tessera {len(our_convs)}; not paired)")
        return
    print("| # | output shape | onnxruntime ms | tessera kernel | tessera ms | x |\n|---|---|---|---|---|---|")
    for i, ((shape, ort_ms), (kernel, ms)) in enumerate(zip(ort_convs, our_convs)):
        print(f"| {i} | {shape} | {ort_ms:.3f} | {kernel} | {ms:.3f} | {ms / ort_ms:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="mobilenetv2,resnet18", help="comma-separated zoo models or light:NAME")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--tuning-db", default=None, help="apply this model's tuning database (one model only)")
    args = parser.parse_args()
    set_threads(1)
    for name in args.models.split(","):
        measure(name, args.repeat, args.tuning_db)


if __name__ == "__main__":
    main()
