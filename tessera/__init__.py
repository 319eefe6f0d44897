"""Tessera: a compiler for neural networks where resources are scarce or data is private.

import tessera
graph = tessera.load("model.onnx")
result = tessera.compile("model.onnx", target="reference", out_dir="build")
"""

from tessera.api import CompileResult, QuantizeResult, compile, export_onnx, load, quantize, run
from tessera.errors import TesseraError
from tessera.ir.graph import Graph

__version__ = "0.1.0"
__all__ = [
    "CompileResult",
    "Graph",
    "QuantizeResult",
    "TesseraError",
    "__version__",
    "compile",
    "export_onnx",
    "load",
    "quantize",
    "run",
]
