"""Run a built CPU module with TVM's VirtualMachine, and load a saved one again.

A saved module is a folder with `model.so` (the code and the weights) and `model.json` (the input and
output names, dtypes and shapes, so `load(folder)` needs neither the model nor a recompile).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tessera.backends.targets import write_json
from tessera.errors import ExecutionError, TargetError
from tessera.ir.graph import Graph
from tessera.ir.inputs import check_inputs

from .tvm_log import quiet_tvm

LIBRARY, SIGNATURE = "model.so", "model.json"


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: str
    shape: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "shape": list(self.shape)}


@dataclass(frozen=True)
class Signature:
    model: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    target: str
    threads: int | None = None

    @classmethod
    def of(cls, graph: Graph, target: str, threads: int | None) -> Signature:
        def specs(values: list) -> tuple[TensorSpec, ...]:
            return tuple(TensorSpec(v.name, v.dtype.value, tuple(v.shape)) for v in values)

        return cls(graph.name, specs(graph.inputs), specs(graph.outputs), target, threads)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "inputs": [s.to_dict() for s in self.inputs],
            "outputs": [s.to_dict() for s in self.outputs],
            "target": self.target,
            "threads": self.threads,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        def specs(items: list) -> tuple[TensorSpec, ...]:
            return tuple(TensorSpec(str(s["name"]), str(s["dtype"]), tuple(int(d) for d in s["shape"])) for s in items)

        threads = data.get("threads")
        return cls(
            str(data["model"]),
            specs(data["inputs"]),
            specs(data["outputs"]),
            str(data["target"]),
            threads and int(threads),
        )


class CpuModule:
    """A compiled model ready to run: `run({input name: array}) -> {output name: array}`."""

    def __init__(self, executable: Any, signature: Signature):
        import tvm
        from tvm import relax

        self.signature = signature
        self._executable = executable
        self._vm = relax.VirtualMachine(executable, tvm.cpu())
        self._main = self._vm["main"]

    def run(self, inputs: Mapping[str, np.ndarray], threads: int | None = None) -> dict[str, np.ndarray]:
        import tvm

        sig = self.signature
        arrays = check_inputs(sig.model, [(s.name, s.dtype, s.shape) for s in sig.inputs], inputs)
        set_threads(threads or sig.threads)
        args = [tvm.runtime.tensor(np.ascontiguousarray(arrays[s.name])) for s in sig.inputs]
        try:
            results = self._main(*args)
        except Exception as err:  # a TVM runtime failure, reported against the model
            raise ExecutionError(f"cpu target: model {self.signature.model!r} failed to run: {err}") from err
        # reshape: TVM hands 0-d results back with shape (1,)
        return {spec.name: results[i].numpy().reshape(spec.shape) for i, spec in enumerate(self.signature.outputs)}

    def save(self, folder: Path) -> dict[str, Path]:
        paths = {"library": folder / LIBRARY, "signature": folder / SIGNATURE}
        with quiet_tvm():
            self._executable.export_library(str(paths["library"]))
        write_json(paths["signature"], self.signature.to_dict())
        return paths


def load(folder: str | Path) -> CpuModule:
    """Load a module saved by the cpu target (`tessera compile ... --target cpu -o folder`)."""
    import tvm

    folder = Path(folder)
    lib, sig = folder / LIBRARY, folder / SIGNATURE
    if not lib.is_file() or not sig.is_file():
        raise TargetError(f"{folder} holds no saved cpu module (needs {LIBRARY} and {SIGNATURE}); compile with -o")
    try:
        signature = Signature.from_dict(json.loads(sig.read_text()))
    except (ValueError, KeyError, TypeError) as err:
        raise TargetError(f"{sig}: not a cpu module signature ({err}); recompile the model") from None
    with quiet_tvm():
        module = tvm.runtime.load_module(str(lib))
    return CpuModule(module, signature)


_THREADS: list[int | None] = [None]


def set_threads(threads: int | None) -> None:
    """Size TVM's worker pool (process-wide). None leaves it as it is (TVM's default: one per core)."""
    if threads is None or threads == _THREADS[0]:
        return
    if threads < 1:
        raise TargetError(f"threads must be at least 1, got {threads}")
    import tvm

    tvm.get_global_func("runtime.config_threadpool")(1, threads)  # 1: use the (big) cores, `threads` workers
    _THREADS[0] = threads


def current_threads() -> int:
    import tvm

    return int(tvm.runtime.num_threads())
