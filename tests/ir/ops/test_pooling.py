"""Pooling ops and LRN: output sizes (ceil_mode edges), errors, and agreement with onnxruntime."""

import numpy as np
import pytest
from _nn_check import check_against_ort, node_model

from tessera.errors import ShapeError
from tessera.ir.dtypes import DType
from tessera.ir.ops.pooling import LRN, AveragePool, GlobalAveragePool, MaxPool
from tessera.ir.types import TensorType

F32 = DType.FLOAT32


def _t(*shape: int) -> TensorType:
    return TensorType(F32, shape)


def test_ceil_mode_drops_a_window_that_starts_in_the_end_padding() -> None:
    attrs = {"kernel_shape": (2,), "strides": (3,)}
    # 4 inputs: floor((4 - 2) / 3) + 1 = 1; ceil mode adds the window starting at 3, inside the input
    assert MaxPool.infer([_t(1, 1, 4)], MaxPool.make_attrs(attrs))[0] == _t(1, 1, 1)
    assert MaxPool.infer([_t(1, 1, 4)], MaxPool.make_attrs({**attrs, "ceil_mode": 1}))[0] == _t(1, 1, 2)
    # 5 inputs padded by 1 at the end: ceil would add a window starting at 6, past the input: dropped
    padded = {**attrs, "pads": (0, 1), "ceil_mode": 1}
    assert AveragePool.infer([_t(1, 1, 5)], AveragePool.make_attrs(padded))[0] == _t(1, 1, 2)


def test_average_pool_ceil_mode_divides_by_positions_in_the_window() -> None:
    x = np.arange(5, dtype=np.float32).reshape(1, 1, 5)
    attrs = AveragePool.make_attrs({"kernel_shape": (2,), "strides": (2,), "ceil_mode": 1})
    (y,) = AveragePool.compute([x], attrs)
    np.testing.assert_allclose(y.reshape(-1), [0.5, 2.5, 4.0])  # the last window holds one element
    attrs = AveragePool.make_attrs({"kernel_shape": (3,), "pads": (1, 1), "count_include_pad": 1})
    (y,) = AveragePool.compute([x], attrs)
    np.testing.assert_allclose(y.reshape(-1), [1 / 3, 1, 2, 3, 7 / 3])  # pads count as zeros


def test_average_pool_macs_count_one_add_per_window_element() -> None:
    given = {"kernel_shape": (3, 3), "strides": (2, 2)}
    attrs = AveragePool.make_attrs(given)
    outputs = AveragePool.infer([_t(1, 2, 7, 7)], attrs)
    assert outputs == [_t(1, 2, 3, 3)]
    assert AveragePool.macs([_t(1, 2, 7, 7)], outputs, attrs) == 18 * 9
    assert MaxPool.macs([_t(1, 2, 7, 7)], outputs, MaxPool.make_attrs(given)) == 0  # comparisons only


def test_max_pool_indices_are_flat_positions() -> None:
    x = np.array([[[[1, 2, 9], [8, 3, 4]]]], dtype=np.float32)  # (1, 1, 2, 3)
    attrs = MaxPool.make_attrs({"kernel_shape": (2, 2)})
    y, indices = MaxPool.compute([np.concatenate([x, x + 10], axis=1)], attrs)
    np.testing.assert_array_equal(y.reshape(2, 2), [[8, 9], [18, 19]])
    np.testing.assert_array_equal(indices.reshape(2, 2), [[3, 2], [9, 8]])  # channel 1 starts at 6
    _, column_major = MaxPool.compute([x], MaxPool.make_attrs({"kernel_shape": (2, 2), "storage_order": 1}))
    np.testing.assert_array_equal(column_major.reshape(-1), [1, 4])


@pytest.mark.parametrize(
    ("op", "shape", "attrs", "message"),
    [
        (MaxPool, (1, 1, 4, 4), {"kernel_shape": (2,)}, "kernel_shape"),
        (MaxPool, (1, 1, 4, 4), {"kernel_shape": (5, 5)}, "does not fit"),
        (MaxPool, (1, 4), {"kernel_shape": (2,)}, "spatial axis"),
        (AveragePool, (1, 1, 4, 4), {"kernel_shape": (2, 2), "pads": (1, 1, 1)}, "pads"),
        (AveragePool, (1, 1, 4, 4), {"kernel_shape": (2, 2), "auto_pad": "same"}, "auto_pad"),
        (GlobalAveragePool, (1, 4), {}, "spatial axis"),
        (LRN, (1, 4, 3, 3), {"size": 0}, "size"),
    ],
)
def test_pooling_rejects_bad_attributes(op, shape, attrs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ShapeError, match=message):
        op.infer([_t(*shape)], op.make_attrs(attrs))


