"""MatMul and Gemm: shapes, errors, MACs, and agreement with onnxruntime."""

import numpy as np
import pytest
from _nn_check import check_against_ort, node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.ir.types import TensorType

F32 = DType.FLOAT32


def _t(*shape: int, dtype: DType = F32) -> TensorType:
    return TensorType(dtype, shape)


@pytest.mark.parametrize(
    ("a", "b", "out"),
    [((3,), (3,), ()), ((3,), (2, 3, 4), (2, 4)), ((2, 5, 3), (3,), (2, 5)), ((2, 1, 4, 3), (5, 3, 6), (2, 5, 4, 6))],
)
def test_matmul_follows_numpy_shapes(a, b, out) -> None:  # type: ignore[no-untyped-def]
    assert MatMul.infer([_t(*a), _t(*b)], MatMul.make_attrs({})) == [_t(*out)]


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [((2, 3), (4, 5), "inner dimensions"), ((2, 2, 3), (3, 3, 4), "broadcast"), ((), (3,), "rank 1 or more")],
)
def test_matmul_rejects_mismatched_operands(a, b, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShapeError, match=message):
        MatMul.infer([_t(*a), _t(*b)], MatMul.make_attrs({}))


def test_macs() -> None:
    a, b = _t(2, 3, 4), _t(4, 5)
    out = MatMul.infer([a, b], MatMul.make_attrs({}))
    assert MatMul.macs([a, b], out, MatMul.make_attrs({})) == 2 * 3 * 5 * 4
    attrs = Gemm.make_attrs({"transA": 1})
    a, b = _t(4, 3), _t(4, 5)
    assert Gemm.macs([a, b], Gemm.infer([a, b], attrs), attrs) == 3 * 4 * 5


@pytest.mark.parametrize(
    ("a", "b", "dtype"),
    [((2, 1, 4, 3), (5, 3, 6), np.float32), ((3,), (2, 3, 4), np.float32), ((4, 3), (3,), np.int64)],
)
def test_matmul_matches_onnxruntime(a, b, dtype) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(20)
    feeds = {"a": (rng.standard_normal(a) * 4).astype(dtype), "b": (rng.standard_normal(b) * 4).astype(dtype)}
    check_against_ort(node_model("MatMul", feeds), feeds)


@pytest.mark.parametrize("c_shape", [None, (), (5,), (3, 1), (3, 5)])
@pytest.mark.parametrize(("trans_a", "trans_b"), [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_gemm_matches_onnxruntime(c_shape, trans_a, trans_b) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(21)
    a = rng.standard_normal((4, 3) if trans_a else (3, 4)).astype(np.float32)
    b = rng.standard_normal((5, 4) if trans_b else (4, 5)).astype(np.float32)
    weights = {"b": b} if c_shape is None else {"b": b, "c": rng.standard_normal(c_shape).astype(np.float32)}
    model = node_model("Gemm", {"a": a}, weights, alpha=0.5, beta=2.0, transA=trans_a, transB=trans_b)
    check_against_ort(model, {"a": a})


def test_gemm_rejects_mismatched_operands() -> None:
    with pytest.raises(ShapeError, match="inner dimensions"):
        Gemm.infer([_t(3, 4), _t(5, 4)], Gemm.make_attrs({}))
    with pytest.raises(ShapeError, match="does not broadcast"):
        Gemm.infer([_t(3, 4), _t(4, 5), _t(3, 2)], Gemm.make_attrs({}))
    with pytest.raises(ShapeError, match="rank 2"):
        Gemm.infer([_t(3, 4, 1), _t(4, 5)], Gemm.make_attrs({}))


def test_gemm_on_integers_and_float16() -> None:
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, dtype=np.int32).reshape(3, 2)
    c = np.array([1, 2], dtype=np.int32)
    (y,) = Gemm.compute([a, b, c], Gemm.make_attrs({"beta": 3.0}))
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, a @ b + 3 * c)
    (h,) = Gemm.compute([a.astype(np.float16), b.astype(np.float16)], Gemm.make_attrs({"alpha": 0.5}))
    assert h.dtype == np.float16
    np.testing.assert_allclose(h, 0.5 * (a @ b), rtol=1e-3)
