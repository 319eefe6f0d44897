"""Zoo model -> ONNX, with graph inputs named as the module's forward() arguments.

Two exporters: the TorchScript tracer (`dynamo=False`, the default: 10-17x faster here, see
docs/zoo.md) and torch.export (`dynamo=True`). Both export static shapes, eval mode, opset 18.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import onnx

from tessera.errors import TesseraError
from tessera.models_zoo.registry import ZooModel

OPSET = 18


def export_onnx(
    model: ZooModel, path: str | os.PathLike[str] | None = None, *, dynamo: bool = False
) -> onnx.ModelProto:
    """Export `model` to ONNX (written to `path` too when given) and return the ModelProto."""
    import torch

    outputs = _output_names(model)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            if dynamo:
                program = torch.onnx.export(
                    model.module,
                    model.example_inputs,
                    input_names=list(model.input_names),
                    output_names=outputs,
                    opset_version=OPSET,
                    dynamo=True,
                    external_data=False,
                    verbose=False,
                )
                if program is None:
                    raise RuntimeError("torch.onnx.export returned no program")
                proto = program.model_proto
            else:
                buffer = io.BytesIO()
                torch.onnx.export(
                    model.module,
                    model.example_inputs,
                    buffer,  # type: ignore[arg-type]
                    input_names=list(model.input_names),
                    output_names=outputs,
                    opset_version=OPSET,
                    dynamo=False,
                    do_constant_folding=True,
                )
                proto = onnx.load_from_string(buffer.getvalue())
    except Exception as err:  # the exporters raise many types; report which model failed and why
        raise TesseraError(f"exporting zoo model {model.name!r} to ONNX failed: {type(err).__name__}: {err}") from err
    proto.graph.name = model.name
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        onnx.save(proto, str(path))
    return proto


def _output_names(model: ZooModel) -> list[str]:
    """A module may name its outputs with a `zoo_outputs` tuple; the default is one "output"."""
    return list(getattr(model.module, "zoo_outputs", ("output",)))
