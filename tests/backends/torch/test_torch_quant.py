"""Torch kernels of the int8 ops: exact mode bit for bit against the reference executor (and under
vmap), simulation within one code of exact, and gradients through the simulation."""

from __future__ import annotations

import numpy as np
import pytest

from tessera.errors import ExecutionError, UnsupportedOpError
from tessera.ir.interpreter import execute
from tessera.ir.ops import quantized
from tessera.ir.ops import quantized_eltwise as qe
from tessera.ir.ops import quantized_nn as qn
from tessera.ir.ops._fixed_point import quantize_multiplier
from tests.backends.torch._check import check_matches_reference, one_node, to_torch, torch
from tests.backends.torch._quant import check_simulation, int8, spread, stage

RNG = np.random.default_rng(0)
X_SCALE, X_ZP = 0.02, -5


def _conv_attrs(w: np.ndarray, per_channel: bool, **extra) -> dict:
    taps = int(np.prod(w.shape[1:]))
    w_scale = RNG.uniform(0.5, 1.5, w.shape[0]) * 0.01 if per_channel else np.array([0.01])
    real = spread(taps) * (w_scale / w_scale.mean())
    y_scale = float(X_SCALE * w_scale.mean() / spread(taps))
    lo, hi = extra.pop("bounds", (-128, 127))
    return {
        "x_scale": X_SCALE,
        "x_zero_point": X_ZP,
        "w_scale": [float(s) for s in w_scale],
        **stage(real, y_scale=y_scale, lo=lo, hi=hi),
        **extra,
    }


CONVS = {
    "plain": ((1, 3, 7, 6), (4, 3, 3, 3), {}),
    "padded_strided": ((1, 3, 8, 7), (5, 3, 3, 2), {"pads": [1, 0, 2, 1], "strides": [2, 1]}),
    "dilated_same": ((1, 2, 9, 9), (3, 2, 3, 3), {"dilations": [2, 2], "auto_pad": "SAME_UPPER"}),
    "depthwise": ((1, 4, 6, 6), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1]}),
    "grouped_1d": ((2, 4, 11), (6, 2, 3), {"group": 2, "strides": [2]}),
    "relu6_3d": ((1, 2, 4, 4, 3), (3, 2, 2, 2, 2), {"bounds": (-20, 60)}),
}


def _qconv(case: str, per_channel: bool, bias: bool = True):
    xs, ws, extra = CONVS[case]
    x, w = int8(RNG, xs), int8(RNG, ws, -127, 127)
    consts = {1: w, 2: RNG.integers(-3000, 3000, ws[0]).astype(np.int32)} if bias else {1: w}
    graph = one_node(qn.QConv, [x], _conv_attrs(w, per_channel, **dict(extra)), consts=consts)
    return graph, [x]


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("case", list(CONVS))
def test_qconv_exact_and_simulated(case, per_channel):
    graph, inputs = _qconv(case, per_channel)
    check_matches_reference(graph, inputs)
    check_simulation(graph, inputs)


def test_qconv_without_bias_and_weights_as_an_input():
    graph, inputs = _qconv("plain", True, bias=False)
    check_matches_reference(graph, inputs)
    w = graph.constants["c1"].data
    as_input = one_node(qn.QConv, [inputs[0], w], graph.nodes[0].attrs)
    check_matches_reference(as_input, [inputs[0], w])
    check_simulation(as_input, [inputs[0], w])


def _qfc(x_shape, out: int, per_channel: bool, bounds=(-128, 127)):
    x, w = int8(RNG, x_shape), int8(RNG, (out, x_shape[-1]), -127, 127)
    attrs = _conv_attrs(w, per_channel, bounds=bounds)
    return one_node(qn.QFullyConnected, [x], attrs, consts={1: w, 2: RNG.integers(-3000, 3000, out).astype(np.int32)})


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
@pytest.mark.parametrize("x_shape", [(1, 16), (2, 3, 9), (12,)], ids=["2d", "3d", "1d"])
def test_qfully_connected(x_shape, per_channel):
    graph = _qfc(x_shape, 7, per_channel, bounds=(-100, 90))
    x = [int8(RNG, x_shape)]
    check_matches_reference(graph, x)
    check_simulation(graph, x)


def _operands(scale_a: float = 0.03, scale_b: float = 0.05) -> dict:
    return {"a_scale": scale_a, "a_zero_point": 4, "b_scale": scale_b, "b_zero_point": -9}


def test_qmatmul_batched_and_broadcast():
    a, b = int8(RNG, (2, 3, 5, 8)), int8(RNG, (8, 6))
    real = spread(8)
    attrs = {**_operands(), **stage(real, y_scale=0.03 * 0.05 / real, lo=-60, hi=100)}
    graph = one_node(qn.QMatMul, [a, b], attrs)
    check_matches_reference(graph, [a, b])
    check_simulation(graph, [a, b])


def _add_attrs(scale_a: float, scale_b: float, y_scale: float, left_shift: int = 20, **bounds) -> dict:
    twice = 2 * max(scale_a, scale_b)
    am, ash = quantize_multiplier(scale_a / twice)
    bm, bsh = quantize_multiplier(scale_b / twice)
    out = stage(twice / ((1 << left_shift) * y_scale), y_scale=y_scale, **bounds)
    extra = {"a_multiplier": am, "a_shift": ash, "b_multiplier": bm, "b_shift": bsh, "left_shift": left_shift}
    return {**_operands(scale_a, scale_b), **extra, **out}


