"""Gather, GatherElements, GatherND: inference errors, negative indices, export round trips."""

import numpy as np
import pytest
from _roundtrip import check_roundtrip

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.indexing import Gather, GatherElements, GatherND
from tessera.ir.types import TensorType

RNG = np.random.default_rng(1)


def t(dtype: DType, *shape: int) -> TensorType:
    return TensorType(dtype, shape)


F32, I64 = DType.FLOAT32, DType.INT64


@pytest.mark.parametrize(
    ("op", "inputs", "attrs", "message"),
    [
        (Gather, [t(F32, 3, 4), t(F32, 2)], {}, "Gather indices has dtype float32"),
        (Gather, [t(F32, 3, 4), t(I64, 2)], {"axis": 2}, "out of range"),
        (Gather, [t(F32), t(I64, 2)], {}, "rank >= 1"),
        (GatherElements, [t(F32, 3, 4), t(I64, 3)], {}, "rank 1 differs"),
        (GatherElements, [t(F32, 3, 4), t(I64, 2, 5)], {}, "exceeds data shape"),
        (GatherND, [t(F32, 2, 3), t(I64, 3, 1)], {"batch_dims": 1}, "batch dimensions differ"),
        (GatherND, [t(F32, 2, 3), t(I64, 2, 3)], {}, "tuples have length 3"),
        (GatherND, [t(F32, 2, 3), t(I64, 2, 1)], {"batch_dims": 2}, "below both ranks"),
    ],
)
def test_invalid_inputs_raise_shape_errors(op, inputs, attrs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShapeError, match=message):
        op.infer(inputs, op.make_attrs(attrs))


def test_gather_shapes() -> None:
    out = Gather.infer([t(F32, 3, 4, 5), t(I64, 2, 6)], Gather.make_attrs({"axis": -2}))
    assert out[0].shape == (3, 2, 6, 5)
    out = GatherND.infer([t(F32, 2, 3, 4), t(I64, 2, 5, 1)], GatherND.make_attrs({"batch_dims": 1}))
    assert out[0].shape == (2, 5, 4)


def test_gather_roundtrip_with_negative_indices() -> None:
    data = RNG.standard_normal((4, 5, 3)).astype(np.float32)
    indices = np.array([[0, -1], [3, -5]], dtype=np.int64)
    (out,) = check_roundtrip("Gather", [data, indices], axis=1)
    np.testing.assert_array_equal(out, data[:, [[0, 4], [3, 0]], :])
    check_roundtrip("Gather", [data, np.array(-2, dtype=np.int32)])


def test_gather_elements_roundtrip() -> None:
    data = RNG.standard_normal((3, 4)).astype(np.float32)
    indices = np.array([[0, -1, 2], [3, 1, -4]], dtype=np.int64)
    check_roundtrip("GatherElements", [data, indices], axis=1)


def test_gather_nd_roundtrip_with_batch_dims() -> None:
    data = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    indices = np.array([[[0, -1], [2, 3]], [[1, 0], [-3, -4]]], dtype=np.int64)
    (out,) = check_roundtrip("GatherND", [data, indices], batch_dims=1)
    assert out.shape == (2, 2, 5)
    check_roundtrip("GatherND", [data, np.array([[1, 2, 3], [0, 0, -1]], dtype=np.int64)])


def test_out_of_range_index_fails_at_run_time() -> None:
    data = np.zeros((2, 3), dtype=np.float32)
    with pytest.raises(IndexError, match="out of range"):
        Gather.compute([data, np.array([2], dtype=np.int64)], Gather.make_attrs({}))
