"""The linear layers an HE packing covers, read off a graph: every 2-D convolution ("conv" with
group 1, "depthwise" with group == channels == output channels) and every Gemm / MatMul whose
weights are a constant 2-D matrix ("fc"); a 1x1 convolution of a 1x1 map (squeeze-and-excitation)
is a matrix-vector product and packs as "fc". Shapes come from the graph's inferred value types; the
batch must be 1 (one client input per inference).

Biases are not part of a layer here: under two-party inference the server adds them to its share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.conv import Conv
from tessera.ir.ops.linalg import Gemm, MatMul
from tessera.passes.private.layout import LayerKind, LinearLayer


@dataclass(frozen=True)
class FoundLayer:
    """A linear layer and the node it came from, with its weights as (M, C // groups, kh, kw)."""

    layer: LinearLayer
    node: Node

    def weights(self) -> np.ndarray:
        return layer_weights(self.node)


def linear_layers(graph: Graph) -> list[FoundLayer]:
    """The graph's convolutions and fully connected layers in graph order, each as a LinearLayer.
    A Gemm / MatMul whose weights are not a constant 2-D matrix (attention's products of two
    activations) is not a linear layer of the server's and is left out."""
    found = []
    for node in graph.nodes:
        if node.op is Conv:
            found.append(FoundLayer(_conv(graph, node), node))
        elif node.op in (Gemm, MatMul) and _constant_matrix(node):
            found.append(FoundLayer(_fc(graph, node), node))
    return found


def layer_weights(node: Node) -> np.ndarray:
    """The weights of a Conv (as stored) or of a Gemm / MatMul as (out, in, 1, 1)."""
    w = node.inputs[1].data
    if w is None:
        raise PassError(f"node {node.name!r}: its weights are not a constant")
    if node.op is Conv:
        return np.asarray(w)
    matrix = np.asarray(w) if node.op is Gemm and node.attrs["transB"] else np.asarray(w).T
    return matrix[:, :, None, None]


def _conv(graph: Graph, node: Node) -> LinearLayer:
    x, w = node.inputs[0], node.inputs[1]
    if x.type.rank != 4:
        raise PassError(
            f"he-pack on {graph.name!r}: Conv {node.name!r} has input {x.type}; only 2-D convolutions "
            "(N, C, H, W) pack into polynomials"
        )
    _batch_one(graph, node, x.shape[0])
    geometry = Conv.geometry([v.type for v in node.inputs], node.attrs)
    if geometry.dilations != (1, 1):
        raise PassError(
            f"he-pack on {graph.name!r}: Conv {node.name!r} has dilations {geometry.dilations}; Cheetah's "
            "encoding needs dilation 1 (expand the kernel with zeros first)"
        )
    channels, out_channels, group = x.shape[1], w.shape[0], node.attrs["group"]
    kind: LayerKind = "conv"
    if group > 1:
        if not group == channels == out_channels:
            raise PassError(
                f"he-pack on {graph.name!r}: Conv {node.name!r} is grouped ({group} groups, {channels} -> "
                f"{out_channels} channels); only group 1 and depthwise (group == channels == output "
                "channels) pack; split it into one Conv per group first"
            )
        kind = "depthwise"
    (top, left), (bottom, right) = geometry.pads_begin, geometry.pads_end
    if (
        kind == "conv"
        and x.shape[2] == x.shape[3] == w.shape[2] == w.shape[3] == 1
        and not any((top, left, bottom, right))
    ):
        # a 1x1 convolution of a 1x1 map (squeeze-and-excitation) is a matrix-vector product
        return LinearLayer(
            node=node.name, kind="fc", in_channels=channels, height=1, width=1, out_channels=out_channels
        )
    return LinearLayer(
        node=node.name,
        kind=kind,
        in_channels=channels,
        height=x.shape[2],
        width=x.shape[3],
        out_channels=out_channels,
        kernel=(w.shape[2], w.shape[3]),
        stride=(geometry.strides[0], geometry.strides[1]),
        pads=(top, left, bottom, right),
        groups=group,
    )


def _constant_matrix(node: Node) -> bool:
    w = node.inputs[1]
    return w.data is not None and w.type.rank == 2


def _fc(graph: Graph, node: Node) -> LinearLayer:
    x, w = node.inputs[0], node.inputs[1]
    if node.op is Gemm and (node.attrs["transA"] or node.attrs["alpha"] != 1.0):
        raise PassError(
            f"he-pack on {graph.name!r}: Gemm {node.name!r} has transA or alpha != 1; canonicalize the "
            "model first (transpose the input, fold alpha into the weights)"
        )
    transposed = node.op is Gemm and bool(node.attrs["transB"])
    features, out_features = (w.shape[1], w.shape[0]) if transposed else (w.shape[0], w.shape[1])
    vectors = x.type.numel // features
    if vectors != 1:
        raise PassError(
            f"he-pack on {graph.name!r}: {node.op.name} {node.name!r} multiplies {vectors} vectors "
            f"(input {x.type}); an fc layer packs one input vector (batch 1, no token axis)"
        )
    return LinearLayer(node=node.name, kind="fc", in_channels=features, height=1, width=1, out_channels=out_features)


def _batch_one(graph: Graph, node: Node, batch: int) -> None:
    if batch != 1:
        raise PassError(
            f"he-pack on {graph.name!r}: {node.op.name} {node.name!r} has batch {batch}; two-party "
            "inference packs one input at a time: export the model with batch 1"
        )
