"""The binarize report: per binarized layer what it became, its weight bytes in float and packed form,
the MACs moved to binary ops and the float MACs its rescalings add; the layers kept in full precision
and why; and the error binarization introduced, measured by running both graphs.

SQNR of a layer = 10 log10(sum f^2 / sum (f - b)^2) over the evaluation inputs, f the float graph's
value of the layer's output and b the binarized graph's value of the same name (it includes the
error of every binarized layer before it). Output errors as quantize-int8 reports them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute
from tessera.passes.base import Report
from tessera.passes.binarize.choose import Kept
from tessera.passes.quantize.calibrate import Sample
from tessera.passes.quantize.report import OutputError, output_error, sqnr_db


@dataclass(frozen=True)
class BinarizedLayer:
    name: str  # the float layer's node name; its output keeps its name in the binarized graph
    op: str
    output: str
    shortcut: bool  # the real-valued input is added (Bi-Real)
    weight_bytes: int  # the float weights
    packed_bytes: int  # the same weights bit-packed, 32 per uint32 word along the input channels
    factor_bytes: int  # alpha and bias, float32 per output channel
    binary_macs: int  # MACs that became binary (XOR + popcount) MACs
    rescale_macs: int  # float MACs of the SCALES branches added for this layer
    sqnr_db: float = 0.0


@dataclass
class BinarizeReport(Report):
    scaling: str
    inputs: str  # what the error was measured on
    eval_samples: int
    layers: list[BinarizedLayer] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    outputs: list[OutputError] = field(default_factory=list)

    @property
    def weight_bytes(self) -> int:
        return sum(x.weight_bytes for x in self.layers)

    @property
    def packed_bytes(self) -> int:
        return sum(x.packed_bytes for x in self.layers)

    @property
    def binary_macs(self) -> int:
        return sum(x.binary_macs for x in self.layers)

    def render_text(self) -> str:
        ratio = self.weight_bytes / max(self.packed_bytes, 1)
        lines = [
            f"scaling: {self.scaling}; {len(self.layers)} layers binarized, {len(self.kept)} kept in full precision",
            f"binarized weights: {self.weight_bytes / 1e3:.1f} kB float -> {self.packed_bytes / 1e3:.2f} kB packed "
            f"({ratio:.1f}x smaller; alpha and bias add {sum(x.factor_bytes for x in self.layers) / 1e3:.2f} kB)",
            f"MACs moved to binary ops: {self.binary_macs / 1e6:.2f}M; float MACs of the rescalings: "
            f"{sum(x.rescale_macs for x in self.layers) / 1e6:.3f}M",
            f"errors over {self.eval_samples} samples of {self.inputs}",
        ]
        lines += [
            f"output {o.name}: SQNR {o.sqnr_db:.1f} dB, max |err| {o.max_abs_error:.4g} "
            f"(float max |y| {o.max_abs_float:.4g})"
            for o in self.outputs
        ]
        lines.append(f"{'layer':<32} {'op':<6} {'shortcut':>8} {'kB':>8} {'packed kB':>9} {'MMACs':>7} {'SQNR dB':>8}")
        for x in self.layers:
            lines.append(
                f"{x.name[:32]:<32} {x.op:<6} {'yes' if x.shortcut else 'no':>8} {x.weight_bytes / 1e3:8.1f} "
                f"{x.packed_bytes / 1e3:9.2f} {x.binary_macs / 1e6:7.2f} {x.sqnr_db:8.1f}"
            )
        lines += [f"kept: {k.name} ({k.op}): {k.reason}" for k in self.kept]
        return "\n".join(lines)


def measure(
    src: Graph, dst: Graph, layers: Sequence[BinarizedLayer], samples: Sequence[Sample]
) -> tuple[list[BinarizedLayer], list[OutputError]]:
    """Run both graphs on `samples`; every layer gets its SQNR, every output its error."""
    signal = dict.fromkeys([x.output for x in layers], 0.0)
    noise = dict.fromkeys(signal, 0.0)
    pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {v.name: [] for v in src.outputs}
    for sample in samples:
        ref = execute(src, sample, capture=True)
        got = execute(dst, sample, capture=True)
        for name in signal:
            f, b = ref[name].astype(np.float64), got[name].astype(np.float64)
            signal[name] += float(np.sum(f * f))
            noise[name] += float(np.sum((f - b) ** 2))
        for name in pairs:
            pairs[name].append((ref[name], got[name]))
    measured = [dataclasses.replace(x, sqnr_db=sqnr_db(signal[x.output], noise[x.output])) for x in layers]
    return measured, [output_error(name, p) for name, p in pairs.items()]
