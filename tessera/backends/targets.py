"""Compile targets. A target builds a compiled graph once into an Artifact, which writes its files
into a folder and, where the target runs on this machine, runs inputs. Targets join the table as
backends land; each declares the options it takes (`compile(..., target_options={...})`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir.graph import Graph

Outputs = dict[str, np.ndarray]


class Artifact(Protocol):
    """What a target built. `write` fills a fresh folder and returns the files by role; `run` takes
    inputs keyed by tensor name (extra keywords are target-specific, e.g. `on="qemu"`)."""

    def write(self, folder: Path) -> dict[str, Path]: ...

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> Outputs: ...


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    build: Callable[[Graph, Mapping[str, Any]], Artifact]
    options: Mapping[str, str] = field(default_factory=dict)  # option name -> what it does

    def check_options(self, options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            known = ", ".join(f"{k} ({v})" for k, v in self.options.items()) or "none"
            raise TargetError(f"target {self.name!r} has no option(s) {', '.join(unknown)}; its options: {known}")


@dataclass(frozen=True)
class ReferenceArtifact:
    graph: Graph

    def write(self, folder: Path) -> dict[str, Path]:
        from tessera.frontends.onnx_export import export_onnx
        from tessera.passes.quantize.qdq import qdq_form

        paths = {"model": folder / "model.onnx", "graph": folder / "graph.txt"}
        paths["model"].write_bytes(export_onnx(qdq_form(self.graph)).SerializeToString())
        paths["graph"].write_text(str(self.graph) + "\n")
        return paths

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> Outputs:
        if options:
            raise TargetError(f"the reference target takes no run options, got {', '.join(sorted(options))}")
        return execute(self.graph, inputs)


TARGETS: dict[str, Target] = {}


def register_target(target: Target) -> Target:
    TARGETS[target.name] = target
    return target


register_target(
    Target(
        "reference",
        "numpy reference executor; writes the compiled graph as model.onnx and graph.txt",
        lambda graph, options: ReferenceArtifact(graph),
    )
)


def get_target(name: str) -> Target:
    _load_backends()
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; available targets: {', '.join(sorted(TARGETS))}")
    return TARGETS[name]


def available_targets() -> list[str]:
    _load_backends()
    return sorted(TARGETS)


# Backends that register targets on import. Each imports its heavy dependencies lazily, inside `build`.
_BACKEND_MODULES: tuple[str, ...] = ("tessera.backends.mcu", "tessera.backends.cpu")


def _load_backends() -> None:
    import importlib

    for module in _BACKEND_MODULES:
        importlib.import_module(module)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path
