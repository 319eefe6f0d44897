"""The quantize-int8 report: what became int8 (with scale / zero point and SQNR against float),
what stayed float and why, the output error against the float graph, and model size before/after.

SQNR of a tensor = 10 log10(sum f^2 / sum (f - dequantized)^2) in dB over the evaluation inputs,
where f is the float graph's value; it includes the error of every layer before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tessera.ir.graph import Graph
from tessera.ir.interpreter import execute
from tessera.passes.base import Report
from tessera.passes.quantize.calibrate import Sample
from tessera.passes.quantize.lower import FloatLayer, QuantizedLayer

SQNR_CAP_DB = 150.0  # reported when the error is exactly zero


@dataclass(frozen=True)
class LayerError:
    name: str
    op: str
    int8_op: str
    scale: float
    zero_point: int
    sqnr_db: float
    fused: str | None
    weight_scale_min: float | None
    weight_scale_max: float | None


@dataclass(frozen=True)
class OutputError:
    name: str
    max_abs_error: float
    mean_abs_error: float
    max_abs_float: float  # the float output's magnitude, for scale
    sqnr_db: float
    top1_agreement: float | None  # classifier-shaped outputs (N, C): argmax matches / N


@dataclass
class QuantizeReport(Report):
    calibration: str  # where the ranges came from; says RANDOM loudly when no data was given
    calibration_samples: int
    eval_samples: int
    method: str
    size_float_bytes: int
    size_int8_bytes: int
    layers: list[LayerError] = field(default_factory=list)
    float_layers: list[FloatLayer] = field(default_factory=list)
    outputs: list[OutputError] = field(default_factory=list)
    io_qparams: dict[str, tuple[float, int]] = field(default_factory=dict)  # int8 graph inputs/outputs

    @property
    def size_ratio(self) -> float:
        return self.size_float_bytes / max(self.size_int8_bytes, 1)

    def render_text(self) -> str:
        lines = [
            f"calibration: {self.calibration} ({self.calibration_samples} samples, {self.method} ranges); "
            f"errors over {self.eval_samples} samples",
            f"constants: {self.size_float_bytes / 1e6:.3f} MB float -> {self.size_int8_bytes / 1e6:.3f} MB int8 "
            f"({self.size_ratio:.2f}x smaller)",
            f"int8 layers: {len(self.layers)}, float layers: {len(self.float_layers)}",
        ]
        for o in self.outputs:
            top1 = "" if o.top1_agreement is None else f", top-1 agreement {o.top1_agreement:.3f}"
            lines.append(
                f"output {o.name}: SQNR {o.sqnr_db:.1f} dB, max |err| {o.max_abs_error:.4g} "
                f"(float max |y| {o.max_abs_float:.4g}){top1}"
            )
        for name, (scale, zp) in self.io_qparams.items():
            lines.append(
                f"int8 graph input/output {name}: scale {scale:.6g}, zero point {zp} (real = (q - zp) * scale)"
            )
        lines.append(f"{'layer':<28} {'op':<10} {'int8 op':<16} {'scale':>10} {'zp':>5} {'SQNR dB':>8}")
        for x in self.layers:
            fused = f" +{x.fused}" if x.fused else ""
            head = f"{x.name[:28]:<28} {x.op:<10} {x.int8_op:<16}"
            lines.append(f"{head} {x.scale:10.4g} {x.zero_point:5d} {x.sqnr_db:8.1f}{fused}")
        lines += [f"float: {f.name} ({f.op}): {f.reason}" for f in self.float_layers]
        return "\n".join(lines)


def sqnr_db(signal: float, noise: float) -> float:
    if noise <= 0:
        return SQNR_CAP_DB
    if signal <= 0:
        return -SQNR_CAP_DB
    return float(min(10.0 * np.log10(signal / noise), SQNR_CAP_DB))


def constant_bytes(graph: Graph) -> int:
    return sum(v.type.nbytes for v in graph.constants.values() if v.users or v in graph.outputs)


def measure(
    src: Graph, dst: Graph, layers: Sequence[QuantizedLayer], samples: Sequence[Sample]
) -> tuple[list[LayerError], list[OutputError]]:
    """Run both graphs on `samples` and compare every int8 layer and every output with float."""
    sig = dict.fromkeys([x.name for x in layers], 0.0)
    noise = dict.fromkeys(sig, 0.0)
    outs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {v.name: [] for v in src.outputs}
    io = dst.io_qparams
    for sample in samples:
        ref = execute(src, sample, capture=True)
        got = execute(dst, quantize_inputs(dst, sample), capture=True)
        for x in layers:
            f = ref[x.output].astype(np.float64)
            q = (got[x.int8_value].astype(np.float64) - x.zero_point) * x.scale
            sig[x.name] += float(np.sum(f * f))
            noise[x.name] += float(np.sum((f - q) ** 2))
        for name in outs:
            outs[name].append((ref[name], dequantize(got[name], *io[name]) if name in io else got[name]))
    layer_errors = [
        LayerError(
            x.name,
            x.op,
            x.int8_op,
            x.scale,
            x.zero_point,
            sqnr_db(sig[x.name], noise[x.name]),
            x.fused,
            x.weight_scale_min,
            x.weight_scale_max,
        )
        for x in layers
    ]
    return layer_errors, [output_error(name, pairs) for name, pairs in outs.items()]


def quantize_inputs(graph: Graph, sample: Sample) -> dict[str, np.ndarray]:
    """Float inputs as an int8-I/O graph takes them: int8 at the recorded scale and zero point
    (round half to even and saturate, as QuantizeLinear does); other inputs as they are."""
    out = {}
    for v in graph.inputs:
        x = np.asarray(sample[v.name])
        if v.name in graph.io_qparams:
            scale, zp = graph.io_qparams[v.name]
            x = np.clip(np.rint(x.astype(np.float32) / np.float32(scale)).astype(np.float64) + zp, -128, 127).astype(
                np.int8
            )
        out[v.name] = x
    return out


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return (q.astype(np.float32) - np.float32(zero_point)) * np.float32(scale)


def output_error(name: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> OutputError:
    ref = np.concatenate([r.astype(np.float64).reshape(-1) for r, _ in pairs])
    got = np.concatenate([g.astype(np.float64).reshape(-1) for _, g in pairs])
    err = np.abs(ref - got)
    top1 = None
    if all(r.ndim == 2 and r.shape[1] > 1 for r, _ in pairs):
        hits = sum(int(np.sum(r.argmax(1) == g.argmax(1))) for r, g in pairs)
        top1 = hits / sum(r.shape[0] for r, _ in pairs)
    return OutputError(
        name,
        float(err.max(initial=0.0)),
        float(err.mean()) if err.size else 0.0,
        float(np.abs(ref).max(initial=0.0)),
        sqnr_db(float(np.sum(ref * ref)), float(np.sum(err * err))),
        top1,
    )
