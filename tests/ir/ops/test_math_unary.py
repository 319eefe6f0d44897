"""Unary math: erf accuracy, float16 handling, dtype errors, MACs, onnxruntime round trips."""

import math

import numpy as np
import pytest
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.ops._erf import erf
from tessera.ir.types import TensorType

rng = np.random.default_rng(2)


def f32(*shape: int, low: float = -3.0, high: float = 3.0) -> np.ndarray:
    return rng.uniform(low, high, shape).astype(np.float32)


CASES = [
    ("Sqrt", f32(2, 3, low=0.0)),
    ("Exp", f32(2, 3)),
    ("Log", f32(2, 3, low=0.1)),
    ("Neg", f32(4)),
    ("Neg", rng.integers(-9, 9, 4).astype(np.int32)),
    ("Abs", rng.integers(-9, 9, 4).astype(np.int64)),
    ("Reciprocal", f32(4, low=0.5)),
    ("Floor", f32(6)),
    ("Ceil", f32(6)),
    ("Round", np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.3, -1.7], dtype=np.float32)),
    ("Sign", f32(6)),
    ("Erf", f32(3, 4)),
    ("Sin", f32(5)),
    ("Cos", f32(5)),
    ("Tan", f32(5, low=-1.2, high=1.2)),
    ("Asin", f32(5, low=-0.99, high=0.99)),
    ("Acos", f32(5, low=-0.99, high=0.99)),
    ("Atan", f32(5)),
    ("Sinh", f32(5)),
    ("Cosh", f32(5)),
    ("Asinh", f32(5)),
    ("Acosh", f32(5, low=1.0, high=5.0)),
    ("Atanh", f32(5, low=-0.99, high=0.99)),
]


@pytest.mark.parametrize(("op", "x"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_roundtrip_matches_onnxruntime(op: str, x: np.ndarray) -> None:
    check_roundtrip(one_node_model(op, {"x": x}), {"x": x})


def test_erf_matches_math_erf_to_double_precision() -> None:
    xs = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1, 500), [0.0, -0.0]])
    expected = np.array([math.erf(v) for v in xs])
    rel = np.abs(erf(xs) - expected) / np.maximum(np.abs(expected), 1e-300)
    assert rel.max() < 1e-14
    assert np.array_equal(erf(np.array([np.inf, -np.inf])), [1.0, -1.0])
    assert np.isnan(erf(np.array([np.nan])))[0]


def test_float16_is_computed_in_float32_and_rounded_once() -> None:
    exp = lookup("Exp")
    x = np.linspace(-4, 4, 101).astype(np.float16)
    out = exp.compute([x], exp.make_attrs({}))[0]
    assert out.dtype == np.float16
    assert np.array_equal(out, np.exp(x.astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize(
    ("op", "dtype"),
    [("Sqrt", DType.INT32), ("Erf", DType.BOOL), ("Neg", DType.UINT8), ("Round", DType.INT64), ("Abs", DType.BOOL)],
)
def test_unsupported_dtypes_are_rejected(op: str, dtype: DType) -> None:
    cls = lookup(op)
    with pytest.raises(ShapeError, match=f"dtype {dtype.value}"):
        cls.infer([TensorType(dtype, (3,))], cls.make_attrs({}))


def test_unary_math_counts_no_macs() -> None:
    # MACs count multiply-accumulates (conv, gemm, elementwise arithmetic), as published figures do
    sqrt = lookup("Sqrt")
    types = [TensorType(DType.FLOAT32, (2, 5))]
    assert sqrt.macs(types, sqrt.infer(types, sqrt.make_attrs({})), sqrt.make_attrs({})) == 0
