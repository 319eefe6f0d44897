"""The `he` target's report: per linear layer, the plan's counts and the cost model's figures
(tessera.passes.private.network), next to what SEAL measured once the artifact has run: serialized
bytes each way and seconds of encryption, server work and decryption, and the latency on LAN / WAN
they give (measured compute + measured bytes over the link + one round trip)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.backends.he.run import LayerRun
from tessera.passes.base import Report
from tessera.passes.private.layout import Layout
from tessera.passes.private.network import LAN, WAN, LayerCost, he_layer_cost

NON_LINEAR = (
    "non-linear layers ran in the clear on the reconstructed shares; their two-party protocols "
    "(ReLU, pooling, truncation) are neither run nor priced here"
)


@dataclass(frozen=True)
class Figures:
    """One layer's (or a sum of layers') bytes, compute and latency, modelled or measured."""

    bytes_up: int = 0
    bytes_down: int = 0
    compute_s: float = 0.0
    lan_s: float = 0.0
    wan_s: float = 0.0

    @classmethod
    def of(cls, cost: LayerCost) -> Figures:
        return cls(cost.bytes_up, cost.bytes_down, cost.compute_s, cost.latency(LAN), cost.latency(WAN))

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.bytes_up + other.bytes_up,
            self.bytes_down + other.bytes_down,
            self.compute_s + other.compute_s,
            self.lan_s + other.lan_s,
            self.wan_s + other.wan_s,
        )


@dataclass(frozen=True)
class Measured:
    """What SEAL measured for one layer (or a sum): the step times and the figures they give."""

    encrypt_s: float
    server_s: float
    decrypt_s: float
    figures: Figures

    @classmethod
    def of(cls, run: LayerRun) -> Measured:
        cost = LayerCost(1, run.bytes_up, run.bytes_down, run.compute_s)
        return cls(run.encrypt_s, run.server_s, run.decrypt_s, Figures.of(cost))

    def __add__(self, other: Measured) -> Measured:
        return Measured(
            self.encrypt_s + other.encrypt_s,
            self.server_s + other.server_s,
            self.decrypt_s + other.decrypt_s,
            self.figures + other.figures,
        )


@dataclass(frozen=True)
class HeLayer:
    node: str
    kind: str
    packing: str
    input_cts: int
    multiplies: int
    returned_cts: int
    modelled: Figures
    measured: Measured | None = None
    peak_bits: int | None = None  # bit length of the largest |fixed-point output|, once run

    @classmethod
    def of(cls, layout: Layout, run: LayerRun | None = None, peak_bits: int | None = None) -> HeLayer:
        layer = layout.layer
        measured = None if run is None else Measured.of(run)
        counts = (layout.input_ciphertexts, layout.multiplies, layout.returned_ciphertexts)
        return cls(layer.node, layer.kind, layout.name, *counts, Figures.of(he_layer_cost(layout)), measured, peak_bits)


@dataclass
class HeReport(Report):
    """The plan the target ran (`planned_here`: the graph had none, the target planned with the
    defaults), each layer's figures, and their totals."""

    packing: str = ""
    n: int = 0
    plain_bits: int = 0
    scale_bits: int = 0
    planned_here: bool = False
    ran: bool = False
    layers: list[HeLayer] = field(default_factory=list)
    note: str = NON_LINEAR

    def total(self, kind: str | None = None) -> HeLayer:
        """The sum of the layers (of one kind), as a row named 'total'."""
        rows = [r for r in self.layers if kind is None or r.kind == kind]
        modelled, measured = Figures(), Measured(0.0, 0.0, 0.0, Figures())
        for r in rows:
            modelled = modelled + r.modelled
            measured = measured + r.measured if r.measured is not None else measured
        return HeLayer(
            "total",
            kind or "all",
            self.packing,
            sum(r.input_cts for r in rows),
            sum(r.multiplies for r in rows),
            sum(r.returned_cts for r in rows),
            modelled,
            measured if self.ran else None,
        )

    def render_text(self) -> str:
        where = "planned by the target: the graph had no he_plan" if self.planned_here else "the graph's he_plan"
        lines = [
            f"he: BFV N={self.n}, t=2^{self.plain_bits}, scale 2^{self.scale_bits}, packing {self.packing} ({where})",
            "layer | kind | in cts | mults | back cts | model up/down MB | model LAN/WAN ms"
            + (" | measured up/down MB | enc/server/dec ms | measured LAN/WAN ms | peak bits" if self.ran else ""),
        ]
        lines += [_line(r) for r in [*self.layers, self.total()]]
        lines.append(self.note)
        return "\n".join(lines)


def _line(r: HeLayer) -> str:
    m = r.modelled
    text = (
        f"{r.node} | {r.kind} | {r.input_cts} | {r.multiplies} | {r.returned_cts} | "
        f"{m.bytes_up / 1e6:.2f}/{m.bytes_down / 1e6:.2f} | {m.lan_s * 1e3:.1f}/{m.wan_s * 1e3:.1f}"
    )
    if r.measured is None:
        return text
    x, f = r.measured, r.measured.figures
    return (
        f"{text} | {f.bytes_up / 1e6:.2f}/{f.bytes_down / 1e6:.2f} | "
        f"{x.encrypt_s * 1e3:.1f}/{x.server_s * 1e3:.1f}/{x.decrypt_s * 1e3:.1f} | "
        f"{f.lan_s * 1e3:.1f}/{f.wan_s * 1e3:.1f} | {'-' if r.peak_bits is None else r.peak_bits}"
    )
