"""The packings `he-pack` chooses from, by name: a packing maps one linear layer and the BFV
parameters to its Layout.

- "cheetah": Cheetah's encoding and block partition for every layer (the baseline).
- "dense": Tessera's dense packing (tessera.passes.private.dense) for depthwise convolutions; the
  other layers (convolutions, fully connected) keep Cheetah's packing, which already fills its
  polynomials for them.
"""

from __future__ import annotations

from collections.abc import Callable

from tessera.errors import PassError
from tessera.passes.private.cheetah import plan_cheetah
from tessera.passes.private.dense import plan_dense
from tessera.passes.private.layout import HeParams, Layout, LinearLayer

Planner = Callable[[LinearLayer, HeParams], Layout]


def _dense(layer: LinearLayer, params: HeParams) -> Layout:
    if layer.kind == "depthwise" and layer.out_channels == layer.in_channels:
        return plan_dense(layer, params)
    return plan_cheetah(layer, params)


PACKINGS: dict[str, Planner] = {"cheetah": plan_cheetah, "dense": _dense}


def plan_layer(layer: LinearLayer, params: HeParams, packing: str) -> Layout:
    """The layout `packing` chooses for `layer`; PassError names an unknown packing."""
    if packing not in PACKINGS:
        raise PassError(f"unknown HE packing {packing!r}; choose one of {', '.join(sorted(PACKINGS))}")
    return PACKINGS[packing](layer, params)
