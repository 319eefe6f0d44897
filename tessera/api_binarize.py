"""`tessera.binarize`: binary convolutions and matmuls (XNOR, Bi-Real or SCALES), optionally trained
by distillation from the float model, then bit-packed for the binary kernels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from tessera.api import Source, _trainer, load
from tessera.arguments import calibration_list, check_source
from tessera.errors import ArgumentError
from tessera.ir.graph import Graph
from tessera.passes import PassManager, get_pass
from tessera.passes.binarize import BinarizeReport, PackBinaryReport

if TYPE_CHECKING:
    from tessera.train import FinetuneOptions, FinetuneReport


@dataclass
class BinarizeResult:
    """The binarized graph (bit-packed unless pack=False), the binarize report (the error of the
    untrained binarization), the training report with `train=`, and pack-binary's report."""

    graph: Graph
    report: BinarizeReport
    train: FinetuneReport | None = None
    pack: PackBinaryReport | None = None


def binarize(
    source: Source,
    calibration: Iterable[Mapping[str, np.ndarray]] | None = None,
    *,
    scaling: str = "scales",
    layers: Sequence[str] = (),
    keep_first_last: bool = True,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    train: FinetuneOptions | None = None,
    train_data: object = None,
    pack: bool = True,
    **options: Any,
) -> BinarizeResult:
    """Binarize a model's convolutions and matrix products.

    calibration: inputs the report's error is measured on ([{input name: array}, ...]; default:
    random ones, flagged). scaling: "xnor" (alpha = mean |W| per filter), "bireal" (plus a
    real-valued shortcut), "scales" (plus SCALES' layer-wise, spatial and channel-wise rescalings).
    layers: node-name patterns (fnmatch) to binarize; default all but the first and last weight layers.
    train: tessera.train.FinetuneOptions: train the binarized graph (straight-through estimator)
    on `train_data` (default: the calibration inputs; examples with targets, or inputs only, which
    distill the float model; a callable `loss` may mix both). Needs PyTorch.
    pack: return the bit-packed graph (PackBits + BinaryConv, bit for bit the float formulation);
    False keeps the trainable float formulation (BinarySign + Conv).
    options: the binarize pass's other options (eval_samples, seed).
    """
    check_source("tessera.binarize", source)
    samples = calibration_list("tessera.binarize", calibration)
    graph = PassManager([get_pass("canonicalize")]).run(load(source, input_shapes).copy()).graph
    teacher = graph.copy()
    step = get_pass(
        "binarize", scaling=scaling, layers=tuple(layers), keep_first_last=keep_first_last, inputs=samples, **options
    )
    result = PassManager([step]).run(graph)
    report = result.records[-1].report
    assert isinstance(report, BinarizeReport)
    binarized, trained = result.graph, None
    if train is not None:
        data = train_data if train_data is not None else samples
        if data is None:
            raise ArgumentError("tessera.binarize: train= trains on train_data or the calibration inputs; give one")
        run = _trainer()(binarized, data, teacher=teacher, options=train)
        binarized, trained = run.graph, run.report
    if not pack:
        return BinarizeResult(binarized, report, trained)
    packed = PassManager([get_pass("canonicalize"), get_pass("pack-binary")]).run(binarized)
    pack_report = packed.records[-1].report
    assert isinstance(pack_report, PackBinaryReport)
    return BinarizeResult(packed.graph, report, trained, pack_report)
