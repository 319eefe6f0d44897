"""PackBits and BinaryConv (ai.tessera): the bit layout, BinaryConv(PackBits(x), PackBits(W)) equal bit
for bit to the float formulation, shape errors, MACs, and the ONNX export / import and IR text round trips."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from _text_check import assert_text_reads_back

from tessera.errors import ShapeError
from tessera.frontends.onnx_export import export_onnx
from tessera.frontends.onnx_import import load_onnx
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute
from tessera.ir.ops.binary import BinaryConv, PackBits
from tessera.ir.ops.conv import Conv
from tessera.ir.types import TensorType

U32 = DType.UINT32


def _sign(v: np.ndarray) -> np.ndarray:
    """s(v) = -1 if v < 0 else +1, in float64 (integer sums stay exact)."""
    return np.where(v < 0, -1.0, 1.0)


def float_formulation(x: np.ndarray, w: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    """Conv(s(x), s(W)) with zero padding, exact in float64, then float32(dot) * alpha + bias in float32."""
    conv = {k: attrs[k] for k in ("pads", "strides", "dilations", "auto_pad", "group") if k in attrs}
    (dot,) = Conv.compute([_sign(x), _sign(w)], Conv.make_attrs(conv))
    layout = (-1, *(1,) * (x.ndim - 2))
    alpha = np.broadcast_to(np.float32(attrs.get("alpha", (1.0,))), (w.shape[0],)).reshape(layout)
    y = dot.astype(np.float32) * alpha
    if attrs.get("bias") is not None:
        y = y + np.float32(attrs["bias"]).reshape(layout)
    return y


def _binary(x: np.ndarray, w: np.ndarray, attrs: dict[str, Any]) -> np.ndarray:
    (px,) = PackBits.compute([x], {})
    (pw,) = PackBits.compute([w], {})
    (y,) = BinaryConv.compute([px, pw], BinaryConv.make_attrs({"channels": x.shape[1], **attrs}))
    return y


def _data(rng: np.random.Generator, x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Seeded float32 operands with exact zeros (and -0.0), which binarize to +1."""
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    x.reshape(-1)[::7] = 0.0
    x.reshape(-1)[3::11] = -0.0
    w.reshape(-1)[::5] = 0.0
    return x, w


CASES = [
    ((1, 1, 6, 5), (2, 1, 3, 3), {}),
    ((2, 5, 7, 6), (3, 5, 3, 3), {"pads": (1, 1, 1, 1), "alpha": (0.5, -1.25, 3.0)}),
    ((1, 33, 9, 8), (4, 33, 3, 2), {"strides": (2, 2), "pads": (2, 0, 1, 1), "bias": (0.1, -0.2, 0.3, 7.5)}),
    ((2, 70, 8, 7), (3, 70, 3, 3), {"auto_pad": "SAME_UPPER", "strides": (2, 1), "alpha": (0.37,)}),
    ((1, 70, 9, 9), (2, 70, 3, 3), {"auto_pad": "SAME_LOWER", "dilations": (2, 3), "bias": (1.0, -1.0)}),
    ((1, 5, 11), (4, 5, 3), {"pads": (2, 1), "dilations": (2,), "strides": (2,), "alpha": (1, 2, 3, 4)}),
    ((2, 33, 10), (3, 33, 4), {"auto_pad": "SAME_UPPER", "bias": (0.5, 0.25, -0.125)}),
    ((1, 64, 6, 6), (4, 32, 3, 3), {"group": 2, "pads": (1, 1, 1, 1), "alpha": (0.1, 0.2, 0.3, 0.4)}),
    ((1, 96, 7), (6, 32, 3), {"group": 3, "strides": (2,), "bias": (1, 2, 3, 4, 5, 6)}),
    ((1, 5, 4, 4), (2, 5, 1, 1), {"auto_pad": "VALID"}),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "attrs"), CASES)
def test_binary_conv_equals_the_float_formulation_bit_for_bit(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict[str, Any]
) -> None:
    rng = np.random.default_rng(sum(x_shape) * 31 + sum(w_shape))
    x, w = _data(rng, x_shape, w_shape)
    got, want = _binary(x, w, attrs), float_formulation(x, w, attrs)
    assert got.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_pack_bits_layout_by_hand() -> None:
    x = np.ones((1, 35, 1), dtype=np.float32)
    x[0, [0, 3, 31, 33], 0] = -2.0
    x[0, 5, 0] = 0.0  # sign(0) = +1: bit 0
    x[0, 6, 0] = -0.0  # -0.0 is not < 0: bit 0
    (packed,) = PackBits.compute([x], {})
    assert packed.dtype == np.uint32 and packed.shape == (1, 2, 1)
    assert packed[0, :, 0].tolist() == [(1 << 0) | (1 << 3) | (1 << 31), 1 << 1]
    assert PackBits.infer([TensorType(DType.FLOAT16, (2, 70, 3))], {}) == [TensorType(U32, (2, 3, 3))]


