"""The `he-pack` pass: choose a polynomial-coefficient packing for every convolution, depthwise
convolution and fully connected layer, check each exactly, and record the plan on the graph
(`Graph.he_plan`, a HePlan) for the `he` target. The graph's nodes are not changed.

The exact check is always on: each layout's ct x pt products, computed as negacyclic polynomial
products mod (X^N + 1, t) in integers (tessera.passes.private.poly), must decode to the layer's
fixed-point output on its real weights (round(w * 2^scale_bits)) and a seeded random fixed-point
input. A packing that fails it is a bug, reported as a PassError naming the layer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Graph
from tessera.passes.base import Pass, PassResult
from tessera.passes.private.he_report import HePackReport, PackedLayer, PackingCost
from tessera.passes.private.layers import FoundLayer, linear_layers
from tessera.passes.private.layout import HeParams, HePlan, Layout, LinearLayer
from tessera.passes.private.packings import PACKINGS, plan_layer
from tessera.passes.private.poly import check_layout
from tessera.passes.registry import register_pass


@register_pass
@dataclass(frozen=True)
class HePack(Pass):
    """Pack convolutions and fully connected layers into BFV polynomials (Cheetah or dense), checked exactly.

    Records the plan on the graph for the `he` target; the report compares the chosen packing with
    Cheetah's per layer: ciphertexts, multiplies, bytes and modelled LAN / WAN latency."""

    name = "he-pack"
    packing: str = field(default="cheetah", metadata={"help": f"the packing: {' | '.join(PACKINGS)}"})
    n: int = field(default=4096, metadata={"help": "BFV ring degree N (a power of two, 1024..32768)"})
    plain_bits: int = field(default=37, metadata={"help": "plaintext modulus t = 2^plain_bits (20..60)"})
    scale_bits: int = field(default=12, metadata={"help": "fixed-point scale 2^scale_bits of activations and weights"})
    seed: int = field(default=0, metadata={"help": "seed of the exact check's random fixed-point inputs"})

    def __post_init__(self) -> None:
        if self.packing not in PACKINGS:
            raise PassError(f"he-pack: unknown packing {self.packing!r}; use one of {', '.join(PACKINGS)}")
        if self.n < 1024 or self.n > 32768 or self.n & (self.n - 1):
            raise PassError(f"he-pack: n must be a power of two in 1024..32768, got {self.n}")
        if not 20 <= self.plain_bits <= 60:
            raise PassError(f"he-pack: plain_bits must be in 20..60, got {self.plain_bits}")
        if not 1 <= self.scale_bits <= (self.plain_bits - 2) // 2:
            raise PassError(
                f"he-pack: scale_bits must be in 1..{(self.plain_bits - 2) // 2} so that a product of two "
                f"fixed-point values fits t = 2^{self.plain_bits}, got {self.scale_bits}"
            )
        if self.seed < 0:
            raise PassError(f"he-pack: seed must be >= 0, got {self.seed}")

    @property
    def params(self) -> HeParams:
        return HeParams(self.n, self.plain_bits, self.scale_bits)

    def run(self, graph: Graph) -> PassResult:
        found = linear_layers(graph)
        if not found:
            raise PassError(
                f"he-pack on {graph.name!r}: no convolution or fully connected layer with constant weights to pack"
            )
        params, rng = self.params, np.random.default_rng(self.seed)
        layouts: dict[str, Layout] = {}
        rows = []
        for f in found:
            layout = plan_layer(f.layer, params, self.packing)
            baseline = layout if layout.name == "cheetah" else plan_layer(f.layer, params, "cheetah")
            checked = _check(layout, f, rng)
            layouts[f.layer.node] = layout
            rows.append(
                PackedLayer(
                    f.layer.node,
                    f.layer.kind,
                    _geometry(f.layer),
                    layout.name,
                    _tiling(layout),
                    PackingCost.of(layout),
                    PackingCost.of(baseline),
                    checked,
                )
            )
        graph.he_plan = HePlan(params, self.packing, layouts)
        s = params.scale_bits
        check = f"every layer, its real weights in fixed point, seeded random inputs in [-2^{s}, 2^{s})"
        report = HePackReport(self.packing, params.n, params.plain_bits, params.scale_bits, check, rows)
        return PassResult(graph, True, report)


def fixed_weights(found: FoundLayer, params: HeParams) -> np.ndarray:
    """The layer's weights in fixed point, round(w * 2^scale_bits); PassError if they do not fit t."""
    w = np.rint(found.weights().astype(np.float64) * (1 << params.scale_bits))
    if not np.all(np.isfinite(w)) or np.max(np.abs(w), initial=0) >= params.t // 2:
        raise PassError(
            f"he-pack: layer {found.layer.node!r} has weights that are not finite or do not fit "
            f"t = 2^{params.plain_bits} at scale 2^{params.scale_bits}; lower scale_bits or raise plain_bits"
        )
    return w.astype(np.int64)


def _check(layout: Layout, found: FoundLayer, rng: np.random.Generator) -> int:
    layer, s = found.layer, layout.params.scale_bits
    x = rng.integers(-(1 << s), 1 << s, (layer.in_channels, layer.height, layer.width))
    check_layout(layout, x, fixed_weights(found, layout.params))
    ho, wo = layer.out_hw
    return layer.out_channels * ho * wo


def _geometry(layer: LinearLayer) -> str:
    if layer.kind == "fc":
        return f"{layer.in_channels} -> {layer.out_channels}"
    (kh, kw), (sh, _) = layer.kernel, layer.stride
    return f"{layer.in_channels}x{layer.height}x{layer.width} -> {layer.out_channels}, k{kh}x{kw} s{sh}"


def _tiling(layout: Layout) -> str:
    skip = ("layer", "params", "name", "placement")
    shown = [f for f in dataclasses.fields(layout) if f.name not in skip]  # type: ignore[arg-type]
    return ", ".join(f"{f.name}={getattr(layout, f.name)}" for f in shown)
