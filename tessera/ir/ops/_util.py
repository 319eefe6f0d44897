"""Small helpers shared by op definitions: broadcasting, axes, dtype checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.types import TensorType


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """Numpy (multidirectional) broadcasting; ShapeError when the shapes do not broadcast."""
    try:
        return tuple(int(d) for d in np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(f"shapes {' and '.join(map(str, shapes))} do not broadcast") from None


def normalize_axis(axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ShapeError(f"axis {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


def normalize_axes(axes: Sequence[int], rank: int) -> tuple[int, ...]:
    out = tuple(normalize_axis(a, rank) for a in axes)
    if len(set(out)) != len(out):
        raise ShapeError(f"axes {tuple(axes)} repeat an axis")
    return out


def same_dtype(inputs: Sequence[TensorType], op: str) -> DType:
    dtypes = {t.dtype for t in inputs}
    if len(dtypes) != 1:
        raise ShapeError(f"{op} needs inputs of one dtype, got {', '.join(sorted(d.value for d in dtypes))}")
    return inputs[0].dtype


def require_dtype(t: TensorType, allowed: Sequence[DType], what: str) -> None:
    if t.dtype not in allowed:
        raise ShapeError(f"{what} has dtype {t.dtype.value}; allowed: {', '.join(d.value for d in allowed)}")


def require_rank(t: TensorType, ranks: Sequence[int] | range, what: str) -> None:
    if t.rank not in ranks:
        raise ShapeError(f"{what} has rank {t.rank}; expected {list(ranks)}")


FLOATS = (DType.FLOAT16, DType.FLOAT32, DType.FLOAT64)
SIGNED_INTS = (DType.INT8, DType.INT16, DType.INT32, DType.INT64)
UNSIGNED_INTS = (DType.UINT8, DType.UINT16, DType.UINT32, DType.UINT64)
NUMERIC = FLOATS + SIGNED_INTS + UNSIGNED_INTS
