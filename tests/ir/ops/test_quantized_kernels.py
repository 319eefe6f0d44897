"""int8 kernels: the fixed-point primitives against hand-computed TFLite/gemmlowp cases and a scalar
Python transcription of the C reference; the int8 ops against scalar loops (bit-exact) and against
onnxruntime's QLinear ops (which requantize in float: within 1 LSB)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from tessera.ir.ops._fixed_point import (
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)
from tessera.ir.ops.quantized import DequantizeLinear, QuantizeLinear, Requantize
from tessera.ir.ops.quantized_eltwise import QAdd, QAveragePool, QMul
from tessera.ir.ops.quantized_nn import QConv, QFullyConnected

I32 = st.integers(-(2**31), 2**31 - 1)


# ---- scalar transcription of gemmlowp / TFLite (Python ints, C semantics) -------------------------
def c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm(a: int, b: int) -> int:
    if a == b == -(2**31):
        return 2**31 - 1
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else 1 - (1 << 30)
    return c_div(ab + nudge, 1 << 31)


def rdbpot(x: int, e: int) -> int:
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


def mbqm(x: int, m: int, s: int) -> int:
    return rdbpot(srdhm(x * (1 << max(s, 0)), m), max(-s, 0))


# ---- primitives ------------------------------------------------------------------------------------
def test_rounding_divide_by_pot_hand_cases():
    x = np.array([3, -3, 5, -5, 6, -6, 7, -7, 2**31 - 1, -(2**31)])
    got = rounding_divide_by_pot(x, 1)
    # ties go away from zero: 1.5 -> 2, -1.5 -> -2, 2.5 -> 3, -2.5 -> -3
    assert got.tolist() == [2, -2, 3, -3, 3, -3, 4, -4, 2**30, -(2**30)]
    assert rounding_divide_by_pot(np.array([-5, 5, -6, 6]), 2).tolist() == [-1, 1, -2, 2]  # -1.25, 1.25, -1.5, 1.5


def test_saturating_rounding_doubling_high_mul_hand_cases():
    a = np.array([-(2**31), 2**30, -(2**30), 1 << 16, 3])
    b = np.array([-(2**31), 2**30, 2**30, 1 << 15, 1 << 30])
    # overflow saturates; 2^30 * 2^30 * 2 / 2^32 = 2^29; 2^16 * 2^15 * 2 / 2^32 = 0.5 -> rounds to 1 (nudge)
    assert saturating_rounding_doubling_high_mul(a, b).tolist() == [2**31 - 1, 2**29, -(2**29), 1, 2]


def test_quantize_multiplier_hand_cases():
    assert quantize_multiplier(0.5) == (1 << 30, 0)
    assert quantize_multiplier(1.0) == (1 << 30, 1)
    assert quantize_multiplier(0.25) == (1 << 30, -1)
    assert quantize_multiplier(0.0) == (0, 0)
    m, s = quantize_multiplier(0.1)
    assert m == 1717986918 and s == -3  # 0.8 * 2^31 rounded, 0.1 = 0.8 * 2^-3
    assert quantize_multiplier(1 - 2**-40) == (1 << 30, 1)  # the mantissa rounds up to 2^31: halved, shift + 1
    with pytest.raises(ValueError):
        quantize_multiplier(-1.0)


@settings(max_examples=300, deadline=None)
@given(I32, I32, st.integers(0, 31))
def test_fixed_point_matches_the_scalar_reference(a, b, e):
    assert int(saturating_rounding_doubling_high_mul(np.int64(a), np.int64(b))) == srdhm(a, b)
    assert int(rounding_divide_by_pot(np.int64(a), e)) == rdbpot(a, e)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**24), 2**24), st.floats(1e-6, 0.99))
def test_multiply_by_quantized_multiplier_matches_scalar_and_real(x, real):
    m, s = quantize_multiplier(real)
    got = int(multiply_by_quantized_multiplier(np.int64(x), m, s))
    assert got == mbqm(x, m, s)
    assert abs(got - x * real) <= 1.0 + abs(x * real) * 2**-30  # two roundings: within one step of exact


# ---- ops against scalar loops (bit-exact) --------------------------------------------------------------
def _out_attrs(scale: float, zp: int, reals, lo=-128, hi=127) -> dict:
    pairs = [quantize_multiplier(r) for r in reals]
    return {
        "y_scale": scale,
        "y_zero_point": zp,
        "multiplier": [m for m, _ in pairs],
        "shift": [s for _, s in pairs],
        "act_min": lo,
        "act_max": hi,
    }


def test_qfully_connected_is_bit_exact_with_scalar_loops(rng):
    x = rng.integers(-128, 128, (3, 16)).astype(np.int8)
    w = rng.integers(-127, 128, (5, 16)).astype(np.int8)
    bias = rng.integers(-5000, 5000, 5).astype(np.int32)
    reals = rng.uniform(0.001, 0.02, 5)
    attrs = {"x_scale": 0.1, "x_zero_point": 7, "w_scale": [0.01] * 5, **_out_attrs(0.2, -3, reals, -100, 90)}
    (got,) = QFullyConnected.compute([x, w, bias], QFullyConnected.make_attrs(attrs))
    a = QFullyConnected.make_attrs(attrs)
    for i in range(3):
        for n in range(5):
            acc = int(bias[n]) + sum((int(x[i, k]) - 7) * int(w[n, k]) for k in range(16))
            want = min(90, max(-100, mbqm(acc, a["multiplier"][n], a["shift"][n]) - 3))
            assert got[i, n] == want


def test_qconv_pads_with_the_zero_point_and_saturates(rng):
    x = rng.integers(-128, 128, (1, 2, 4, 4)).astype(np.int8)
    w = rng.integers(-127, 128, (3, 2, 3, 3)).astype(np.int8)
    bias = np.array([100, -100, 0], np.int32)
    attrs = QConv.make_attrs(
        {
            "pads": [1, 1, 1, 1],
            "x_scale": 0.1,
            "x_zero_point": -20,
            "w_scale": [0.01] * 3,
            **_out_attrs(0.05, 5, [0.3, 0.002, 0.02]),
        }
    )
    (got,) = QConv.compute([x, w, bias], attrs)
    xp = np.pad(x.astype(np.int64), [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-20)  # real zero
    for m in range(3):
        for i in range(4):
            for j in range(4):
                acc = int(bias[m]) + int(np.sum((xp[0, :, i : i + 3, j : j + 3] + 20) * w[m]))
                want = min(127, max(-128, mbqm(acc, attrs["multiplier"][m], attrs["shift"][m]) + 5))
                assert got[0, m, i, j] == want
    assert (got[0, 0] == 127).any() or (got[0, 0] == -128).any()  # the large multiplier saturates


def test_qadd_and_qmul_follow_tflite(rng):
    a = rng.integers(-128, 128, (2, 6)).astype(np.int8)
    b = rng.integers(-128, 128, (2, 6)).astype(np.int8)
    sa, sb, sy, za, zb, zy = 0.05, 0.02, 0.06, 3, -9, -1
    twice = 2 * max(sa, sb)
    am, ash = quantize_multiplier(sa / twice)
    bm, bsh = quantize_multiplier(sb / twice)
    ops = {"a_scale": sa, "a_zero_point": za, "b_scale": sb, "b_zero_point": zb}
    add_attrs = QAdd.make_attrs(
        {
            **ops,
            "a_multiplier": am,
            "a_shift": ash,
            "b_multiplier": bm,
            "b_shift": bsh,
            **_out_attrs(sy, zy, [twice / (2**20 * sy)]),
        }
    )
    (got,) = QAdd.compute([a, b], add_attrs)
    m, s = add_attrs["multiplier"][0], add_attrs["shift"][0]
    for i, j in np.ndindex(a.shape):
        raw = mbqm((int(a[i, j]) - za) << 20, am, ash) + mbqm((int(b[i, j]) - zb) << 20, bm, bsh)
        assert got[i, j] == min(127, max(-128, mbqm(raw, m, s) + zy))
    real = (a.astype(float) - za) * sa + (b.astype(float) - zb) * sb
    assert np.abs((got.astype(float) - zy) * sy - np.clip(real, (-128 - zy) * sy, (127 - zy) * sy)).max() <= sy
    mul_attrs = QMul.make_attrs({**ops, **_out_attrs(sy, zy, [sa * sb / sy])})
    (got,) = QMul.compute([a, b], mul_attrs)
    m, s = mul_attrs["multiplier"][0], mul_attrs["shift"][0]
    for i, j in np.ndindex(a.shape):
        assert got[i, j] == min(127, max(-128, mbqm((int(a[i, j]) - za) * (int(b[i, j]) - zb), m, s) + zy))


def test_qaverage_pool_rounds_half_away_from_zero_and_skips_pads():
    x = np.array([[[[1, 2], [-3, -4]]]], np.int8)  # window sums with pads=1, kernel 2, stride 1
    attrs = QAveragePool.make_attrs({"kernel_shape": [2, 2], "pads": [1, 1, 1, 1], "scale": 0.1, "zero_point": 0})
    (got,) = QAveragePool.compute([x], attrs)
    # corners read one input; edges two: (1+2)/2=1.5->2, (1-3)/2=-1->-1, (2-4)/2=-1, (-3-4)/2=-3.5->-4; centre -4/4=-1
    assert got[0, 0].tolist() == [[1, 2, 2], [-1, -1, -1], [-3, -4, -4]]


def test_requantize_and_quantize_linear_saturate():
    attrs = Requantize.make_attrs({"x_scale": 0.1, "x_zero_point": 10, **_out_attrs(0.05, -5, [2.0])})
    (got,) = Requantize.compute([np.array([-128, 10, 11, 127], np.int8)], attrs)
    assert got.tolist() == [-128, -5, -3, 127]
    q = QuantizeLinear.compute(
        [np.array([0.25, 0.35, -100.0, 100.0], np.float32), np.float32(0.1), np.int8(0)], QuantizeLinear.make_attrs({})
    )
    assert q[0].tolist() == [2, 4, -128, 127]  # 2.5 rounds to even; 3.5 -> 4; saturation
    dq = DequantizeLinear.compute([q[0], np.float32(0.1), np.int8(0)], DequantizeLinear.make_attrs({}))
    assert np.allclose(dq[0], [0.2, 0.4, -12.8, 12.7])


# ---- against onnxruntime's QLinear kernels -----------------------------------------------------------
def _ort(nodes, inputs, inits, out_type=TensorProto.INT8):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(k, TensorProto.INT8, v.shape) for k, v in inputs.items()],
        [helper.make_tensor_value_info("y", out_type, None)],
        [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, inputs)[0]


def test_qconv_within_one_lsb_of_ort_qlinearconv(rng):
    x = rng.integers(-128, 128, (1, 4, 7, 7)).astype(np.int8)
    w = rng.integers(-127, 128, (6, 4, 3, 3)).astype(np.int8)
    bias = rng.integers(-2000, 2000, 6).astype(np.int32)
    sx, zx, sy, zy = 0.05, 4, 0.4, -2
    sw = rng.uniform(0.002, 0.01, 6).astype(np.float32)
    attrs = QConv.make_attrs(
        {
            "pads": [1, 1, 1, 1],
            "strides": [2, 2],
            "x_scale": sx,
            "x_zero_point": zx,
            "w_scale": sw.tolist(),
            **_out_attrs(sy, zy, (np.float32(sx) * sw.astype(np.float64) / np.float32(sy))),
        }
    )
    (got,) = QConv.compute([x, w, bias], attrs)
    inits = {
        "sx": np.float32(sx),
        "zx": np.int8(zx),
        "w": w,
        "sw": sw,
        "zw": np.zeros(6, np.int8),
        "sy": np.float32(sy),
        "zy": np.int8(zy),
        "b": bias,
    }
    node = helper.make_node(
        "QLinearConv", ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy", "b"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2]
    )
    want = _ort([node], {"x": x}, inits)
    diff = np.abs(got.astype(int) - want.astype(int))
    assert diff.max() <= 1 and (diff == 0).mean() > 0.9


def test_quantize_linear_bit_exact_with_ort(rng):
    x = (rng.standard_normal((3, 50)) * 4).astype(np.float32)
    x[0, :4] = [0.25, -0.25, 0.75, 1.25]  # exact ties
    (got,) = QuantizeLinear.compute([x, np.float32(0.5), np.int8(3)], QuantizeLinear.make_attrs({}))
    graph = helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info("y", TensorProto.INT8, None)],
        [numpy_helper.from_array(np.float32(0.5), "s"), numpy_helper.from_array(np.int8(3), "z")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    np.testing.assert_array_equal(got, want)
