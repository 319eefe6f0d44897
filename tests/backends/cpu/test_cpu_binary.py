"""PackBits and BinaryConv on the cpu target equal the reference executor bit for bit (the uint32 words
and the float32 bits): odd channel counts, strides, explicit and SAME pads, pads wider than the kernel,
dilations, groups, alpha per channel, bias or none, exact zeros, 1-D and 3-D, and dirty bits past the
channels, NaN and infinities in PackBits. Several cases share one graph (one TVM compile per graph)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import TVM, require

import tessera
from tessera.errors import UnsupportedOpError
from tessera.ir import DType, Graph, TensorType
from tessera.ir.ops import lookup
from tessera.ir.ops.binary import BinaryConv, PackBits, words

F32, U32 = DType.FLOAT32, DType.UINT32

# (input shape (N, C, D...), output channels, kernel, attrs)
CASES_2D: list[tuple[tuple[int, ...], int, tuple[int, ...], dict[str, Any]]] = [
    ((1, 1, 6, 5), 2, (3, 3), {}),
    ((2, 5, 7, 6), 3, (3, 3), {"pads": (1, 1, 1, 1), "alpha": (0.5, -1.25, 3.0), "bias": (0.1, -0.2, 0.3)}),
    ((1, 33, 9, 8), 16, (3, 2), {"strides": (2, 2), "pads": (2, 0, 1, 1), "bias": "random"}),
    ((2, 70, 8, 7), 32, (3, 3), {"auto_pad": "SAME_UPPER", "strides": (2, 1), "alpha": (0.37,), "bias": "random"}),
    ((1, 70, 9, 9), 2, (3, 3), {"auto_pad": "SAME_LOWER", "dilations": (2, 3), "bias": (1.0, -1.0)}),
    ((1, 64, 10, 12), 64, (3, 3), {"group": 2, "pads": (1, 1, 1, 1), "alpha": "random", "bias": "random"}),
    ((1, 64, 16, 16), 64, (3, 3), {"pads": (1, 1, 1, 1), "alpha": "random", "bias": "random"}),
    ((1, 96, 14, 14), 48, (3, 3), {"group": 3, "strides": (2, 2), "pads": (1, 1, 1, 1), "alpha": "random"}),
    ((1, 5, 4, 4), 8, (3, 3), {"pads": (3, 2, 3, 4), "bias": "random"}),  # some windows lie all in the pads
    ((1, 5, 4, 4), 2, (1, 1), {"auto_pad": "VALID"}),
]
CASES_ND: list[tuple[tuple[int, ...], int, tuple[int, ...], dict[str, Any]]] = [
    ((1, 5, 11), 4, (3,), {"pads": (2, 1), "dilations": (2,), "strides": (2,), "alpha": (1.0, 2.0, 3.0, 4.0)}),
    ((2, 33, 10), 3, (4,), {"auto_pad": "SAME_UPPER", "bias": (0.5, 0.25, -0.125)}),
    ((1, 40, 4, 5, 6), 16, (3, 3, 2), {"pads": (1, 0, 1, 1, 1, 0), "alpha": "random", "bias": "random"}),
]


def _data(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Seeded float32 with exact zeros and -0.0 (both binarize to +1)."""
    x = rng.standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = 0.0
    x.reshape(-1)[3::11] = -0.0
    return x


def _attrs(rng: np.random.Generator, c: int, m: int, attrs: dict[str, Any]) -> dict[str, Any]:
    """The case's attrs with "random" alpha / bias drawn per output channel (values whose product and
    sum round twice: a fused multiply-add would change some of them)."""
    out = {"channels": c, **attrs}
    for key in ("alpha", "bias"):
        if out.get(key) == "random":
            out[key] = tuple(float(v) for v in rng.uniform(-3, 3, m).astype(np.float32))
    return out


