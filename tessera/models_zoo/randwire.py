"""RandWire-WS (Xie et al. 2019), small regime: two stride-2 convolutions, then `stages` randomly
wired stages of `nodes` nodes each (channels doubling per stage), a 1x1 convolution to 1280, global
pooling and a linear classifier. Each stage's graph is a Watts-Strogatz WS(nodes, k, p) graph from a
seeded generator, with edges directed from lower to higher node index. A node sums its inputs with
sigmoid-positive weights, then ReLU -> separable 3x3 conv -> BatchNorm; nodes without predecessors
read the stage input (stride 2), and the stage output averages the nodes without successors.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from tessera.errors import TesseraError
from tessera.models_zoo.blocks import Classifier, check_resolution, conv_bn
from tessera.models_zoo.inputs import InputSpec, image


def watts_strogatz(n: int, k: int, p: float, seed: int) -> list[tuple[int, int]]:
    """Undirected WS(n, k, p) edges as (low, high) pairs: a ring where each node links to its k/2
    nearest neighbours on each side, each link rewired with probability p to a random new node."""
    rng = np.random.default_rng(seed)
    edges = {(u, (u + j) % n) for j in range(1, k // 2 + 1) for u in range(n)}
    adjacency: dict[int, set[int]] = {u: set() for u in range(n)}
    for u, v in edges:
        adjacency[u].add(v)
        adjacency[v].add(u)
    for j in range(1, k // 2 + 1):
        for u in range(n):
            v = (u + j) % n
            if rng.random() >= p or v not in adjacency[u]:
                continue
            free = [w for w in range(n) if w != u and w not in adjacency[u]]
            if not free:
                continue
            w = free[int(rng.integers(len(free)))]
            adjacency[u].discard(v)
            adjacency[v].discard(u)
            adjacency[u].add(w)
            adjacency[w].add(u)
    return sorted({(min(u, v), max(u, v)) for u in adjacency for v in adjacency[u]})


class SepConvNode(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, fan_in: int) -> None:
        super().__init__()
        self.edge_weights = nn.Parameter(torch.zeros(max(fan_in, 1)))
        self.op = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out),
        )

    def forward(self, inputs: list[Tensor]) -> Tensor:
        weights = self.edge_weights.sigmoid()
        total = inputs[0] * weights[0]
        for i in range(1, len(inputs)):
            total = total + inputs[i] * weights[i]
        return self.op(total)


class RandomStage(nn.Module):
    def __init__(self, edges: list[tuple[int, int]], nodes: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.preds = [[u for u, v in edges if v == node] for node in range(nodes)]
        has_succ = {u for u, _ in edges}
        self.sinks = [node for node in range(nodes) if node not in has_succ]
        self.nodes = nn.ModuleList(
            SepConvNode(c_out if preds else c_in, c_out, 1 if preds else 2, len(preds)) for preds in self.preds
        )

    def forward(self, x: Tensor) -> Tensor:
        outs: list[Tensor] = []
        for node, preds in zip(self.nodes, self.preds):
            outs.append(node([outs[p] for p in preds] if preds else [x]))
        total = outs[self.sinks[0]]
        for s in self.sinks[1:]:
            total = total + outs[s]
        return total * (1.0 / len(self.sinks))


def randwire(
    stages: int, channels: int, nodes: int, k: int, p: float, graph_seed: int, resolution: int, num_classes: int
) -> tuple[nn.Module, tuple[InputSpec, ...]]:
    if not (1 <= stages <= 4 and 2 <= k < nodes and k % 2 == 0 and 0.0 <= p <= 1.0):
        raise TesseraError(
            f"zoo randwire: need 1 <= stages <= 4, even k with 2 <= k < nodes, 0 <= p <= 1; "
            f"got stages={stages} nodes={nodes} k={k} p={p}"
        )
    check_resolution("randwire", resolution, 2 ** (stages + 2), 2 ** (stages + 2))
    layers: list[nn.Module] = [
        conv_bn(3, channels // 2, 3, 2, act=None),
        nn.ReLU(),
        conv_bn(channels // 2, channels, 3, 2, act=None),
    ]
    c_in = channels
    for stage in range(stages):
        c_out = channels * 2**stage
        layers.append(RandomStage(watts_strogatz(nodes, k, p, graph_seed * 1000 + stage), nodes, c_in, c_out))
        c_in = c_out
    layers += [nn.ReLU(), conv_bn(c_in, 1280, 1)]
    return Classifier(nn.Sequential(*layers), 1280, num_classes), (image((1, 3, resolution, resolution)),)
