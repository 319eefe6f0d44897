"""Element types of tensors, with their numpy and ONNX names."""

from __future__ import annotations

import enum

import numpy as np


class DType(enum.Enum):
    """Element type of a tensor. The value is the numpy name."""

    FLOAT32 = "float32"
    FLOAT16 = "float16"
    FLOAT64 = "float64"
    INT8 = "int8"
    INT16 = "int16"
    INT32 = "int32"
    INT64 = "int64"
    UINT8 = "uint8"
    UINT16 = "uint16"
    UINT32 = "uint32"
    UINT64 = "uint64"
    BOOL = "bool"

    @property
    def itemsize(self) -> int:
        return np.dtype(self.value).itemsize

    @property
    def short(self) -> str:
        """Short name used by the printer: f32, i64, u8, bool."""
        return _SHORT[self]

    @property
    def is_float(self) -> bool:
        return self in (DType.FLOAT16, DType.FLOAT32, DType.FLOAT64)

    @property
    def is_int(self) -> bool:
        return not self.is_float and self is not DType.BOOL

    def numpy(self) -> np.dtype:
        return np.dtype(self.value)

    @staticmethod
    def from_numpy(dtype: np.dtype | type) -> DType:
        found = _FROM_NUMPY.get(dtype)  # type: ignore[call-overload]
        if found is not None:
            return found
        name = np.dtype(dtype).name
        try:
            return DType(name)
        except ValueError:
            raise ValueError(f"numpy dtype {name} has no Tessera DType") from None

    @staticmethod
    def from_short(short: str) -> DType:
        return _FROM_SHORT[short]


_SHORT = {
    DType.FLOAT32: "f32",
    DType.FLOAT16: "f16",
    DType.FLOAT64: "f64",
    DType.INT8: "i8",
    DType.INT16: "i16",
    DType.INT32: "i32",
    DType.INT64: "i64",
    DType.UINT8: "u8",
    DType.UINT16: "u16",
    DType.UINT32: "u32",
    DType.UINT64: "u64",
    DType.BOOL: "bool",
}
_FROM_SHORT = {v: k for k, v in _SHORT.items()}
_FROM_NUMPY: dict[object, DType] = {np.dtype(d.value): d for d in DType}
