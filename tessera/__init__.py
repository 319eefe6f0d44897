"""Tessera: a compiler for neural networks where resources are scarce or data is private.

import tessera
graph = tessera.load("model.onnx")
result = tessera.compile("model.onnx", target="reference", out_dir="build")
"""

from tessera import zoo
from tessera.api import CompileResult, QuantizeResult, compile, export_onnx, finetune, load, quantize, run
from tessera.api_binarize import BinarizeResult, binarize
from tessera.errors import TesseraError
from tessera.ir.graph import Graph

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """`tessera.to_torch` and `tessera.FinetuneOptions` import PyTorch only when used (it is an
    optional dependency)."""
    if name not in ("to_torch", "FinetuneOptions"):
        raise AttributeError(f"module 'tessera' has no attribute {name!r}")
    try:
        if name == "to_torch":
            from tessera.backends.torch import to_torch

            return to_torch
        from tessera.train import FinetuneOptions

        return FinetuneOptions
    except ImportError as err:
        raise TesseraError(f"tessera.{name} runs on PyTorch: pip install 'tessera[train]' ({err})") from None


__all__ = [
    "BinarizeResult",
    "CompileResult",
    "FinetuneOptions",
    "Graph",
    "QuantizeResult",
    "TesseraError",
    "__version__",
    "binarize",
    "compile",
    "export_onnx",
    "finetune",
    "load",
    "quantize",
    "run",
    "to_torch",
    "zoo",
]
