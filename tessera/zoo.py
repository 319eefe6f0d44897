"""The models zoo: PyTorch networks with seeded weights, for compiling, scheduling and quantizing.

    from tessera import zoo
    zoo.list()                                  # names
    zoo.info("mobilenetv2")                     # description, options and their defaults
    m = zoo.get("mobilenetv2", width=0.35, resolution=128)
    m.module(*m.example_inputs)                 # eager PyTorch
    zoo.export_onnx(m, "mbv2.onnx")             # then tessera.load("mbv2.onnx")

Building a model needs PyTorch (`pip install 'tessera[torch]'`); listing does not.
"""

from __future__ import annotations

import builtins
import os
from typing import Any

import onnx

import tessera.models_zoo.catalogue  # noqa: F401  (registers every model)
from tessera.models_zoo.inputs import InputSpec
from tessera.models_zoo.registry import ZooModel, ZooSpec, build, names, spec

__all__ = ["InputSpec", "ZooModel", "ZooSpec", "export_onnx", "get", "info", "list"]


def list() -> builtins.list[str]:
    """The names of every zoo model, sorted."""
    return names()


def info(name: str) -> ZooSpec:
    """A model's description, family, options (with defaults; every model also takes `seed`) and
    published figures. Unknown names raise TesseraError listing the valid ones."""
    return spec(name)


def get(name: str, **options: Any) -> ZooModel:
    """Build a zoo model: eval-mode module, weights seeded by `seed` (default 0), example inputs.
    Unknown names or options raise TesseraError listing the valid ones."""
    return build(name, **options)


def export_onnx(
    model: ZooModel, path: str | os.PathLike[str] | None = None, *, dynamo: bool = False
) -> onnx.ModelProto:
    """The model as ONNX (opset 18), graph inputs named as `model.input_names`; saved to `path` if given."""
    from tessera.models_zoo.export import export_onnx as _export

    return _export(model, path, dynamo=dynamo)
