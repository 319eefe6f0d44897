"""MCU target figures: flash, arena RAM and instructions per inference on an emulated Cortex-M4
(QEMU mps2-an386, -icount shift=0), Tessera against a TFLite-Micro-style baseline in the same run.

    PYTHONPATH=. python benchmarks/mcu.py [--no-qemu] [--models NAME,...] [--precision f32,int8,int8-io]

Models: the zoo's mcunet-vww, mobilenetv2 width 0.35 at 96/128/144, bert-tiny at seq_len 32 (seeded
random weights). Tessera: passes canonicalize + memory-schedule and the MCU target's default arena
planner (best-fit). Baseline: the imported node order and greedy-by-size (TFLM's GreedyMemoryPlanner).
int8: `tessera.quantize` (canonicalize + quantize-int8) calibrated on 8 of the model's sample inputs,
float32 inputs and outputs; int8-io: the same with int8_io=True (int8 inputs and outputs, as TFLM /
X-CUBE-AI callers pass them). Instruction counts are measured with link.ld sized to the board (4 MiB
flash / 4 MiB RAM) so that models over 256 KB still run; models whose weights exceed 4 MiB are not run.
"""

from __future__ import annotations

import argparse
import collections
import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

import tessera
from tessera import zoo
from tessera.backends.mcu import default_planner
from tessera.passes import available_passes

BOARD_KB = 4096


@dataclass(frozen=True)
class Case:
    name: str
    options: dict[str, Any]


CASES = [
    Case("mcunet-vww", {}),
    *[Case("mobilenetv2", {"width": 0.35, "resolution": r}) for r in (96, 128, 144)],
    Case("bert-tiny", {"seq_len": 32}),
]


def label(case: Case) -> str:
    return case.name + "".join(f" {k}={v}" for k, v in case.options.items())


def compile_mcu(source: Any, passes: list[str], planner: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tessera.compile(source, target="mcu", passes=passes, target_options={"planner": planner})


def quantized(graph: Any, zm: Any, int8_io: bool) -> Any:
    """canonicalize + quantize-int8 calibrated on 8 of the model's own sample inputs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tessera.quantize(graph, zm.sample_inputs(8, seed=0), int8_io=int8_io).graph


def random_inputs(graph: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    def one(v: Any) -> np.ndarray:
        if v.dtype.is_float:
            return rng.standard_normal(v.shape).astype(np.float32)
        return np.zeros(v.shape, v.dtype.numpy())  # token ids 0, int8 images at zero

    return {v.name: one(v) for v in graph.inputs}


def macs(node: Any) -> int:
    return node.op.macs([v.type for v in node.inputs], [o.type for o in node.outputs], node.attrs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-qemu", action="store_true", help="skip the QEMU runs (memory figures only)")
    parser.add_argument("--models", help="comma-separated substrings of the model names to run")
    parser.add_argument("--precision", default="f32,int8,int8-io", help="comma-separated: f32, int8, int8-io")
    args = parser.parse_args()
    schedule = ["memory-schedule"] if "memory-schedule" in available_passes() else []
    ours = ["canonicalize", *schedule]
    print(f"Tessera: passes {'+'.join(ours)}, planner {default_planner()}; baseline: canonicalize, greedy-by-size")
    rows, kernels = [], collections.defaultdict(lambda: [0, 0])
    for case in CASES:
        if args.models and not any(m in label(case) for m in args.models.split(",")):
            continue
        zm = zoo.get(case.name, **case.options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = tessera.load(zoo.export_onnx(zm))
        for precision in args.precision.split(","):
            if precision in ("int8", "int8-io"):
                graph = quantized(source, zm, precision == "int8-io")
                base = compile_mcu(graph, [], "greedy-by-size")
                mine = compile_mcu(graph, schedule, default_planner())
            else:
                base = compile_mcu(source, ["canonicalize"], "greedy-by-size")
                mine = compile_mcu(source, ours, default_planner())
            name = f"{label(case)} {precision}"
            rows.append(measure(name, base, mine, args.no_qemu, kernels))
            print(f"  done {name}", file=sys.stderr)
    head = ("model", "weights KiB", "flash KiB (ELF)", "arena KiB baseline", "arena KiB Tessera", "baseline/Tessera",
            "liveness peak KiB", "instructions (QEMU M4)")  # fmt: skip
    print_table(head, rows)
    if kernels:
        print("\nper-kernel instructions on QEMU (all models run above, summed per op):")
        krows = [(op, f"{i / 1e6:.2f}M", f"{m / 1e6:.2f}M", f"{i / m:.1f}" if m else "-")
                 for op, (i, m) in sorted(kernels.items(), key=lambda kv: -kv[1][0])]  # fmt: skip
        print_table(("op", "instructions", "MACs", "instructions/MAC"), krows)


def measure(name: str, base: Any, mine: Any, no_qemu: bool, kernels: dict[str, list[int]]) -> tuple:
    plan_b, plan_t = base.artifact.cmodel.plan, mine.artifact.cmodel.plan
    weights = mine.artifact.cmodel.weight_bytes
    instr = flash = "-"
    if not no_qemu and weights < (BOARD_KB - 64) * 1024:
        run = run_qemu(mine, kernels)
        instr, flash = f"{run.instructions / 1e6:.2f}M", f"{run.flash_bytes / 1024:.0f}"
    return (name, f"{weights / 1024:.0f}", flash, f"{plan_b.arena_bytes / 1024:.1f}",
            f"{plan_t.arena_bytes / 1024:.1f}", f"{plan_b.arena_bytes / max(plan_t.arena_bytes, 1):.2f}x",
            f"{plan_t.peak_bytes / 1024:.1f}", instr)  # fmt: skip


def run_qemu(result: Any, kernels: dict[str, list[int]]) -> Any:
    from tessera.backends.mcu import build

    artifact = build(result.graph, {"ram_kb": BOARD_KB, "flash_kb": BOARD_KB, "planner": default_planner()})
    inputs = random_inputs(result.graph, np.random.default_rng(0))
    _, stats = artifact.run_with_stats(inputs, on="qemu")
    _, prof = artifact.run_with_stats(inputs, on="qemu", profile=True)
    by_name = {n.name: n for n in result.graph.nodes}
    for node_name, op, count in prof.steps:
        kernels[op][0] += count
        kernels[op][1] += macs(by_name[node_name])
    return stats


def print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
