"""The fixed-point definition of a graph under an HE plan, and the one walker both ways of running
it share.

Every linear layer of the plan (tessera.passes.private.layers) computes in integers: its input
activation quantized to round(x * 2^s) and its weights to round(w * 2^s) (s = scale_bits), the
product mod t centred, divided by 2^(2s), plus the node's bias term in float. Every other node runs
its reference kernel (tessera.ir.interpreter). The walker is the reference Interpreter with
`run_node` overridden for the plan's nodes; what computes the integer product is a `LinearCompute`:
`clear_product` (the fixed-point reference, tessera.passes.private.poly.layer_reference) or the
`he` target's SEAL round (tessera.backends.he.run).

The product wraps mod t when |y| reaches t/2; the walker computes each layer's exact integer product
in float64 (exact: every partial sum stays below 2^53) and raises a TargetError naming the layer when
it would wrap, rather than return a wrapped value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from tessera.errors import TargetError
from tessera.ir.graph import Graph, Node
from tessera.ir.interpreter import Interpreter
from tessera.passes.private.layers import layer_weights
from tessera.passes.private.layout import HePlan, Layout
from tessera.passes.private.poly import layer_reference

# (node, layout, fixed-point input (C, H, W), fixed-point weights (M, C // groups, kh, kw))
# -> the layer's integer output (M, Ho, Wo), centred mod t.
LinearCompute = Callable[[Node, Layout, np.ndarray, np.ndarray], np.ndarray]


def quantize(a: np.ndarray, scale_bits: int) -> np.ndarray:
    """round(a * 2^scale_bits) as int64 (round half to even, numpy's rint)."""
    return np.rint(np.asarray(a, dtype=np.float64) * (1 << scale_bits)).astype(np.int64)


def clear_product(node: Node, layout: Layout, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The fixed-point reference of one layer: the integer product mod t, centred."""
    return layer_reference(layout, x, w)


class FixedPointInterpreter(Interpreter):
    """Runs `graph` with the plan's linear layers in fixed point, each product from `product`.
    `peak_bits[node]` is the bit length of the largest |y| of each layer run (headroom: plain_bits - 1)."""

    def __init__(self, graph: Graph, plan: HePlan, product: LinearCompute = clear_product):
        super().__init__(graph)
        self.plan = plan
        self.product = product
        self.peak_bits: dict[str, int] = {}

    def run_node(self, node: Node, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        layout = self.plan.layouts.get(node.name)
        if layout is None:
            return super().run_node(node, args)
        s = self.plan.params.scale_bits
        x, w = quantize(args[0], s), quantize(args[1], s)
        self._check_range(node, layout, x, w)
        chw = x.reshape(layout.layer.in_channels, layout.layer.height, layout.layer.width)
        y = self.product(node, layout, chw, quantize(layer_weights(node), s))
        out = node.outputs[0]
        bias = node.op.compute([np.zeros_like(args[0]), *args[1:]], node.attrs)[0]  # 0 for MatMul / no bias
        value = bias.astype(np.float64) + y.reshape(out.shape).astype(np.float64) / float(1 << (2 * s))
        return [value.astype(out.dtype.numpy())]

    def _check_range(self, node: Node, layout: Layout, x: np.ndarray, w: np.ndarray) -> None:
        exact = node.op.compute([x.astype(np.float64), w.astype(np.float64)], node.attrs)[0]
        peak = int(np.max(np.abs(exact), initial=0))
        self.peak_bits[node.name] = peak.bit_length()
        half = layout.params.t // 2
        if peak >= half:
            p = layout.params
            raise TargetError(
                f"layer {node.name!r}: its fixed-point output reaches {peak} (2^{peak.bit_length()}) >= t/2 = "
                f"2^{p.plain_bits - 1} and would wrap mod t; plan with fewer scale_bits (now {p.scale_bits}) or "
                f"more plain_bits (now {p.plain_bits})"
            )


def fixed_point_reference(graph: Graph, plan: HePlan, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The graph's outputs with every planned linear layer in fixed point (the `he` target's definition)."""
    return FixedPointInterpreter(graph, plan).run(inputs)
