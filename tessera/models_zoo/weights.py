"""Seeded weights that keep activations in range, and BatchNorm statistics measured on sample inputs.

Convolutions: He-normal (fan-in, ReLU gain). Linear layers: LeCun-normal (std 1/sqrt(fan-in)), so
attention scores are of order one and softmax is not uniform. Embeddings: N(0, 1). Normalization
scales U(0.5, 1.5), shifts N(0, 0.1); biases N(0, 0.02). Other parameters (class tokens, position
embeddings) N(0, 0.02); PReLU slopes U(0.1, 0.3). Modules may rescale their own weights after this
(`zoo_rescale` hook), e.g. residual branches without normalization.

BatchNorm running statistics are the batch statistics of a few seeded sample inputs, so BN is neither
the identity nor wildly off, however deep the network.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)
_CONVS = (nn.Conv2d, nn.ConvTranspose2d)
_KNOWN = (*_CONVS, nn.Linear, nn.Embedding, nn.PReLU, *_NORMS)


@torch.no_grad()
def init_weights(module: nn.Module, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)

    def normal(t: torch.Tensor, std: float, mean: float = 0.0) -> None:
        t.copy_(torch.randn(t.shape, generator=gen) * std + mean)

    def uniform(t: torch.Tensor, low: float, high: float) -> None:
        t.copy_(torch.rand(t.shape, generator=gen) * (high - low) + low)

    for m in module.modules():
        if isinstance(m, _CONVS):
            fan_in = m.weight[0].numel() if isinstance(m, nn.Conv2d) else m.weight[:, 0].numel()
            normal(m.weight, math.sqrt(2.0 / fan_in))
        elif isinstance(m, nn.Linear):
            normal(m.weight, 1.0 / math.sqrt(m.in_features))
        elif isinstance(m, nn.Embedding):
            normal(m.weight, 1.0)
        elif isinstance(m, _NORMS) and getattr(m, "weight", None) is not None:
            uniform(m.weight, 0.5, 1.5)
            normal(m.bias, 0.1)
        elif isinstance(m, nn.PReLU):
            uniform(m.weight, 0.1, 0.3)
        if isinstance(m, (*_CONVS, nn.Linear)) and m.bias is not None:
            normal(m.bias, 0.02)
        if not isinstance(m, _KNOWN):
            for p in m.parameters(recurse=False):
                normal(p, 0.02)
    for m in module.modules():
        rescale = getattr(m, "zoo_rescale", None)
        if callable(rescale):
            rescale()


@torch.no_grad()
def calibrate_batchnorm(module: nn.Module, batches: Sequence[dict[str, np.ndarray]]) -> None:
    """Set every BatchNorm's running mean and variance to the statistics of `batches` (concatenated
    into one batch), then leave the module in eval mode. No-op without BatchNorm."""
    norms = [m for m in module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    module.train()
    names = list(batches[0])
    module(*(torch.from_numpy(np.concatenate([b[k] for b in batches])) for k in names))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    module.eval()
