"""Torch kernels of elementwise arithmetic, Clip and PRelu against the reference executor (every
dtype the reference accepts; integers bit for bit), and their gradients."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.ops import clip, elementwise
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node
from tests.backends.torch._data import FLOATS, INTS, SIGNED, floats, ints, small_ints, tolerance

BINARY = [elementwise.Add, elementwise.Sub, elementwise.Mul, elementwise.Div]
INT_BINARY = [*BINARY, elementwise.Max, elementwise.Min]
MODS = [0, 1]
SHAPES = [((2, 3, 4), (3, 1)), ((5,), (5,)), ((1, 4), (3, 1)), ((1,), (2, 2))]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("op", [*BINARY, elementwise.Pow], ids=lambda o: o.name)
def test_float_binary_matches_reference(op, shapes, dtype):
    a = floats(dtype, shapes[0], 0.5, 3.0, seed=1)
    b = floats(dtype, shapes[1], -2.0, 2.0, seed=2)
    if op is not elementwise.Pow:
        a = np.asarray(a * np.where(np.arange(a.size).reshape(a.shape) % 2, -1, 1), dtype=dtype)
    check_matches_reference(one_node(op, [a, b]), [a, b], **tolerance(dtype))


@pytest.mark.parametrize("fmod", MODS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_float_mod_signs(dtype, fmod):
    a = floats(dtype, (4, 6), -10, 10, seed=3)
    b = np.array([3.0, -3.0, 2.5, -0.75, 1.0, 0.0], dtype=dtype)
    check_matches_reference(one_node(elementwise.Mod, [a, b], {"fmod": fmod}), [a, b], **tolerance(dtype))


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", INT_BINARY, ids=lambda o: o.name)
def test_integer_binary_is_bit_exact(op, dtype):
    a = ints(dtype, (4, 8), seed=4)
    b = ints(dtype, (8,), seed=5)
    b[:3] = np.array([0, 1, -1 if np.iinfo(dtype).min < 0 else 7], dtype=dtype)  # divide by 0, 1, -1
    check_matches_reference(one_node(op, [a, b]), [a, b])


@pytest.mark.parametrize("fmod", MODS)
@pytest.mark.parametrize("dtype", INTS)
def test_integer_mod_is_bit_exact(dtype, fmod):
    a = ints(dtype, (4, 8), seed=6)
    b = ints(dtype, (8,), seed=7)
    b[:2] = np.array([0, 1], dtype=dtype)
    b[2:5] = small_ints(dtype, (3,), -5 if np.iinfo(dtype).min < 0 else 2, 5, seed=8)
    check_matches_reference(one_node(elementwise.Mod, [a, b], {"fmod": fmod}), [a, b])


def test_integer_division_truncates_like_the_reference():
    a = np.array([-7, 7, -8, 5, -(2**31), 3], dtype=np.int32)
    b = np.array([2, -2, 3, 5, -1, 0], dtype=np.int32)
    check_matches_reference(one_node(elementwise.Div, [a, b]), [a, b])


@pytest.mark.parametrize("dtype", INTS)
def test_integer_pow_wraps_like_the_reference(dtype):
    base = small_ints(dtype, (3, 6), 0, 50, seed=9)
    exponent = small_ints(dtype, (6,), 0, 70, seed=10)
    check_matches_reference(one_node(elementwise.Pow, [base, exponent]), [base, exponent])


@pytest.mark.parametrize("dtype", SIGNED)
def test_negative_integer_exponent_goes_through_float64(dtype):
    base = small_ints(dtype, (2, 5), -4, 4, seed=11)
    exponent = np.array([-1, 2, 0, 3, 1], dtype=dtype)
    base[0, 0] = 1  # 0 ** -1 is inf: its integer conversion is undefined
    base[1, 0] = -1
    check_matches_reference(one_node(elementwise.Pow, [base, exponent]), [base, exponent])


@pytest.mark.parametrize(
    "dtypes", [(np.float32, np.int64), (np.float16, np.int32), (np.int32, np.float32), (np.uint8, np.uint64)], ids=str
)
def test_pow_of_mixed_dtypes_uses_numpys_common_dtype(dtypes):
    base = small_ints(dtypes[0], (3, 4), 0, 6, seed=12) + np.asarray(0.5, dtypes[0]) * (dtypes[0] != np.uint8)
    base = base.astype(dtypes[0])
    exponent = small_ints(dtypes[1], (4,), 0, 5, seed=13)
    check_matches_reference(one_node(elementwise.Pow, [base, exponent]), [base, exponent], **tolerance(dtypes[0]))


@pytest.mark.parametrize("count", [1, 2, 4])
@pytest.mark.parametrize(
    "op", [elementwise.Sum, elementwise.Max, elementwise.Min, elementwise.Mean], ids=lambda o: o.name
)
def test_variadic_broadcasts_all_inputs(op, count):
    shapes = [(2, 1, 4), (3, 1), (4,), (2, 3, 4)][:count]
    xs = [floats(np.float32, s, seed=20 + i) for i, s in enumerate(shapes)]
    check_matches_reference(one_node(op, xs), xs)


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("op", [elementwise.Max, elementwise.Min], ids=lambda o: o.name)
def test_variadic_integers_are_bit_exact(op, dtype):
    xs = [ints(dtype, (3, 4), seed=30), ints(dtype, (4,), seed=31), ints(dtype, (3, 1), seed=32)]
    check_matches_reference(one_node(op, xs), xs)


def test_max_and_min_propagate_nan():
    a = np.array([np.nan, 1.0, -np.inf, 2.0], dtype=np.float32)
    b = np.array([0.0, np.nan, 3.0, np.inf], dtype=np.float32)
    for op in (elementwise.Max, elementwise.Min):
        check_matches_reference(one_node(op, [a, b]), [a, b])


BOUNDS = [{"min": -0.5}, {"max": 0.7}, {"min": -1.0, "max": 1.25}, {"min": 1.0, "max": -1.0}, {}]


@pytest.mark.parametrize("bounds", BOUNDS, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_clip_floats(dtype, bounds):
    x = floats(dtype, (3, 5), seed=40)
    x[0, 0] = np.nan
    check_matches_reference(one_node(clip.Clip, [x], bounds), [x], **tolerance(dtype))


@pytest.mark.parametrize("dtype", INTS)
def test_clip_integers_saturate_their_bounds(dtype):
    x = ints(dtype, (4, 6), seed=41)
    for bounds in ({"min": -1e30, "max": 1e30}, {"min": 3.0, "max": 200.0}, {"max": 5.0}, {"min": 2.0**40}):
        check_matches_reference(one_node(clip.Clip, [x], bounds), [x])


def test_clip_bounds_stay_out_of_the_parameters():
    x = floats(np.float32, (2, 3), seed=42)
    module = to_torch(one_node(clip.Clip, [x], {"min": 0.0, "max": 1.0}))
    assert dict(module.named_graph_parameters()) == {}


@pytest.mark.parametrize("slope_shape", [(1,), (3, 1), (4,), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_prelu_floats(dtype, slope_shape):
    x = floats(dtype, (2, 3, 4), seed=43)
    slope = floats(dtype, slope_shape, 0.0, 0.5, seed=44)
    check_matches_reference(one_node(clip.PRelu, [x, slope]), [x, slope], **tolerance(dtype))


@pytest.mark.parametrize("dtype", INTS)
def test_prelu_integers(dtype):
    x = ints(dtype, (3, 4), seed=45)
    slope = small_ints(dtype, (4,), 0, 3, seed=46)
    check_matches_reference(one_node(clip.PRelu, [x, slope]), [x, slope])


def test_prelu_slope_is_a_trainable_parameter():
    x = floats(np.float32, (2, 3), seed=47)
    graph = one_node(clip.PRelu, [x], consts={1: np.full((3,), 0.25, dtype=np.float32)})
    module = to_torch(graph)
    assert [name for name, _ in module.named_graph_parameters()] == ["c1"]
    check_matches_reference(graph, [x])


GRADIENTS = [
    (elementwise.Add, {}),
    (elementwise.Sub, {}),
    (elementwise.Mul, {}),
    (elementwise.Div, {}),
    (elementwise.Mod, {"fmod": 0}),
    (elementwise.Mod, {"fmod": 1}),
    (elementwise.Pow, {}),
]


@pytest.mark.parametrize(("op", "attrs"), GRADIENTS, ids=lambda v: getattr(v, "name", str(v)))
def test_binary_gradients(op, attrs):
    a = floats(np.float64, (2, 3), 0.6, 2.9, seed=50)
    b = floats(np.float64, (3,), 0.35, 1.3, seed=51)  # a / b away from integers: Mod has no kinks
    check_gradients(op, [a, b], attrs)


@pytest.mark.parametrize(
    "op", [elementwise.Sum, elementwise.Max, elementwise.Min, elementwise.Mean], ids=lambda o: o.name
)
def test_variadic_gradients(op):
    xs = [floats(np.float64, s, seed=52 + i) for i, s in enumerate([(2, 3), (3,), (2, 1)])]
    check_gradients(op, xs)


def test_clip_and_prelu_gradients():
    x = floats(np.float64, (3, 4), seed=55)
    x[np.abs(np.abs(x) - 0.5) < 0.05] = 0.2  # away from the bounds
    check_gradients(clip.Clip, [x], {"min": -0.5, "max": 0.5})
    x[np.abs(x) < 0.05] = 0.3
    check_gradients(clip.PRelu, [x, floats(np.float64, (4,), 0.1, 0.5, seed=56)])
