"""Patch-based inference (MCUNetV2) on the MCU target: arena RAM of the first-stage-patched model
against the TFLite-Micro-style baseline in the same run, with the MACs recomputed in the halos and,
for mcunet-vww, the instructions per inference on QEMU Cortex-M4 (outputs checked bit-exact).

    PYTHONPATH=. python benchmarks/mcu_patch.py [--no-qemu] [--models NAME,...]

Baseline: the int8 graph in imported order, greedy-by-size arena (TFLM), no in-place kernels, input
in the arena. Tessera (unpatched): memory-schedule, best-fit arena, the target's in-place kernels
(default). Patched: the `patch-based` pass (automatic
cut and grid 2..4, or 2..10 in the max_grid=10 row, scored by best-fit arena), arena planned by cp-sat
(5 s), two ways:
- input in arena: the graph input lives in the arena, as in the baseline;
- caller input: target option inputs=caller, the model reads the image in place from the
  application's buffer (MCUNetV2 reads/decodes the image patch by patch); the pass scores without it.
"unpatched cp-sat" separates the planner's share of the gain from patching's.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

import numpy as np

import tessera
from tessera import zoo
from tessera.backends.mcu import inplace_rules
from tessera.backends.reference import execute
from tessera.passes import get_pass

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from mcu import Case, label, print_table, quantized, random_inputs

FINE = {"max_grid": 10}  # finer grids: less RAM, more MACs recomputed in the halos
CASES = [
    (Case("mcunet-vww", {}), "int8", True, {}),
    (Case("mcunet-vww", {}), "int8-io", True, {}),
    (Case("mcunet-vww", {}), "int8-io", False, FINE),
    (Case("mobilenetv2", {"width": 0.35, "resolution": 128}), "int8", False, {}),
    (Case("mobilenetv2", {"width": 0.35, "resolution": 144}), "int8", False, {}),
]


def compile_mcu(graph: Any, passes: list[Any], **target_options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tessera.compile(graph.copy(), target="mcu", passes=passes, target_options=target_options)


def kib(result: Any) -> float:
    return result.artifact.cmodel.plan.arena_bytes / 1024


def qemu_instructions(result: Any, reference: Any, feeds: dict[str, np.ndarray]) -> int:
    """Run on QEMU, check the outputs bit-exact against the reference on the unpatched graph."""
    outputs, stats = result.artifact.run_with_stats(feeds, on="qemu")
    for name, want in execute(reference, feeds).items():
        if not np.array_equal(outputs[name], want):
            raise SystemExit(f"QEMU output {name!r} differs from the reference")
    return stats.instructions


def short(cut: str) -> str:
    """The block of a torch-exported tensor name (/features/features.4/... -> features.4)."""
    parts = cut.split("/")
    return parts[2] if len(parts) > 3 else cut or "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-qemu", action="store_true", help="skip the QEMU runs")
    parser.add_argument("--models", help="comma-separated substrings of the model names to run")
    args = parser.parse_args()
    rows = []
    for case, precision, on_qemu, options in CASES:
        name = f"{label(case)} {precision}" + "".join(f" {k}={v}" for k, v in options.items())
        if args.models and not any(m in name for m in args.models.split(",")):
            continue
        zm = zoo.get(case.name, **case.options)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = quantized(tessera.load(zoo.export_onnx(zm)), zm, precision == "int8-io")
        base = compile_mcu(graph, [], planner="greedy-by-size", inplace=False)
        mine = compile_mcu(graph, ["memory-schedule"])
        mine_cp = compile_mcu(graph, [], planner="cp-sat")
        patch_pass = get_pass("patch-based", inplace_rules=inplace_rules(), **options)
        in_arena = compile_mcu(graph, [patch_pass], planner="cp-sat")
        caller_pass = get_pass("patch-based", count_inputs=False, inplace_rules=inplace_rules(), **options)
        caller = compile_mcu(graph, [caller_pass], planner="cp-sat", inputs="caller")
        report, arena_report = caller.reports[0].report, in_arena.reports[0].report
        instr = "-"
        if on_qemu and not args.no_qemu:
            feeds = random_inputs(graph, np.random.default_rng(0))
            patched, unpatched = qemu_instructions(caller, graph, feeds), qemu_instructions(mine, graph, feeds)
            instr = f"{patched / 1e6:.1f}M ({patched / unpatched:.2f}x)"
        b = kib(base)
        rows.append((name, f"{b:.1f}", f"{kib(mine):.1f}", f"{kib(mine_cp):.1f}",
                     f"{kib(in_arena):.1f} ({b / kib(in_arena):.2f}x)", f"{kib(caller):.1f} ({b / kib(caller):.2f}x)",
                     f"{short(arena_report.cut)} / {arena_report.grid}; {short(report.cut)} / {report.grid}",
                     f"+{arena_report.mac_overhead * 100:.0f}%; +{report.mac_overhead * 100:.0f}%", instr))  # fmt: skip
        print(f"  done {name}", file=sys.stderr)
    head = ("model", "baseline KiB", "Tessera KiB", "unpatched cp-sat KiB", "patched, input in arena KiB",
            "patched, caller input KiB", "cut / grid (in arena; caller)",
            "MAC overhead (in arena; caller)", "QEMU M4 instr. (vs unpatched)")  # fmt: skip
    print_table(head, rows)


if __name__ == "__main__":
    main()
