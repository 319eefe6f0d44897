"""Torch kernels of comparisons, logic, bitwise ops and casts against the reference executor, bit
for bit for every dtype the reference accepts."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.dtypes import DType
from tessera.ir.ops import bitwise, cast, logic
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node, torch
from tests.backends.torch._data import FLOATS, INTS, floats, ints, small_ints

COMPARE = [logic.Equal, logic.Less, logic.LessOrEqual, logic.Greater, logic.GreaterOrEqual]
BITWISE = [bitwise.BitwiseAnd, bitwise.BitwiseOr, bitwise.BitwiseXor]
BOOLS = [logic.And, logic.Or, logic.Xor]
ALL = [*FLOATS, *INTS, np.bool_]


def _values(dtype: type, shape: tuple[int, ...], seed: int) -> np.ndarray:
    if dtype == np.bool_:
        return np.random.default_rng(seed).integers(0, 2, size=shape).astype(bool)
    if np.dtype(dtype).kind == "f":
        x = floats(dtype, shape, seed=seed).round(0)  # whole numbers: some elements are equal
        x.reshape(-1)[:3] = [np.nan, np.inf, -np.inf]
        return x
    return ints(dtype, shape, seed=seed)


@pytest.mark.parametrize("dtype", [*FLOATS, *INTS], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", COMPARE, ids=lambda o: o.name)
def test_comparisons(op, dtype):
    a = _values(dtype, (3, 6), seed=1)
    b = np.concatenate([a[0, :3], _values(dtype, (3,), seed=2)])  # equal elements too
    check_matches_reference(one_node(op, [a, b]), [a, b])


@pytest.mark.parametrize("op", [*BOOLS, logic.Equal], ids=lambda o: o.name)
def test_boolean_logic(op):
    a, b = _values(np.bool_, (2, 4), seed=3), _values(np.bool_, (4,), seed=4)
    check_matches_reference(one_node(op, [a, b]), [a, b])
    check_matches_reference(one_node(logic.Not, [a]), [a])


@pytest.mark.parametrize("dtype", ALL, ids=lambda d: np.dtype(d).name)
def test_where_broadcasts_all_three(dtype):
    cond = _values(np.bool_, (3, 1), seed=5)
    x, y = _values(dtype, (1, 4), seed=6), _values(dtype, (3, 4), seed=7)
    check_matches_reference(one_node(logic.Where, [cond, x, y]), [cond, x, y])


def test_where_gradient_goes_to_the_chosen_branch():
    cond = _values(np.bool_, (3, 4), seed=8)
    check_gradients(logic.Where, [cond, floats(np.float64, (3, 4), seed=9), floats(np.float64, (4,), seed=10)])


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_is_nan_and_is_inf(dtype):
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -1.5, 3.0], dtype=dtype)
    check_matches_reference(one_node(logic.IsNaN, [x]), [x])
    for negative in (True, False):
        for positive in (True, False):
            attrs = {"detect_negative": negative, "detect_positive": positive}
            check_matches_reference(one_node(logic.IsInf, [x], attrs), [x])


@pytest.mark.parametrize("dtype", INTS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", BITWISE, ids=lambda o: o.name)
def test_bitwise(op, dtype):
    a, b = ints(dtype, (3, 5), seed=11), ints(dtype, (5,), seed=12)
    check_matches_reference(one_node(op, [a, b]), [a, b])
    check_matches_reference(one_node(bitwise.BitwiseNot, [a]), [a])


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", INTS, ids=lambda d: np.dtype(d).name)
def test_bit_shift_every_count(dtype, direction):
    """Counts from below 0 to past the bit width, of values of the whole range."""
    bits = np.dtype(dtype).itemsize * 8
    signed = np.iinfo(dtype).min < 0
    count = np.arange(-2 if signed else 0, bits + 3).astype(dtype)
    if not signed:
        count = np.concatenate([count, np.array([np.iinfo(dtype).max], dtype=dtype)])
    x = ints(dtype, (6, 1), seed=13)
    check_matches_reference(one_node(bitwise.BitShift, [x, count], {"direction": direction}), [x, count])


def _castable(dtype: type, seed: int) -> np.ndarray:
    """Values every target dtype holds after numpy's C conversion rules without undefined behaviour:
    floats in [0, 127] (halves included) and negative ones down to -128 for signed targets."""
    if dtype == np.bool_:
        return _values(dtype, (12,), seed)
    if np.dtype(dtype).kind == "f":
        return np.concatenate([floats(dtype, (8,), 0.0, 127.0, seed=seed), np.array([0, -0.0, 0.5, 1.5], dtype)])
    return ints(dtype, (12,), seed=seed)


@pytest.mark.parametrize("source", ALL, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("op", [cast.Cast, cast.CastLike], ids=lambda o: o.name)
def test_cast_to_every_dtype(op, source):
    x = _castable(source, seed=14)
    for target in ALL:
        to = DType.from_numpy(np.dtype(target))
        check_matches_reference(one_node(op, [x], {"to": to}), [x], rtol=0, atol=0)


@pytest.mark.parametrize("target", [np.int8, np.int16, np.int32, np.int64], ids=lambda d: np.dtype(d).name)
def test_cast_of_negative_floats_truncates_toward_zero(target):
    x = np.array([-0.5, -1.5, -2.9, -127.99, 3.7], dtype=np.float32)
    check_matches_reference(one_node(cast.Cast, [x], {"to": DType.from_numpy(np.dtype(target))}), [x])


def test_cast_float64_to_float16_rounds_once():
    """torch's float64 -> float16 goes through float32 and can round twice; numpy rounds once."""
    x = np.random.default_rng(15).standard_normal(200_000) * 100
    x[:4] = [1 + 2**-11 + 2**-40, -(1 + 2**-11 + 2**-40), 1e6, np.nan]  # just above a half-way point
    check_matches_reference(one_node(cast.Cast, [x], {"to": DType.FLOAT16}), [x], rtol=0, atol=0, batch=False)


