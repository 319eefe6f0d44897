"""The `binarize` pass: convolutions and matrix products become binary (sign(x) * alpha sign(W)) in
their float formulation (build.py), which trains (`tessera.finetune`: BinarySign's straight-through
estimator, distillation from the float graph) and which `pack-binary` turns into bit-packed
PackBits + BinaryConv, bit for bit. The report measures the error binarization introduced.

Run it on a canonicalized graph (BatchNorm folded into its conv), as `tessera.binarize` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tessera.errors import PassError
from tessera.ir.graph import Graph, Node
from tessera.ir.ops.binary import words
from tessera.ir.ops.conv import Conv
from tessera.ir.rewriter import Rewriter
from tessera.passes.base import Pass, PassResult
from tessera.passes.binarize.build import SCALINGS, Built, binarize_conv, binarize_matmul
from tessera.passes.binarize.choose import choose
from tessera.passes.binarize.report import BinarizedLayer, BinarizeReport, measure
from tessera.passes.quantize.calibrate import Sample, random_samples
from tessera.passes.registry import register_pass


@register_pass
@dataclass(frozen=True, eq=False)
class Binarize(Pass):
    """Binarize convolutions and matmuls (XNOR, Bi-Real or SCALES scaling) and measure the error.

    The result is the trainable float formulation; `pack-binary` (after canonicalize) makes it
    bit-packed. `inputs` are the samples the error is measured on (`tessera.binarize`'s
    `calibration`; on the CLI --calibration FILE.npz); without them, standard-normal inputs (flagged)."""

    name = "binarize"
    scaling: str = field(default="scales", metadata={"help": f"the binary layers' scaling: {', '.join(SCALINGS)}"})
    layers: tuple[str, ...] = field(
        default=(), metadata={"help": "node-name patterns (fnmatch) of the layers to binarize; empty: all candidates"}
    )
    keep_first_last: bool = field(
        default=True, metadata={"help": "with no `layers`, keep the first and last weight layers in full precision"}
    )
    inputs: Sequence[Sample] | None = field(
        default=None,
        metadata={"cli": False, "bind": "calibration", "help": "inputs the error is measured on: [{name: array}]"},
    )
    eval_samples: int = field(default=2, metadata={"help": "inputs the error is measured on (>= 1)"})
    seed: int = field(default=0, metadata={"help": "seed of the rescaling branches' weights and random inputs"})

    def __post_init__(self) -> None:
        if self.scaling not in SCALINGS:
            raise PassError(f"binarize: unknown scaling {self.scaling!r}; use one of {', '.join(SCALINGS)}")
        if self.eval_samples < 1:
            raise PassError(f"binarize: eval_samples must be >= 1, got {self.eval_samples}")
        if self.seed < 0:
            raise PassError(f"binarize: seed must be >= 0, got {self.seed}")

    def options(self) -> dict[str, Any]:
        opts = super().options()
        opts["inputs"] = None if self.inputs is None else f"{len(self.inputs)} samples"
        return opts

    def run(self, graph: Graph) -> PassResult:
        chosen, kept = choose(graph, self.layers, self.keep_first_last)
        source = graph.copy()
        rng = np.random.default_rng(self.seed)
        rw = Rewriter(graph)
        layers = []
        for node in chosen:
            built = (
                binarize_conv(rw, node, self.scaling, rng)
                if node.op is Conv
                else binarize_matmul(rw, node, self.scaling)
            )
            layers.append(_record(node, built))
            rw.replace(node, [built.output], take_names=True)
        samples, where = self._samples(graph)
        measured, outputs = measure(source, graph, layers, samples) if layers else ([], [])
        report = BinarizeReport(self.scaling, where, len(samples), measured, kept, outputs)
        return PassResult(graph, bool(layers), report)

    def _samples(self, graph: Graph) -> tuple[list[Sample], str]:
        if self.inputs is not None:
            return list(self.inputs)[: self.eval_samples], "user data"
        samples: list[Sample] = list(random_samples(graph, self.eval_samples, self.seed))
        return samples, "RANDOM standard-normal inputs (no data given)"


def _record(node: Node, built: Built) -> BinarizedLayer:
    """Sizes and MACs of one layer: packed weights hold 32 input channels per uint32 word."""
    w = node.inputs[1]
    out = node.outputs[0]
    if node.op is Conv:
        m, per_group, taps = w.shape[0], w.shape[1], math.prod(w.shape[2:])
        packed = m * words(per_group) * taps * 4
        macs = out.type.numel * per_group * taps
    else:
        k, m = w.shape if not node.attrs.get("transB") else w.shape[::-1]
        packed = m * words(k) * 4
        macs = out.type.numel * k
    has_bias = len(node.inputs) > 2
    return BinarizedLayer(
        node.name,
        node.op.name,
        out.name,
        built.shortcut,
        w.type.nbytes,
        packed,
        4 * m * (2 if has_bias else 1),
        macs,
        built.rescale_macs,
    )
