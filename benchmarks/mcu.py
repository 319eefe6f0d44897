"""MCU target figures: flash, arena RAM and instructions per inference on an emulated Cortex-M4
(QEMU mps2-an386, -icount shift=0), Tessera against a TFLite-Micro-style baseline in the same run.

    PYTHONPATH=. python benchmarks/mcu.py [--no-qemu] [--qemu-only NAME,...] [--models NAME,...]
                                          [--precision f32,int8,int8-io]

Fast mode (arena figures only, about a minute): `--no-qemu`, or `--qemu-only "resolution=128 int8,"`
to run QEMU on the rows whose label contains one of the given substrings.

Models: the zoo's mcunet-vww, mobilenetv2 width 0.35 at 96/128/144, bert-tiny at seq_len 32 (seeded
random weights). Tessera: passes canonicalize + memory-schedule and the MCU target's defaults: arena
planner best-fit with in-place kernels (target option inplace=true: depthwise convolutions,
elementwise ops and reshapes write over the input they read last). "Tessera no in-place": the same
with inplace=false. Baseline: the imported node order and greedy-by-size (TFLM's GreedyMemoryPlanner),
no in-place. A row's QEMU run uses link.ld sized to a 256 KiB part when the arena + stack fit it.
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
from tessera.backends.mcu.budget import STACK_BYTES
from tessera.backends.reference import execute
from tessera.passes import available_passes

BOARD_KB = 4096
PART_KB = 256  # a typical Cortex-M4 part's SRAM: link.ld is sized to it when the arena + stack fit


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


def compile_mcu(source: Any, passes: list[str], planner: str, inplace: bool = True) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = {"planner": planner, "inplace": inplace}
        return tessera.compile(source, target="mcu", passes=passes, target_options=options)


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
    parser.add_argument("--qemu-only", help="comma-separated substrings: run QEMU only on rows whose label has one")
    parser.add_argument("--models", help="comma-separated substrings of the model names to run")
    parser.add_argument("--precision", default="f32,int8,int8-io", help="comma-separated: f32, int8, int8-io")
    args = parser.parse_args()
    schedule = ["memory-schedule"] if "memory-schedule" in available_passes() else []
    ours = ["canonicalize", *schedule]
    print(f"Tessera: passes {'+'.join(ours)}, planner {default_planner()}, in-place kernels; "
          "baseline: canonicalize, greedy-by-size")  # fmt: skip
    rows, kernels = [], collections.defaultdict(lambda: [0, 0])
    for case in CASES:
        if args.models and not any(m in label(case) for m in args.models.split(",")):
            continue
        zm = zoo.get(case.name, **case.options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = tessera.load(zoo.export_onnx(zm))
        for precision in args.precision.split(","):
            graph, passes = source, ours
            if precision in ("int8", "int8-io"):
                graph, passes = quantized(source, zm, precision == "int8-io"), schedule
            base = compile_mcu(graph, [] if graph is not source else ["canonicalize"], "greedy-by-size", False)
            mine = compile_mcu(graph, passes, default_planner())
            no_alias = compile_mcu(mine.graph, [], default_planner(), False)  # the same order, no in-place
            name = f"{label(case)} {precision}"
            qemu = not args.no_qemu and (not args.qemu_only or any(q in name for q in args.qemu_only.split(",")))
            rows.append(measure(name, base, mine, no_alias, qemu, kernels))
            print(f"  done {name}", file=sys.stderr)
    head = ("model", "weights KiB", "flash KiB (ELF)", "arena KiB baseline", "arena KiB Tessera no in-place",
            "arena KiB Tessera", "baseline/Tessera", "peak KiB (in place)", "link.ld RAM KiB",
            "instructions (QEMU M4)", "QEMU vs reference")  # fmt: skip
    print_table(head, rows)
    if kernels:
        print("\nper-kernel instructions on QEMU (all models run above, summed per op):")
        krows = [(op, f"{i / 1e6:.2f}M", f"{m / 1e6:.2f}M", f"{i / m:.1f}" if m else "-")
                 for op, (i, m) in sorted(kernels.items(), key=lambda kv: -kv[1][0])]  # fmt: skip
        print_table(("op", "instructions", "MACs", "instructions/MAC"), krows)


def measure(name: str, base: Any, mine: Any, no_alias: Any, qemu: bool, kernels: dict[str, list[int]]) -> tuple:
    plan_b, plan_t = base.artifact.cmodel.plan, mine.artifact.cmodel.plan
    weights = mine.artifact.cmodel.weight_bytes
    instr = flash = ram = check = "-"
    if qemu and weights < (BOARD_KB - 64) * 1024:
        ram_kb = PART_KB if plan_t.arena_bytes + STACK_BYTES <= PART_KB * 1024 else BOARD_KB
        run, check = run_qemu(mine, kernels, ram_kb)
        instr, flash, ram = f"{run.instructions / 1e6:.2f}M", f"{run.flash_bytes / 1024:.0f}", str(ram_kb)
    return (name, f"{weights / 1024:.0f}", flash, f"{plan_b.arena_bytes / 1024:.1f}",
            f"{no_alias.artifact.cmodel.plan.arena_bytes / 1024:.1f}", f"{plan_t.arena_bytes / 1024:.1f}",
            f"{plan_b.arena_bytes / max(plan_t.arena_bytes, 1):.2f}x", f"{plan_t.peak_bytes / 1024:.1f}", ram,
            instr, check)  # fmt: skip


def run_qemu(result: Any, kernels: dict[str, list[int]], ram_kb: int) -> tuple[Any, str]:
    """Build for `ram_kb` of SRAM, run on QEMU (plain and profiled), compare with the reference."""
    from tessera.backends.mcu import McuOptions, build

    options = McuOptions(ram_kb=ram_kb, flash_kb=BOARD_KB, planner=default_planner(), inplace=True)
    artifact = build(result.graph, options)
    inputs = random_inputs(result.graph, np.random.default_rng(0))
    got, stats = artifact.run_with_stats(inputs, on="qemu")
    want = execute(result.graph, inputs)
    worst = max(float(np.max(np.abs(got[k].astype(np.float64) - want[k]), initial=0.0)) for k in want)
    check = "bit-exact" if worst == 0 else f"max abs err {worst:.2g}"
    _, prof = artifact.run_with_stats(inputs, on="qemu", profile=True)
    by_name = {n.name: n for n in result.graph.nodes}
    for node_name, op, count in prof.steps:
        kernels[op][0] += count
        kernels[op][1] += macs(by_name[node_name])
    return stats, check


def print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
