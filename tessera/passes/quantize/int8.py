"""The `quantize-int8` pass: static post-training quantization with TFLite int8 semantics.

calibrate (run the float graph on the calibration inputs) -> choose ranges -> lower to int8 ops
(rules.py) -> measure the error against float on the first `eval_samples` inputs -> report.
Calibration data is required: `calibration=[{input_name: array}, ...]` (e.g. a zoo model's
`sample_inputs(32)`). Without it the pass refuses, unless `random_calibration=N` asks for N
standard-normal inputs, which the report then flags as RANDOM.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.normalization import LayerNormalization
from tessera.ir.ops.softmax import Softmax
from tessera.passes.base import Pass, PassResult
from tessera.passes.quantize.calibrate import Sample, calibrate, random_samples
from tessera.passes.quantize.lower import Lowering
from tessera.passes.quantize.ranges import METHODS, choose_range
from tessera.passes.quantize.report import QuantizeReport, constant_bytes, measure
from tessera.passes.quantize.rules import RULES
from tessera.passes.registry import register_pass

INT8_IO: dict[bool | str, tuple[bool, bool]] = {  # option -> (int8 inputs, int8 outputs)
    False: (False, False),
    True: (True, True),
    "inputs": (True, False),
    "outputs": (False, True),
}
SAMPLE_KEEP = 4096  # values kept per tensor and calibration input for percentile / MSE ranges

FLOAT_REASONS = {
    Softmax: "int8 softmax needs TFLite's exp LUT and fixed-point reciprocal; kept float (see docs/quantization.md)",
    LayerNormalization: "int8 layer norm needs a fixed-point rsqrt; kept float (see docs/quantization.md)",
}


@register_pass
@dataclass(frozen=True, eq=False)
class QuantizeInt8(Pass):
    """Options: calibration (iterable of input dicts), method (minmax | percentile | mse),
    percentile, random_calibration (N random inputs when no data is given), eval_samples, seed,
    int8_io (False: float inputs and outputs; True: int8 inputs and outputs; "inputs" / "outputs":
    only those; their scale and zero point are in the report and Graph.io_qparams)."""

    name = "quantize-int8"
    calibration: Sequence[Sample] | None = field(default=None, metadata={"cli": False, "bind": "calibration"})
    method: str = "minmax"
    percentile: float = 99.99
    random_calibration: int = 0
    eval_samples: int = 4
    seed: int = 0
    int8_io: bool | str = False

    def options(self) -> dict[str, Any]:
        opts = super().options()
        opts["calibration"] = None if self.calibration is None else f"{len(self.calibration)} samples"
        return opts

    def run(self, graph: Graph) -> PassResult:
        if self.method not in METHODS:
            raise PassError(f"quantize-int8: unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        samples, source = self._samples(graph)
        keep = 0 if self.method == "minmax" else SAMPLE_KEEP
        cal = calibrate(graph, samples, keep=keep, seed=self.seed)
        ranges = {name: choose_range(obs, self.method, self.percentile) for name, obs in cal.observations.items()}
        if self.int8_io not in INT8_IO:
            raise PassError(f"quantize-int8: int8_io={self.int8_io!r}; use one of {', '.join(map(repr, INT8_IO))}")
        lw = Lowering(graph, ranges, *INT8_IO[self.int8_io])
        for node in graph.nodes:
            if node.name in lw.fused:
                continue
            reason = _lower(lw, node)
            if reason is not None:
                lw.copy_float(node, reason)
        quantized = lw.finish()
        evaluation = samples[: max(1, self.eval_samples)]
        layers, outputs = measure(graph, quantized, lw.layers, evaluation)
        report = QuantizeReport(
            source,
            cal.samples,
            len(evaluation),
            self.method,
            constant_bytes(graph),
            constant_bytes(quantized),
            layers,
            lw.float_layers,
            outputs,
            dict(quantized.io_qparams),
        )
        return PassResult(quantized, bool(lw.layers), report)

    def _samples(self, graph: Graph) -> tuple[list[Sample], str]:
        if self.calibration is not None:
            samples = list(self.calibration)
            return samples, "user data"
        if self.random_calibration > 0:
            samples = random_samples(graph, self.random_calibration, self.seed)
            return samples, "RANDOM standard-normal inputs (no calibration data given; ranges may not fit real data)"
        raise PassError(
            f"quantize-int8 on {graph.name!r} needs calibration data: pass calibration=[{{input_name: array}}, ...] "
            "(e.g. zoo_model.sample_inputs(32)), on the CLI --calibration FILE.npz, or random_calibration=N to "
            "calibrate on N random inputs (flagged in the report)"
        )


def _lower(lw: Lowering, node: Node) -> str | None:
    if node.op in FLOAT_REASONS:
        return FLOAT_REASONS[node.op]
    rule = RULES.get(node.op)
    if rule is None:
        return f"no int8 kernel for {node.op.name}"
    return rule(lw, node)
