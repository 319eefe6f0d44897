"""Torch kernels of QuantizeLinear / DequantizeLinear (per tensor and per axis; int8, uint8 and
int32 zero points) against the reference, their simulation and its straight-through gradient, and
the simulated fixed-point stage against the integer one over random multipliers."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.backends.torch.fake_quant import simulate_stage
from tessera.backends.torch.fixed_point import requantize
from tessera.ir.ops._fixed_point import quantize_multiplier
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear
from tests.backends.torch._check import check_gradients, check_matches_reference, one_node, to_torch, torch
from tests.backends.torch._quant import simulated, stage

RNG = np.random.default_rng(0)
ZP_DTYPES = [np.int8, np.uint8, np.int32]


def _data(shape, dtype=np.float32, scale=0.05) -> np.ndarray:
    """Random values, with exact ties (k + 0.5) * scale and far out-of-range values mixed in."""
    x = RNG.standard_normal(shape) * 3
    flat = x.reshape(-1)
    flat[::5] = (RNG.integers(-40, 40, flat[::5].size) + 0.5) * scale
    flat[::7] = RNG.choice([-1e4, 1e4], flat[::7].size)
    return x.astype(dtype)


def _zero_points(dtype, n: int | None) -> np.ndarray:
    lo, hi = {np.int8: (-20, 20), np.uint8: (100, 160), np.int32: (-70000, 70000)}[dtype]
    return np.asarray(RNG.integers(lo, hi, size=n if n else ())).astype(dtype)


@pytest.mark.parametrize("zp_dtype", ZP_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("axis", [None, 1, -1], ids=["per_tensor", "axis1", "axis_last"])
def test_quantize_linear(zp_dtype, axis):
    x = _data((2, 3, 4))
    n = None if axis is None else x.shape[axis]
    scale = np.asarray(RNG.uniform(0.02, 0.08, size=n if n else ()), dtype=np.float32)
    if axis is None:
        scale = np.float32(0.05).reshape(())  # ties land exactly on .5
    graph = one_node(QuantizeLinear, [x], {"axis": axis or 1}, consts={1: scale, 2: _zero_points(zp_dtype, n)})
    check_matches_reference(graph, [x])
    np.testing.assert_array_equal(simulated(graph, [x])[graph.outputs[0].name], _reference(graph, x))


def _reference(graph, x) -> np.ndarray:
    from tessera.ir.interpreter import execute

    return execute(graph, {"x0": x})[graph.outputs[0].name].astype(np.float32)


@pytest.mark.parametrize("dtype", [np.float16, np.float64], ids=["f16", "f64"])
def test_quantize_linear_other_float_inputs_and_no_zero_point(dtype):
    x = _data((3, 5), dtype)
    graph = one_node(QuantizeLinear, [x], {}, consts={1: np.float32(0.02).reshape(())})
    assert graph.outputs[0].dtype.numpy() == np.uint8
    check_matches_reference(graph, [x])


def test_quantize_linear_simulation_passes_the_gradient_straight_through():
    x = np.array([0.013, -0.2, 0.5, 20.0, -20.0], dtype=np.float32)
    graph = one_node(QuantizeLinear, [x], {}, consts={1: np.float32(0.1).reshape(()), 2: np.int8(3).reshape(())})
    module = to_torch(graph, simulate=True)
    xt = torch.from_numpy(x).requires_grad_(True)
    out = module(x0=xt)[graph.outputs[0].name]
    assert out.tolist() == [3.0, 1.0, 8.0, 127.0, -128.0]
    out.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), [10.0, 10.0, 10.0, 0.0, 0.0], rtol=1e-6)  # 1 / scale; 0 clamped


@pytest.mark.parametrize("x_dtype", ZP_DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("axis", [None, 0, -1], ids=["per_tensor", "axis0", "axis_last"])
def test_dequantize_linear(x_dtype, axis):
    info = np.iinfo(x_dtype)
    lo, hi = max(info.min, -(2**20)), min(info.max, 2**20)
    x = RNG.integers(lo, hi, size=(3, 4), endpoint=True).astype(x_dtype)
    n = None if axis is None else x.shape[axis]
    scale = np.asarray(RNG.uniform(0.01, 0.1, size=n if n else ()), dtype=np.float32)
    graph = one_node(
        DequantizeLinear, [x], {"axis": 1 if axis is None else axis}, consts={1: scale, 2: _zero_points(x_dtype, n)}
    )
    check_matches_reference(graph, [x], rtol=0, atol=0)
    if x_dtype != np.int32:  # int32 codes above 2^24 are not whole float32 numbers
        np.testing.assert_array_equal(simulated(graph, [x])[graph.outputs[0].name], _reference(graph, x))


def test_dequantize_linear_float16_scale_without_zero_point():
    x = RNG.integers(-128, 128, size=(4, 6)).astype(np.int8)
    graph = one_node(DequantizeLinear, [x], {}, consts={1: np.float16(0.037).reshape(())})
    check_matches_reference(graph, [x], rtol=0, atol=0)


def test_dequantize_linear_gradient_in_the_scale():
    x = RNG.integers(-128, 128, size=(3, 4)).astype(np.int8)
    check_gradients(DequantizeLinear, [x, RNG.uniform(0.01, 0.1, size=4)], {"axis": 1})


def test_quantize_dequantize_chain_trains_in_simulation():
    x = _data((2, 6))
    g = one_node(QuantizeLinear, [x], {}, consts={1: np.float32(0.05).reshape(()), 2: np.int8(-3).reshape(())})
    scale, zp = g.add_constant("s", np.float32(0.05).reshape(())), g.add_constant("z", np.int8(-3).reshape(()))
    back = g.add_node(DequantizeLinear, [g.outputs[0], scale, zp], {})
    g.outputs = [back.output]
    xt = torch.from_numpy(x).requires_grad_(True)
    y = to_torch(g, simulate=True)(x0=xt)[back.output.name]
    y.sum().backward()
    inside = np.abs(x / 0.05 - 3) < 120
    np.testing.assert_allclose(xt.grad.numpy(), inside.astype(np.float32), rtol=1e-6)
    check_matches_reference(g, [x])


def test_simulated_stage_equals_the_integer_stage_over_random_multipliers():
    """2000 multipliers from 1e-6 to 4 (shifts -19 .. 2) on accumulators up to 2^22."""
    mismatched = total = 0
    for real in np.exp(RNG.uniform(np.log(1e-6), np.log(4.0), 2000)):
        attrs = stage(real, zp=-7)
        limit = min(2**22, int(2**30 / max(1.0, 2.0 ** quantize_multiplier(real)[1])))
        acc = torch.from_numpy(RNG.integers(-limit, limit, 64))
        exact = requantize(acc, attrs).to(torch.float32)
        sim = simulate_stage(acc.to(torch.float32), attrs)
        diff = (exact - sim).abs()
        assert diff.max() <= 1, real
        mismatched += int(torch.count_nonzero(diff))
        total += diff.numel()
    assert mismatched / total < 1e-3, f"{mismatched} of {total} codes differ"
