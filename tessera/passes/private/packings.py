"""The packings `he-pack` chooses from, by name: a packing maps one linear layer and the BFV
parameters to its Layout.

- "cheetah": Cheetah's encoding and block partition for every layer (the baseline).
- "dense": Tessera's dense packing (tessera.passes.private.dense) for depthwise convolutions where
  its modelled LAN + WAN latency is lower than Cheetah's (on every MobileNetV2-CIFAR depthwise layer); the
  other layers (convolutions, fully connected) keep Cheetah's packing, which already fills its
  polynomials for them.
"""

from __future__ import annotations

from collections.abc import Callable

from tessera.errors import PassError
from tessera.passes.private.cheetah import plan_cheetah
from tessera.passes.private.dense import DenseCost, plan_dense
from tessera.passes.private.layout import HeParams, Layout, LinearLayer

Planner = Callable[[LinearLayer, HeParams], Layout]


def _dense(layer: LinearLayer, params: HeParams) -> Layout:
    """The dense layout of a depthwise layer, unless Cheetah's costs less under the dense search's
    objective (large feature maps, where Cheetah's blocks already fill their polynomials)."""
    cheetah = plan_cheetah(layer, params)
    if layer.kind != "depthwise" or layer.out_channels != layer.in_channels:
        return cheetah
    cost = DenseCost()
    dense = plan_dense(layer, params, cost)
    return dense if cost.of(dense) <= cost.of(cheetah) else cheetah


PACKINGS: dict[str, Planner] = {"cheetah": plan_cheetah, "dense": _dense}


def plan_layer(layer: LinearLayer, params: HeParams, packing: str) -> Layout:
    """The layout `packing` chooses for `layer`; PassError names an unknown packing."""
    if packing not in PACKINGS:
        raise PassError(f"unknown HE packing {packing!r}; choose one of {', '.join(sorted(PACKINGS))}")
    return PACKINGS[packing](layer, params)
