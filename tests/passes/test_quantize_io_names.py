"""An int8 graph keeps its interface: after quantize-int8 (any int8_io) every graph input and output
keeps its name and place, io_qparams names exactly the int8 ones, and the exported ONNX model has the
same names and runs in onnxruntime like tessera.run (within the QDQ form's rounding)."""

from __future__ import annotations

import numpy as np
import pytest
from _classifier import classifier, sample
from conftest import require

import tessera
from tessera.ir import DType
from tessera.ir.verifier import verify
from tessera.passes.quantize.report import quantize_inputs

INT8_SIDES = {False: set(), True: {"image", "logits", "probs"}, "inputs": {"image"}, "outputs": {"logits", "probs"}}


def _quantize(int8_io: bool | str) -> tessera.QuantizeResult:
    return tessera.quantize(classifier(), random_calibration=8, int8_io=int8_io)


@pytest.mark.parametrize("int8_io", list(INT8_SIDES))
def test_graph_inputs_and_outputs_keep_their_names(int8_io: bool | str) -> None:
    source = classifier()
    before = str(source)
    result = tessera.quantize(source, random_calibration=8, int8_io=int8_io)
    assert str(source) == before  # the pass edits a copy
    graph = result.graph
    verify(graph)
    assert "QFullyConnected" in graph.op_counts() and "Softmax" in graph.op_counts()
    assert [v.name for v in graph.inputs] == ["image"]
    assert [v.name for v in graph.outputs] == ["logits", "probs"]
    int8 = {v.name for v in [*graph.inputs, *graph.outputs] if v.dtype is DType.INT8}
    assert int8 == INT8_SIDES[int8_io]
    assert set(graph.io_qparams) == int8 == set(result.report.io_qparams)
    assert [o.name for o in result.report.outputs] == ["logits", "probs"]


@pytest.mark.parametrize("int8_io", list(INT8_SIDES))
def test_exported_onnx_keeps_the_names(int8_io: bool | str) -> None:
    model = tessera.export_onnx(_quantize(int8_io).graph)
    assert [v.name for v in model.graph.input] == ["image"]
    assert [v.name for v in model.graph.output] == ["logits", "probs"]
    assert all(n.domain in ("", "ai.onnx") for n in model.graph.node)  # QDQ form: ONNX ops only


@pytest.mark.parametrize("int8_io", [True, "inputs", "outputs"])
def test_onnxruntime_runs_the_export_like_tessera(int8_io: bool | str) -> None:
    ort = require("onnxruntime", "pip install onnxruntime")
    result = _quantize(int8_io)
    graph = result.graph
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC  # the QDQ ops as written
    session = ort.InferenceSession(
        tessera.export_onnx(graph).SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    # The QDQ form requantizes in float (round half to even), the int8 kernels in fixed point: each
    # int8 op agrees within one step, so the logits within two of their steps (and probs, through
    # softmax, which shrinks differences, within that plus one step of its own when it is int8).
    logits_step = next(x.scale for x in result.report.layers if x.op == "Gemm")
    for seed in range(4):
        feeds = quantize_inputs(graph, sample(seed))
        ours = tessera.run(graph, feeds)
        theirs = dict(zip([o.name for o in session.get_outputs()], session.run(None, feeds)))
        for name in ("logits", "probs"):
            assert theirs[name].dtype == ours[name].dtype, name
            bound = 2.001 * logits_step + graph.io_qparams.get(name, (0.0, 0))[0]
            assert np.abs(_real(graph, name, ours[name]) - _real(graph, name, theirs[name])).max() <= bound, name


def _real(graph: tessera.Graph, name: str, value: np.ndarray) -> np.ndarray:
    if name not in graph.io_qparams:
        return value.astype(np.float64)
    scale, zero_point = graph.io_qparams[name]
    return (value.astype(np.float64) - zero_point) * scale
