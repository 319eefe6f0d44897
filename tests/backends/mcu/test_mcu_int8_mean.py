"""A CNN ending in x.mean((2, 3)) (global pooling as ReduceMean) quantizes with no float ReduceMean
left and runs on the MCU host bit-exact against the int8 reference; a mean over channels stays
float with the reason in the quantize report."""

import numpy as np
import pytest
from _mcu_helpers import HOST_TOOLS, random_inputs, torch_onnx
from conftest import MCU_TOOLS, TORCH, require, require_tools

import tessera
from tessera.backends.reference import execute

torch = require("torch", TORCH)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class MeanCNN(torch.nn.Module):
    def __init__(self, keepdim: bool, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc = torch.nn.Linear(8, 4)
        self.keepdim, self.dims = keepdim, dims

    def forward(self, x):
        y = torch.relu(self.conv(x)).mean(self.dims, keepdim=self.keepdim)
        return self.fc(y.flatten(1)) if self.dims == (2, 3) else y


def _quantize(keepdim: bool, dims: tuple[int, ...]) -> tessera.QuantizeResult:
    torch.manual_seed(0)
    graph = tessera.load(torch_onnx(MeanCNN(keepdim, dims), torch.zeros(1, 3, 8, 8)))
    assert graph.op_counts()["ReduceMean"] == 1
    return tessera.quantize(graph, [random_inputs(graph, i) for i in range(8)])


@pytest.mark.parametrize("keepdim", [True, False], ids=["keepdims", "dropdims"])
def test_spatial_mean_is_int8_and_bit_exact_on_host(keepdim: bool) -> None:
    result = _quantize(keepdim, (2, 3))
    counts = result.graph.op_counts()
    assert "ReduceMean" not in counts and counts["QAveragePool"] == 1
    assert not [f for f in result.report.float_layers if f.op == "ReduceMean"]
    (out,) = result.report.outputs
    assert 0 < out.max_abs_error < 0.1 * out.max_abs_float and out.sqnr_db > 20
    require_tools(HOST_TOOLS, MCU_TOOLS)
    compiled = tessera.compile(result.graph, target="mcu", passes=[])
    inputs = random_inputs(compiled.graph, 5)
    got, want = compiled.run(inputs, on="host"), execute(compiled.graph, inputs)
    for name, ref in want.items():
        assert np.array_equal(got[name], ref), name


def test_channel_mean_stays_float_with_the_reason() -> None:
    result = _quantize(True, (1,))
    (left,) = [f for f in result.report.float_layers if f.op == "ReduceMean"]
    assert "(1,)" in left.reason and "spatial" in left.reason
    assert "ReduceMean" in result.graph.op_counts()
