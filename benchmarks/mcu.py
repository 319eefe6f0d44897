"""MCU target figures: flash, arena RAM and instructions per inference on an emulated Cortex-M4
(QEMU mps2-an386, -icount shift=0), Tessera against a TFLite-Micro-style baseline in the same run.

    PYTHONPATH=. python benchmarks/mcu.py [--no-qemu] [--models NAME,...] [--precision f32,int8]

Tessera: passes canonicalize (+ memory-schedule when that pass exists) and the MCU target's default
arena planner (best-fit when present, else greedy-by-size). Baseline: canonicalize only (the imported
node order) and greedy-by-size, TFLM's GreedyMemoryPlanner. Models come from tessera.zoo when it is
installed; otherwise from stand-ins defined in benchmarks/_mcu_models.py (random weights, same
shapes). Instruction counts are measured with link.ld sized to the board (4 MiB flash / 4 MiB RAM)
so that models over 256 KB still run; models whose code and weights exceed 4 MiB are not run.
int8 rows: `tessera.quantize` (canonicalize + quantize-int8) calibrated on 4 seeded standard-normal
inputs (the memory and instruction figures do not depend on the calibration values), then the same
two columns with the remaining passes (Tessera: memory-schedule when present; baseline: none).
"""

from __future__ import annotations

import argparse
import collections
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tessera
from tessera.backends.mcu import default_planner
from tessera.passes import available_passes

sys.path.insert(0, str(Path(__file__).parent))
BOARD_KB = 4096


@dataclass(frozen=True)
class Case:
    name: str
    source: Callable[[], Any]
    note: str = ""


def cases() -> list[Case]:
    try:
        from tessera import zoo  # type: ignore[attr-defined]
    except ImportError:
        zoo = None
    if zoo is not None:
        return zoo_cases(zoo)
    print("note: tessera.zoo is not installed here; using the stand-ins in benchmarks/_mcu_models.py\n")
    import _mcu_models as m

    out = [Case(f"mobilenetv2-0.35@{r}", lambda r=r: m.mobilenetv2(0.35, r), "stand-in, f32") for r in (96, 128, 144)]
    out.append(Case("mobilenetv2-0.35@96/10", lambda: m.mobilenetv2(0.35, 96, 10), "stand-in, 10 classes, f32"))
    out.append(Case("bert-tiny-shape@128", lambda: m.bert(1000, 128), "stand-in: 2x128, 2 heads, vocab 1000, f32"))
    return out


def zoo_cases(zoo: Any) -> list[Case]:
    names = list(zoo.list())
    picks = [(n, {}) for n in names if "mcunet" in n][:1]
    picks += [("mobilenetv2", {"width": 0.35, "resolution": r}) for r in (96, 128, 144) if "mobilenetv2" in names]
    picks += [("bert-tiny", {}) for n in names if n == "bert-tiny"]
    out = []
    for name, opts in picks:
        label = name + "".join(f" {k}={v}" for k, v in opts.items())

        def load(name: str = name, opts: dict[str, Any] = opts) -> Any:
            zm = zoo.get(name, **opts)
            return tessera.load(zm.module, example_inputs=zm.example_inputs)

        out.append(Case(label, load, "zoo, f32"))
    return out


def compile_mcu(source: Any, passes: list[str], planner: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tessera.compile(source, target="mcu", passes=passes, target_options={"planner": planner})


def quantized(source: Any) -> Any:
    graph = tessera.load(source)
    rng = np.random.default_rng(0)
    calibration = [random_inputs(graph, rng) for _ in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tessera.quantize(graph, calibration).graph


def random_inputs(graph: Any, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        v.name: rng.standard_normal(v.shape).astype(np.float32) if v.dtype.is_float else np.zeros(v.shape, np.int64)
        for v in graph.inputs
    }


def macs(node: Any) -> int:
    return node.op.macs([v.type for v in node.inputs], [o.type for o in node.outputs], node.attrs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-qemu", action="store_true", help="skip the QEMU runs (memory figures only)")
    parser.add_argument("--models", help="comma-separated substrings of the model names to run")
    parser.add_argument("--precision", default="f32,int8", help="comma-separated: f32, int8 (default both)")
    args = parser.parse_args()
    schedule = ["memory-schedule"] if "memory-schedule" in available_passes() else []
    ours = ["canonicalize", *schedule]
    print(f"Tessera: passes {'+'.join(ours)}, planner {default_planner()}; baseline: canonicalize, greedy-by-size")
    rows, kernels = [], collections.defaultdict(lambda: [0, 0])
    for case in cases():
        if args.models and not any(s in case.name for s in args.models.split(",")):
            continue
        source = case.source()
        for precision in args.precision.split(","):
            if precision == "int8":
                graph = quantized(source)
                base = compile_mcu(graph, [], "greedy-by-size")
                mine = compile_mcu(graph, schedule, default_planner())
                name, note = f"{case.name} int8", case.note.replace("f32", "int8")
            else:
                base = compile_mcu(source, ["canonicalize"], "greedy-by-size")
                mine = compile_mcu(source, ours, default_planner())
                name, note = case.name, case.note
            rows.append(measure(name, note, base, mine, args.no_qemu, kernels))
            print(f"  done {name}", file=sys.stderr)
    head = ("model", "weights KiB", "flash KiB (ELF)", "arena KiB baseline", "arena KiB Tessera", "baseline/Tessera",
            "liveness peak KiB", "instructions (QEMU M4)", "note")  # fmt: skip
    print_table(head, rows)
    if kernels:
        print("\nper-kernel instructions on QEMU (all models run above, summed per op):")
        krows = [(op, f"{i / 1e6:.2f}M", f"{m / 1e6:.2f}M", f"{i / m:.1f}" if m else "-")
                 for op, (i, m) in sorted(kernels.items(), key=lambda kv: -kv[1][0])]  # fmt: skip
        print_table(("op", "instructions", "MACs", "instructions/MAC"), krows)


def measure(name: str, note: str, base: Any, mine: Any, no_qemu: bool, kernels: dict[str, list[int]]) -> tuple:
    plan_b, plan_t = base.artifact.cmodel.plan, mine.artifact.cmodel.plan
    weights = mine.artifact.cmodel.weight_bytes
    instr = flash = "-"
    if not no_qemu and weights < (BOARD_KB - 64) * 1024:
        run = run_qemu(mine, kernels)
        instr, flash = f"{run.instructions / 1e6:.2f}M", f"{run.flash_bytes / 1024:.0f}"
    return (name, f"{weights / 1024:.0f}", flash, f"{plan_b.arena_bytes / 1024:.1f}",
            f"{plan_t.arena_bytes / 1024:.1f}", f"{plan_b.arena_bytes / max(plan_t.arena_bytes, 1):.2f}x",
            f"{plan_t.peak_bytes / 1024:.1f}", instr, note)  # fmt: skip


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
