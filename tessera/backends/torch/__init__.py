"""The torch backend: any Tessera graph as a trainable torch.nn.Module (`tessera.to_torch`)."""

from __future__ import annotations

from tessera.backends.torch.module import GraphModule, Trainable
from tessera.ir.graph import Graph


def to_torch(
    graph: Graph, *, trainable: Trainable = None, simulate: bool = False, learn_scales: bool = False
) -> GraphModule:
    """`graph` as a torch.nn.Module whose forward(**inputs) returns {output name: tensor}.

    trainable: which float constants become nn.Parameters: None for the weights (every float
    constant of more than one element that only differentiable ops read, at positions that are not
    running statistics or quantization parameters), a collection of constant names, or a predicate
    on the constant's Value. The others are buffers.
    simulate: run int8 ops as their float simulation (fake quantization with straight-through
    estimators), so a quantized graph trains; False runs them bit-exact as the reference.
    learn_scales: the activation scales of a quantized graph train too: one log-scale parameter
    per group of int8 tensors sharing a scale (`module.named_scale_parameters()`); `to_graph()`
    writes them back with every multiplier derived from them (see scales.py).
    """
    return GraphModule(graph, trainable=trainable, simulate=simulate, learn_scales=learn_scales)


__all__ = ["GraphModule", "to_torch"]
