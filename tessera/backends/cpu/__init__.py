"""The cpu target: the graph lowered to TVM Relax, compiled with LLVM for this machine's CPU,
optionally tuned with MetaSchedule, run with TVM's VirtualMachine. `load(folder)` reloads a saved
module without recompiling. TVM is imported only when the target builds or loads."""

from __future__ import annotations

from tessera.backends.cpu.target import CPU_TARGET, CpuArtifact, build, load

__all__ = ["CPU_TARGET", "CpuArtifact", "build", "load"]