def _graph(name: str, cases: list[Any], seed: int) -> tuple[Graph, dict[str, np.ndarray]]:
    """One graph: per case an input x_i -> PackBits -> BinaryConv(constant packed weights); the packed
    words and the convolution are both outputs. Returns it with seeded inputs."""
    rng = np.random.default_rng(seed)
    g = Graph(name)
    inputs = {}
    for i, (shape, m, kernel, attrs) in enumerate(cases):
        c, group = shape[1], attrs.get("group", 1)
        x = g.add_input(f"x{i}", TensorType(F32, shape))
        inputs[x.name] = _data(rng, shape)
        (w,) = PackBits.compute([_data(rng, (m, c // group, *kernel))], {})
        packed = g.add_node(PackBits, [x]).output
        conv = g.add_node(BinaryConv, [packed, g.add_constant(f"w{i}", w)], _attrs(rng, c, m, attrs)).output
        g.outputs += [packed, conv]
    return g, inputs


def _assert_bit_exact(g: Graph, inputs: dict[str, np.ndarray]) -> None:
    require("tvm", TVM)
    result = tessera.compile(g, target="cpu")
    want = tessera.run(result.graph, inputs)
    got = result.run(inputs)
    for name, ref in want.items():
        assert got[name].dtype == ref.dtype and got[name].shape == ref.shape, name
        assert got[name].tobytes() == ref.tobytes(), f"{name}: {np.sum(got[name] != ref)} values differ"


def test_binary_conv_2d_bit_for_bit() -> None:
    _assert_bit_exact(*_graph("binary_2d", CASES_2D, seed=11))


def test_binary_conv_1d_and_3d_bit_for_bit() -> None:
    _assert_bit_exact(*_graph("binary_nd", CASES_ND, seed=12))


def test_pack_bits_of_every_float_dtype_with_nan_and_infinities() -> None:
    """NaN is not < 0 (bit 0), -inf is; float16, float32 and float64 inputs, 37 channels."""
    rng = np.random.default_rng(15)
    g = Graph("pack_dtypes")
    inputs = {}
    for dtype in (DType.FLOAT16, F32, DType.FLOAT64):
        x = g.add_input(f"x_{dtype.value}", TensorType(dtype, (2, 37, 3, 5)))
        data = _data(rng, (2, 37, 3, 5))
        data.reshape(-1)[2::13] = np.nan
        data.reshape(-1)[4::17] = -np.inf
        data.reshape(-1)[5::19] = np.inf
        inputs[x.name] = data.astype(dtype.value)
        g.outputs.append(g.add_node(PackBits, [x]).output)
    _assert_bit_exact(g, inputs)


def test_dirty_bits_past_the_channels_are_ignored() -> None:
    """Packed operands whose bits past the channel count are set (a graph input of raw words, and
    weights of random words) give the reference's masked result."""
    rng = np.random.default_rng(13)
    g = Graph("dirty")
    x = g.add_input("x", TensorType(U32, (1, words(70), 9, 9)))
    w = rng.integers(0, 2**32, (32, words(70), 3, 3), dtype=np.uint32)
    attrs = {"channels": 70, "pads": (1, 1, 1, 1), "alpha": (0.75,), "bias": tuple(rng.uniform(-1, 1, 32).tolist())}
    g.outputs.append(g.add_node(BinaryConv, [x, g.add_constant("w", w)], attrs).output)
    _assert_bit_exact(g, {"x": rng.integers(0, 2**32, (1, 3, 9, 9), dtype=np.uint32)})


def test_fused_residual_add_and_relu_bit_for_bit() -> None:
    """BinaryConv without bias, then Add of a float residual and Relu: Relax fuses them into one kernel;
    the product must still round before the add (no contraction with the residual)."""
    rng = np.random.default_rng(14)
    g = Graph("fused")
    x = g.add_input("x", TensorType(F32, (1, 64, 8, 16)))
    r = g.add_input("r", TensorType(F32, (1, 32, 8, 16)))
    (w,) = PackBits.compute([_data(rng, (32, 64, 3, 3))], {})
    packed = g.add_node(PackBits, [x]).output
    attrs = _attrs(rng, 64, 32, {"pads": (1, 1, 1, 1), "alpha": "random"})
    conv = g.add_node(BinaryConv, [packed, g.add_constant("w", w)], attrs).output
    total = g.add_node(lookup("Add"), [conv, r]).output
    g.outputs.append(g.add_node(lookup("Relu"), [total]).output)
    _assert_bit_exact(
        g, {"x": _data(rng, (1, 64, 8, 16)), "r": rng.uniform(-50, 50, (1, 32, 8, 16)).astype(np.float32)}
    )


def test_a_fused_multiply_add_would_differ() -> None:
    """The 64 -> 64 case's alpha and bias are values where fma(dot, alpha, bias) differs from the
    reference's two roundings, so the bit-exact test above would catch a contracted epilogue."""
    rng = np.random.default_rng(0)
    dot = rng.integers(-576, 577, (64, 256)).astype(np.float32)
    alpha = rng.uniform(-3, 3, (64, 1)).astype(np.float32)
    bias = rng.uniform(-3, 3, (64, 1)).astype(np.float32)
    twice = dot * alpha + bias
    fused = (dot.astype(np.float64) * alpha + bias).astype(np.float32)  # exact product, one rounding
    assert np.sum(twice != fused) > 100


def test_the_fixed_schedule_takes_the_binary_conv() -> None:
    tvm = require("tvm", TVM)
    from tessera.backends.cpu import schedule
    from tessera.backends.cpu.build import host_target
    from tessera.backends.cpu.lower import lower
    from tessera.backends.cpu.tuning import prepare

    g, _ = _graph("binary_fast", [CASES_2D[6]], seed=1)
    mod, scheduled, total = schedule.apply(prepare(lower(g), host_target(1)))
    assert scheduled == total == 2
    (kernel,) = [
        f.script() for _, f in mod.functions_items() if isinstance(f, tvm.tirx.PrimFunc) and "popcount" in f.script()
    ]
    assert "binary_conv_local" in kernel and "T.vectorized(T.int64(16))" in kernel  # 16 lanes in registers
    assert "(T.int64(4), T.int64(2), T.int64(3), T.int64(3), T.int64(16))" in kernel  # weights packed


def test_run_time_weights_are_refused_with_the_node() -> None:
    require("tvm", TVM)
    g = Graph("runtime_weights")
    x = g.add_input("x", TensorType(U32, (1, 1, 5, 5)))
    w = g.add_input("w", TensorType(U32, (2, 1, 3, 3)))
    g.outputs.append(g.add_node(BinaryConv, [x, w], {"channels": 8}, name="bconv").output)
    with pytest.raises(UnsupportedOpError, match=r"'bconv'.*constant"):
        tessera.compile(g, target="cpu")
