"""Tensor types: a dtype and a static shape."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tessera.ir.dtypes import DType


@dataclass(frozen=True)
class TensorType:
    """A statically shaped tensor type. Every dimension is a known, non-negative int."""

    dtype: DType
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if not all(isinstance(d, int) and d >= 0 for d in self.shape):
            raise ValueError(f"shape must be non-negative ints, got {self.shape}")

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.numel * self.dtype.itemsize

    def with_shape(self, shape: tuple[int, ...]) -> TensorType:
        return TensorType(self.dtype, tuple(shape))

    def with_dtype(self, dtype: DType) -> TensorType:
        return TensorType(dtype, self.shape)

    def __str__(self) -> str:
        return f"{self.dtype.short}[{','.join(map(str, self.shape))}]"
