"""Zoo model -> ONNX, with graph inputs named as the module's forward() arguments.

Two exporters: the TorchScript tracer (`dynamo=False`, the default: 10-17x faster here, see
docs/zoo.md) and torch.export (`dynamo=True`). Both export static shapes, eval mode, opset 18, through
the frontend's `torch_to_onnx` (the one torch -> ONNX exporter).
"""

from __future__ import annotations

import os

import onnx

from tessera.errors import TesseraError
from tessera.files import output_file, write_file
from tessera.frontends.torch_onnx import torch_to_onnx
from tessera.models_zoo.registry import ZooModel

OPSET = 18


def export_onnx(
    model: ZooModel, path: str | os.PathLike[str] | None = None, *, dynamo: bool = False
) -> onnx.ModelProto:
    """Export `model` to ONNX (written to `path` too when given: a folder means `path/NAME.onnx`,
    see tessera.files) and return the ModelProto."""
    out = None if path is None else output_file(path, f"{model.name}.onnx", "path")  # before the slow export
    try:
        proto = torch_to_onnx(
            model.module,
            model.example_inputs,
            input_names=model.input_names,
            output_names=_output_names(model),
            dynamo=dynamo,
            opset=OPSET,
        )
    except Exception as err:  # the exporters raise many types; report which model failed and why
        raise TesseraError(f"exporting zoo model {model.name!r} to ONNX failed: {type(err).__name__}: {err}") from err
    proto.graph.name = model.name
    if out is not None:
        write_file(out, proto.SerializeToString(), "path")
    return proto


def _output_names(model: ZooModel) -> list[str]:
    """A module may name its outputs with a `zoo_outputs` tuple; the default is one "output"."""
    return list(getattr(model.module, "zoo_outputs", ("output",)))
