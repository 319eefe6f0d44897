"""tessera.finetune on a float graph: it learns, writes back a graph of the same interface, is
deterministic for a seed, and takes its data in every documented form."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import TORCH, require

import tessera
from tessera.errors import TesseraError
from tessera.ir import DType, TensorType
from tessera.ir.ops import lookup

torch = require("torch", TORCH)


class Net(torch.nn.Module):
    """Conv-ReLU-Linear for 1x8x8 digits: its graph is Conv, Relu, Reshape and Gemm."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 8 * 8, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


@pytest.fixture(scope="module")
def graph() -> tessera.Graph:
    torch.manual_seed(0)
    return tessera.load(Net().eval(), example_inputs=torch.zeros(1, 1, 8, 8))


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 256)
    # each class lights up its own pixel: learnable in a few steps
    x = rng.standard_normal((256, 1, 8, 8)).astype(np.float32) * 0.1
    x.reshape(256, -1)[np.arange(256), labels * 6] += 3.0
    return {"x": x, "target": labels.astype(np.int64)}


def test_finetune_learns_and_writes_back(graph, data):
    result = tessera.finetune(graph, data, epochs=3, lr=0.01, batch_size=32)
    report = result.report
    assert report.metric == "accuracy" and report.metric_on == "the training data"
    assert report.metric_after > max(report.metric_before, 0.8), report.render_text()
    assert report.loss_per_epoch[-1] < report.loss_per_epoch[0]
    assert len(report.time_per_epoch_s) == 3 and report.parameters == 4
    assert report.parameter_elements == graph.param_count()
    new = result.graph
    assert {n: v.type for n, v in new.constants.items()} == {n: v.type for n, v in graph.constants.items()}
    assert [v.name for v in new.inputs] == [v.name for v in graph.inputs]
    assert not np.array_equal(new.constants["p_fc_weight"].data, graph.constants["p_fc_weight"].data)
    got = [np.argmax(tessera.run(new, {"x": x[None]})["output"]) for x in data["x"][:64]]
    assert np.mean(np.array(got) == data["target"][:64]) > 0.8
    json.dumps(report.to_dict())


def test_the_input_graph_is_left_alone(graph, data):
    before = {n: v.data.copy() for n, v in graph.constants.items()}
    tessera.finetune(graph, data, epochs=1)
    for name, array in before.items():
        np.testing.assert_array_equal(graph.constants[name].data, array)


