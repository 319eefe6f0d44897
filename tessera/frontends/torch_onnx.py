"""The second PyTorch route: torch.onnx.export (the dynamo exporter) to an in-memory ONNX model,
then the ONNX frontend. Inputs and outputs get the same names as on the torch.export route.
`torch_to_onnx` is the one torch -> ONNX exporter: the models zoo's export calls it too."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Sequence
from typing import Any

import onnx

from tessera.errors import ModelLoadError
from tessera.frontends.onnx_import import load_onnx
from tessera.frontends.torch_support import _export_error, output_names
from tessera.ir.graph import Graph


def load_via_onnx(module: Any, args: tuple[Any, ...], input_names: list[str]) -> Graph:
    import torch
    import torch.utils._pytree as pytree

    with torch.no_grad():
        try:
            structure = module(*args)
        except Exception as err:
            raise ModelLoadError(
                f"{type(module).__name__}: running the module on example_inputs failed: {err}"
            ) from None
    names = output_names(structure, len(pytree.tree_leaves(structure)))
    try:
        model = torch_to_onnx(module, args, input_names=input_names, output_names=names, dynamo=True)
    except Exception as err:  # the exporter raises many types; each is reported the same way
        raise _export_error(module, err) from None
    # The exporter prunes inputs the graph never reads; the torch.export route keeps them.
    return load_onnx(model)


def torch_to_onnx(
    module: Any,
    args: tuple[Any, ...],
    *,
    input_names: Sequence[str],
    output_names: Sequence[str],
    dynamo: bool,
    opset: int | None = None,
) -> onnx.ModelProto:
    """`module` (eval mode, no grad) as an in-memory ONNX model: torch.onnx.export through torch.export
    (`dynamo=True`) or the TorchScript tracer (`dynamo=False`, with constant folding); `opset` None is
    the exporter's default. The one torch -> ONNX exporter (the frontend and the zoo call it); the
    exporter's progress output is silenced, and what it raises (many types) reaches the caller, who
    names the model."""
    import torch

    with torch.no_grad(), _quiet():
        if dynamo:
            program = torch.onnx.export(
                module,
                args,
                dynamo=True,
                external_data=False,
                input_names=list(input_names),
                output_names=list(output_names),
                opset_version=opset,
                verbose=False,
            )
            if program is None:
                raise ModelLoadError(f"{type(module).__name__}: torch.onnx.export returned no program")
            return program.model_proto
        buffer = io.BytesIO()
        torch.onnx.export(
            module,
            args,
            buffer,  # type: ignore[arg-type]
            input_names=list(input_names),
            output_names=list(output_names),
            opset_version=opset,
            dynamo=False,
            do_constant_folding=True,
        )
        return onnx.load_from_string(buffer.getvalue())


@contextlib.contextmanager
def _quiet() -> Any:
    """The exporter prints progress, warnings and log lines; failures still raise."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(io.StringIO()),
            contextlib.redirect_stderr(io.StringIO()),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
