"""The MCU target's Artifact: the generated project, written on demand, built and run on the host
(gcc) or on an emulated Cortex-M4 (arm-none-eabi-gcc + qemu-system-arm, mps2-an386)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tessera.errors import ExecutionError, TargetError
from tessera.ir.graph import Graph
from tessera.ir.inputs import check_inputs, declared_inputs

from .analysis import McuAnalyses
from .budget import footprint, kib
from .codegen import CModel
from .options import McuOptions
from .project import write_project
from .report import McuReport, mcu_report
from .stats import RunStats

Outputs = dict[str, np.ndarray]
QEMU_CMD = ["qemu-system-arm", "-M", "mps2-an386", "-cpu", "cortex-m4", "-nographic", "-semihosting",
            "-icount", "shift=0,align=off,sleep=off", "-kernel", "build/model.elf"]  # fmt: skip
TOOLS = {"host": ("gcc", "make"), "qemu": ("arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm", "make")}
# What QEMU's mps2-an386 board holds where link.ld puts FLASH and RAM (hw/arm/mps2.c, AN386 memory map):
# 4 MiB code SSRAM (ZBT SSRAM1) at 0x00000000 and 4 MiB data SSRAM (ZBT SSRAM2/3) at 0x20000000.
BOARD = "mps2-an386"
BOARD_FLASH_KB = 4096
BOARD_RAM_KB = 4096
PACKAGES = "apt-get install gcc make gcc-arm-none-eabi qemu-system-arm"


@dataclass(frozen=True)
class McuArtifact:
    graph: Graph
    cmodel: CModel
    options: McuOptions
    analyses: McuAnalyses
    _builds: dict[tuple[str, bool, bool], tempfile.TemporaryDirectory[str]] = field(default_factory=dict, compare=False)
    _runs: list[RunStats] = field(default_factory=list, compare=False)  # the last run on host and qemu, last last

    def write(self, folder: Path) -> dict[str, Path]:
        return write_project(self.cmodel, folder, self.options)

    @property
    def last_stats(self) -> RunStats | None:
        return self._runs[-1] if self._runs else None

    def report(self) -> McuReport:
        """The built figures; after a QEMU run also its code size and (profiled) instructions per kernel."""
        qemu = [s for s in self._runs if s.on == "qemu"]
        return mcu_report(self.analyses, self.cmodel, self.options, qemu[-1] if qemu else None)

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> Outputs:
        """Build (once per kind) and run. Options: on="host" (default) or "qemu"; sanitize=True
        (host: -fsanitize=address,undefined); profile=True (qemu: per-step instruction counts)."""
        return self.run_with_stats(inputs, **options)[0]

    def run_with_stats(
        self, inputs: Mapping[str, np.ndarray], on: str = "host", sanitize: bool = False, profile: bool = False
    ) -> tuple[Outputs, RunStats]:
        if on not in TOOLS:
            raise TargetError(f"the MCU target runs on='host' or on='qemu', not {on!r}")
        packed = self._pack_inputs(inputs)  # checked before any build
        if on == "qemu":
            self._check_board()
        folder = self._build(on, sanitize, profile)
        (folder / "inputs.bin").write_bytes(packed)
        out_file = folder / "outputs.bin"
        out_file.unlink(missing_ok=True)
        cmd = ["./build/model_host", "inputs.bin", "outputs.bin"] if on == "host" else QEMU_CMD
        try:
            proc = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            raise ExecutionError(f"model {self.graph.name!r} on {on} ran past 600 s") from None
        if proc.returncode != 0 or not out_file.is_file():
            tail = (proc.stdout + proc.stderr)[-2000:]
            raise ExecutionError(f"model {self.graph.name!r} on {on} exited with {proc.returncode}:\n{tail}")
        outputs, stats = self._unpack(out_file.read_bytes(), on, profile)
        if on == "qemu":
            stats = _with_sizes(stats, folder / "build" / "model.elf")
        self._runs[:] = [s for s in self._runs if s.on != on] + [stats]
        return outputs, stats

    # ---- helpers ---------------------------------------------------------------------------------
    def _check_board(self) -> None:
        """Refuse a build that the emulated board cannot hold (QEMU would lock up with a register dump)."""
        fp = footprint(self.analyses.plan, self.cmodel)
        ram_kb, flash_kb = self.options.link_ram_kb, self.options.link_flash_kb
        if ram_kb <= BOARD_RAM_KB and flash_kb <= BOARD_FLASH_KB:
            return
        raise TargetError(
            f"model {self.graph.name!r} cannot run on qemu: the {BOARD} board holds {BOARD_FLASH_KB} KiB of code "
            f"memory and {BOARD_RAM_KB} KiB of data SRAM, but this build's link.ld asks for flash_kb={flash_kb:g} "
            f"and ram_kb={ram_kb:g} (it needs {kib(fp.flash)} flash, {kib(fp.ram)} RAM). Use flash_kb <= "
            f"{BOARD_FLASH_KB} and ram_kb <= {BOARD_RAM_KB} for QEMU, or run on='host'."
        )

    def _build(self, on: str, sanitize: bool, profile: bool) -> Path:
        key = (on, sanitize, profile)
        if key not in self._builds:
            missing = [t for t in TOOLS[on] if shutil.which(t) is None]
            if missing:
                raise TargetError(f"running on {on} needs {', '.join(missing)}; install them ({PACKAGES})")
            tmp = tempfile.TemporaryDirectory(prefix="tessera-mcu-")
            folder = Path(tmp.name)
            write_project(self.cmodel, folder, self.options)
            args = ["make", "-s", "host" if on == "host" else "mcu"]
            args += ["SANITIZE=1"] if sanitize else []
            args += ["PROFILE=1"] if profile else []
            proc = subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=900)
            if proc.returncode != 0:
                tmp.cleanup()
                hint = (
                    " (the arena or weights do not fit the linker script's RAM/FLASH)"
                    if "overflow" in proc.stderr
                    else ""
                )
                raise TargetError(f"building model {self.graph.name!r} for {on} failed{hint}:\n{proc.stderr[-3000:]}")
            self._builds[key] = tmp
        return Path(self._builds[key].name)

    def _pack_inputs(self, inputs: Mapping[str, np.ndarray]) -> bytes:
        arrays = check_inputs(self.graph.name, declared_inputs(self.cmodel.inputs), inputs)
        return b"".join(np.ascontiguousarray(arrays[v.name]).tobytes() for v in self.cmodel.inputs)

    def _unpack(self, raw: bytes, on: str, profile: bool) -> tuple[Outputs, RunStats]:
        outputs, pos = {}, 0
        for v in self.cmodel.outputs:
            outputs[v.name] = np.frombuffer(raw, v.dtype.numpy(), int(np.prod(v.shape)), pos).reshape(v.shape).copy()
            pos += v.type.nbytes
        spent = int(np.frombuffer(raw, np.uint64, 1, pos)[0])
        steps: tuple[tuple[str, str, int], ...] = ()
        if profile:
            marks = np.frombuffer(raw, np.uint64, len(self.cmodel.steps) + 1, pos + 8).astype(np.int64)
            steps = tuple((s.node, s.op, int(b - a)) for s, a, b in zip(self.cmodel.steps, marks[:-1], marks[1:]))
        return outputs, RunStats(on, spent if on == "qemu" else None, steps)


def _with_sizes(stats: RunStats, elf: Path) -> RunStats:
    proc = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(x) for x in proc.stdout.splitlines()[1].split()[:3])
    return RunStats(stats.on, stats.instructions, stats.steps, text, data, bss)
