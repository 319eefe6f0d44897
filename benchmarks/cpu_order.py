"""Does what ran just before change a timing? One process, the order of frameworks varied.

    PYTHONPATH=. python benchmarks/cpu_order.py --model mobilenetv2 --repeat 10 --rounds 3

Each condition runs a block of one framework (--repeat runs) and then times the measured one
(--repeat runs, median) right after it, in the same process, as benchmarks/cpu.py used to. The
conditions repeat in --rounds interleaved rounds (same machine load); the table gives each
condition's median over the rounds. onnxruntime's intra-op threads spin-wait after a run by default
(session.intra_op.allow_spinning), so do TVM's and OpenMP's worker threads: a pool left spinning
takes a core from whatever runs next.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import tessera
from tessera.cli import random_inputs

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from cpu import median_ms


def ort_session(graph: Any, threads: int, spinning: bool = True) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    onnx_bytes = tessera.export_onnx(graph).SerializeToString()
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


WINDOWS_MS = (0, 10, 100, 1000, 3000)


def print_spinning(runners: dict[str, Callable[[], Any]], repeat: int) -> None:
    """CPU time the process burns while its main thread sleeps right after a block of runs: what a
    framework's idle worker threads take from whatever runs next (load-independent, unlike latency)."""
    windows = list(itertools.pairwise(WINDOWS_MS))
    print("CPU ms used by the process while idle after the last run, per window (ms after it)")
    print("| after | " + " | ".join(f"{a}-{b} ms" for a, b in windows) + " |\n|---|" + "---|" * len(windows))
    for name, run in runners.items():
        for _ in range(repeat):
            run()
        end, cpu, used = time.perf_counter(), time.process_time(), []
        for _, stop in windows:
            time.sleep(max(0.0, end + stop / 1e3 - time.perf_counter()))
            used.append((time.process_time() - cpu) * 1e3)
            cpu = time.process_time()
        print(f"| {name} | " + " | ".join(f"{u:.1f}" for u in used) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="mobilenetv2")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import torch

    from tessera import zoo  # type: ignore[attr-defined]

    model = zoo.get(args.model)
    graph = tessera.compile(tessera.load(model.module, example_inputs=model.example_inputs)).graph
    inputs = random_inputs(graph, 0)
    result = tessera.compile(graph, target="cpu", passes=[])
    sessions = {(t, s): ort_session(graph, t, s) for t in (1, 2) for s in (True, False)}
    module, example = model.module.eval(), tuple(model.example_inputs)

    def tvm(threads: int) -> Callable[[], Any]:
        return lambda: result.run(inputs, threads=threads)

    def ort(threads: int, spinning: bool = True) -> Callable[[], Any]:
        return lambda: sessions[(threads, spinning)].run(None, inputs)

    def torch_run(threads: int) -> Callable[[], Any]:
        def run() -> Any:
            torch.set_num_threads(threads)
            with torch.inference_mode():
                return module(*example)

        return run

    def idle() -> None:
        time.sleep(0.05)

    tvm(1)(), tvm(2)(), torch_run(2)()
    for session in sessions.values():
        session.run(None, inputs)
    conditions: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
        ("tessera 1 thr, after idle", idle, tvm(1)),
        ("tessera 1 thr, after onnxruntime 1 thr", ort(1), tvm(1)),
        ("tessera 1 thr, after onnxruntime 2 thr", ort(2), tvm(1)),
        ("tessera 1 thr, after onnxruntime 2 thr, no spinning", ort(2, False), tvm(1)),
        ("tessera 1 thr, after torch 2 thr", torch_run(2), tvm(1)),
        ("tessera 1 thr, after tessera 2 thr", tvm(2), tvm(1)),
        ("tessera 2 thr, after idle", idle, tvm(2)),
        ("tessera 2 thr, after onnxruntime 2 thr", ort(2), tvm(2)),
        ("onnxruntime 1 thr, after idle", idle, ort(1)),
        ("onnxruntime 1 thr, after tessera 2 thr", tvm(2), ort(1)),
        ("onnxruntime 1 thr, after torch 2 thr", torch_run(2), ort(1)),
        ("onnxruntime 2 thr, after idle", idle, ort(2)),
        ("onnxruntime 2 thr, after tessera 2 thr", tvm(2), ort(2)),
        ("torch 1 thr, after idle", idle, torch_run(1)),
        ("torch 1 thr, after onnxruntime 2 thr", ort(2), torch_run(1)),
    ]
    print_spinning(
        {
            "onnxruntime 2 thr": ort(2),
            "onnxruntime 2 thr, no spinning": ort(2, False),
            "torch 2 thr": torch_run(2),
            "tessera 2 thr": tvm(2),
            "tessera 1 thr": tvm(1),
        },
        args.repeat,
    )
    samples: dict[str, list[float]] = {name: [] for name, _, _ in conditions}
    for _ in range(args.rounds):
        for name, before, timed in conditions:
            for _ in range(args.repeat):
                before()
            samples[name].append(median_ms(timed, 0, args.repeat))
    print(
        f"{args.model}: median ms of {args.repeat} runs right after {args.repeat} runs of the other, "
        f"median over {args.rounds} interleaved rounds"
    )
    print("| timed, after | ms | rounds |\n|---|---|---|")
    for name, values in samples.items():
        print(f"| {name} | {np.median(values):.1f} | {', '.join(f'{v:.1f}' for v in values)} |")


if __name__ == "__main__":
    main()
