"""Torch kernels of the unary math ops and activations against the reference executor (float16
computed in float32 as the reference does; integer paths bit for bit), their gradients, and the
straight-through estimators of Sign and Round."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch import to_torch
from tessera.ir.ops import activation as act
from tessera.ir.ops import math_unary as mu
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node, torch
from tests.backends.torch._data import FLOATS, INTS, SIGNED, floats, ints, tolerance

# op -> (low, high) of a domain where it is defined and smooth
DOMAINS = {
    mu.Sqrt: (0.1, 4.0),
    mu.Exp: (-4.0, 4.0),
    mu.Log: (0.1, 4.0),
    mu.Reciprocal: (0.2, 3.0),
    mu.Erf: (-4.0, 4.0),
    mu.Neg: (-3.0, 3.0),
    mu.Abs: (-3.0, 3.0),
    mu.Sin: (-3.0, 3.0),
    mu.Cos: (-3.0, 3.0),
    mu.Tan: (-1.2, 1.2),
    mu.Asin: (-0.9, 0.9),
    mu.Acos: (-0.9, 0.9),
    mu.Atan: (-3.0, 3.0),
    mu.Sinh: (-3.0, 3.0),
    mu.Cosh: (-3.0, 3.0),
    mu.Asinh: (-3.0, 3.0),
    mu.Acosh: (1.1, 4.0),
    mu.Atanh: (-0.9, 0.9),
}
STEPS = {mu.Floor: (-3.0, 3.0), mu.Ceil: (-3.0, 3.0), mu.Round: (-3.0, 3.0), mu.Sign: (-3.0, 3.0)}
ACTIVATIONS = [
    (act.Relu, {}),
    (act.Sigmoid, {}),
    (act.Tanh, {}),
    (act.Softplus, {}),
    (act.Softsign, {}),
    (act.Mish, {}),
    (act.Gelu, {"approximate": "none"}),
    (act.Gelu, {"approximate": "tanh"}),
    (act.HardSigmoid, {}),
    (act.HardSigmoid, {"alpha": 0.3, "beta": 0.4}),
    (act.HardSwish, {}),
    (act.LeakyRelu, {"alpha": 0.2}),
    (act.ThresholdedRelu, {"alpha": 0.5}),
    (act.Elu, {"alpha": 0.7}),
    (act.Selu, {}),
    (act.Celu, {"alpha": 1.5}),
    (act.Celu, {"alpha": -0.5}),
    (act.Shrink, {}),
    (act.Shrink, {"bias": 0.25, "lambd": 1.0}),
]


def _name(v: object) -> str:
    return getattr(v, "name", None) or str(v)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", [*DOMAINS, *STEPS], ids=_name)
def test_unary_matches_reference(op, dtype):
    low, high = {**DOMAINS, **STEPS}[op]
    x = floats(dtype, (3, 4, 5), low, high, seed=1)
    check_matches_reference(one_node(op, [x]), [x], **tolerance(dtype))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(("op", "attrs"), ACTIVATIONS, ids=_name)
def test_activation_matches_reference(op, attrs, dtype):
    x = floats(dtype, (4, 25), -6.0, 6.0, seed=2)
    check_matches_reference(one_node(op, [x], attrs), [x], **tolerance(dtype))


@pytest.mark.parametrize(("op", "attrs"), ACTIVATIONS, ids=_name)
def test_activations_at_extremes(op, attrs):
    """Large magnitudes, infinities and NaN behave as the reference (no overflow in torch)."""
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4, -np.inf, np.inf, np.nan], dtype=np.float32)
    check_matches_reference(one_node(op, [x], attrs), [x], batch=False)


def test_special_values_of_unary_math():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.5, -2.5, 0.5, 1.5, -0.5], dtype=np.float32)
    for op in (mu.Erf, mu.Sign, mu.Round, mu.Floor, mu.Ceil, mu.Abs, mu.Neg, mu.Exp, mu.Sqrt, mu.Log, mu.Reciprocal):
        check_matches_reference(one_node(op, [x]), [x], batch=False)


INTEGER_UNARY = [(op, d) for op in (mu.Abs, mu.Sign) for d in INTS] + [
    (op, d) for op in (mu.Neg, act.Relu) for d in SIGNED
]


@pytest.mark.parametrize(("op", "dtype"), INTEGER_UNARY, ids=_name)
def test_integer_unary_is_bit_exact(op, dtype):
    x = ints(dtype, (4, 6), seed=3)
    check_matches_reference(one_node(op, [x]), [x])


@pytest.mark.parametrize("dtype", INTS)
def test_integer_shrink_goes_through_float64(dtype):
    info = np.iinfo(dtype)
    x = np.arange(max(info.min, -6), min(info.max, 6) + 1).astype(dtype)
    for attrs in ({"bias": 2.0, "lambd": 1.5}, {"bias": 0.5, "lambd": 0.0}):
        check_matches_reference(one_node(act.Shrink, [x], attrs), [x])


@pytest.mark.parametrize("op", DOMAINS, ids=_name)
def test_unary_gradients(op):
    """Round and Sign have straight-through gradients instead (tested below)."""
    low, high = {**DOMAINS, **STEPS}[op]
    x = floats(np.float64, (3, 4), low, high, seed=4)
    x[np.abs(x) < 0.05] = 0.3  # Abs: away from its kink
    check_gradients(op, [x])


@pytest.mark.parametrize(("op", "attrs"), ACTIVATIONS, ids=_name)
def test_activation_gradients(op, attrs):
    x = floats(np.float64, (4, 6), -4.0, 4.0, seed=5)
    kinks = [0.0, -3.0, 3.0, 0.5, -0.5, 1.0, -1.0, -2.5 / 0.3 * 0.4, 2.0 / 0.3 * 0.4]
    for kink in kinks:  # Relu, HardSigmoid / HardSwish, ThresholdedRelu, Shrink: away from kinks
        x[np.abs(x - kink) < 0.05] = kink + 0.2
    check_gradients(op, [x], attrs)


def test_floor_and_ceil_run_without_gradient():
    x = floats(np.float32, (2, 3), seed=6)
    for op in (mu.Floor, mu.Ceil):
        module = to_torch(one_node(op, [x]))
        assert module.no_gradient[module.graph.nodes[0].name].startswith(f"{op.name}: ")
        t = torch.from_numpy(x).requires_grad_()
        out = module(x0=t)[module.graph.outputs[0].name]
        np.testing.assert_array_equal(out.detach().numpy(), getattr(np, op.name.lower())(x))
        out.sum().backward()
        np.testing.assert_array_equal(t.grad.numpy(), np.zeros_like(x))


def _grad_through_module(op: type, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    module = to_torch(one_node(op, [x]))
    t = torch.from_numpy(x).requires_grad_()
    out = module(x0=t)[module.graph.outputs[0].name]
    out.sum().backward()
    return out.detach().numpy(), t.grad.numpy()


def test_sign_straight_through_estimator():
    x = np.array([-3.0, -1.0, -0.4, 0.0, 0.2, 1.0, 1.5, 7.0], dtype=np.float32)
    value, grad = _grad_through_module(mu.Sign, x)
    np.testing.assert_array_equal(value, np.sign(x))
    np.testing.assert_array_equal(grad, (np.abs(x) <= 1).astype(np.float32))


def test_round_straight_through_estimator_rounds_half_to_even():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.7, -3.2], dtype=np.float32)
    value, grad = _grad_through_module(mu.Round, x)
    np.testing.assert_array_equal(value, np.rint(x))
    np.testing.assert_array_equal(grad, np.ones_like(x))
