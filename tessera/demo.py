"""`tessera demo`: the headline job, end to end. A zoo MCU model (mcunet-vww, seeded weights) is
quantized to int8, scheduled for memory, arena-planned and written as MCU C; the C is built and run on
the host (and on an emulated Cortex-M4 when qemu-system-arm is installed) and compared with the
reference executor bit for bit. The report is data (`DemoReport`); the CLI prints it."""

from __future__ import annotations

import importlib.util
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tessera.backends.mcu.artifact import PACKAGES, TOOLS
from tessera.errors import TargetError, TesseraError
from tessera.passes.base import Report

DEMO_MODEL = "mcunet-vww"
DEMO_PASSES = ("canonicalize", "quantize-int8", "memory-schedule", "memory-plan")
CALIBRATION_SAMPLES = 8


@dataclass(frozen=True)
class DemoStep:
    name: str
    seconds: float
    detail: str


@dataclass
class DemoReport(Report):
    model: str = DEMO_MODEL
    resolution: int = 0
    out_dir: str = ""
    report_html: str = ""
    steps: list[DemoStep] = field(default_factory=list)
    arena_bytes: int = 0
    ram_bytes: int = 0
    flash_bytes: int = 0
    host_bit_exact: bool = False
    qemu_bit_exact: bool | None = None  # None: not run (qemu_skipped says why)
    qemu_skipped: str = ""
    wall_s: float = 0.0

    def render_text(self) -> str:
        lines = [f"tessera demo: {self.model} at {self.resolution}x{self.resolution} to MCU C, int8"]
        lines += [f"  {s.name:<34} {s.seconds:6.1f} s  {s.detail}" for s in self.steps]
        if self.qemu_bit_exact is None:
            lines.append(f"  {'run on QEMU Cortex-M4':<34} skipped: {self.qemu_skipped}")
        lines.append(f"report: {self.report_html}")
        lines.append(f"project: {self.out_dir} (make host / make mcu; its README.md says how to run it)")
        lines.append(f"wall time {self.wall_s:.1f} s")
        return "\n".join(lines)


def run_demo(out_dir: str | Path, *, resolution: int = 96, qemu: bool = True) -> DemoReport:
    """Run the headline job into `out_dir`; raises TesseraError when a step fails or a result differs."""
    import tessera
    from tessera.backends.mcu import McuReport
    from tessera.passes.memory.plan_pass import ArenaReport
    from tessera.passes.memory.schedule_pass import ScheduleReport
    from tessera.passes.quantize import QuantizeReport

    _require_demo_tools()
    from tessera import zoo

    start = time.perf_counter()
    report = DemoReport(resolution=resolution)
    clock = _Clock()
    zm = zoo.get(DEMO_MODEL, resolution=resolution)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.onnx's deprecation chatter
        graph = tessera.load(zoo.export_onnx(zm))
    report.steps.append(clock.step("zoo model to ONNX, loaded", f"{len(graph.nodes)} nodes"))

    result = tessera.compile(
        graph,
        target="mcu",
        passes=list(DEMO_PASSES),
        out_dir=out_dir,
        calibration=zm.sample_inputs(CALIBRATION_SAMPLES, seed=0),
    )
    compile_s = clock.lap()
    times = {r.name: r.time_s for r in result.reports}
    q, sched = result.report(QuantizeReport), result.report(ScheduleReport)
    arena, built = result.report(ArenaReport), result.report(McuReport)
    assert q is not None and sched is not None and arena is not None and built is not None
    top1 = q.outputs[0].top1_agreement if q.outputs else None
    report.steps += [
        DemoStep(
            "quantize-int8",
            times["quantize-int8"],
            f"{len(q.layers)} int8 layers, {len(q.float_layers)} float; constants "
            f"{_kib(q.size_float_bytes)} -> {_kib(q.size_int8_bytes)}"
            + ("" if top1 is None else f"; top-1 agreement with float {top1:.3f}"),
        ),
        DemoStep(
            "memory-schedule",
            times["memory-schedule"],
            f"liveness peak {_kib(sched.peak_bytes)} with no in-place ({sched.status}; lower bound "
            f"{_kib(sched.lower_bound_bytes)})",
        ),
        DemoStep(
            "memory-plan", times["memory-plan"], f"arena {_kib(arena.arena_bytes)} with in-place ({arena.status})"
        ),
        DemoStep(
            "MCU C written",
            compile_s - sum(times.values()),
            f"{len(result.paths)} files in {out_dir}; RAM {_kib(built.ram_bytes)}, flash {_kib(built.flash_bytes)}",
        ),
    ]
    report.arena_bytes, report.ram_bytes, report.flash_bytes = built.arena_bytes, built.ram_bytes, built.flash_bytes

    inputs = zm.sample_inputs(1, seed=7)[0]  # not one of the calibration samples
    want = tessera.run(result.graph, inputs)
    clock.lap()
    report.host_bit_exact = _same(result.run(inputs), want, "host")
    report.steps.append(clock.step("built and run on the host (gcc)", "bit-exact with the reference executor"))
    missing = [t for t in TOOLS["qemu"] if shutil.which(t) is None]
    if not qemu:
        report.qemu_skipped = "--no-qemu"
    elif missing:
        report.qemu_skipped = f"needs {', '.join(missing)} ({PACKAGES})"
    else:
        report.qemu_bit_exact = _same(result.run(inputs, on="qemu"), want, "qemu")
        after = result.report(McuReport)
        count = None if after is None else after.instructions
        instructions = "" if count is None else f", {count:,} instructions"
        report.steps.append(clock.step("built and run on QEMU Cortex-M4", f"bit-exact{instructions}"))
    assert result.paths, "compile was given out_dir"
    report.out_dir = str(result.out_dir)
    report.report_html = str(result.paths["report_html"])
    report.wall_s = time.perf_counter() - start
    return report


class _Clock:
    def __init__(self) -> None:
        self._last = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        spent, self._last = now - self._last, now
        return spent

    def step(self, name: str, detail: str) -> DemoStep:
        return DemoStep(name, self.lap(), detail)


def _require_demo_tools() -> None:
    if importlib.util.find_spec("torch") is None:
        raise TesseraError("tessera demo builds its model with PyTorch: pip install 'tessera[torch]'")
    missing = [t for t in TOOLS["host"] if shutil.which(t) is None]
    if missing:
        raise TargetError(f"tessera demo builds the MCU C on the host and needs {', '.join(missing)} ({PACKAGES})")


def _same(got: dict[str, np.ndarray], want: dict[str, np.ndarray], on: str) -> bool:
    for name, ref in want.items():
        if not np.array_equal(got[name], ref):
            diff = float(np.max(np.abs(got[name].astype(np.float64) - ref.astype(np.float64))))
            raise TesseraError(f"demo: output {name!r} on {on} differs from the reference executor by {diff:.3g}")
    return True


def _kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"  # the demo's one-line steps: KiB without the bytes budget.kib adds
