"""Torch kernels of Conv, ConvTranspose, MatMul, Gemm, pooling, normalization and softmax against the
reference executor (with a vmap batch), and their gradients in float64."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.ir.ops import conv, linalg
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node

RNG = np.random.default_rng(0)


def _f32(*shape: int) -> np.ndarray:
    return np.asarray(RNG.standard_normal(shape), dtype=np.float32)


def _check(op, inputs, attrs=None, consts=None, num_outputs=None, **tol):
    graph = one_node(op, inputs, attrs, consts=consts, num_outputs=num_outputs)
    check_matches_reference(graph, inputs, **tol)


CONV_CASES = [
    ((1, 2, 7), (3, 2, 3), {}),
    ((1, 2, 7), (3, 2, 3), {"strides": (2,), "dilations": (2,), "pads": (1, 2)}),
    ((2, 4, 6, 5), (4, 2, 3, 3), {"group": 2, "auto_pad": "SAME_UPPER", "strides": (2, 1)}),
    ((1, 4, 6, 5), (6, 2, 2, 3), {"group": 2, "auto_pad": "SAME_LOWER", "strides": (2, 2)}),
    ((1, 3, 6, 6), (2, 3, 3, 3), {"auto_pad": "VALID", "dilations": (2, 1)}),
    ((1, 3, 5, 6), (2, 3, 3, 2), {"pads": (0, 1, 2, 0)}),
    ((1, 2, 4, 4, 4), (2, 2, 2, 2, 2), {"strides": (1, 2, 1), "pads": (1, 0, 0, 0, 1, 1)}),
]


@pytest.mark.parametrize("xs, ws, attrs", CONV_CASES)
@pytest.mark.parametrize("bias", [False, True])
def test_conv(xs, ws, attrs, bias):
    x, w = _f32(*xs), _f32(*ws)
    consts = {1: w, 2: _f32(ws[0])} if bias else {1: w}
    _check(conv.Conv, [x], attrs, consts=consts, rtol=1e-4, atol=1e-5)


CONV_T_CASES = [
    ((1, 2, 5), (2, 3, 3), {}),
    ((1, 2, 5), (2, 3, 3), {"strides": (2,), "output_padding": (1,), "pads": (1, 0)}),
    ((1, 4, 3, 4), (4, 1, 3, 2), {"group": 2, "strides": (2, 3), "dilations": (1, 2), "pads": (1, 0, 0, 2)}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"strides": (2, 2), "auto_pad": "SAME_UPPER"}),
    ((1, 2, 3, 3), (2, 2, 2, 2), {"strides": (2, 2), "auto_pad": "SAME_LOWER"}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"strides": (2, 2), "output_shape": (8, 9)}),  # beyond the full result
    ((1, 2, 3, 3), (2, 2, 3, 3), {"strides": (2, 1), "output_shape": (1, 2, 5, 4)}),
    ((1, 2, 3, 3, 2), (2, 1, 2, 2, 2), {"auto_pad": "VALID", "strides": (1, 2, 2)}),
]


@pytest.mark.parametrize("xs, ws, attrs", CONV_T_CASES)
def test_conv_transpose(xs, ws, attrs):
    x, w = _f32(*xs), _f32(*ws)
    bias = _f32(ws[1] * attrs.get("group", 1))
    _check(conv.ConvTranspose, [x], attrs, consts={1: w, 2: bias}, rtol=1e-4, atol=1e-5)


def test_conv_float16_is_computed_in_float32():
    x, w = _f32(1, 2, 5, 5).astype(np.float16), _f32(3, 2, 3, 3).astype(np.float16)
    _check(conv.Conv, [x, w], {"pads": (1, 1, 1, 1)}, rtol=1e-3, atol=1e-3)
    _check(conv.ConvTranspose, [x, _f32(2, 3, 3, 3).astype(np.float16)], {}, rtol=1e-3, atol=1e-3)


def test_conv_gradients():
    x, w, b = RNG.standard_normal((1, 4, 5, 4)), RNG.standard_normal((2, 2, 3, 2)), RNG.standard_normal(2)
    check_gradients(conv.Conv, [x, w, b], {"group": 2, "strides": (2, 1), "pads": (1, 0, 2, 1)})
    wt = RNG.standard_normal((4, 1, 3, 2))
    attrs = {"group": 2, "strides": (2, 2), "output_shape": (9, 9)}
    check_gradients(conv.ConvTranspose, [x, wt, b], attrs)


MATMUL_SHAPES = [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((2, 1, 2, 3), (3, 3, 2))]


@pytest.mark.parametrize("a, b", MATMUL_SHAPES)
def test_matmul(a, b):
    x, y = _f32(*a), _f32(*b)
    _check(linalg.MatMul, [x, y])
    check_gradients(linalg.MatMul, [x.astype(np.float64), y.astype(np.float64)])


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint32, np.uint64, np.float16])
def test_matmul_dtypes(dtype):
    x = RNG.integers(0, 50, (2, 3, 4)).astype(dtype)
    y = RNG.integers(0, 50, (4, 2)).astype(dtype)
    _check(linalg.MatMul, [x, y], rtol=1e-3)


GEMM_CASES = [
    ({}, (3, 4), (4, 5), None),
    ({"transA": 1, "alpha": 0.5}, (4, 3), (4, 5), (5,)),
    ({"transB": 1, "beta": 2.0}, (3, 4), (5, 4), (3, 1)),
    ({"transA": 1, "transB": 1, "beta": 0.0}, (4, 3), (5, 4), (3, 5)),
    ({"beta": -1.5}, (3, 4), (4, 5), (1,)),
]


@pytest.mark.parametrize("attrs, a, b, c", GEMM_CASES)
def test_gemm(attrs, a, b, c):
    inputs = [_f32(*a), _f32(*b)] + ([] if c is None else [_f32(*c)])
    _check(linalg.Gemm, inputs, attrs)
    check_gradients(linalg.Gemm, [i.astype(np.float64) for i in inputs], attrs)


def test_gemm_beta_zero_ignores_non_finite_c():
    a, b, c = _f32(2, 3), _f32(3, 2), np.full((2, 2), np.inf, dtype=np.float32)
    _check(linalg.Gemm, [a, b, c], {"beta": 0.0})


def test_gemm_integers():
    a, b = RNG.integers(-9, 9, (2, 3)).astype(np.int32), RNG.integers(-9, 9, (3, 2)).astype(np.int32)
    c = RNG.integers(-9, 9, (2,)).astype(np.int32)
    _check(linalg.Gemm, [a, b, c], {"alpha": 0.5, "beta": 3.0})
    _check(linalg.Gemm, [a.astype(np.uint32) % 7, b.astype(np.uint32) % 7, c.astype(np.uint32) % 7])
