"""Compile targets. A target builds a compiled graph once into an Artifact, which writes its files
into a folder, reports what it built and, where the target runs on this machine, runs inputs.

Each target names a frozen options dataclass (tessera.options's contract): `compile(...,
target_options={...})` builds it with `Target.make_options` and `build(graph, options)` gets the typed
instance. `bindings(options)` are the values the target lends the pipeline's passes (fields declaring
`metadata={"bind": NAME}`, e.g. the MCU kernels' in-place rules), so a pass plans as the target builds."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

from tessera.backends.reference import execute
from tessera.errors import TargetError
from tessera.ir.graph import Graph
from tessera.options import OptionInfo, describe, from_mapping
from tessera.passes.base import Report

Outputs = dict[str, np.ndarray]
O = TypeVar("O")  # noqa: E741  (a target's options class)


class Artifact(Protocol):
    """What a target built. `write` fills a fresh folder and returns the files by role; `run` takes
    inputs keyed by tensor name (extra keywords are target-specific, e.g. `on="qemu"`); `report` is
    the target's own figures for what it built (and ran, once it has)."""

    def write(self, folder: Path) -> dict[str, Path]: ...

    def run(self, inputs: Mapping[str, np.ndarray], **options: Any) -> Outputs: ...

    def report(self) -> Report: ...


def no_bindings(options: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Target(Generic[O]):
    name: str
    description: str
    build: Callable[[Graph, O], Artifact]
    options: type[O]
    bindings: Callable[[O], Mapping[str, Any]] = no_bindings  # bind name -> value for the passes

    def make_options(self, values: Mapping[str, Any]) -> O:
        """The typed options from Python values or CLI strings; TargetError names a bad option."""
        return from_mapping(self.options, values, owner=f"target {self.name!r}", error=TargetError)

    def describe(self) -> list[OptionInfo]:
        return describe(self.options)

    def to_dict(self) -> dict[str, Any]:
        options = [{"name": o.name, "type": o.type, "default": o.default, "help": o.help} for o in self.describe()]
        return {"name": self.name, "description": self.description, "options": options}


@dataclass(frozen=True)
class ReferenceOptions:
    """The reference target takes no options."""


@dataclass
class ReferenceReport(Report):
    nodes: int = 0


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

    def report(self) -> ReferenceReport:
        return ReferenceReport(nodes=len(self.graph.nodes))


TARGETS: dict[str, Target[Any]] = {}


def register_target(target: Target[O]) -> Target[O]:
    TARGETS[target.name] = target
    return target


def _build_reference(graph: Graph, options: ReferenceOptions) -> ReferenceArtifact:
    return ReferenceArtifact(graph)


register_target(
    Target(
        "reference",
        "numpy reference executor; writes the compiled graph as model.onnx and graph.txt",
        _build_reference,
        ReferenceOptions,
    )
)


def get_target(name: str) -> Target[Any]:
    _load_backends()
    if name not in TARGETS:
        raise TargetError(f"unknown target {name!r}; available targets: {', '.join(sorted(TARGETS))}")
    return TARGETS[name]


def available_targets() -> list[str]:
    _load_backends()
    return sorted(TARGETS)


# Backends that register targets on import. Each imports its heavy dependencies lazily, inside `build`.
_BACKEND_MODULES: tuple[str, ...] = ("tessera.backends.mcu", "tessera.backends.cpu", "tessera.backends.he")


def _load_backends() -> None:
    import importlib

    for module in _BACKEND_MODULES:
        importlib.import_module(module)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path