@pytest.mark.parametrize("bounds", [{}, {"lo": -128, "hi": 40}], ids=["plain", "fused_clip"])
def test_qadd_broadcast(bounds):
    a, b = int8(RNG, (2, 3, 4)), int8(RNG, (3, 1))
    graph = one_node(qe.QAdd, [a, b], _add_attrs(0.03, 0.05, 0.06, **bounds))
    check_matches_reference(graph, [a, b])
    check_simulation(graph, [a, b])


def test_qadd_small_headroom():
    a, b = int8(RNG, (64,)), int8(RNG, (64,))
    graph = one_node(qe.QAdd, [a, b], _add_attrs(0.05, 0.01, 0.04, left_shift=4))
    check_matches_reference(graph, [a, b])


@pytest.mark.parametrize("y_scale", [0.4, 0.0004], ids=["downscale", "upscale_left_shift"])
def test_qmul(y_scale):
    a, b = int8(RNG, (4, 5)), int8(RNG, (5,))
    if y_scale < 0.001:
        a, b = int8(RNG, (4, 5), -3, 3), int8(RNG, (5,), -12, -6)  # keep the product inside int8
    graph = one_node(qe.QMul, [a, b], {**_operands(), **stage(0.03 * 0.05 / y_scale, y_scale=y_scale, zp=-2)})
    check_matches_reference(graph, [a, b])
    check_simulation(graph, [a, b])


@pytest.mark.parametrize("ratio", [0.37, 3.7], ids=["down", "up"])
def test_requantize(ratio):
    x = int8(RNG, (3, 50))
    attrs = {"x_scale": 0.1, "x_zero_point": 7, **stage(ratio, y_scale=0.1 / ratio, zp=-4, lo=-100, hi=120)}
    graph = one_node(quantized.Requantize, [x], attrs)
    check_matches_reference(graph, [x])
    check_simulation(graph, [x])


POOLS = {
    "2x2": ((1, 3, 6, 6), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    "padded_3x3": ((1, 2, 7, 5), {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "strides": [2, 1]}),
    "ceil_mode": ((1, 2, 7, 7), {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
    "dilated_1d": ((2, 3, 12), {"kernel_shape": [3], "dilations": [2], "pads": [2, 1]}),
    "global_fused": ((1, 4, 5, 5), {"kernel_shape": [5, 5], "act_min": -10, "act_max": 50}),
}


@pytest.mark.parametrize("case", list(POOLS))
def test_qaverage_pool(case):
    shape, attrs = POOLS[case]
    x = int8(RNG, shape)
    graph = one_node(qe.QAveragePool, [x], {"scale": 0.1, "zero_point": 3, **attrs})
    check_matches_reference(graph, [x])
    check_simulation(graph, [x])


def test_qaverage_pool_rounds_ties_away_from_zero():
    x = np.array([[[[1, 2, -1, -2], [0, 1, 0, -1]]]], dtype=np.int8)  # window sums 4 / 4 -> 1, -4 / 4
    graph = one_node(qe.QAveragePool, [x], {"scale": 0.1, "zero_point": 0, "kernel_shape": [2, 2], "strides": [2, 2]})
    check_matches_reference(graph, [x], batch=False)
    small = np.array([[[[1, 1, -1, -1], [0, 0, 0, 0]]]], dtype=np.int8)  # 2 / 4 = 0.5 -> 1; -0.5 -> -1
    graph = one_node(
        qe.QAveragePool, [small], {"scale": 0.1, "zero_point": 0, "kernel_shape": [2, 2], "strides": [2, 2]}
    )
    check_matches_reference(graph, [small], batch=False)
    with torch.no_grad():
        got = to_torch(graph)(x0=torch.from_numpy(small))[graph.outputs[0].name]
    assert got.flatten().tolist() == [1, -1]


def test_qconv_gradient_reaches_the_weight_and_bias_shadows():
    graph, (x,) = _qconv("padded_strided", True)
    module = to_torch(graph, simulate=True)
    params = dict(module.named_graph_parameters())
    assert set(params) == {"c1", "c2"}
    assert not module.no_gradient
    out = module(x0=torch.from_numpy(x))[graph.outputs[0].name]
    (out * torch.linspace(-1, 1, out.numel()).reshape(out.shape)).sum().backward()
    for name in ("c1", "c2"):
        grad = params[name].grad
        assert grad is not None and torch.count_nonzero(grad) > 0, name


def test_qconv_with_four_spatial_axes_names_the_node():
    x, w = int8(RNG, (1, 1, 2, 2, 2, 2)), int8(RNG, (1, 1, 1, 1, 1, 1))
    graph = one_node(qn.QConv, [x], _conv_attrs(w, False), consts={1: w})
    with pytest.raises(UnsupportedOpError, match="QConv"):
        to_torch(graph)(x0=torch.from_numpy(x))


def test_left_shift_overflow_saturates_where_the_reference_raises():
    """A data-dependent raise cannot run under vmap: the kernel saturates to int32 instead (the
    quantize pass never emits a layer that could overflow)."""
    x = np.array([[0, 1, 100, -100]], dtype=np.int8)
    attrs = {"x_scale": 1.0, "x_zero_point": 0, **stage(2.0**28, y_scale=2.0**-28, zp=0)}
    graph = one_node(quantized.Requantize, [x], attrs)
    with pytest.raises(ExecutionError, match="OverflowError"):
        execute(graph, {"x0": x})
    with torch.no_grad():
        got = to_torch(graph)(x0=torch.from_numpy(x))[graph.outputs[0].name]
    assert got.tolist() == [[0, 127, 127, -128]]
