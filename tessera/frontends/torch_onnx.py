"""The second PyTorch route: torch.onnx.export (the dynamo exporter) to an in-memory ONNX model,
then the ONNX frontend. Inputs and outputs get the same names as on the torch.export route."""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from typing import Any

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
        with _quiet():
            program = torch.onnx.export(
                module,
                args,
                dynamo=True,
                external_data=False,
                input_names=input_names,
                output_names=names,
                verbose=False,
            )
    except Exception as err:  # the exporter raises many types; each is reported the same way
        raise _export_error(module, err) from None
    model = program.model_proto
    # The exporter prunes inputs the graph never reads; the torch.export route keeps them.
    return load_onnx(model)


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
