"""Memory budgets of the ONNX importer: sizes are computed from declared types before anything is
allocated, so a hostile model that claims a huge tensor ends in a ModelLoadError, not a MemoryError.

Two budgets:
- constants: the bytes of every tensor the importer materializes (initializers, external data,
  Constant nodes, results folded at import: ConstantOfShape, Expand, Tile, Range, Pad, Concat, ...).
  Default 1 GiB; raise it with `tessera.load(..., max_constant_bytes=N)` or the environment variable
  TESSERA_MAX_CONSTANT_BYTES.
- any tensor: the type of any value of the graph, constant or not (a node whose inferred output would
  not fit in a host's memory). Default 64 GiB; TESSERA_MAX_TENSOR_BYTES raises it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import onnx

from tessera.errors import ModelLoadError
from tessera.frontends.onnx_types import ONNX_TO_DTYPE

GiB = 1 << 30
DEFAULT_MAX_CONSTANT_BYTES = 1 * GiB
DEFAULT_MAX_TENSOR_BYTES = 64 * GiB
CONSTANT_ENV = "TESSERA_MAX_CONSTANT_BYTES"
TENSOR_ENV = "TESSERA_MAX_TENSOR_BYTES"
RAISE_CONSTANTS = f"raise the budget with tessera.load(..., max_constant_bytes=N) or {CONSTANT_ENV}=N"
RAISE_TENSORS = f"raise the limit with {TENSOR_ENV}=N if the model really is this large"


@dataclass(frozen=True)
class LoadBudget:
    """How many bytes the importer may materialize as constants, and how large any tensor may be."""

    max_constant_bytes: int = DEFAULT_MAX_CONSTANT_BYTES
    max_tensor_bytes: int = DEFAULT_MAX_TENSOR_BYTES

    @classmethod
    def resolve(cls, max_constant_bytes: int | None = None) -> LoadBudget:
        """The budget from the argument, else the environment, else the defaults."""
        constants = max_constant_bytes
        if constants is None:
            constants = _env_bytes(CONSTANT_ENV, DEFAULT_MAX_CONSTANT_BYTES)
        if isinstance(constants, bool) or not isinstance(constants, int) or constants < 0:
            raise ModelLoadError(f"max_constant_bytes must be an int >= 0, got {constants!r}")
        return cls(constants, _env_bytes(TENSOR_ENV, DEFAULT_MAX_TENSOR_BYTES))

    def check_constant(self, nbytes: int, where: str, already: int = 0) -> None:
        """Refuse to materialize `nbytes` more for `where` (e.g. "model.onnx: node 'c' (ConstantOfShape)")
        when `already` bytes of constants exist."""
        if already + nbytes <= self.max_constant_bytes:
            return
        total = f" (with the {format_bytes(already)} before it)" if already else ""
        raise ModelLoadError(
            f"{where} would materialize {format_bytes(nbytes)}{total}, over the constant budget of "
            f"{format_bytes(self.max_constant_bytes)}; {RAISE_CONSTANTS}"
        )

    def check_tensor(self, nbytes: int, where: str) -> None:
        if nbytes > self.max_tensor_bytes:
            raise ModelLoadError(
                f"{where} is {format_bytes(nbytes)}, over the {format_bytes(self.max_tensor_bytes)} "
                f"any tensor may take; is a dimension wrong? {RAISE_TENSORS}"
            )


def tensor_proto_nbytes(tensor: onnx.TensorProto, where: str) -> int:
    """The bytes a TensorProto declares (dims x element size), read from its header only."""
    if any(d < 0 for d in tensor.dims):
        raise ModelLoadError(f"{where} declares a negative dimension: {list(tensor.dims)}")
    dtype = ONNX_TO_DTYPE.get(tensor.data_type)
    itemsize = dtype.itemsize if dtype is not None else 8  # unsupported types are refused later
    return math.prod(tensor.dims) * itemsize


def format_bytes(nbytes: int) -> str:
    """`1234567` -> "1,234,567 B (1.2 MiB)"."""
    for unit, size in (("TiB", 1 << 40), ("GiB", GiB), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= size:
            return f"{nbytes:,} B ({nbytes / size:.1f} {unit})"
    return f"{nbytes:,} B"


def _env_bytes(name: str, default: int) -> int:
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip().replace("_", ""))
    except ValueError:
        raise ModelLoadError(
            f"environment variable {name}={text!r} is not a number of bytes; unset it or fix it"
        ) from None
    if value < 0:
        raise ModelLoadError(f"environment variable {name}={text!r} must be >= 0")
    return value
