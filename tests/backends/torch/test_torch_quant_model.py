"""A quantized CNN (torch -> tessera.load -> tessera.quantize) as a torch module: exact mode equals
tessera.run bit for bit, simulation stays within two output codes of it, the shadows round-trip
losslessly, and a few training steps in simulation write back a valid int8 graph."""

from __future__ import annotations

import numpy as np
import pytest

import tessera
from tessera.backends.torch import GraphModule
from tests.backends.torch._check import to_torch, torch

nn = torch.nn
SHAPE = (1, 1, 8, 8)


def _cnn() -> torch.nn.Module:
    """conv-relu-conv-relu-avgpool-flatten-linear: every layer has an int8 form."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 6, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(24, 5),
    ).eval()


def _samples(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(SHAPE).astype(np.float32) for _ in range(n)]


@pytest.fixture(scope="module")
def float_graph() -> tessera.Graph:
    return tessera.load(_cnn(), example_inputs=(torch.zeros(SHAPE),))


def _quantized(graph: tessera.Graph, **options) -> tessera.Graph:
    name = graph.inputs[0].name
    return tessera.quantize(graph, calibration=[{name: s} for s in _samples(16, 1)], **options).graph


@pytest.fixture(scope="module")
def qgraph(float_graph) -> tessera.Graph:
    q = _quantized(float_graph)
    ops = [n.op.name for n in q.nodes]
    assert ops.count("QConv") == 2 and "QAveragePool" in ops and "QFullyConnected" in ops, ops
    return q


@pytest.fixture(scope="module")
def qgraph_int8_io(float_graph) -> tessera.Graph:
    q = _quantized(float_graph, int8_io=True)
    assert q.inputs[0].dtype == tessera.ir.dtypes.DType.INT8 and q.outputs[0].dtype == tessera.ir.dtypes.DType.INT8
    return q


def _output_scale(q: tessera.Graph) -> float:
    """The float output's quantum: the scale of the final DequantizeLinear."""
    last = q.outputs[0].producer
    assert last is not None and last.op.name == "DequantizeLinear"
    return float(last.inputs[1].data)


def _int8_inputs(q: tessera.Graph, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.integers(-128, 128, SHAPE).astype(np.int8) for _ in range(n)]


def _run_all(q: tessera.Graph, samples, simulate: bool) -> tuple[np.ndarray, np.ndarray]:
    """(tessera.run outputs, module outputs on the stacked batch), both stacked."""
    name, out = q.inputs[0].name, q.outputs[0].name
    want = np.stack([tessera.run(q, {name: s})[out] for s in samples])
    with torch.no_grad():
        got = to_torch(q, simulate=simulate)(**{name: torch.from_numpy(np.stack(samples))})[out]
    return want, got.numpy()


def test_exact_module_equals_tessera_run_bit_for_bit(qgraph):
    samples = _samples(6, 7)
    want, got = _run_all(qgraph, samples, simulate=False)
    assert got.dtype == want.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    name, out = qgraph.inputs[0].name, qgraph.outputs[0].name
    with torch.no_grad():
        single = to_torch(qgraph)(**{name: torch.from_numpy(samples[0])})[out]
    np.testing.assert_array_equal(single.numpy(), want[0])


def test_simulation_within_two_output_codes(qgraph):
    want, got = _run_all(qgraph, _samples(6, 8), simulate=True)
    codes = np.abs(got.astype(np.float64) - want) / _output_scale(qgraph)
    assert codes.max() <= 2 + 1e-3, codes.max()
    assert np.mean(codes < 1e-3) >= 0.9


def test_int8_io_exact_and_simulated(qgraph_int8_io):
    samples = _int8_inputs(qgraph_int8_io, 5)
    want, got = _run_all(qgraph_int8_io, samples, simulate=False)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)
    want, sim = _run_all(qgraph_int8_io, samples, simulate=True)
    assert sim.dtype == np.float32
    assert np.abs(sim - want.astype(np.float32)).max() <= 2


@pytest.mark.parametrize("simulate", [False, True], ids=["exact", "simulate"])
def test_shadows_round_trip_losslessly(qgraph, qgraph_int8_io, simulate):
    for q in (qgraph, qgraph_int8_io):
        module = GraphModule(q, simulate=simulate)
        shadowed = {n for n, _ in module.named_graph_parameters()}
        int8_weights = {n for n, v in q.constants.items() if v.dtype.numpy() in (np.int8, np.int32)}
        assert shadowed and shadowed <= int8_weights
        back = module.to_graph()
        for name, value in q.constants.items():
            got = back.constants[name]
            assert got.dtype == value.dtype and got.shape == value.shape, name
            np.testing.assert_array_equal(np.asarray(got.data), np.asarray(value.data), err_msg=name)


def test_training_in_simulation_writes_back_an_int8_graph(qgraph):
    name, out = qgraph.inputs[0].name, qgraph.outputs[0].name
    module = to_torch(qgraph, simulate=True)
    teacher = _cnn()
    x = torch.from_numpy(np.stack(_samples(8, 9)))
    with torch.no_grad():
        target = teacher(x.reshape(-1, *SHAPE[1:])).reshape(8, 1, 5) * 0.5
    params = [p for _, p in module.named_graph_parameters()]
    opt = torch.optim.SGD(params, lr=0.05)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(module(**{name: x})[out], target)
        loss.backward()
        assert all(p.grad is not None for p in params)
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0], losses
    trained = module.to_graph()
    changed = [n for n in qgraph.constants if not np.array_equal(trained.constants[n].data, qgraph.constants[n].data)]
    assert changed, "training changed no integer code"
    for node, before in zip(trained.nodes, qgraph.nodes):
        assert node.attrs == before.attrs and node.op is before.op
    for n, v in qgraph.constants.items():
        assert trained.constants[n].dtype == v.dtype and trained.constants[n].shape == v.shape
    sample = _samples(1, 10)[0]
    with torch.no_grad():
        got = to_torch(trained)(**{name: torch.from_numpy(sample)})[out]
    np.testing.assert_array_equal(got.numpy(), tessera.run(trained, {name: sample})[out])