def test_float_to_float_cast_is_differentiable():
    """The gradient of a float cast is the identity (gradcheck's finite differences would measure
    the rounding of the narrower float instead)."""
    x = floats(np.float32, (3, 4), seed=16)
    for to in (DType.FLOAT16, DType.FLOAT64):
        graph = one_node(cast.Cast, [x], {"to": to})
        t = torch.from_numpy(x).requires_grad_()
        to_torch(graph)(x0=t)[graph.outputs[0].name].sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), np.ones_like(x))


NO_GRAD = [
    *[(op, [np.float32, np.float32]) for op in COMPARE],
    *[(op, [np.bool_, np.bool_]) for op in BOOLS],
    (logic.Not, [np.bool_]),
    (logic.IsNaN, [np.float32]),
    (logic.IsInf, [np.float32]),
    *[(op, [np.int32, np.int32]) for op in BITWISE],
    (bitwise.BitwiseNot, [np.int32]),
]


@pytest.mark.parametrize(("op", "dtypes"), NO_GRAD, ids=lambda v: getattr(v, "name", ""))
def test_ops_without_gradient_still_run_in_the_module(op, dtypes):
    xs = [_values(d, (2, 3), seed=17 + i) for i, d in enumerate(dtypes)]
    graph = one_node(op, xs)
    module = to_torch(graph)
    assert module.no_gradient[graph.nodes[0].name].startswith(f"{op.name}: ")
    check_matches_reference(graph, xs)


def test_bit_shift_runs_without_gradient():
    x, n = small_ints(np.int32, (4,), -9, 9, seed=18), small_ints(np.int32, (4,), 0, 4, seed=19)
    graph = one_node(bitwise.BitShift, [x, n], {"direction": "LEFT"})
    assert graph.nodes[0].name in to_torch(graph).no_gradient
    out = to_torch(graph)(x0=torch.from_numpy(x), x1=torch.from_numpy(n))
    np.testing.assert_array_equal(out[graph.outputs[0].name].numpy(), x << n)
