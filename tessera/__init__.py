"""Tessera: a compiler for neural networks where resources are scarce or data is private."""

from tessera.errors import TesseraError

__version__ = "0.1.0"
__all__ = ["TesseraError", "__version__"]
