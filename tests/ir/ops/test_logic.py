"""Comparisons, logic, Where, IsNaN/IsInf and bitwise ops: inference errors, MACs, BitShift edge cases,
onnxruntime round trips."""

import numpy as np
import pytest
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.types import TensorType

rng = np.random.default_rng(1)


def f32(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def bools(*shape: int) -> np.ndarray:
    return rng.random(shape) < 0.5


def ints(dtype: type, *shape: int, low: int = -20, high: int = 20) -> np.ndarray:
    return rng.integers(low, high, shape).astype(dtype)


def infer(op: str, types: list[TensorType], **attrs: object) -> list[TensorType]:
    cls = lookup(op)
    assert cls is not None
    return cls.infer(types, cls.make_attrs(attrs))


def t(dtype: DType, *shape: int) -> TensorType:
    return TensorType(dtype, shape)


SPECIALS = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 2.0], dtype=np.float32)

CASES = [
    ("Equal", {"a": ints(np.int64, 2, 3, low=0, high=3), "b": ints(np.int64, 3, low=0, high=3)}, {}),
    ("Equal", {"a": bools(4), "b": bools(4)}, {}),
    ("Less", {"a": f32(2, 3), "b": f32(3)}, {}),
    ("LessOrEqual", {"a": ints(np.int32, 4, low=0, high=3), "b": ints(np.int32, 4, low=0, high=3)}, {}),
    ("Greater", {"a": f32(2, 1), "b": f32(1, 3)}, {}),
    ("GreaterOrEqual", {"a": f32(3), "b": f32(3)}, {}),
    ("And", {"a": bools(2, 3), "b": bools(3)}, {}),
    ("Or", {"a": bools(2, 3), "b": bools(2, 1)}, {}),
    ("Xor", {"a": bools(4), "b": bools(4)}, {}),
    ("Not", {"a": bools(2, 3)}, {}),
    ("Where", {"c": bools(2, 1), "a": f32(2, 3), "b": f32(3)}, {}),
    ("IsNaN", {"a": SPECIALS}, {}),
    ("IsInf", {"a": SPECIALS}, {}),
    ("IsInf", {"a": SPECIALS}, {"detect_negative": 0}),
    ("BitwiseAnd", {"a": ints(np.int32, 2, 3), "b": ints(np.int32, 3)}, {}),
    ("BitwiseOr", {"a": ints(np.uint8, 4, low=0, high=255), "b": ints(np.uint8, 4, low=0, high=255)}, {}),
    ("BitwiseXor", {"a": ints(np.int16, 4), "b": ints(np.int16, 4)}, {}),
    ("BitwiseNot", {"a": ints(np.int8, 5)}, {}),
    (
        "BitShift",
        {"a": ints(np.uint8, 6, low=0, high=255), "b": ints(np.uint8, 6, low=0, high=8)},
        {"direction": "LEFT"},
    ),
    (
        "BitShift",
        {"a": ints(np.uint32, 6, low=0, high=999), "b": ints(np.uint32, 6, low=0, high=9)},
        {"direction": "RIGHT"},
    ),
]


@pytest.mark.parametrize(("op", "feeds", "attrs"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_roundtrip_matches_onnxruntime(op: str, feeds: dict, attrs: dict) -> None:
    check_roundtrip(one_node_model(op, feeds, attrs), feeds)


def test_bitshift_of_signed_values_and_out_of_range_counts() -> None:
    shift = lookup("BitShift")
    x = np.array([-8, -8, 64, 5, 5, -1], dtype=np.int8)
    count = np.array([1, 9, 1, -1, 8, 3], dtype=np.int8)
    right = shift.compute([x, count], shift.make_attrs({"direction": "RIGHT"}))[0]
    left = shift.compute([x, count], shift.make_attrs({"direction": "LEFT"}))[0]
    assert right.tolist() == [-4, -1, 32, 0, 0, -1]
    assert left.tolist() == [-16, 0, -128, 0, 0, -8]


def test_comparisons_give_bool_of_the_broadcast_shape() -> None:
    assert infer("Less", [t(DType.INT8, 2, 1), t(DType.INT8, 3)]) == [t(DType.BOOL, 2, 3)]
    assert infer("Where", [t(DType.BOOL, 4, 1, 1), t(DType.INT64, 2, 1), t(DType.INT64, 3)]) == [
        t(DType.INT64, 4, 2, 3)
    ]
    assert infer("IsInf", [t(DType.FLOAT16, 5)]) == [t(DType.BOOL, 5)]


@pytest.mark.parametrize(
    ("op", "types", "message"),
    [
        ("Less", [t(DType.FLOAT32, 2, 3), t(DType.FLOAT32, 2)], "do not broadcast"),
        ("Equal", [t(DType.FLOAT32, 3), t(DType.FLOAT64, 3)], "one dtype"),
        ("Greater", [t(DType.BOOL, 3), t(DType.BOOL, 3)], "dtype bool"),
        ("And", [t(DType.INT32, 3), t(DType.INT32, 3)], "dtype int32"),
        ("Not", [t(DType.FLOAT32, 3)], "dtype float32"),
        ("Where", [t(DType.INT32, 3), t(DType.FLOAT32, 3), t(DType.FLOAT32, 3)], "condition"),
        ("Where", [t(DType.BOOL, 3), t(DType.FLOAT32, 3), t(DType.INT32, 3)], "one dtype"),
        ("Where", [t(DType.BOOL, 2), t(DType.FLOAT32, 3), t(DType.FLOAT32, 3)], "do not broadcast"),
        ("IsNaN", [t(DType.INT32, 3)], "dtype int32"),
        ("BitwiseAnd", [t(DType.FLOAT32, 3), t(DType.FLOAT32, 3)], "dtype float32"),
        ("BitwiseNot", [t(DType.BOOL, 3)], "dtype bool"),
    ],
)
def test_invalid_inputs_are_rejected(op: str, types: list[TensorType], message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        infer(op, types)


def test_bitshift_needs_a_known_direction() -> None:
    with pytest.raises(ShapeError, match="direction"):
        infer("BitShift", [t(DType.UINT8, 3)] * 2, direction="UP")


@pytest.mark.parametrize("op", ["Equal", "And", "BitwiseAnd", "BitShift"])
def test_logic_counts_no_macs(op: str) -> None:
    cls = lookup(op)
    dtype = DType.UINT8 if op.startswith("Bit") else DType.BOOL
    attrs = cls.make_attrs({"direction": "LEFT"} if op == "BitShift" else {})
    types = [t(dtype, 4)] * 2
    assert cls.macs(types, cls.infer(types, attrs), attrs) == 0
