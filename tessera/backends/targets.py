"""Compile targets. A target turns a compiled graph into files and, where it runs on this machine,
a callable. Targets join this table as backends land."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir.graph import Graph

Runner = Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    emit: Callable[[Graph, Path], dict[str, Path]]  # writes files into a fresh folder, returns them
    runner: Callable[[Graph], Runner] | None  # None when the target does not run on this machine


def _emit_reference(graph: Graph, folder: Path) -> dict[str, Path]:
    from tessera.frontends.onnx_export import export_onnx

    paths = {"model": folder / "model.onnx", "graph": folder / "graph.txt"}
    paths["model"].write_bytes(export_onnx(graph).SerializeToString())
    paths["graph"].write_text(str(graph) + "\n")
    return paths


def _reference_runner(graph: Graph) -> Runner:
    return lambda inputs: execute(graph, inputs)


TARGETS: dict[str, Target] = {
    "reference": Target(
        "reference",
        "numpy reference executor; writes the compiled graph as model.onnx and graph.txt",
        _emit_reference,
        _reference_runner,
    ),
}


def get_target(name: str) -> Target:
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; available targets: {', '.join(sorted(TARGETS))}")
    return TARGETS[name]


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path
