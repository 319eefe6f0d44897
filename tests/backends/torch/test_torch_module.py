"""tessera.to_torch's module: parameters named after the graph's constants, inputs by name or
position, batches through vmap, clear errors, and the write-back."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TORCH, chain_graph, require

import tessera
from tessera.errors import ArgumentError, ExecutionError, VerificationError
from tessera.ir import DType, TensorType
from tessera.ir.ops import lookup

torch = require("torch", TORCH)


class Net(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.fc = torch.nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


@pytest.fixture(scope="module")
def graph() -> tessera.Graph:
    torch.manual_seed(0)
    return tessera.load(Net().eval(), example_inputs=torch.zeros(1, 3, 6, 6))


def test_weights_are_parameters_named_after_constants(graph):
    module = tessera.to_torch(graph)
    names = [n for n, _ in module.named_graph_parameters()]
    assert names == ["p_conv_weight", "p_conv_bias", "p_fc_weight", "p_fc_bias"]
    for name in names:
        np.testing.assert_array_equal(module.constant(name).detach().numpy(), graph.constants[name].data)
    assert sum(p.numel() for p in module.parameters()) == graph.param_count()


def test_scalar_constants_are_buffers_and_trainable_chooses():
    g = chain_graph()  # Add(x, b[3]) -> Relu -> Mul(., x)
    assert [n for n, _ in tessera.to_torch(g).named_graph_parameters()] == ["b"]
    assert [n for n, _ in tessera.to_torch(g, trainable=[]).named_graph_parameters()] == []
    assert "b" in dict(tessera.to_torch(g, trainable=lambda v: v.name == "b").named_graph_parameters())
    with pytest.raises(ArgumentError, match="not float constants"):
        tessera.to_torch(g, trainable=["nope"])


def test_inputs_by_name_position_and_batch(graph):
    module = tessera.to_torch(graph)
    x = np.random.default_rng(0).standard_normal((3, 1, 3, 6, 6)).astype(np.float32)
    with torch.no_grad():
        by_name = module(x=torch.from_numpy(x[0]))["output"]
        by_position = module(x[0])["output"]
        batch = module(torch.from_numpy(x))["output"]
    want = tessera.run(graph, {"x": x[0]})["output"]
    np.testing.assert_allclose(by_name.numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(by_position.numpy(), by_name.numpy())
    assert batch.shape == (3, 1, 5)
    for i in range(3):
        np.testing.assert_allclose(batch[i].numpy(), tessera.run(graph, {"x": x[i]})["output"], rtol=1e-5, atol=1e-6)


def test_capture_returns_intermediate_values(graph):
    module = tessera.to_torch(graph)
    got = module.run({"x": np.zeros((1, 3, 6, 6), np.float32)}, capture=["relu"])
    assert set(got) == {"relu", "output"} and got["relu"].shape == (1, 4, 6, 6)
    with pytest.raises(ArgumentError, match="no value"):
        module.run({"x": np.zeros((1, 3, 6, 6), np.float32)}, capture=["missing"])


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "missing input(s) x"),
        ((), {"y": np.zeros((1, 3, 6, 6), np.float32)}, "has no input(s) y"),
        ((np.zeros((1, 3, 6, 6), np.float32),) * 2, {}, "takes 1 inputs"),
        ((np.zeros((1, 3, 6, 6), np.float64),), {}, "convert it first"),
        ((np.zeros((1, 3, 5, 6), np.float32),), {}, "or a batch of them [B, 1, 3, 6, 6]"),
    ],
)
def test_bad_inputs_are_named(graph, args, kwargs, message):
    with pytest.raises(ArgumentError) as err:
        tessera.to_torch(graph)(*args, **kwargs)
    assert message in str(err.value)


def test_to_graph_keeps_the_interface_and_set_constant_checks_types(graph):
    module = tessera.to_torch(graph)
    with torch.no_grad():
        module.constant("p_fc_bias").add_(1.0)
    new = module.to_graph()
    np.testing.assert_array_equal(new.constants["p_fc_bias"].data, graph.constants["p_fc_bias"].data + 1)
    assert str(graph).replace("p_fc_bias", "") == str(new).replace("p_fc_bias", "")
    with pytest.raises(VerificationError, match="would change its type"):
        new.set_constant("p_fc_bias", np.zeros(3, np.float32))


def test_importing_tessera_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, tessera; assert 'torch' not in sys.modules; tessera.FinetuneOptions; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_without_torch_the_error_says_how_to_install():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['torch'] = None; import tessera\n"
        "try:\n    tessera.to_torch\nexcept tessera.TesseraError as err:\n    print(err)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'tessera[train]'" in out.stdout


def test_a_failing_kernel_names_its_node():
    g = tessera.Graph("gather")
    data = g.add_constant("data", np.arange(6, dtype=np.float32).reshape(3, 2))
    index = g.add_input("i", TensorType(DType.INT64, (2,)))
    g.outputs.append(g.add_node(lookup("Gather"), [data, index], {"axis": 0}, name="pick").output)
    with pytest.raises(ExecutionError, match=r"node 'pick' \(Gather\) failed in torch"):
        tessera.to_torch(g)(i=np.array([0, 7]))
