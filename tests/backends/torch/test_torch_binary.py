"""Torch kernels of BinarySign, PackBits and BinaryConv: bit for bit as the reference executor (with a vmap batch),
alone and chained; both have no gradient and the packed weights stay buffers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from tessera.backends.torch import to_torch
from tessera.backends.torch.kernel import Call
from tessera.ir.dtypes import DType
from tessera.ir.graph import Graph
from tessera.ir.ops.binary import BinaryConv, BinarySign, PackBits
from tessera.ir.types import TensorType
from tests.backends.torch._check import TABLE, check_matches_reference, one_node

EXACT = {"rtol": 0.0, "atol": 0.0}


def _signed(rng: np.random.Generator, shape: tuple[int, ...], dtype: type = np.float32) -> np.ndarray:
    """Seeded values with exact zeros and -0.0 (both binarize to +1)."""
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[::6] = 0.0
    a.reshape(-1)[2::9] = -0.0
    return a


def _packed(a: np.ndarray) -> np.ndarray:
    (p,) = PackBits.compute([a], {})
    return p


@pytest.mark.parametrize("shape", [(2, 70, 3, 4), (3, 5), (1, 33, 7), (2, 64, 2, 2, 2)])
def test_pack_bits_matches_the_reference(shape: tuple[int, ...]) -> None:
    x = _signed(np.random.default_rng(len(shape) + shape[1]), shape)
    check_matches_reference(one_node(PackBits, [x]), [x], **EXACT)


def test_pack_bits_of_float16_and_float64() -> None:
    rng = np.random.default_rng(2)
    for dtype in (np.float16, np.float64):
        x = _signed(rng, (1, 40, 3), dtype)
        check_matches_reference(one_node(PackBits, [x]), [x], **EXACT)


CASES = [
    ((1, 1, 6, 5), (2, 1, 3, 3), {}),
    ((2, 5, 7, 6), (3, 5, 3, 3), {"pads": (1, 0, 2, 1), "alpha": (0.5, -1.25, 3.0)}),
    ((1, 33, 9, 8), (4, 33, 3, 2), {"strides": (2, 2), "pads": (1, 1, 1, 1), "bias": (0.1, -0.2, 0.3, 7.5)}),
    ((2, 70, 8, 7), (3, 70, 3, 3), {"auto_pad": "SAME_UPPER", "strides": (2, 1), "alpha": (0.37,)}),
    ((1, 70, 9, 9), (2, 70, 3, 3), {"auto_pad": "SAME_LOWER", "dilations": (2, 3), "bias": (1.0, -1.0)}),
    ((1, 5, 11), (4, 5, 3), {"pads": (2, 1), "dilations": (2,), "strides": (2,), "alpha": (1, 2, 3, 4)}),
    ((1, 64, 6, 6), (4, 32, 3, 3), {"group": 2, "pads": (1, 1, 1, 1), "alpha": (0.1, 0.2, 0.3, 0.4)}),
    ((1, 96, 7), (6, 32, 3), {"group": 3, "strides": (2,), "bias": (1, 2, 3, 4, 5, 6)}),
    ((1, 5, 3, 3, 4), (2, 5, 2, 2, 3), {"pads": (1, 0, 1, 0, 1, 1)}),
]


@pytest.mark.parametrize(("x_shape", "w_shape", "attrs"), CASES)
def test_binary_conv_matches_the_reference(
    x_shape: tuple[int, ...], w_shape: tuple[int, ...], attrs: dict[str, Any]
) -> None:
    rng = np.random.default_rng(sum(x_shape) + 7 * sum(w_shape))
    px, pw = _packed(_signed(rng, x_shape)), _packed(_signed(rng, w_shape))
    px[:, -1] |= np.uint32(0x80000000) if x_shape[1] % 32 else np.uint32(0)  # stray padding bits: ignored
    graph = one_node(BinaryConv, [px], {"channels": x_shape[1], **attrs}, consts={1: pw})
    check_matches_reference(graph, [px], **EXACT)


def _chain(x_shape: tuple[int, ...], w: np.ndarray, attrs: dict[str, Any]) -> Graph:
    g = Graph("binary_chain")
    x = g.add_input("x", TensorType(DType.FLOAT32, x_shape))
    (px,) = g.add_node(PackBits, [x], {}).outputs
    node = g.add_node(BinaryConv, [px, g.add_constant("w_bits", _packed(w))], {"channels": x_shape[1], **attrs})
    g.outputs = list(node.outputs)
    return g


def test_pack_then_binary_conv_under_vmap_and_no_gradients() -> None:
    rng = np.random.default_rng(11)
    x, w = _signed(rng, (1, 37, 6, 5)), _signed(rng, (3, 37, 3, 3))
    graph = _chain(x.shape, w, {"auto_pad": "SAME_UPPER", "alpha": (0.5, 1.0, 2.0), "bias": (0.0, 1.0, -1.0)})
    check_matches_reference(graph, [x], **EXACT)
    module = to_torch(graph)
    assert not list(module.parameters())  # the packed weights are integers: a buffer
    for op in (PackBits, BinaryConv):
        reason = TABLE[op].no_grad
        assert reason is not None and "bit-packed" in reason and "straight-through" in reason


def test_binary_sign_is_exact_with_the_clipped_straight_through_gradient() -> None:
    x = _signed(np.random.default_rng(5), (2, 7, 5)) * 2
    graph = one_node(BinarySign, [x])
    check_matches_reference(graph, [x], **EXACT)
    t = torch.tensor(x, requires_grad=True)
    (y,) = TABLE[BinarySign].fn([t], _call(graph))
    assert torch.equal(y, torch.where(t < 0, -1.0, 1.0))  # s(0) = s(-0.0) = +1
    y.sum().backward()
    assert t.grad is not None and torch.equal(t.grad, (t.abs() <= 1).to(t.dtype))


def _call(graph: Graph) -> Call:
    node = graph.nodes[0]
    return Call(node.attrs, tuple(v.type for v in node.inputs), tuple(o.type for o in node.outputs), node=node.name)
