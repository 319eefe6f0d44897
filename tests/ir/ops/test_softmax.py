"""Softmax, LogSoftmax, Hardmax: axis handling, stability, float16, onnxruntime round trips."""

import numpy as np
import pytest
from ort_roundtrip import check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops import lookup
from tessera.ir.types import TensorType

rng = np.random.default_rng(4)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
@pytest.mark.parametrize("axis", [None, 0, 1, -2])
def test_roundtrip_matches_onnxruntime(op: str, axis: int | None) -> None:
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    attrs = {} if axis is None else {"axis": axis}
    check_roundtrip(one_node_model(op, {"x": x}, attrs), {"x": x})


def test_softmax_is_stable_for_large_inputs() -> None:
    softmax, log_softmax = lookup("Softmax"), lookup("LogSoftmax")
    x = np.array([[1000.0, 1001.0, 1002.0]], dtype=np.float32)
    attrs = softmax.make_attrs({})
    expected = np.exp([-2.0, -1.0, 0.0]) / np.exp([-2.0, -1.0, 0.0]).sum()
    np.testing.assert_allclose(softmax.compute([x], attrs)[0][0], expected, rtol=1e-6)
    np.testing.assert_allclose(log_softmax.compute([x], attrs)[0][0], np.log(expected), rtol=1e-6)


def test_softmax_float16_is_computed_in_float16_like_the_onnx_reference() -> None:
    softmax = lookup("Softmax")
    x = rng.standard_normal((4, 50)).astype(np.float16)
    out = softmax.compute([x], softmax.make_attrs({}))[0]
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    assert out.dtype == np.float16
    assert np.array_equal(out, e / e.sum(axis=-1, keepdims=True))
    wide = softmax.compute([x.astype(np.float64)], softmax.make_attrs({}))[0]
    np.testing.assert_allclose(out, wide, rtol=2e-3, atol=1e-4)


def test_hardmax_marks_the_first_maximum() -> None:
    hardmax = lookup("Hardmax")
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], dtype=np.float32)
    assert hardmax.compute([x], hardmax.make_attrs({}))[0].tolist() == [[0, 1, 0], [1, 0, 0]]


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
def test_axis_out_of_range_and_integer_inputs_are_rejected(op: str) -> None:
    cls = lookup(op)
    with pytest.raises(ShapeError, match="axis 2 is out of range"):
        cls.infer([TensorType(DType.FLOAT32, (2, 3))], cls.make_attrs({"axis": 2}))
    with pytest.raises(ShapeError, match="dtype int32"):
        cls.infer([TensorType(DType.INT32, (2, 3))], cls.make_attrs({}))


def test_macs() -> None:
    types = [TensorType(DType.FLOAT32, (2, 3))]
    softmax, hardmax = lookup("Softmax"), lookup("Hardmax")
    attrs = softmax.make_attrs({})
    assert softmax.macs(types, types, attrs) == 0  # exp and divide are not multiply-accumulates
    assert hardmax.macs(types, types, attrs) == 0
