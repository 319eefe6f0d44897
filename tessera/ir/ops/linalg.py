"""Matrix products: MatMul (numpy matmul semantics) and Gemm (alpha * A' @ B' + beta * C).
float16 is multiplied in float32."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops._util import FLOATS, broadcast_shapes, require_dtype, same_dtype
from tessera.ir.ops.base import Attr, Attrs, Op, register
from tessera.ir.types import TensorType

MATMUL_DTYPES = (*FLOATS, DType.INT32, DType.INT64, DType.UINT32, DType.UINT64)


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Unidirectional broadcasting: `shape` stretches to `target` without changing `target`."""
    if len(shape) > len(target):
        return False
    return all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if a.dtype == np.float16:
        return np.matmul(a.astype(np.float32), b.astype(np.float32))
    return np.matmul(a, b)


@register
class MatMul(Op):
    """numpy.matmul: 1-D operands are promoted to matrices (and the added axis dropped); leading
    axes broadcast."""

    name = "MatMul"
    min_inputs, max_inputs = 2, 2

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        a, b = inputs
        dtype = same_dtype(inputs, cls.name)
        require_dtype(a, MATMUL_DTYPES, "MatMul input")
        if a.rank == 0 or b.rank == 0:
            raise ShapeError(f"MatMul: operands {a} and {b} must have rank 1 or more")
        a_shape = a.shape if a.rank > 1 else (1, *a.shape)
        b_shape = b.shape if b.rank > 1 else (*b.shape, 1)
        if a_shape[-1] != b_shape[-2]:
            raise ShapeError(f"MatMul: inner dimensions differ: {a} @ {b} ({a_shape[-1]} vs {b_shape[-2]})")
        batch = broadcast_shapes(a_shape[:-2], b_shape[:-2])
        rows = (a_shape[-2],) if a.rank > 1 else ()
        cols = (b_shape[-1],) if b.rank > 1 else ()
        return [TensorType(dtype, (*batch, *rows, *cols))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a, b = inputs
        return [np.asarray(_matmul(a, b)).astype(a.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        return outputs[0].numel * inputs[0].shape[-1]


@register
class Gemm(Op):
    """Y = alpha * A' @ B' + beta * C, where A' = A.T if transA, B' = B.T if transB, and C (optional)
    broadcasts to Y's shape (M, N)."""

    name = "Gemm"
    attrs = {
        "alpha": Attr("float", 1.0),
        "beta": Attr("float", 1.0),
        "transA": Attr("int", 0),
        "transB": Attr("int", 0),
    }
    min_inputs, max_inputs = 2, 3

    @classmethod
    def _dims(cls, inputs: Sequence[TensorType], attrs: Attrs) -> tuple[int, int, int]:
        """(M, K, N) of the product."""
        a, b = inputs[0], inputs[1]
        same_dtype(inputs, cls.name)
        require_dtype(a, MATMUL_DTYPES, "Gemm input")
        if a.rank != 2 or b.rank != 2:
            raise ShapeError(f"Gemm: A {a} and B {b} must be matrices (rank 2)")
        m, k = a.shape[::-1] if attrs["transA"] else a.shape
        k2, n = b.shape[::-1] if attrs["transB"] else b.shape
        if k != k2:
            raise ShapeError(
                f"Gemm: inner dimensions differ: A' is ({m}, {k}), B' is ({k2}, {n}) (transA={attrs['transA']}, "
                f"transB={attrs['transB']})"
            )
        if len(inputs) == 3 and not broadcasts_to(inputs[2].shape, (m, n)):
            raise ShapeError(f"Gemm: C {inputs[2]} does not broadcast to the result shape ({m}, {n})")
        return m, k, n

    @classmethod
    def infer(cls, inputs: Sequence[TensorType], attrs: Attrs) -> list[TensorType]:
        m, _, n = cls._dims(inputs, attrs)
        return [inputs[0].with_shape((m, n))]

    @classmethod
    def compute(cls, inputs: Sequence[np.ndarray], attrs: Attrs) -> list[np.ndarray]:
        a, b = inputs[0], inputs[1]
        y = _matmul(a.T if attrs["transA"] else a, b.T if attrs["transB"] else b)
        if attrs["alpha"] != 1.0:
            y = y * attrs["alpha"]
        if len(inputs) == 3 and attrs["beta"] != 0.0:
            c = inputs[2]
            y = y + (c if attrs["beta"] == 1.0 else c * attrs["beta"])
        return [np.asarray(y).astype(a.dtype, copy=False)]

    @classmethod
    def macs(cls, inputs: Sequence[TensorType], outputs: Sequence[TensorType], attrs: Attrs) -> int:
        m, k, n = cls._dims(inputs, attrs)
        return math.prod((m, k, n))
