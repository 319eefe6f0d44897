"""Binary and variadic arithmetic: inference errors, MACs, integer semantics, onnxruntime round trips."""

import numpy as np
import pytest
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.types import TensorType

rng = np.random.default_rng(0)


def f32(*shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def ints(dtype: type, *shape: int, low: int = -20, high: int = 20, nonzero: bool = False) -> np.ndarray:
    a = rng.integers(low, high, shape).astype(dtype)
    return np.where(a == 0, 1, a).astype(dtype) if nonzero else a


def infer(op: str, types: list[TensorType], **attrs: object) -> list[TensorType]:
    cls = lookup(op)
    assert cls is not None
    return cls.infer(types, cls.make_attrs(attrs))


def t(dtype: DType, *shape: int) -> TensorType:
    return TensorType(dtype, shape)


CASES = [
    ("Add", {"a": f32(2, 3), "b": f32(3)}, {}),
    ("Sub", {"a": f32(4, 1), "b": f32(1, 5)}, {}),
    ("Mul", {"a": ints(np.int32, 2, 3), "b": ints(np.int32, 2, 3)}, {}),
    ("Div", {"a": f32(2, 3), "b": f32(1, 3) + 3}, {}),
    ("Div", {"a": ints(np.int32, 3, 4), "b": ints(np.int32, 4, nonzero=True)}, {}),
    ("Mod", {"a": ints(np.int64, 3, 4), "b": ints(np.int64, 4, nonzero=True)}, {}),
    ("Mod", {"a": f32(3, 4) * 5, "b": f32(4) + 3}, {"fmod": 1}),
    ("Pow", {"a": np.abs(f32(2, 3)) + 0.5, "b": f32(3)}, {}),
    ("Pow", {"a": f32(2, 3), "b": ints(np.int64, 3, low=0, high=4)}, {}),
    ("Sum", {"a": f32(2, 3), "b": f32(3), "c": f32(2, 1)}, {}),
    ("Max", {"a": ints(np.int32, 2, 3), "b": ints(np.int32, 3)}, {}),
    ("Min", {"a": f32(2, 3), "b": f32(2, 3), "c": f32(1)}, {}),
    ("Mean", {"a": f32(2, 3), "b": f32(3)}, {}),
    ("Mean", {"a": f32(4)}, {}),
]


@pytest.mark.parametrize(("op", "feeds", "attrs"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_roundtrip_matches_onnxruntime(op: str, feeds: dict, attrs: dict) -> None:
    check_roundtrip(one_node_model(op, feeds, attrs), feeds)


def test_integer_division_truncates_toward_zero() -> None:
    a = np.array([7, -7, 7, -7, 6], dtype=np.int32)
    b = np.array([2, 2, -2, -2, 3], dtype=np.int32)
    div, mod = lookup("Div"), lookup("Mod")
    assert div.compute([a, b], div.make_attrs({}))[0].tolist() == [3, -3, -3, 3, 2]
    assert mod.compute([a, b], mod.make_attrs({}))[0].tolist() == [1, 1, -1, -1, 0]
    assert mod.compute([a, b], mod.make_attrs({"fmod": 1}))[0].tolist() == [1, -1, 1, -1, 0]


def test_pow_keeps_base_dtype_and_allows_negative_integer_exponents() -> None:
    pow_ = lookup("Pow")
    base = np.array([2, 4, -3], dtype=np.int32)
    out = pow_.compute([base, np.array([-1, 2, 3], dtype=np.int64)], pow_.make_attrs({}))[0]
    assert out.dtype == np.int32 and out.tolist() == [0, 16, -27]
    assert infer("Pow", [t(DType.FLOAT16, 2, 1), t(DType.INT64, 3)]) == [t(DType.FLOAT16, 2, 3)]


def test_variadic_broadcasts_all_inputs() -> None:
    types = [t(DType.FLOAT32, 2, 1, 1), t(DType.FLOAT32, 3, 1), t(DType.FLOAT32, 4)]
    assert infer("Sum", types) == [t(DType.FLOAT32, 2, 3, 4)]
    assert infer("Max", types[:1]) == types[:1]


@pytest.mark.parametrize("op", ["Add", "Div", "Mod", "Pow", "Sum", "Max"])
def test_shapes_that_do_not_broadcast_are_rejected(op: str) -> None:
    with pytest.raises(ShapeError, match="do not broadcast"):
        infer(op, [t(DType.FLOAT32, 2, 3), t(DType.FLOAT32, 4)])


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Mod", "Min", "Mean"])
def test_mixed_dtypes_are_rejected(op: str) -> None:
    with pytest.raises(ShapeError, match="one dtype"):
        infer(op, [t(DType.FLOAT32, 3), t(DType.INT64, 3)])


def test_bad_attributes_and_dtypes_are_rejected() -> None:
    with pytest.raises(ShapeError, match="fmod"):
        infer("Mod", [t(DType.INT32, 3)] * 2, fmod=2)
    with pytest.raises(ShapeError, match="dtype bool"):
        infer("Add", [t(DType.BOOL, 3)] * 2)
    with pytest.raises(ShapeError, match="dtype int32"):
        infer("Mean", [t(DType.INT32, 3)] * 2)


def test_macs_count_one_per_output_element_and_operand() -> None:
    types = [t(DType.FLOAT32, 2, 3), t(DType.FLOAT32, 3)]
    for op, expected in [("Add", 6), ("Pow", 6), ("Sum", 6)]:
        cls = lookup(op)
        attrs = cls.make_attrs({})
        assert cls.macs(types, cls.infer(types, attrs), attrs) == expected
    sum_ = lookup("Sum")
    three = [t(DType.FLOAT32, 4)] * 3
    assert sum_.macs(three, [t(DType.FLOAT32, 4)], sum_.make_attrs({})) == 8