def test_pooling_requires_kernel_shape() -> None:
    with pytest.raises(ShapeError, match="kernel_shape"):
        MaxPool.make_attrs({})


POOL_CASES = [
    ((2, 3, 9, 8), {"kernel_shape": (3, 2), "strides": (2, 2), "pads": (1, 0, 1, 1)}),
    ((1, 2, 9, 8), {"kernel_shape": (3, 3), "strides": (2, 2), "pads": (1, 1, 1, 1), "ceil_mode": 1}),
    ((1, 2, 10, 7), {"kernel_shape": (2, 3), "strides": (3, 2), "ceil_mode": 1}),
    ((1, 2, 9, 9), {"kernel_shape": (3, 3), "strides": (2, 2), "auto_pad": "SAME_UPPER"}),
    ((1, 2, 9, 9), {"kernel_shape": (2, 2), "strides": (2, 2), "auto_pad": "SAME_LOWER"}),
    ((1, 2, 11), {"kernel_shape": (3,), "strides": (2,), "auto_pad": "VALID"}),
    ((1, 2, 5, 6, 7), {"kernel_shape": (2, 3, 2), "strides": (1, 2, 2), "pads": (0, 1, 1, 1, 1, 0)}),
]


@pytest.mark.parametrize(("shape", "attrs"), POOL_CASES)
def test_max_pool_matches_onnxruntime(shape, attrs) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    check_against_ort(node_model("MaxPool", {"x": x}, outputs=("y", "indices"), **attrs), {"x": x})


def test_max_pool_with_dilations_and_integers_matches_onnxruntime() -> None:
    rng = np.random.default_rng(6)
    attrs = {"kernel_shape": (2, 2), "dilations": (2, 3), "pads": (1, 1, 1, 0), "ceil_mode": 1, "strides": (2, 1)}
    x = rng.standard_normal((1, 2, 9, 10)).astype(np.float32)
    check_against_ort(node_model("MaxPool", {"x": x}, outputs=("y", "indices"), storage_order=1, **attrs), {"x": x})
    x = rng.integers(0, 255, (1, 2, 7, 7)).astype(np.uint8)
    check_against_ort(node_model("MaxPool", {"x": x}, **attrs), {"x": x})


@pytest.mark.parametrize(("shape", "attrs"), POOL_CASES)
@pytest.mark.parametrize("include_pad", [0, 1])
def test_average_pool_matches_onnxruntime(shape, attrs, include_pad) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(7).standard_normal(shape).astype(np.float32)
    check_against_ort(node_model("AveragePool", {"x": x}, count_include_pad=include_pad, **attrs), {"x": x})


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("shape", [(2, 3, 5), (1, 4, 3, 5), (1, 2, 3, 2, 4)])
def test_global_pools_match_onnxruntime(op, shape) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(8).standard_normal(shape).astype(np.float32)
    check_against_ort(node_model(op, {"x": x}), {"x": x})


@pytest.mark.parametrize("size", [1, 3, 5])
def test_lrn_matches_onnxruntime(size) -> None:  # type: ignore[no-untyped-def]
    x = np.random.default_rng(9).standard_normal((2, 7, 4, 3)).astype(np.float32)
    check_against_ort(node_model("LRN", {"x": x}, size=size, alpha=0.01, beta=0.6, bias=1.5), {"x": x})


def test_lrn_even_size_sums_one_channel_more_after() -> None:
    x = np.arange(1, 5, dtype=np.float32).reshape(1, 4, 1, 1)  # onnxruntime refuses even sizes
    (y,) = LRN.compute([x], LRN.make_attrs({"size": 2, "alpha": 2.0, "beta": 1.0, "bias": 1.0}))
    squares = np.array([1 + 4, 4 + 9, 9 + 16, 16])  # channels c and c + 1
    np.testing.assert_allclose(y.reshape(-1), np.arange(1, 5) / (1 + squares), rtol=1e-6)
