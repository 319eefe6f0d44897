"""The expand-qdq pass: int8 ops become DequantizeLinear -> float op -> QuantizeLinear (ONNX ops only),
the graph's interface (names, order, io_qparams) stays, and the float form computes what the int8
kernels do within its rounding."""

from __future__ import annotations

import numpy as np
from _classifier import classifier, sample

import tessera
from tessera.passes import PassManager, get_pass
from tessera.passes.quantize import ExpandQdq, ExpandQdqReport
from tessera.passes.quantize.report import quantize_inputs


def _int8_graph() -> tessera.QuantizeResult:
    return tessera.quantize(classifier(), random_calibration=8, int8_io=True)


def test_expands_every_int8_op_and_keeps_the_interface() -> None:
    quantized = _int8_graph().graph
    result = PassManager([get_pass("expand-qdq")]).run(quantized.copy())  # verifies the result
    graph = result.graph
    report = result.records[0].report
    assert isinstance(report, ExpandQdqReport) and result.records[0].modified
    assert report.expanded == {"QAveragePool": 1, "QConv": 1, "QFullyConnected": 1}
    assert all(n.op.domain == "" for n in graph.nodes)
    assert [(v.name, v.type) for v in graph.inputs] == [(v.name, v.type) for v in quantized.inputs]
    assert [(v.name, v.type) for v in graph.outputs] == [(v.name, v.type) for v in quantized.outputs]
    assert graph.io_qparams == quantized.io_qparams
    assert not [v.name for v in graph.constants.values() if not v.users]


def test_float_form_agrees_with_the_int8_kernels() -> None:
    result = _int8_graph()
    expanded = ExpandQdq().run(result.graph.copy()).graph
    for seed in range(4):
        feeds = quantize_inputs(result.graph, sample(seed))
        ours, qdq = tessera.run(result.graph, feeds), tessera.run(expanded, feeds)
        diff = np.abs(ours["logits"].astype(np.int32) - qdq["logits"].astype(np.int32))
        assert diff.max() <= 2  # one step per int8 op on the way (conv, pool, fully connected)


def test_a_float_graph_is_left_as_it_is() -> None:
    graph = classifier()
    before = str(graph)
    result = ExpandQdq().run(graph)
    assert not result.modified and result.report.expanded == {} and str(result.graph) == before
