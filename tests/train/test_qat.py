"""Quantization-aware training on the digits CNN: the int8 graph after QAT is at least as accurate as
after post-training quantization, and still compiles bit-exact to the MCU host build."""

from __future__ import annotations

import numpy as np
import pytest
from _digits import digits
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute

torch = require("torch", TORCH)


def accuracy(graph: tessera.Graph, x: np.ndarray, y: np.ndarray) -> float:
    """Top-1 accuracy with tessera.run (the reference executor), one example at a time."""
    hits = [np.argmax(next(iter(tessera.run(graph, {"x": xi[None]}).values()))) == yi for xi, yi in zip(x, y)]
    return float(np.mean(hits))


@pytest.fixture(scope="module")
def runs():
    d = digits()
    graph = tessera.load(d.onnx(1))
    calibration = [{"x": d.x_train[i : i + 1]} for i in range(8)]
    ptq = tessera.quantize(graph, calibration)
    options = tessera.FinetuneOptions(epochs=2, lr=1e-3, batch_size=64)
    qat = tessera.quantize(graph, calibration, qat=options, qat_data={"x": d.x_train, "target": d.y_train})
    return d, graph, ptq, qat


def test_qat_accuracy_at_least_ptq(runs):
    d, graph, ptq, qat = runs
    x, y = d.x_test, d.y_test
    float_acc, ptq_acc, qat_acc = accuracy(graph, x, y), accuracy(ptq.graph, x, y), accuracy(qat.graph, x, y)
    assert float_acc > 0.9
    assert qat_acc >= ptq_acc, (float_acc, ptq_acc, qat_acc)
    report = qat.qat
    assert report is not None and report.simulate and report.metric == "accuracy"
    assert report.metric_after >= report.metric_before
    assert report.parameters == 6  # the int8 weights and int32 biases of two QConv and one QFullyConnected
    # same graph apart from the trained integer constants
    assert str(qat.graph).splitlines()[1:] != [] and qat.graph.op_counts() == ptq.graph.op_counts()
    for name, v in ptq.graph.constants.items():
        assert qat.graph.constants[name].type == v.type


def test_qat_graph_is_bit_exact_on_the_mcu_host_build(runs, tmp_path):
    require_tools(("gcc", "make"), MCU_TOOLS)
    _, _, _, qat = runs
    result = tessera.compile(qat.graph, target="mcu", out_dir=tmp_path / "mcu")
    inputs = {"x": digits().x_test[:1]}
    got, want = result.run(inputs, on="host"), execute(result.graph, inputs)
    for name, ref in want.items():
        np.testing.assert_array_equal(got[name], ref)


def test_qat_by_distillation_from_the_float_graph(runs):
    d, graph, _, _ = runs
    calibration = [{"x": d.x_train[i : i + 1]} for i in range(64)]
    options = tessera.FinetuneOptions(epochs=2, lr=1e-4, batch_size=16)
    result = tessera.quantize(graph, calibration[:8], qat=options, qat_data=calibration)
    report = result.qat
    assert report.loss == "distill" and report.metric == "sqnr_db" and report.features
    assert report.metric_after > report.metric_before, report.render_text()


def test_simulation_can_be_switched_on_an_existing_module(runs):
    """finetune flips module.simulate; the int8 kernels follow it."""
    d, _, ptq, _ = runs
    module = tessera.to_torch(ptq.graph)
    x = torch.from_numpy(d.x_test[:4]).reshape(4, 1, 1, 8, 8)
    exact = next(iter(module(x).values()))
    module.simulate = True
    simulated = next(iter(module(x).values()))
    assert exact.dtype == simulated.dtype == torch.float32  # the graph ends in DequantizeLinear
    np.testing.assert_allclose(simulated.detach().numpy(), exact.numpy(), atol=0.05)
    assert simulated.requires_grad and not exact.requires_grad