def test_one_step_round_trip_matches_the_module(graph, data):
    """Train one step, write back: tessera.run on the new graph equals the trained module."""
    module = tessera.to_torch(graph)
    opt = torch.optim.SGD(module.parameters(), lr=0.1)
    x = torch.from_numpy(data["x"][:8]).reshape(8, 1, 1, 8, 8)
    loss = torch.nn.functional.cross_entropy(module(x)["output"].reshape(8, 10), torch.from_numpy(data["target"][:8]))
    loss.backward()
    opt.step()
    new = module.to_graph()
    sample = data["x"][9][None]
    with torch.no_grad():
        want = module(x=torch.from_numpy(sample))["output"].numpy()
    np.testing.assert_allclose(tessera.run(new, {"x": sample})["output"], want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(tessera.run(graph, {"x": sample})["output"], want)


def test_deterministic_for_a_seed(graph, data):
    a = tessera.finetune(graph, data, epochs=2, seed=3)
    b = tessera.finetune(graph, data, epochs=2, seed=3)
    c = tessera.finetune(graph, data, epochs=2, seed=4)
    assert a.report.loss_per_epoch == b.report.loss_per_epoch
    for name in graph.constants:
        np.testing.assert_array_equal(a.graph.constants[name].data, b.graph.constants[name].data)
    assert a.report.loss_per_epoch != c.report.loss_per_epoch


def test_every_data_form_gives_the_same_run(graph, data):
    stacked = tessera.finetune(graph, data, epochs=1, seed=1).report.loss_per_epoch
    dropped = {"x": data["x"].reshape(256, 1, 8, 8), "target": data["target"]}  # batch axis of 1 dropped
    as_dicts = [{"x": x[None], "target": t} for x, t in zip(data["x"], data["target"])]
    as_pairs = [({"x": x[None]}, t) for x, t in zip(data["x"], data["target"])]
    full = {"x": data["x"][:, None], "target": data["target"]}
    for form in (dropped, as_dicts, as_pairs, full):
        assert tessera.finetune(graph, form, epochs=1, seed=1).report.loss_per_epoch == stacked


def test_distillation_recovers_a_damaged_copy(graph, data):
    damaged = graph.copy()
    rng = np.random.default_rng(5)
    for name, v in graph.constants.items():
        damaged.set_constant(name, v.data + rng.standard_normal(v.shape).astype(np.float32) * 0.05)
    inputs = [{"x": x[None]} for x in data["x"]]
    result = tessera.finetune(damaged, inputs, teacher=graph, epochs=4, lr=3e-3)
    report = result.report
    assert report.loss == "distill" and report.metric == "sqnr_db"
    assert report.features == ["conv2d", "relu", "view"]
    assert report.metric_after > report.metric_before + 3, report.render_text()


def test_custom_loss_and_optimizer(graph, data):
    seen = []

    def loss(output, target, teacher):
        seen.append((tuple(output.shape), teacher))
        return torch.nn.functional.cross_entropy(output.reshape(-1, 10), target)

    result = tessera.finetune(
        graph, data, loss=loss, optimizer=lambda ps: torch.optim.SGD(ps, lr=0.05), epochs=1, batch_size=64
    )
    assert result.report.loss == "custom" and result.report.optimizer == "custom"
    assert seen[0] == ((64, 1, 10), None) and len(seen) == 4


def test_report_page_plots_the_loss(graph, data):
    page = tessera.finetune(graph, data, epochs=2).report.render_html()
    assert "<h1>finetune" in page
    assert "data:image/png;base64," in page or "matplotlib is not installed" in page


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        ({"x": np.zeros((4, 1, 8, 8), np.float32)}, {}, "no targets"),
        ({"y": np.zeros((4, 1, 8, 8), np.float32)}, {}, "unexpected ['y']"),
        ({"x": np.zeros((4, 1, 8, 8), np.float64)}, {}, "needs N examples of"),
        ([{"x": np.zeros((1, 1, 8, 8), np.float32)}, "nope"], {}, "example 1 is"),
        ("data.npz", {}, "must be an iterable"),
        ({"x": np.zeros((4, 1, 8, 8), np.float32), "target": np.zeros(4, np.int64)}, {"epochs": 0}, "epochs"),
        ({"x": np.zeros((4, 1, 8, 8), np.float32), "target": np.zeros(4, np.int64)}, {"loss": "l2"}, "loss must"),
        ({"x": np.zeros((4, 1, 8, 8), np.float32), "target": np.zeros(4, np.int64)}, {"loss": "distill"}, "teacher"),
        ({"x": np.zeros((4, 1, 8, 8), np.float32), "target": np.zeros(4, np.int64)}, {"output": "z"}, "no output"),
    ],
)
def test_bad_arguments_are_named(graph, data, options, message):
    with pytest.raises(TesseraError) as err:
        tessera.finetune(graph, data, **options)
    assert message in str(err.value)


def test_nothing_to_train_is_an_error():
    g = tessera.Graph("plain")
    x = g.add_input("x", TensorType(DType.FLOAT32, (1, 4)))
    g.outputs.append(g.add_node(lookup("Relu"), [x]).output)
    with pytest.raises(TesseraError, match="no trainable constants"):
        tessera.finetune(g, {"x": np.zeros((4, 1, 4), np.float32), "target": np.zeros((4, 1, 4), np.float32)})


def test_progress_bar_on_request(graph, data, capsys):
    tessera.finetune(graph, data, epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "finetune" in err and "8/8" in err  # 256 examples in batches of 32
    tessera.finetune(graph, data, epochs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_cosine_schedule_is_checked_and_reported(graph, data):
    result = tessera.finetune(graph, data, epochs=2, lr=0.05, batch_size=16, schedule="cosine", progress=False)
    assert result.report.schedule == "cosine" and "lr 0.05 cosine" in result.report.render_text()
    with pytest.raises(TesseraError, match="schedule must be one of constant, cosine"):
        tessera.finetune(graph, data, schedule="step")
