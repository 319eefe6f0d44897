"""The he-pack report: per linear layer and per network, what the chosen packing costs and what
Cheetah's costs, side by side: input ciphertexts, ct x pt multiplies, returned ciphertexts, bytes
each way and the modelled LAN / WAN latency (tessera.passes.private.network), and how many outputs
the exact check verified."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from tessera.passes.base import Report
from tessera.passes.private.layout import Layout
from tessera.passes.private.network import LAN, WAN, LayerCost, he_layer_cost


@dataclass(frozen=True)
class PackingCost:
    """One packing of one layer (or a sum of layers) under the cost model."""

    input_ciphertexts: int = 0
    multiplies: int = 0
    returned_ciphertexts: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    compute_s: float = 0.0
    lan_s: float = 0.0
    wan_s: float = 0.0

    @classmethod
    def of(cls, layout: Layout) -> PackingCost:
        cost: LayerCost = he_layer_cost(layout)
        return cls(
            layout.input_ciphertexts,
            layout.multiplies,
            layout.returned_ciphertexts,
            cost.bytes_up,
            cost.bytes_down,
            cost.compute_s,
            cost.latency(LAN),
            cost.latency(WAN),
        )

    def __add__(self, other: PackingCost) -> PackingCost:
        return PackingCost(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


def summed(costs: Iterable[PackingCost]) -> PackingCost:
    out = PackingCost()
    for cost in costs:
        out = out + cost
    return out


@dataclass(frozen=True)
class PackedLayer:
    node: str
    kind: str  # conv | depthwise | fc
    geometry: str  # e.g. "32x32x32 -> 32, k3x3 s1"
    packing: str  # the layout's own name: a "dense" plan keeps Cheetah's for conv and fc layers
    tiling: str
    chosen: PackingCost
    cheetah: PackingCost
    checked_outputs: int  # outputs the exact check verified (0: not checked)


@dataclass
class HePackReport(Report):
    packing: str
    n: int
    plain_bits: int
    scale_bits: int
    check: str  # what the exact check ran on
    layers: list[PackedLayer] = field(default_factory=list)

    def total(self, kind: str | None = None) -> tuple[PackingCost, PackingCost]:
        """(chosen, cheetah) summed over the layers, or over the layers of one kind."""
        rows = [x for x in self.layers if kind is None or x.kind == kind]
        return summed(x.chosen for x in rows), summed(x.cheetah for x in rows)

    def render_text(self) -> str:
        lines = [
            f"packing: {self.packing}; BFV N={self.n}, t=2^{self.plain_bits}, fixed point 2^{self.scale_bits}; "
            f"{len(self.layers)} linear layers",
            f"exact check: {self.check}",
            "ciphertexts in / multiplies / returned, MB up+down, modelled LAN and WAN seconds; cheetah's after '|'",
            f"{'layer':<28} {'kind':<9} {'geometry':<26} {'chosen':>24} {'MB':>7} {'LAN':>6} {'WAN':>6} | "
            f"{'cheetah':>24} {'MB':>7} {'LAN':>6} {'WAN':>6}",
        ]
        for x in self.layers:
            lines.append(f"{x.node[:28]:<28} {x.kind:<9} {x.geometry[:26]:<26} {_row(x.chosen)} | {_row(x.cheetah)}")
        for kind in sorted({x.kind for x in self.layers}):
            chosen, cheetah = self.total(kind)
            lines.append(f"{'total ' + kind:<28} {'':<9} {'':<26} {_row(chosen)} | {_row(cheetah)}")
        chosen, cheetah = self.total()
        lines.append(f"{'total':<28} {'':<9} {'':<26} {_row(chosen)} | {_row(cheetah)}")
        lan, wan = _ratio(cheetah.lan_s, chosen.lan_s), _ratio(cheetah.wan_s, chosen.wan_s)
        wire = _ratio(cheetah.bytes_up + cheetah.bytes_down, chosen.bytes_up + chosen.bytes_down)
        lines.append(
            f"vs cheetah: {lan} lower LAN latency, {wan} lower WAN, {wire} fewer bytes "
            "(model: tessera.passes.private.network, SEAL 4.x at N=4096 on 2 cores)"
        )
        return "\n".join(lines)


def _row(c: PackingCost) -> str:
    counts = f"{c.input_ciphertexts}/{c.multiplies}/{c.returned_ciphertexts}"
    return f"{counts:>24} {(c.bytes_up + c.bytes_down) / 1e6:7.1f} {c.lan_s:6.2f} {c.wan_s:6.2f}"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b > 0 else "n/a"
