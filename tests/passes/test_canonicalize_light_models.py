"""Canonicalize the ONNX light models (ImageNet CNNs with their weights stripped) with random weights
and check that the logits do not change."""

from pathlib import Path

import numpy as np
import onnx.backend.test
import pytest

from tessera.backends.reference import execute
from tessera.frontends.onnx_import import load_onnx
from tessera.ir import Graph, verify
from tessera.passes import get_pass

LIGHT = Path(onnx.backend.test.__file__).parent / "data" / "light"
# Models with large fully connected layers take seconds each just to load; BN is in the others.
BIG = {"light_bvlc_alexnet", "light_vgg19", "light_zfnet512"}
MODELS = [
    pytest.param(name, marks=pytest.mark.slow) if name in BIG else name
    for name in sorted(p.stem for p in LIGHT.glob("light_*.onnx"))
]


def _randomize(graph: Graph, seed: int) -> None:
    """Seeded random float weights (the light models ship without theirs); BN variances positive."""
    rng = np.random.default_rng(seed)
    variances = {id(n.inputs[4]) for n in graph.nodes if n.op.name == "BatchNormalization"}
    for v in graph.constants.values():
        if v.data is None or v.data.dtype.kind != "f":
            continue
        data = rng.standard_normal(v.shape, dtype=np.float32)
        data *= 0.1
        if id(v) in variances:
            data = np.abs(data) + 0.5
        v.data = data.astype(v.data.dtype, copy=False)


def _pre_softmax(graph: Graph) -> None:
    """Make the logits a graph output too: softmax saturates and would hide errors."""
    for node in graph.nodes:
        if node.op.name == "Softmax" and node.inputs[0] not in graph.outputs:
            graph.outputs.append(node.inputs[0])


@pytest.mark.parametrize("model", MODELS)
def test_canonicalize_keeps_logits(model: str) -> None:
    graph = load_onnx(LIGHT / f"{model}.onnx")
    _randomize(graph, seed=0)
    _pre_softmax(graph)
    before = graph.copy()
    bns = graph.op_counts().get("BatchNormalization", 0)
    result = get_pass("canonicalize").run(graph)
    verify(result.graph)
    counts = result.graph.op_counts()
    assert "BatchNormalization" not in counts and "Dropout" not in counts and "Identity" not in counts
    report = result.report.steps["fold-batchnorm"]
    assert report.into_conv + report.into_gemm + report.to_mul_add == bns

    x = before.inputs[0]
    inputs = {x.name: np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)}
    want, got = execute(before, inputs), execute(result.graph, inputs)
    for name, expected in want.items():
        scale = float(np.max(np.abs(expected)))
        assert np.all(np.isfinite(expected)) and scale > 0
        error = float(np.max(np.abs(got[name] - expected))) / scale
        assert error < 1e-4, f"{model} output {name}: relative error {error:.2e}"
