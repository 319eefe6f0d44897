"""Torch kernels of the elementwise families against the reference executor, and their gradients."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.ir.ops import activation, elementwise
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node

RNG = np.random.default_rng(0)
BINARY = [elementwise.Add, elementwise.Sub, elementwise.Mul, elementwise.Div]


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.name)
def test_binary_matches_reference(op):
    a = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((3, 1)).astype(np.float32) + 3
    check_matches_reference(one_node(op, [a, b]), [a, b])


@pytest.mark.parametrize("op", BINARY, ids=lambda o: o.name)
def test_binary_gradients(op):
    a = RNG.standard_normal((2, 3))
    b = RNG.standard_normal((3,)) + 3
    check_gradients(op, [a, b])


def test_integer_division_truncates_like_the_reference():
    a = np.array([-7, 7, -8, 5], dtype=np.int32)
    b = np.array([2, -2, 3, 5], dtype=np.int32)
    check_matches_reference(one_node(elementwise.Div, [a, b]), [a, b])


def test_relu():
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    check_matches_reference(one_node(activation.Relu, [x]), [x])
    check_gradients(activation.Relu, [RNG.standard_normal((4, 5))])
