"""ONNX element-type codes (TensorProto.DataType) as plain ints, so ops such as Cast can translate
their `to` attribute without importing onnx."""

from __future__ import annotations

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType

CODE_TO_DTYPE: dict[int, DType] = {
    1: DType.FLOAT32,
    2: DType.UINT8,
    3: DType.INT8,
    4: DType.UINT16,
    5: DType.INT16,
    6: DType.INT32,
    7: DType.INT64,
    9: DType.BOOL,
    10: DType.FLOAT16,
    11: DType.FLOAT64,
    12: DType.UINT32,
    13: DType.UINT64,
}
DTYPE_TO_CODE: dict[DType, int] = {v: k for k, v in CODE_TO_DTYPE.items()}

# Codes of ONNX element types Tessera has no dtype for, named for error messages.
_UNSUPPORTED = {
    0: "UNDEFINED",
    8: "STRING",
    14: "COMPLEX64",
    15: "COMPLEX128",
    16: "BFLOAT16",
    17: "FLOAT8E4M3FN",
    18: "FLOAT8E4M3FNUZ",
    19: "FLOAT8E5M2",
    20: "FLOAT8E5M2FNUZ",
    21: "UINT4",
    22: "INT4",
    23: "FLOAT4E2M1",
    24: "FLOAT8E8M0",
    25: "UINT2",
    26: "INT2",
}


def dtype_of_code(code: int, what: str) -> DType:
    """The DType of an ONNX element-type code; ShapeError naming `what` when Tessera lacks it."""
    if code in CODE_TO_DTYPE:
        return CODE_TO_DTYPE[code]
    name = _UNSUPPORTED.get(code, f"code {code}")
    supported = ", ".join(d.value for d in DType)
    raise ShapeError(f"{what} is ONNX element type {name}, which Tessera does not support (supported: {supported})")
