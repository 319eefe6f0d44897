"""ONNX <-> Tessera translations of element types and attribute values."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import AttributeProto, TensorProto, numpy_helper

from tessera.ir.dtypes import DType

ONNX_TO_DTYPE: dict[int, DType] = {
    TensorProto.FLOAT: DType.FLOAT32,
    TensorProto.FLOAT16: DType.FLOAT16,
    TensorProto.DOUBLE: DType.FLOAT64,
    TensorProto.INT8: DType.INT8,
    TensorProto.INT16: DType.INT16,
    TensorProto.INT32: DType.INT32,
    TensorProto.INT64: DType.INT64,
    TensorProto.UINT8: DType.UINT8,
    TensorProto.UINT16: DType.UINT16,
    TensorProto.UINT32: DType.UINT32,
    TensorProto.UINT64: DType.UINT64,
    TensorProto.BOOL: DType.BOOL,
}
DTYPE_TO_ONNX: dict[DType, int] = {v: k for k, v in ONNX_TO_DTYPE.items()}


def onnx_type_name(elem_type: int) -> str:
    return TensorProto.DataType.Name(elem_type) if elem_type in TensorProto.DataType.values() else str(elem_type)


def decode_attribute(attr: AttributeProto) -> Any:
    """An ONNX attribute as a plain Python value; tensors become numpy arrays and a `to`/`dtype`
    style int stays an int (ops translate element-type codes with ONNX_TO_DTYPE)."""
    kind = attr.type
    if kind == AttributeProto.INT:
        return int(attr.i)
    if kind == AttributeProto.FLOAT:
        return float(attr.f)
    if kind == AttributeProto.STRING:
        return attr.s.decode("utf-8", errors="replace")
    if kind == AttributeProto.INTS:
        return tuple(int(v) for v in attr.ints)
    if kind == AttributeProto.FLOATS:
        return tuple(float(v) for v in attr.floats)
    if kind == AttributeProto.STRINGS:
        return tuple(v.decode("utf-8", errors="replace") for v in attr.strings)
    if kind == AttributeProto.TENSOR:
        return numpy_helper.to_array(attr.t)
    return onnx.helper.get_attribute_value(attr)


def encode_attribute(name: str, value: Any) -> AttributeProto:
    if isinstance(value, DType):
        return onnx.helper.make_attribute(name, DTYPE_TO_ONNX[value])
    if isinstance(value, np.ndarray):
        return onnx.helper.make_attribute(name, numpy_helper.from_array(value, name))
    if isinstance(value, bool):
        return onnx.helper.make_attribute(name, int(value))
    if isinstance(value, tuple) and not value:
        kind = AttributeProto.INTS
        return onnx.helper.make_attribute(name, [], attr_type=kind)
    return onnx.helper.make_attribute(name, list(value) if isinstance(value, tuple) else value)
