"""Torch kernels of the reductions and ArgMax / ArgMin against the reference executor (with a vmap
batch), their gradients in float64, and their integer and unsigned dtypes bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.ops import reduce
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node

RNG = np.random.default_rng(0)
REDUCE = [
    reduce.ReduceSum,
    reduce.ReduceMean,
    reduce.ReduceProd,
    reduce.ReduceMax,
    reduce.ReduceMin,
    reduce.ReduceL1,
    reduce.ReduceL2,
    reduce.ReduceSumSquare,
    reduce.ReduceLogSum,
    reduce.ReduceLogSumExp,
]
AXES = [
    {},
    {"axes": (1,)},
    {"axes": (0, -1), "keepdims": 0},
    {"axes": (2, 0)},
    {"noop_with_empty_axes": 1},
    {"keepdims": 0},
]


def _positive(*shape: int) -> np.ndarray:
    return np.asarray(RNG.uniform(0.5, 2.0, shape), dtype=np.float32)


@pytest.mark.parametrize("op", REDUCE, ids=lambda o: o.name)
@pytest.mark.parametrize("attrs", AXES)
def test_reduce_floats(op, attrs):
    x = _positive(2, 3, 4)
    check_matches_reference(one_node(op, [x], attrs), [x])
    check_gradients(op, [x.astype(np.float64)], attrs)


@pytest.mark.parametrize("op", REDUCE, ids=lambda o: o.name)
def test_reduce_float16_and_empty_axes(op):
    x = _positive(2, 3).astype(np.float16)
    check_matches_reference(one_node(op, [x], {"axes": (1,)}), [x], rtol=2e-3, atol=2e-3)
    empty = np.zeros((2, 0, 3), dtype=np.float32)
    check_matches_reference(one_node(op, [empty], {"axes": (1,)}), [empty])


def test_reduce_of_non_finite_values():
    x = np.array([[np.inf, 1.0], [-np.inf, -np.inf], [np.nan, 0.0]], dtype=np.float32)
    for op in (reduce.ReduceLogSumExp, reduce.ReduceMax, reduce.ReduceMin, reduce.ReduceSum):
        check_matches_reference(one_node(op, [x], {"axes": (1,)}), [x], batch=False)


INT_OPS = [op for op in REDUCE if op not in (reduce.ReduceLogSum, reduce.ReduceLogSumExp)]
INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64]


@pytest.mark.parametrize("op", INT_OPS, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", INT_DTYPES, ids=lambda d: np.dtype(d).name)
def test_reduce_integers_bit_exact(op, dtype):
    low = 0 if np.dtype(dtype).kind == "u" else -9
    x = RNG.integers(low, 10, (3, 4, 2)).astype(dtype)
    for attrs in ({"axes": (1,)}, {"keepdims": 0}):
        check_matches_reference(one_node(op, [x], attrs), [x])


@pytest.mark.parametrize("op", [reduce.ReduceMax, reduce.ReduceMin], ids=lambda o: o.name)
def test_reduce_extremes_of_large_unsigned_and_bool(op):
    x = np.array([[2**64 - 1, 3], [2**63, 2**63 - 1]], dtype=np.uint64)
    check_matches_reference(one_node(op, [x], {"axes": (1,)}), [x])
    check_matches_reference(one_node(op, [x.astype(np.uint32)], {"axes": (0,)}), [x.astype(np.uint32)])
    flags = np.array([[True, False], [True, True]])
    check_matches_reference(one_node(op, [flags], {"axes": (1,)}), [flags])


def test_reduce_sum_wraps_like_numpy():
    x = np.full((4, 100), 120, dtype=np.int8)
    check_matches_reference(one_node(reduce.ReduceSum, [x], {"axes": (1,)}), [x])
    big = np.full((3,), 2**63 + 5, dtype=np.uint64)
    check_matches_reference(one_node(reduce.ReduceSum, [big]), [big])


ARG = [reduce.ArgMax, reduce.ArgMin]


@pytest.mark.parametrize("op", ARG, ids=lambda o: o.name)
@pytest.mark.parametrize(
    "attrs", [{}, {"axis": 1}, {"axis": -1, "keepdims": 0}, {"axis": 1, "select_last_index": 1}, {"keepdims": 0}]
)
def test_arg_reduce(op, attrs):
    x = np.round(RNG.standard_normal((3, 4, 2)), 0).astype(np.float32)  # ties
    check_matches_reference(one_node(op, [x], attrs), [x])
    graph = one_node(op, [x], attrs)
    assert to_torch(graph).no_gradient


@pytest.mark.parametrize("op", ARG, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", [*INT_DTYPES, np.float16], ids=lambda d: np.dtype(d).name)
def test_arg_reduce_dtypes(op, dtype):
    x = RNG.integers(0, 4, (3, 5)).astype(dtype)
    check_matches_reference(one_node(op, [x], {"axis": 1}), [x])
    check_matches_reference(one_node(op, [x], {"axis": 1, "select_last_index": 1}), [x])
    if dtype == np.uint64:
        big = np.array([[2**64 - 1, 2**63, 1]], dtype=np.uint64)
        check_matches_reference(one_node(op, [big], {"axis": 1}), [big])


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32])
def test_reduce_l2_squares_wrap_like_numpy(dtype):
    x = np.array([[300, 70000 % 2**16, 5], [255, 2**15, 9]], dtype=np.int64).astype(dtype)
    check_matches_reference(one_node(reduce.ReduceL2, [x], {"axes": (1,)}), [x])
