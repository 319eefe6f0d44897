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
from typing import Any, Literal

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
    """Quantize to int8 (static, TFLite semantics) from calibration data, and measure the error.

    `calibration` is a typed input of `tessera.compile` / `tessera.quantize` (on the CLI
    --calibration FILE.npz), not an option typed on the command line. With int8_io the scale and
    zero point of the int8 inputs / outputs are in the report and Graph.io_qparams."""

    name = "quantize-int8"
    calibration: Sequence[Sample] | None = field(
        default=None,
        metadata={"cli": False, "bind": "calibration", "help": "representative inputs: [{input_name: array}, ...]"},
    )
    method: str = field(default="minmax", metadata={"help": f"how ranges are chosen: {', '.join(METHODS)}"})
    percentile: float = field(default=99.99, metadata={"help": "the percentile method's upper percentile (50, 100]"})
    random_calibration: int = field(
        default=0, metadata={"help": "calibrate on N standard-normal inputs when no data is given (flagged RANDOM)"}
    )
    eval_samples: int = field(default=4, metadata={"help": "calibration inputs the error is measured on (>= 1)"})
    seed: int = field(default=0, metadata={"help": "seed of the random inputs and of the kept samples (>= 0)"})
    int8_io: bool | Literal["inputs", "outputs"] = field(
        default=False, metadata={"help": "int8 graph inputs and outputs: true, false, or only 'inputs' / 'outputs'"}
    )

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise PassError(f"quantize-int8: unknown method {self.method!r}; use one of {', '.join(METHODS)}")
        if self.int8_io not in INT8_IO:
            raise PassError(f"quantize-int8: int8_io={self.int8_io!r}; use one of {', '.join(map(repr, INT8_IO))}")
        if not 50 < self.percentile <= 100:
            raise PassError(f"quantize-int8: percentile must be in (50, 100], got {self.percentile}; e.g. 99.99")
        for option in ("random_calibration", "seed"):
            if getattr(self, option) < 0:
                raise PassError(f"quantize-int8: {option} must be >= 0, got {getattr(self, option)}")
        if self.eval_samples < 1:
            raise PassError(f"quantize-int8: eval_samples must be >= 1, got {self.eval_samples}")

    def options(self) -> dict[str, Any]:
        opts = super().options()
        opts["calibration"] = None if self.calibration is None else f"{len(self.calibration)} samples"
        return opts

    def run(self, graph: Graph) -> PassResult:
        samples, source = self._samples(graph)
        keep = 0 if self.method == "minmax" else SAMPLE_KEEP
        cal = calibrate(graph, samples, keep=keep, seed=self.seed)
        ranges = {name: choose_range(obs, self.method, self.percentile) for name, obs in cal.observations.items()}
        lw = Lowering(graph, ranges, *INT8_IO[self.int8_io])
        for node in graph.nodes:
            if node.name not in lw.fused:
                lw.visit(node, _lower)
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
            return list(self.calibration), "user data"
        if self.random_calibration > 0:
            return list(
                random_samples(graph, self.random_calibration, self.seed)
            ), "RANDOM standard-normal inputs (no calibration data given; ranges may not fit real data)"
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
