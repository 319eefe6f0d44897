"""Reductions and ArgMax/ArgMin: axes as attribute or input, keepdims, noop_with_empty_axes,
empty sets, inference errors, MACs, export round trips."""

import numpy as np
import pytest
from _roundtrip import Static, check_roundtrip, one_node_model

from tessera.errors import ShapeError
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.dtypes import DType
from tessera.ir.ops.reduce import ArgMax, ReduceLogSum, ReduceMax, ReduceMean, ReduceSum
from tessera.ir.types import TensorType

RNG = np.random.default_rng(2)
REDUCTIONS = [
    "ReduceMean",
    "ReduceSum",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceSumSquare",
]


def rand(*shape: int) -> np.ndarray:
    return RNG.uniform(0.5, 2.0, shape).astype(np.float32)


def axes(*values: int) -> Static:
    return Static(np.array(values, dtype=np.int64))


def test_errors() -> None:
    x = TensorType(DType.FLOAT32, (2, 3))
    with pytest.raises(ShapeError, match="out of range"):
        ReduceMean.infer([x], ReduceMean.make_attrs({"axes": (2,)}))
    with pytest.raises(ShapeError, match="repeat an axis"):
        ReduceSum.infer([x], ReduceSum.make_attrs({"axes": (1, -1)}))
    with pytest.raises(ShapeError, match="ReduceLogSum input has dtype int32"):
        ReduceLogSum.infer([x.with_dtype(DType.INT32)], ReduceLogSum.make_attrs({}))
    with pytest.raises(ShapeError, match="non-empty axis"):
        ArgMax.infer([TensorType(DType.FLOAT32, (2, 0))], ArgMax.make_attrs({"axis": 1}))


def test_axes_attribute_and_axes_input_import_alike() -> None:
    old, _ = one_node_model("ReduceMean", [rand(2, 3, 4)], opset=13, axes=[-1, 0], keepdims=0)
    new, _ = one_node_model("ReduceMean", [rand(2, 3, 4), axes(-1, 0)], opset=18, keepdims=0)
    nodes = [load_onnx(m).nodes[0] for m in (old, new)]
    assert nodes[0].attrs == nodes[1].attrs
    assert nodes[0].outputs[0].shape == (3,)


@pytest.mark.parametrize("op_type", REDUCTIONS)
def test_reduction_roundtrips(op_type: str) -> None:
    check_roundtrip(op_type, [rand(3, 4, 5), axes(0, -1)], opset=18)
    check_roundtrip(op_type, [rand(3, 4, 5)], opset=18, keepdims=0)


def test_reduce_mean_with_axes_roundtrip() -> None:
    x = rand(2, 3, 4, 5)
    (out,) = check_roundtrip("ReduceMean", [x, axes(2, 3)])
    np.testing.assert_allclose(out, x.mean(axis=(2, 3), keepdims=True), rtol=1e-6)


def test_noop_with_empty_axes() -> None:
    x = rand(2, 3)
    (out,) = check_roundtrip("ReduceSum", [x, axes()], noop_with_empty_axes=1)
    np.testing.assert_array_equal(out, x)
    (out,) = check_roundtrip("ReduceSum", [x, axes()])
    assert out.shape == (1, 1)


def test_empty_sets_reduce_to_identities() -> None:
    empty = np.zeros((2, 0, 3), dtype=np.float32)
    attrs = {"axes": (1,), "keepdims": 0}
    np.testing.assert_array_equal(ReduceMax.compute([empty], ReduceMax.make_attrs(attrs))[0], np.full((2, 3), -np.inf))
    np.testing.assert_array_equal(ReduceSum.compute([empty], ReduceSum.make_attrs(attrs))[0], np.zeros((2, 3)))
    ints = np.zeros((0,), dtype=np.int32)
    assert ReduceMax.compute([ints], ReduceMax.make_attrs({}))[0] == np.iinfo(np.int32).min


def test_integer_and_float16_reductions_keep_their_dtype() -> None:
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    out = ReduceMean.compute([x], ReduceMean.make_attrs({"axes": (1,)}))[0]
    np.testing.assert_array_equal(out, [[1], [5], [9]])
    assert out.dtype == np.int32
    half = np.full(4096, 0.1, dtype=np.float16)
    total = ReduceSum.compute([half], ReduceSum.make_attrs({}))[0]
    assert total.dtype == np.float16 and abs(float(total[0]) - 409.6) < 0.5


def test_reduction_macs_count_input_elements() -> None:
    x = TensorType(DType.FLOAT32, (2, 3, 4))
    attrs = ReduceSum.make_attrs({"axes": (1,)})
    assert ReduceSum.macs([x], ReduceSum.infer([x], attrs), attrs) == 24


@pytest.mark.parametrize("op_type", ["ArgMax", "ArgMin"])
def test_arg_reductions_roundtrip(op_type: str) -> None:
    x = RNG.integers(0, 3, (3, 4, 5)).astype(np.float32)  # many ties
    first = check_roundtrip(op_type, [x], axis=1)[0]
    last = check_roundtrip(op_type, [x], axis=-1, keepdims=0, select_last_index=1)[0]
    assert first.shape == (3, 1, 5) and last.shape == (3, 4)
    pick = np.argmax if op_type == "ArgMax" else np.argmin
    np.testing.assert_array_equal(last, 4 - pick(x[..., ::-1], axis=-1))
