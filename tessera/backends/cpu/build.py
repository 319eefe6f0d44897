"""Build a lowered module for this machine's CPU with LLVM, and write it as a loadable library.

The target names the real CPU (`llvm_get_system_cpu`, e.g. znver3) with an explicit triple:
this TVM build rejects `-mcpu=native` for its own triple and silently falls back to generic code.
"""

from __future__ import annotations

import os
from typing import Any


def host_target(threads: int | None = None):  # -> tvm.target.Target
    import tvm

    spec: dict[str, Any] = {
        "kind": "llvm",
        "mcpu": tvm.target.codegen.llvm_get_system_cpu(),
        "mtriple": "x86_64-linux-gnu",
        "num-cores": threads or os.cpu_count() or 1,
    }
    return tvm.target.Target(spec)


def compile_module(mod: Any, target: Any):  # -> relax.VMExecutable
    import tvm

    return tvm.compile(mod, target=target, relax_pipeline="default")