def test_padding_bits_past_the_channels_are_ignored() -> None:
    rng = np.random.default_rng(3)
    x, w = _data(rng, (1, 5, 6), (2, 5, 3))
    (px,), (pw,) = PackBits.compute([x], {}), PackBits.compute([w], {})
    attrs = BinaryConv.make_attrs({"channels": 5, "pads": (1, 1)})
    (clean,) = BinaryConv.compute([px, pw], attrs)
    (dirty,) = BinaryConv.compute([px | np.uint32(0xFFFFFFE0), pw ^ np.uint32(0xAAAAAAA0)], attrs)
    assert clean.tobytes() == dirty.tobytes()


def _types(x: tuple[int, ...], w: tuple[int, ...]) -> list[TensorType]:
    return [TensorType(U32, x), TensorType(U32, w)]


@pytest.mark.parametrize(
    ("types", "attrs", "message"),
    [
        (_types((1, 2, 5, 5), (2, 2, 3, 3)), {"channels": 70}, "holds 2 words; 70 channels need 3"),
        (_types((1, 3, 5, 5), (2, 2, 3, 3)), {"channels": 70}, "weights .* hold 2 words"),
        (_types((1, 1, 5, 5), (2, 1, 3, 3)), {"channels": 6, "group": 4}, "group 4 must divide"),
        (_types((1, 1, 5, 5), (2, 1, 3, 3)), {"channels": 8, "group": 2}, "word boundary"),
        (_types((1, 1, 5, 5), (2, 1, 3, 3)), {"channels": 8, "alpha": (1.0, 2.0, 3.0)}, "alpha has 3 values"),
        (_types((1, 1, 5, 5), (2, 1, 3, 3)), {"channels": 8, "bias": (1.0,)}, "bias has 1 values"),
        (_types((1, 1, 5, 5), (2, 1, 3, 3)), {"channels": 8, "kernel_shape": (2, 2)}, "kernel_shape"),
        (_types((1, 1, 5, 5), (2, 1, 3)), {"channels": 8}, "same rank"),
        (_types((1, 1, 2, 2), (2, 1, 3, 3)), {"channels": 8}, "does not fit"),
    ],
)
def test_binary_conv_shape_errors(types: list[TensorType], attrs: dict[str, Any], message: str) -> None:
    with pytest.raises(ShapeError, match=message):
        BinaryConv.infer(types, BinaryConv.make_attrs(attrs))


def test_operand_dtypes_are_checked() -> None:
    with pytest.raises(ShapeError, match="BinaryConv input has dtype float32"):
        BinaryConv.infer([TensorType(DType.FLOAT32, (1, 1, 4)), TensorType(U32, (1, 1, 3))], {"channels": 3})
    with pytest.raises(ShapeError, match="PackBits input has dtype uint32"):
        PackBits.infer([TensorType(U32, (1, 4))], {})
    with pytest.raises(ShapeError, match=r"PackBits: input .* needs shape \(N, C, \.\.\.\)"):
        PackBits.infer([TensorType(DType.FLOAT32, (4,))], {})


def test_binary_macs_count_channels_taps_and_outputs() -> None:
    types = _types((1, 2, 8, 8), (4, 1, 3, 3))
    attrs = BinaryConv.make_attrs({"channels": 64, "group": 2, "pads": (1, 1, 1, 1)})
    outputs = BinaryConv.infer(types, attrs)
    assert outputs == [TensorType(DType.FLOAT32, (1, 4, 8, 8))]
    assert BinaryConv.macs(types, outputs, attrs) == 4 * 8 * 8 * 32 * 9


def _packed_graph(w: np.ndarray, attrs: dict[str, Any]) -> Graph:
    g = Graph("binary")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, w.shape[1], 6, 5)))
    (px,) = g.add_node(PackBits, [x], {}).outputs
    (pw,) = PackBits.compute([w], {})
    (y,) = g.add_node(BinaryConv, [px, g.add_constant("w_bits", pw)], {"channels": w.shape[1], **attrs}).outputs
    g.outputs = [y]
    return g


def test_onnx_export_import_round_trip() -> None:
    rng = np.random.default_rng(5)
    x, w = _data(rng, (1, 37, 6, 5), (3, 37, 3, 3))
    attrs = {"pads": (1, 1, 1, 1), "alpha": (0.5, 1.0, 2.0), "bias": (0.0, 1.0, -1.0)}
    graph = _packed_graph(w, attrs)
    model = export_onnx(graph)
    assert {n.domain for n in model.graph.node} == {"ai.tessera"}
    back = load_onnx(model.SerializeToString())
    assert [n.op for n in back.nodes] == [PackBits, BinaryConv]
    assert dict(back.nodes[1].attrs) == dict(graph.nodes[1].attrs)
    (want,) = execute(graph, {"x": x}).values()
    (got,) = execute(back, {"x": x}).values()
    assert got.tobytes() == want.tobytes() == float_formulation(x, w, attrs).tobytes()
    assert_text_reads_back(back)
