"""tessera.load / tessera.compile with an nn.Module."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TORCH, require

import tessera
from tessera.errors import ModelLoadError

torch = require("torch", TORCH)


class Small(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn(self.conv(image)))


def test_load_and_compile_module() -> None:
    torch.manual_seed(0)
    module, x = Small().eval(), torch.randn(1, 3, 6, 6)
    graph = tessera.load(module, example_inputs=x)
    assert [v.name for v in graph.inputs] == ["image"]
    result = tessera.compile(module, example_inputs=(x,))
    assert "BatchNormalization" not in result.graph.op_counts()  # folded by the default pipeline
    got = result.run({"image": x.numpy()})["output"]
    with torch.no_grad():
        np.testing.assert_allclose(got, module(x).numpy(), rtol=1e-4, atol=1e-5)


def test_module_without_example_inputs() -> None:
    with pytest.raises(ModelLoadError, match="needs example_inputs"):
        tessera.load(Small())
