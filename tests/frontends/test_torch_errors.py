"""Bad PyTorch input gives a TesseraError naming the op, module path or source line, and the fix."""

from __future__ import annotations

import pytest
from conftest import ONNXSCRIPT, TORCH, require

from tessera.errors import ModelLoadError, ShapeError, UnsupportedOpError
from tessera.frontends.torch_import import load_torch

torch = require("torch", TORCH)
nn = torch.nn


class Branchy(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:  # data-dependent control flow
            return x * 2
        return x - 1


class Inner(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, 1) + torch.sort(x, 1).values


class Outer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.block = Inner()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(self.fc(x))


def test_data_dependent_control_flow_names_module_and_line() -> None:
    with pytest.raises(ModelLoadError) as info:
        load_torch(Branchy(), torch.randn(2, 4))
    message = str(info.value)
    assert message.startswith("Branchy: data-dependent control flow")
    assert "if x.sum() > 0" in message and "test_torch_errors.py" in message
    assert "torch.where" in message  # the fix


def test_data_dependent_control_flow_through_onnx_route() -> None:
    require("onnxscript", ONNXSCRIPT)
    with pytest.raises(ModelLoadError, match=r"Branchy: data-dependent control flow .*if x.sum\(\) > 0"):
        load_torch(Branchy(), torch.randn(2, 4), frontend="onnx")


def test_unsupported_aten_ops_listed_with_module_path() -> None:
    with pytest.raises(UnsupportedOpError) as info:
        load_torch(Outer(), torch.randn(2, 4))
    message = str(info.value)
    assert "2 unsupported ATen op(s)" in message
    assert "aten.cumsum.default (in block (Inner))" in message
    assert "aten.sort.default (in block (Inner))" in message


def test_not_a_module_or_bad_arguments() -> None:
    with pytest.raises(ModelLoadError, match=r"needs a torch\.nn\.Module"):
        load_torch(lambda x: x, torch.randn(2))
    with pytest.raises(ModelLoadError, match=r"example_inputs\[0\] is a list"):
        load_torch(nn.ReLU(), ([1.0, 2.0],))
    with pytest.raises(ModelLoadError, match="unknown PyTorch frontend 'tflite'"):
        load_torch(nn.ReLU(), torch.randn(2), frontend="tflite")
    with pytest.raises(ModelLoadError, match="input_names"):
        load_torch(nn.ReLU(), torch.randn(2), input_names=["a", "b"])


def test_wrong_example_shape_names_the_source_line() -> None:
    with pytest.raises(ModelLoadError, match=r"Outer: torch.export failed at .*self.fc\(x\)"):
        load_torch(Outer(), torch.randn(2, 5))


def test_unsupported_dtype() -> None:
    with pytest.raises(ShapeError, match="bfloat16"):
        load_torch(nn.ReLU(), torch.randn(2, dtype=torch.bfloat16))


def test_training_only_batchnorm_is_rejected() -> None:
    class TrainBN(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.functional.batch_norm(x, None, None, training=True)

    with pytest.raises(UnsupportedOpError, match=r"aten._native_batch_norm_legit.no_stats \(in <root> \(TrainBN\)\)"):
        load_torch(TrainBN(), torch.randn(2, 3, 4))
